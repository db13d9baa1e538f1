package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// ActivationOptions are the optional arguments of NewActivation.
type ActivationOptions struct {
	Name       string
	InputShape []int
}

// Activation is Keras's Activation layer: an activation function as a layer.
type Activation struct {
	base
	act   *activationFunc
	z, y  *tensor.Tensor
	infer inferBufs // the inference output, reused in a Workspace (ForwardWS)
}

// NewActivation returns an Activation layer. It panics on an unknown activation name.
func NewActivation(activation string, opts ...ActivationOptions) *Activation {
	o := optionsArg("NewActivation", opts)
	a, err := lookupActivation(activation)
	if activation == gluName {
		a, err = glu, nil
	}
	if err != nil {
		panic("layers.NewActivation: " + err.Error())
	}
	return &Activation{base: newBase(o.Name, o.InputShape), act: a}
}

func init() { register(Spec{Classes: []string{"Activation"}, FromConfig: activationFromConfig}) }

func activationFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Activation", cfg)
	r.dialect = d
	l := &Activation{}
	r.readBase(&l.base)
	if _, _, ok := r.get("activation"); !ok {
		r.fail(ErrFormat, "missing activation")
	}
	if isGLU(cfg["activation"]) {
		r.get("activation")
		l.act = glu
	} else {
		l.act = r.activation()
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Activation".
func (l *Activation) Class() string { return "Activation" }

// Activation returns the activation's name.
func (l *Activation) Activation() string { return l.act.name }

// SetTrainable sets Keras's layer.trainable (no effect).
func (l *Activation) SetTrainable(t bool) { l.trainable = t }

// OutputShape returns the input shape (glu: the last axis halved).
func (l *Activation) OutputShape(in []int) ([]int, error) {
	if l.act == glu {
		return gluOutputShape(l.name, in)
	}
	return slices.Clone(in), nil
}

// Build records the input shape.
func (l *Activation) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns nil.
func (l *Activation) Weights() []*Weight { return nil }

// Forward applies the activation (softmax over the last axis).
func (l *Activation) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Activation", l.name); err != nil {
		return nil, err
	}
	last := 1
	if len(x.Shape) > 0 {
		last = x.Shape[len(x.Shape)-1]
	}
	var out *tensor.Tensor
	if l.act == glu {
		out = gluForward(x)
	} else {
		y := make([]float32, x.Len())
		l.act.apply(x.Float32s(), y, last)
		out = tensor.MustFromFloat32(x.Shape, y)
	}
	if training {
		l.z, l.y = x, out
	} else {
		l.z, l.y = nil, nil
	}
	return out, nil
}

// Backward returns dL/dx.
func (l *Activation) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.y == nil {
		return nil, layerErr(ErrShape, "Activation", l.name, "Backward without a training Forward")
	}
	if dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.y.Shape) {
		return nil, layerErr(ErrShape, "Activation", l.name, "dy shape %s, want %s", tensor.ShapeString(dy.Shape), tensor.ShapeString(l.y.Shape))
	}
	if l.act == glu {
		return gluBackward(l.z, dy), nil
	}
	dx := make([]float32, dy.Len())
	l.act.grad(l.z.Float32s(), l.y.Float32s(), dy.Float32s(), dx, dy.Shape[len(dy.Shape)-1])
	return tensor.MustFromFloat32(dy.Shape, dx), nil
}

// Config returns the layer's Keras config in dialect d.
func (l *Activation) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["activation"] = l.act.configName(d)
	return c
}

// Graph returns the activation's TF ops (see activationFunc.ops).
func (l *Activation) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, layerErr(ErrShape, "Activation", l.name, "Graph before Build")
	}
	g := newGraphBuilder("Activation", l.name)
	if l.act == glu {
		out, _ := l.OutputShape(l.inShape)
		return g.graphOut(l.inShape, out, false, gluOps(g, "$in"))
	}
	out, err := l.act.ops(g, "$in")
	if err != nil {
		return nil, layerErr(ErrUnsupported, "Activation", l.name, "%v", err)
	}
	return g.graphOut(l.inShape, l.inShape, false, out)
}

// Keras 3 writes no build_config for Activation (see BuildConfig).
func (*Activation) noKeras3BuildConfig() {}
