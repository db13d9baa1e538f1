package layers

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestMergeChannelBroadcastInfer checks the one-pass inference of Multiply and Add of
// (n, h, w, c) and (n, 1, 1, c) (either order; odd sizes, batch 1) against a float64
// reference and bit for bit against the general broadcast path (a training Forward), and
// the one-pass Add/Multiply of equal shapes likewise.
func TestMergeChannelBroadcastInfer(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := 0; trial < 24; trial++ {
		n, h, w, c := 1+rng.IntN(3), 1+rng.IntN(7), 1+rng.IntN(9), []int{1, 3, 16, 17, 40}[rng.IntN(5)]
		mul := trial%2 == 0
		swap := trial%4 >= 2
		same := trial%6 == 5
		var m MultiInput
		if mul {
			m = NewMultiply()
		} else {
			m = NewAdd()
		}
		bigS, smallS := []int{h, w, c}, []int{1, 1, c}
		if same {
			smallS = bigS
		}
		shapes := [][]int{bigS, smallS}
		if swap {
			shapes = [][]int{smallS, bigS}
		}
		if err := m.BuildN(shapes, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		mk := func(s []int) *tensor.Tensor {
			d := make([]float32, n*s[0]*s[1]*s[2])
			for i := range d {
				d[i] = float32(rng.NormFloat64())
			}
			return tensor.MustFromFloat32(append([]int{n}, s...), d)
		}
		big, small := mk(bigS), mk(smallS)
		xs := []*tensor.Tensor{big, small}
		if swap {
			xs = []*tensor.Tensor{small, big}
		}
		name := fmt.Sprintf("n%d_%dx%dx%d_mul%v_swap%v_same%v", n, h, w, c, mul, swap, same)
		ws := NewWorkspace()
		y, err := InferN(ws, m, xs)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := m.ForwardN(xs, true)
		if err != nil {
			t.Fatal(err)
		}
		bd, sd := big.Float32s(), small.Float32s()
		for i := range y.Float32s() {
			j := i % c
			if !same {
				j += (i / (h * w * c)) * c
			} else {
				j = i
			}
			var want float64
			if mul {
				want = float64(bd[i]) * float64(sd[j])
			} else {
				want = float64(bd[i]) + float64(sd[j])
			}
			if got := y.Float32s()[i]; got != float32(want) || got != ref.Float32s()[i] {
				t.Fatalf("%s: [%d] = %v, want %v (general path %v)", name, i, got, float32(want), ref.Float32s()[i])
			}
		}
		if fmt.Sprint(y.Shape) != fmt.Sprint(ref.Shape) {
			t.Fatalf("%s: shape %v, want %v", name, y.Shape, ref.Shape)
		}
	}
}
