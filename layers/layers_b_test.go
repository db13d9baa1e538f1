package layers

import (
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

func randInput(shape []int, seed uint64) *tensor.Tensor {
	n, _ := tensor.NumElements(shape)
	r := NewRand(seed)
	d := make([]float32, n)
	for i := range d {
		d[i] = r.Uniform(-2, 2)
	}
	return tensor.MustFromFloat32(shape, d)
}

// TestNoiseLayersInferenceIdentity: every random layer returns its input at inference.
func TestNoiseLayersInferenceIdentity(t *testing.T) {
	for _, l := range []Layer{NewGaussianNoise(0.5), NewGaussianDropout(0.4), NewSpatialDropout2D(0.5), NewDropout(0.5), NewActivityRegularization(0.1, 0.1)} {
		if err := l.Build([]int{4, 4, 3}, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		x := randInput([]int{2, 4, 4, 3}, 2)
		y, err := l.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range y.Float32s() {
			if v != x.Float32s()[i] {
				t.Fatalf("%s: inference y[%d] = %v, x %v", l.Class(), i, v, x.Float32s()[i])
			}
		}
	}
}

func meanStd(v []float64) (float64, float64) {
	var s, s2 float64
	for _, x := range v {
		s += x
		s2 += x * x
	}
	m := s / float64(len(v))
	return m, math.Sqrt(s2/float64(len(v)) - m*m)
}

// TestNoiseLayersTrainingStatistics checks the distributions the noise layers draw in
// training.
func TestNoiseLayersTrainingStatistics(t *testing.T) {
	const n = 40000
	ones := tensor.MustFromFloat32([]int{n, 1}, func() []float32 {
		d := make([]float32, n)
		for i := range d {
			d[i] = 1
		}
		return d
	}())
	gn := NewGaussianNoise(0.5)
	gn.Build([]int{1}, NewRand(3))
	y, _ := gn.Forward(ones, true)
	var v []float64
	for _, x := range y.Float32s() {
		v = append(v, float64(x))
	}
	if m, s := meanStd(v); math.Abs(m-1) > 0.02 || math.Abs(s-0.5) > 0.02 {
		t.Errorf("GaussianNoise(0.5) on ones: mean %v std %v", m, s)
	}
	gd := NewGaussianDropout(0.2)
	gd.Build([]int{1}, NewRand(4))
	y, _ = gd.Forward(ones, true)
	v = v[:0]
	for _, x := range y.Float32s() {
		v = append(v, float64(x))
	}
	if m, s := meanStd(v); math.Abs(m-1) > 0.02 || math.Abs(s-0.5) > 0.02 { // sqrt(0.2/0.8) = 0.5
		t.Errorf("GaussianDropout(0.2) on ones: mean %v std %v", m, s)
	}
	dy := tensor.MustFromFloat32(y.Shape, append([]float32(nil), ones.Float32s()...))
	dx, _ := gd.Backward(dy)
	for i, d := range dx.Float32s() {
		if d != y.Float32s()[i] {
			t.Fatalf("GaussianDropout dx[%d] %v, want the noise %v", i, d, y.Float32s()[i])
		}
	}
	// SpatialDropout2D: whole channels dropped, about rate of them.
	sd := NewSpatialDropout2D(0.3)
	sd.Build([]int{3, 3, 4}, NewRand(5))
	x := tensor.MustFromFloat32([]int{1000, 3, 3, 4}, func() []float32 {
		d := make([]float32, 1000*36)
		for i := range d {
			d[i] = 1
		}
		return d
	}())
	y, _ = sd.Forward(x, true)
	yd := y.Float32s()
	dropped := 0
	for b := 0; b < 1000; b++ {
		for c := 0; c < 4; c++ {
			first := yd[b*36+c]
			for p := 0; p < 9; p++ {
				if yd[b*36+p*4+c] != first {
					t.Fatalf("sample %d channel %d not uniform", b, c)
				}
			}
			if first == 0 {
				dropped++
			} else if math.Abs(float64(first)-1/0.7) > 1e-6 {
				t.Fatalf("kept value %v, want 1/0.7", first)
			}
		}
	}
	if f := float64(dropped) / 4000; math.Abs(f-0.3) > 0.03 {
		t.Errorf("SpatialDropout2D dropped %.3f of channels, want 0.3", f)
	}
	// Dropout noise_shape (None, 1, 4): the mask is shared along axis 1.
	l, _, err := FromConfig("Dropout", map[string]any{"rate": 0.5, "noise_shape": []any{nil, 1.0, 4.0}}, saved.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	l.Build([]int{5, 4}, NewRand(6))
	y, err = l.Forward(tensor.MustFromFloat32([]int{50, 5, 4}, func() []float32 {
		d := make([]float32, 1000)
		for i := range d {
			d[i] = 1
		}
		return d
	}()), true)
	if err != nil {
		t.Fatal(err)
	}
	yd = y.Float32s()
	for b := 0; b < 50; b++ {
		for r := 1; r < 5; r++ {
			for c := 0; c < 4; c++ {
				if yd[b*20+r*4+c] != yd[b*20+c] {
					t.Fatalf("noise_shape: sample %d row %d col %d differs from row 0", b, r, c)
				}
			}
		}
	}
	if got := l.Config(saved.Keras3)["noise_shape"]; len(got.([]any)) != 3 || got.([]any)[0] != nil || got.([]any)[1] != 1 {
		t.Errorf("noise_shape config %v", got)
	}
}

// TestLayersBGraph checks the TF ops each new layer declares.
func TestLayersBGraph(t *testing.T) {
	mx := 6.0
	cases := []struct {
		l     Layer
		types []string
	}{
		{NewReLU(), []string{"Relu"}},
		{NewReLU(ReLUOptions{MaxValue: &mx}), []string{"Relu6"}},
		{NewReLU(ReLUOptions{NegativeSlope: 0.1}), []string{"LeakyRelu"}},
		{NewLeakyReLU(0.3), []string{"LeakyRelu"}},
		{NewELU(1), []string{"Elu"}},
		{NewELU(0.5), []string{"Elu", "Const", "Greater", "Const", "Mul", "SelectV2"}},
		{NewSoftmax(-1), []string{"Softmax"}},
		{NewSoftmax(1), []string{"Const", "Transpose", "Softmax", "Const", "Transpose"}},
		{NewPReLU(), []string{"Relu", "ReadVariableOp", "Neg", "Neg", "Relu", "Mul", "AddV2"}},
		{NewGaussianNoise(0.1), []string{"Identity"}},
		{NewDropout(0.1), []string{"Identity"}},
		{NewActivation("relu6"), []string{"Relu6"}},
		{NewActivation("gelu"), []string{"Const", "RealDiv", "Erf", "Const", "AddV2", "Const", "Mul", "Mul"}},
		{NewActivation("hard_sigmoid"), []string{"Const", "AddV2", "Relu6", "Const", "RealDiv"}},
		{NewActivation("leaky_relu"), []string{"LeakyRelu"}},
		{NewActivation("log_softmax"), []string{"LogSoftmax"}},
	}
	for _, c := range cases {
		if err := c.l.Build([]int{3, 4, 2}, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		g, err := c.l.(Grapher).Graph()
		if err != nil {
			t.Fatalf("%s: %v", c.l.Class(), err)
		}
		var types []string
		names := map[string]bool{}
		for _, op := range g.Ops {
			types = append(types, op.Type)
			if op.OutArg == "" {
				t.Errorf("%s: op %s (%s) has no OutArg", c.l.Class(), op.Name, op.Type)
			}
			for _, in := range op.Inputs {
				if in == "" || (in[0] != '$' && !names[in]) {
					t.Errorf("%s: op %s reads %q before it exists", c.l.Class(), op.Name, in)
				}
			}
			names[op.Name] = true
		}
		if len(types) != len(c.types) {
			t.Errorf("%s: ops %v, want %v", c.l.Class(), types, c.types)
			continue
		}
		for i := range types {
			if types[i] != c.types[i] {
				t.Errorf("%s: ops %v, want %v", c.l.Class(), types, c.types)
				break
			}
		}
		if !names[g.Output] {
			t.Errorf("%s: output %q is not an op", c.l.Class(), g.Output)
		}
	}
	for _, a := range Activations() {
		l := NewActivation(a)
		l.Build([]int{4}, nil)
		if _, err := l.Graph(); err != nil && a != "sparsemax" {
			t.Errorf("activation %s: %v", a, err)
		}
	}
}
