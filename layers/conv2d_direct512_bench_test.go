package layers

import (
	"fmt"
	"testing"
)

// BenchmarkConv2DInfer compares the AVX-512 direct kernels with the fallback (im2col GEMM /
// AVX2 direct) on convolutions of the seed model and of ResNet-like shapes.
func BenchmarkConv2DInfer(b *testing.B) {
	cases := []struct {
		n, h, w, c, f, k, s int
		pad                 string
	}{
		{512, 32, 32, 3, 16, 3, 1, "valid"},
		{8, 56, 56, 64, 64, 3, 1, "same"},
		{8, 28, 28, 128, 128, 3, 1, "same"},
		{8, 14, 14, 256, 256, 3, 1, "same"},
		{8, 56, 56, 256, 512, 1, 2, "valid"},
		{1, 224, 224, 3, 64, 7, 2, "same"},
	}
	saved := hasConv512
	defer func() { hasConv512 = saved }()
	for _, cs := range cases {
		l := NewConv2D(cs.f, [2]int{cs.k, cs.k}, Conv2DOptions{Strides: [2]int{cs.s, cs.s}, Padding: cs.pad, Activation: "relu"})
		if err := l.Build([]int{cs.h, cs.w, cs.c}, NewRand(1)); err != nil {
			b.Fatal(err)
		}
		x := uniformTensor(NewRand(2), cs.n, cs.h, cs.w, cs.c)
		for _, on := range []bool{false, true} {
			if on && !saved {
				continue
			}
			b.Run(fmt.Sprintf("n%d_%dx%dx%d_f%d_k%d_s%d_%s/avx512=%v", cs.n, cs.h, cs.w, cs.c, cs.f, cs.k, cs.s, cs.pad, on), func(b *testing.B) {
				hasConv512 = on
				for range b.N {
					if _, err := l.Forward(x, false); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
