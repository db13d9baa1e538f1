package layers

import "testing"

// BenchmarkIm2col builds the im2col rows of one 32×32×3 image for a 3×3 valid convolution
// (the seed model's Conv2D, whose kernel gradient reads them).
func BenchmarkIm2col(b *testing.B) {
	l := NewConv2D(16, [2]int{3, 3})
	if err := l.Build([]int{32, 32, 3}, NewRand(1)); err != nil {
		b.Fatal(err)
	}
	g := l.g
	P, K := g.patch()
	x := make([]float32, 32*32*3)
	cols := make([]float32, P*K)
	for b.Loop() {
		g.im2col(x, cols)
	}
	b.SetBytes(int64(4 * P * K))
}
