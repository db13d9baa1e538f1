package layers

import (
	"math"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// ELU is Keras's ELU layer: x for x > 0, alpha·(exp(x) - 1) otherwise (alpha defaults to 1).
type ELU struct {
	ewise
	alpha float64
}

// ELUOptions are the optional arguments of NewELU.
type ELUOptions struct {
	Name       string
	InputShape []int
}

// NewELU returns an ELU layer with the given alpha (Keras's default is 1).
func NewELU(alpha float64, opts ...ELUOptions) *ELU {
	o := optionsArg("NewELU", opts)
	return &ELU{ewise: ewise{base: newBase(o.Name, o.InputShape), class: "ELU"}, alpha: alpha}
}

func init() { register(Spec{Classes: []string{"ELU"}, FromConfig: eluFromConfig}) }

func eluFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("ELU", cfg)
	l := &ELU{ewise: ewise{class: "ELU"}}
	r.readBase(&l.base)
	l.alpha = r.float(1, "alpha")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "ELU".
func (l *ELU) Class() string { return "ELU" }

// Forward applies the exponential linear unit.
func (l *ELU) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	a := float32(l.alpha)
	return l.forward(x, training, func(x, y []float32) {
		for i, v := range x {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = a * float32(math.Expm1(float64(v)))
			}
		}
	})
}

// Backward returns dy for x > 0 and dy·alpha·exp(x) otherwise.
func (l *ELU) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	a := float32(l.alpha)
	return l.backward(dy, func(x, _, dy, dx []float32) {
		for i, v := range x {
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = dy[i] * a * float32(math.Exp(float64(v)))
			}
		}
	})
}

// Config returns the layer's Keras config in dialect d (tf_keras stores alpha as float32).
func (l *ELU) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	if d == saved.Keras2 {
		c["alpha"] = f32(l.alpha)
	} else {
		c["alpha"] = l.alpha
	}
	return c
}

// Graph returns Elu, and for alpha != 1 where(x > 0, elu, alpha·elu) as tf_keras's backend.elu.
func (l *ELU) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, layerErr(ErrShape, "ELU", l.name, "Graph before Build")
	}
	g := newGraphBuilder(l.Class(), l.Name())
	out := g.fop("Elu", "Elu", "$in")
	if l.alpha != 1 {
		cond := g.fop("Greater", "Greater", "$in", g.scalar("Greater/y", 0))
		m := g.fop("mul", "Mul", g.scalar("mul/x", float32(l.alpha)), out)
		out = g.fop("SelectV2", "SelectV2", cond, out, m)
	}
	return g.graphOut(l.inShape, l.inShape, false, out)
}

// Keras 3 writes no build_config for ELU (see BuildConfig).
func (*ELU) noKeras3BuildConfig() {}
