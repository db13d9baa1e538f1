package layers

import (
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// LeakyReLU is Keras's LeakyReLU layer: x for x >= 0, slope·x otherwise. The slope is "alpha"
// in tf_keras's config and "negative_slope" in Keras 3's; both default to 0.3.
type LeakyReLU struct {
	ewise
	slope float64
}

// LeakyReLUOptions are the optional arguments of NewLeakyReLU.
type LeakyReLUOptions struct {
	Name       string
	InputShape []int
}

// NewLeakyReLU returns a LeakyReLU layer with the given negative slope (Keras's default is 0.3).
func NewLeakyReLU(slope float64, opts ...LeakyReLUOptions) *LeakyReLU {
	o := optionsArg("NewLeakyReLU", opts)
	return &LeakyReLU{ewise: ewise{base: newBase(o.Name, o.InputShape), class: "LeakyReLU"}, slope: slope}
}

func init() { register(Spec{Classes: []string{"LeakyReLU"}, FromConfig: leakyReLUFromConfig}) }

func leakyReLUFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("LeakyReLU", cfg)
	l := &LeakyReLU{ewise: ewise{class: "LeakyReLU"}}
	r.readBase(&l.base)
	l.slope = r.float(0.3, "negative_slope", "alpha")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "LeakyReLU".
func (l *LeakyReLU) Class() string { return "LeakyReLU" }

// Forward applies the leaky rectifier.
func (l *LeakyReLU) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	s := float32(l.slope)
	return l.forward(x, training, func(x, y []float32) {
		for i, v := range x {
			if v < 0 {
				v *= s
			}
			y[i] = v
		}
	})
}

// Backward returns dy where x > 0 and slope·dy elsewhere (TF's LeakyReluGrad).
func (l *LeakyReLU) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	s := float32(l.slope)
	return l.backward(dy, func(x, _, dy, dx []float32) {
		for i, v := range x {
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = s * dy[i]
			}
		}
	})
}

// Config returns the layer's Keras config in dialect d: tf_keras writes "alpha" (stored as
// float32), Keras 3 "negative_slope".
func (l *LeakyReLU) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	if d == saved.Keras2 {
		c["alpha"] = f32(l.slope)
	} else {
		c["negative_slope"] = l.slope
	}
	return c
}

// Graph returns one LeakyRelu op.
func (l *LeakyReLU) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, layerErr(ErrShape, "LeakyReLU", l.name, "Graph before Build")
	}
	g := newGraphBuilder(l.Class(), l.Name())
	out := g.op("LeakyRelu", "LeakyRelu", []string{"$in"}, map[string]saved.Attr{
		"T": saved.TypeAttr(tensor.Float32), "alpha": saved.FloatAttr(float32(l.slope))})
	return g.graphOut(l.inShape, l.inShape, false, out)
}

// Keras 3 writes no build_config for LeakyReLU (see BuildConfig).
func (*LeakyReLU) noKeras3BuildConfig() {}
