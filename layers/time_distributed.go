package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TimeDistributed is Keras's TimeDistributed wrapper: the inner single-input layer (Dense,
// Conv2D, ...) applied to every time step of a (batch, timesteps, ...) input, with one set of
// weights. The inner layer runs once on the (batch·timesteps, ...) reshaped input. Weights:
// the inner layer's, under tf_keras's names "time_distributed/kernel" (the inner layer builds
// in the wrapper's name scope).
type TimeDistributed struct {
	base
	in wrapped
}

func init() {
	register(Spec{Classes: []string{"TimeDistributed"}, FromConfig: timeDistributedFromConfig,
		SubObjects: []string{"layer"}})
}

// NewTimeDistributed wraps a single-input layer. It panics on a multi-input layer or a
// wrapper (programmer errors).
func NewTimeDistributed(layer Layer, name ...string) *TimeDistributed {
	if _, multi := layer.(MultiInput); multi {
		panic("layers.NewTimeDistributed: a layer with several inputs")
	}
	if _, sub := layer.(SubObjectLayer); sub {
		panic("layers.NewTimeDistributed: a wrapper inside a wrapper")
	}
	n := ""
	if len(name) > 0 {
		n = name[0]
	}
	if layer.Name() == "" {
		layer.SetName(DefaultBaseName(layer.Class()))
	}
	return &TimeDistributed{base: newBase(n, nil), in: wrapped{layer: layer, object: "layer"}}
}

func timeDistributedFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("TimeDistributed", cfg)
	r.dialect = d
	l := &TimeDistributed{}
	r.readBase(&l.base)
	inner := innerFromConfig(r, "layer")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	l.in = wrapped{layer: inner, object: "layer"}
	return l, w, nil
}

// Class returns "TimeDistributed".
func (l *TimeDistributed) Class() string { return "TimeDistributed" }

// Layer returns the wrapped layer.
func (l *TimeDistributed) Layer() Layer { return l.in.layer }

// Config returns the layer's Keras config in dialect d.
func (l *TimeDistributed) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	var inner []int
	if l.inShape != nil {
		inner = l.inShape[1:]
	}
	c["layer"] = innerConfig(l.in.layer, d, inner)
	return c
}

// SetTrainable sets Keras's layer.trainable of the wrapper and its inner layer.
func (l *TimeDistributed) SetTrainable(t bool) {
	l.trainable = t
	setInnerTrainable(l.in.layer, t)
}

// OutputShape is (timesteps, inner output shape...).
func (l *TimeDistributed) OutputShape(in []int) ([]int, error) {
	if len(in) < 2 || in[0] < 1 {
		return nil, layerErr(ErrShape, "TimeDistributed", l.name, "input shape %s: want (timesteps, ...) with known timesteps", tensor.ShapeString(in))
	}
	out, err := l.in.layer.OutputShape(in[1:])
	if err != nil {
		return nil, err
	}
	return append([]int{in[0]}, out...), nil
}

// Build builds the inner layer for one time step's shape.
func (l *TimeDistributed) Build(in []int, rng *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	if err := l.in.layer.Build(slices.Clone(in[1:]), rng); err != nil {
		return err
	}
	l.in.nameWeights()
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns the inner layer's weights.
func (l *TimeDistributed) Weights() []*Weight { return l.in.layer.Weights() }

// SubObjects says where files keep the weights: under "layer".
func (l *TimeDistributed) SubObjects() []saved.SubObject {
	return []saved.SubObject{l.in.subObject()}
}

// fold reshapes (batch, timesteps, rest...) to (batch·timesteps, rest...), sharing the data.
func fold(x *tensor.Tensor) *tensor.Tensor {
	shape := append([]int{x.Shape[0] * x.Shape[1]}, x.Shape[2:]...)
	return tensor.MustFromFloat32(shape, x.Float32s())
}

// unfold is fold's inverse for batch b.
func unfold(x *tensor.Tensor, b int) *tensor.Tensor {
	shape := append([]int{b, x.Shape[0] / max(b, 1)}, x.Shape[1:]...)
	return tensor.MustFromFloat32(shape, x.Float32s())
}

// Forward runs the inner layer on every time step at once.
func (l *TimeDistributed) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "TimeDistributed", l.name); err != nil {
		return nil, err
	}
	y, err := l.in.layer.Forward(fold(x), training)
	if err != nil {
		return nil, err
	}
	return unfold(y, x.Shape[0]), nil
}

// Backward runs the inner layer's Backward on the folded gradient.
func (l *TimeDistributed) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if dy == nil || len(dy.Shape) < 2 || dy.DType != tensor.Float32 {
		return nil, layerErr(ErrShape, "TimeDistributed", l.name, "dy shape mismatch")
	}
	dx, err := l.in.layer.Backward(fold(dy))
	if err != nil {
		return nil, err
	}
	return unfold(dx, dy.Shape[0]), nil
}

// Graph reshapes the input to (-1, step shape...), runs the inner layer's graph and
// reshapes to (-1, timesteps, output step shape...).
func (l *TimeDistributed) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("TimeDistributed", l.name)
	}
	gi, err := l.in.layer.(Grapher).Graph()
	if err != nil {
		return nil, err
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	g := newGraphBuilder("TimeDistributed", l.name)
	reshape := func(name, x string, dims []int) string {
		v := []int32{-1}
		for _, d := range dims {
			v = append(v, int32(d))
		}
		s := g.int32Const(name+"/shape", v)
		return g.op(name, "Reshape", []string{x, s}, tAttrs(map[string]saved.Attr{"Tshape": saved.TypeAttr(tensor.Int32)}))
	}
	x := reshape("Reshape", "$in", l.inShape[1:])
	y := g.spliceGraph(gi, l.in.layer.Name(), x, l.in.prefix())
	y = reshape("Reshape_1", y, out)
	return g.graphOut(l.inShape, out, gi.Training, y)
}

// keras3CallKwargs: Keras 3 records a TimeDistributed call's mask argument.
func (l *TimeDistributed) keras3CallKwargs() map[string]any {
	return map[string]any{"mask": nil}
}
