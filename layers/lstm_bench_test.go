package layers

import "testing"

// LSTM256 benchmark sizes: LSTM(256) over 100 steps of 128 features at batch 32 (issue 12's
// benchmark; scripts/bench_lstm.py runs the same job in TensorFlow).
const (
	lstmBenchBatch    = 32
	lstmBenchSteps    = 100
	lstmBenchFeatures = 128
	lstmBenchUnits    = 256
)

// BenchmarkLSTM256 is the inference forward pass of LSTM(256) (the last output) over a
// (32, 100, 128) batch.
func BenchmarkLSTM256(b *testing.B) {
	l := NewLSTM(lstmBenchUnits)
	if err := l.Build([]int{lstmBenchSteps, lstmBenchFeatures}, NewRand(1)); err != nil {
		b.Fatal(err)
	}
	x := randTensor(NewRand(2), []int{lstmBenchBatch, lstmBenchSteps, lstmBenchFeatures}, -1, 1)
	if _, err := l.Forward(x, false); err != nil { // warm-up
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for b.Loop() {
		if _, err := l.Forward(x, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
}
