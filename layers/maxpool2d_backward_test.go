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
