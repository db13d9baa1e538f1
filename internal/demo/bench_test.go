package demo

import (
	"fmt"
	"testing"

	"github.com/kerasgo/kerasgo/data"
	"github.com/kerasgo/kerasgo/model"
)

// BenchmarkFitEpoch times one epoch of the seed model's Fit (shuffled, batch 512) over
// CIFAR-shaped data: 50000 images as in the seed article, and a 10000-image sub-benchmark
// for quick runs. scripts/bench_fit.py compares the 50000 case with TensorFlow.
func BenchmarkFitEpoch(b *testing.B) {
	for _, n := range []int{50000, 10000} {
		b.Run(fmt.Sprintf("images=%d", n), func(b *testing.B) {
			train, _ := data.Synthetic(data.SyntheticOptions{Train: n, Test: 1})
			m := SeedModel(1)
			if err := Compile(m); err != nil {
				b.Fatal(err)
			}
			// The same warm-up as scripts/bench_fit.py gives TensorFlow: one epoch of 2048
			// images (buffers, worker pool).
			warm, _ := data.Synthetic(data.SyntheticOptions{Train: 2048, Test: 1})
			if _, err := m.Fit(warm.X, warm.Y, model.FitOptions{Epochs: 1, BatchSize: 512, Seed: 1 << 20}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu := startCPU()
			for i := 0; i < b.N; i++ {
				if _, err := m.Fit(train.X, train.Y, model.FitOptions{Epochs: 1, BatchSize: 512, Seed: uint64(i + 1)}); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/image")
		})
	}
}
