package layers

import (
	"fmt"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestMaxPooling2DTrainReference checks the training Forward and Backward against a plain
// reference on random shapes (overlapping and strided windows, valid and same padding, odd
// sizes) with many ties (values from a set of five): each output is its window's maximum and
// its gradient goes to the window's first cell in scan order holding it (as TF routes it).
func TestMaxPooling2DTrainReference(t *testing.T) {
	rng := NewRand(21)
	for i := range 40 {
		h, w, c := 1+rng.IntN(9), 1+rng.IntN(9), 1+rng.IntN(20)
		p := [2]int{1 + rng.IntN(4), 1 + rng.IntN(4)}
		s := [2]int{1 + rng.IntN(4), 1 + rng.IntN(4)}
		pad := []string{"valid", "same"}[rng.IntN(2)]
		if pad == "valid" && (p[0] > h || p[1] > w) {
			pad = "same"
		}
		name := fmt.Sprintf("%d_%dx%dx%d_p%v_s%v_%s", i, h, w, c, p, s, pad)
		l := NewMaxPooling2D(p, MaxPoolingOptions{Strides: s, Padding: pad})
		if err := l.Build([]int{h, w, c}, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		n := 1 + rng.IntN(3)
		xd := make([]float32, n*h*w*c)
		for j := range xd {
			xd[j] = float32(rng.IntN(5)) - 2
		}
		y, err := l.Forward(tensor.MustFromFloat32([]int{n, h, w, c}, xd), true)
		if err != nil {
			t.Fatal(err)
		}
		g := l.g
		if !tensor.SameShape(y.Shape, []int{n, g.oh, g.ow, c}) {
			t.Fatalf("%s: output shape %v", name, y.Shape)
		}
		dyd := make([]float32, y.Len())
		for j := range dyd {
			dyd[j] = rng.Uniform(-1, 1)
		}
		dx, err := l.Backward(tensor.MustFromFloat32(y.Shape, dyd))
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, len(xd))
		yd := y.Float32s()
		for b := range n {
			for oy := range g.oh {
				for ox := range g.ow {
					for ch := range c {
						best, at := float32(0), -1
						for ky := range g.kh {
							for kx := range g.kw {
								iy, ix := oy*g.sh-g.pt+ky, ox*g.sw-g.pl+kx
								if iy < 0 || iy >= h || ix < 0 || ix >= w {
									continue
								}
								k := ((b*h+iy)*w+ix)*c + ch
								if at < 0 || xd[k] > best {
									best, at = xd[k], k
								}
							}
						}
						o := ((b*g.oh+oy)*g.ow+ox)*c + ch
						if yd[o] != best {
							t.Fatalf("%s: y[%d] = %v, want %v", name, o, yd[o], best)
						}
						want[at] += dyd[o]
					}
				}
			}
		}
		for j, v := range dx.Float32s() {
			if v != want[j] {
				t.Fatalf("%s: dx[%d] = %v, want %v", name, j, v, want[j])
			}
		}
	}
}

// TestConvPoolZeroBatch runs Conv2D (the direct kernels where the CPU has them) and
// MaxPooling2D on an empty batch, in inference and training, backward included: empty
// results, no panic.
func TestConvPoolZeroBatch(t *testing.T) {
	c := NewConv2D(16, [2]int{3, 3}, Conv2DOptions{Activation: "relu"})
	p := NewMaxPooling2D([2]int{2, 2})
	if err := c.Build([]int{8, 8, 3}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	if err := p.Build([]int{6, 6, 16}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	for _, training := range []bool{false, true} {
		y, err := c.Forward(tensor.MustFromFloat32([]int{0, 8, 8, 3}, nil), training)
		if err != nil || !tensor.SameShape(y.Shape, []int{0, 6, 6, 16}) {
			t.Fatalf("training %v: conv %v, %v", training, y, err)
		}
		z, err := p.Forward(y, training)
		if err != nil || !tensor.SameShape(z.Shape, []int{0, 3, 3, 16}) {
			t.Fatalf("training %v: pool %v, %v", training, z, err)
		}
		if !training {
			continue
		}
		dy, err := p.Backward(z)
		if err != nil || !tensor.SameShape(dy.Shape, []int{0, 6, 6, 16}) {
			t.Fatalf("pool backward %v, %v", dy, err)
		}
		dx, err := c.Backward(dy)
		if err != nil || !tensor.SameShape(dx.Shape, []int{0, 8, 8, 3}) {
			t.Fatalf("conv backward %v, %v", dx, err)
		}
	}
}
