package model

import (
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// BenchmarkPredict runs the seed model on one batch of 512 images of 32x32x3 (issue 2's
// benchmark; scripts compare it with TensorFlow on the same machine).
func BenchmarkPredict(b *testing.B) {
	m := seedModel()
	rng := layers.NewRand(3)
	const n = 512
	x := make([]float32, n*32*32*3)
	for i := range x {
		x[i] = rng.Float32()
	}
	xt := tensor.MustFromFloat32([]int{n, 32, 32, 3}, x)
	b.SetBytes(int64(len(x) * 4))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := m.Predict(xt, PredictOptions{BatchSize: n}); err != nil {
			b.Fatal(err)
		}
	}
}
