package model

import (
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// denseBenchModel is the 25.2M-parameter Dense model of scripts/bench_h5.py (4096 inputs,
// Dense 4096 relu, Dense 2048 relu, Dense 10 softmax); scripts/bench_dense.py compares its
// predict at batch 512 with the same products in NumPy's OpenBLAS and in TensorFlow.
func denseBenchModel() *Sequential {
	return NewSequential(
		dense(4096, dns{Activation: "relu", Name: "dense_1", InputShape: []int{4096}}),
		dense(2048, dns{Activation: "relu", Name: "dense_2"}),
		dense(10, dns{Activation: "softmax", Name: "dense_3"}),
	)
}

// BenchmarkDense25MPredict512 is one Predict of the 25M-parameter Dense model on a batch of
// 512 rows; it reports GFLOP/s (2 flops per multiply-add of the three products) and CPU
// seconds per call.
func BenchmarkDense25MPredict512(b *testing.B) {
	const n = 512
	m := denseBenchModel()
	rng := layers.NewRand(5)
	x := make([]float32, n*4096)
	for i := range x {
		x[i] = rng.Float32()
	}
	xt := tensor.MustFromFloat32([]int{n, 4096}, x)
	b.ReportAllocs()
	if _, err := m.Predict(xt, PredictOptions{BatchSize: n}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := startCPU()
	for range b.N {
		if _, err := m.Predict(xt, PredictOptions{BatchSize: n}); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
	flop := 2.0 * n * float64(4096*4096+4096*2048+2048*10)
	b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
