package layers

import (
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestZeroPadding2DWorkspace checks ZeroPadding2D's workspace inference against Forward on
// random shapes and paddings, including a second call after its reused buffer was filled
// with garbage (every element, padding included, must be written again) and a smaller batch.
func TestZeroPadding2DWorkspace(t *testing.T) {
	rng := NewRand(13)
	for tc := range 40 {
		h, w, c := 1+rng.IntN(9), 1+rng.IntN(9), 1+rng.IntN(5)
		pad := [2][2]int{{rng.IntN(3), rng.IntN(3)}, {rng.IntN(3), rng.IntN(3)}}
		l := NewZeroPadding2D(pad)
		if err := l.Build([]int{h, w, c}, nil); err != nil {
			t.Fatal(err)
		}
		ws := NewWorkspace()
		for _, n := range []int{3, 3, 2} {
			d := make([]float32, n*h*w*c)
			for i := range d {
				d[i] = rng.Uniform(-1, 1)
			}
			x := tensor.MustFromFloat32([]int{n, h, w, c}, d)
			want, err := l.Forward(x, false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Infer(ws, l, x)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.SameShape(got.Shape, want.Shape) {
				t.Fatalf("case %d: shape %v, want %v", tc, got.Shape, want.Shape)
			}
			for i, v := range want.Float32s() {
				if got.Float32s()[i] != v {
					t.Fatalf("case %d (n %d, %dx%dx%d, pad %v): [%d] = %v, want %v", tc, n, h, w, c, pad, i, got.Float32s()[i], v)
				}
			}
			g := got.Float32s()
			for i := range g[:cap(g)] {
				g[:cap(g)][i] = float32(math.NaN()) // the next call must overwrite all of it
			}
		}
	}
}
