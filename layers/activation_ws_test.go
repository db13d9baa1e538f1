package layers

import (
	"fmt"
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestActivationWorkspace checks that the Activation and ReLU layers' workspace inference
// (ForwardWS: the workspace's output buffer, large tensors in parallel chunks of whole rows)
// gives what Forward gives, bit for bit, on a small tensor and on one large enough to be
// split (with softmax's rows not a multiple of the chunking), and reuses its buffer.
func TestActivationWorkspace(t *testing.T) {
	six, three := 6.0, 3.0
	cases := map[string]func() Layer{}
	for _, a := range []string{"relu", "relu6", "sigmoid", "tanh", "softmax", "swish", "gelu", "linear", "elu", "glu"} {
		cases["Activation "+a] = func() Layer { return NewActivation(a) }
	}
	cases["ReLU"] = func() Layer { return NewReLU() }
	cases["ReLU max 6"] = func() Layer { return NewReLU(ReLUOptions{MaxValue: &six}) }
	cases["ReLU max 3 slope 0.1 threshold 0.5"] = func() Layer {
		return NewReLU(ReLUOptions{MaxValue: &three, NegativeSlope: 0.1, Threshold: 0.5})
	}
	rng := NewRand(5)
	for name, mk := range cases {
		for _, shape := range [][]int{{2, 3, 6}, {5, 61, 258}} {
			t.Run(fmt.Sprintf("%s %v", name, shape), func(t *testing.T) {
				l := mk()
				if err := l.Build(shape[1:], nil); err != nil {
					t.Fatal(err)
				}
				n := shape[0] * shape[1] * shape[2]
				d := make([]float32, n)
				for i := range d {
					d[i] = rng.Uniform(-8, 8)
				}
				d[0], d[1] = float32(math.Copysign(0, -1)), 6
				x := tensor.MustFromFloat32(shape, d)
				want, err := l.Forward(x, false)
				if err != nil {
					t.Fatal(err)
				}
				ws := NewWorkspace()
				var first *float32
				for call := range 2 {
					got, err := Infer(ws, l, x)
					if err != nil {
						t.Fatal(err)
					}
					if !tensor.SameShape(got.Shape, want.Shape) {
						t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
					}
					g, w := got.Float32s(), want.Float32s()
					for i := range w {
						if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
							t.Fatalf("call %d [%d] = %v (%#x), Forward %v (%#x)", call, i, g[i], math.Float32bits(g[i]), w[i], math.Float32bits(w[i]))
						}
					}
					if _, isGLU := l.(*Activation); isGLU && l.(*Activation).act == glu {
						continue
					}
					if call == 0 {
						first = &g[0]
					} else if &g[0] != first {
						t.Fatal("the second call did not reuse the workspace's buffer")
					}
				}
			})
		}
	}
}

// TestReLUZero checks that the ReLU layer maps negatives and -0 to +0, as tf.nn.relu and
// relu6 do, in training and in inference.
func TestReLUZero(t *testing.T) {
	six := 6.0
	for _, l := range []*ReLU{NewReLU(), NewReLU(ReLUOptions{MaxValue: &six})} {
		if err := l.Build([]int{3}, nil); err != nil {
			t.Fatal(err)
		}
		x := tensor.MustFromFloat32([]int{1, 3}, []float32{-2, float32(math.Copysign(0, -1)), 7})
		for _, training := range []bool{false, true} {
			y, err := l.Forward(x, training)
			if err != nil {
				t.Fatal(err)
			}
			v := y.Float32s()
			if math.Float32bits(v[0]) != 0 || math.Float32bits(v[1]) != 0 {
				t.Fatalf("relu(-2), relu(-0) = %#x, %#x, want +0", math.Float32bits(v[0]), math.Float32bits(v[1]))
			}
		}
	}
}
