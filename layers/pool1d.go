package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Pooling1DOptions are the optional arguments of NewMaxPooling1D and NewAveragePooling1D.
// The zero value means Keras's defaults: stride equal to the pool size, padding "valid".
type Pooling1DOptions struct {
	Name       string
	Strides    int    // zero means the pool size
	Padding    string // "valid" (default) or "same"
	InputShape []int
}

// pool1D is what MaxPooling1D and AveragePooling1D share: the window, stride and padding,
// their config keys, and the 2D pooling layer they run on the input seen as (steps, 1)
// images (as tf_keras does: ExpandDims at axis 2).
type pool1D struct {
	base
	class         string
	pool, strides int
	same          bool
	inner         Layer // *MaxPooling2D or *AveragePooling2D
	xShape        []int // input shape of the last training Forward
}

func newPool1D(class, fn string, poolSize int, o Pooling1DOptions) pool1D {
	if poolSize < 1 || o.Strides < 0 {
		panic("layers." + fn + ": pool size and strides must be positive")
	}
	same, ok := parsePadding(o.Padding)
	if !ok {
		panic("layers." + fn + ": padding must be \"valid\" or \"same\"")
	}
	s := o.Strides
	if s == 0 {
		s = poolSize
	}
	return pool1D{base: newBase(o.Name, o.InputShape), class: class, pool: poolSize, strides: s, same: same}
}

// readPool1D reads pool_size, strides, padding and data_format in either dialect (and Keras
// 1's pool_length, stride, border_mode).
func (l *pool1D) readPool1D(r *cfgReader, class string) {
	l.class = class
	r.readBase(&l.base)
	l.pool = r.single(2, 1, maxKernel, "pool_size", "pool_length")
	l.strides = r.single(l.pool, 1, maxKernel, "strides", "stride")
	l.same = r.padding() == "same"
	r.dataFormat()
}

// Class returns the Keras class name ("MaxPooling1D", "AveragePooling1D").
func (l *pool1D) Class() string { return l.class }

// PoolSize returns the window length.
func (l *pool1D) PoolSize() int { return l.pool }

// Strides returns the stride.
func (l *pool1D) Strides() int { return l.strides }

// Padding returns "valid" or "same".
func (l *pool1D) Padding() string { return paddingName(l.same) }

// SetTrainable sets Keras's layer.trainable (no effect: the layer has no weights).
func (l *pool1D) SetTrainable(t bool) { l.trainable = t }

// Weights returns nil.
func (l *pool1D) Weights() []*Weight { return nil }

// OutputShape returns (out_steps, channels).
func (l *pool1D) OutputShape(in []int) ([]int, error) {
	if err := steps2(in, l.class, l.name); err != nil {
		return nil, err
	}
	g, err := newGeom(in[0], 1, in[1], l.pool, 1, l.strides, 1, l.same)
	if err != nil {
		return nil, layerErr(ErrShape, l.class, l.name, "%v", err)
	}
	return []int{g.oh, in[1]}, nil
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *pool1D) ParamCount(in []int) (int64, error) {
	_, err := l.OutputShape(in)
	return 0, err
}

// build builds inner for (steps, 1, channels) images.
func (l *pool1D) build(in []int, inner Layer) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	inner.SetName(l.name)
	if err := inner.Build([]int{in[0], 1, in[1]}, nil); err != nil {
		return err
	}
	l.inner = inner
	l.inShape = slices.Clone(in)
	return nil
}

// Forward pools x (batch, steps, channels) into (batch, out_steps, channels).
func (l *pool1D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, l.class, l.name); err != nil {
		return nil, err
	}
	y, err := l.inner.Forward(view(x, x.Shape[0], x.Shape[1], 1, x.Shape[2]), training)
	if err != nil {
		return nil, err
	}
	l.xShape = nil
	if training {
		l.xShape = slices.Clone(x.Shape)
	}
	return view(y, y.Shape[0], y.Shape[1], y.Shape[3]), nil
}

// Backward returns dL/dx.
func (l *pool1D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.xShape == nil {
		return nil, layerErr(ErrShape, l.class, l.name, "Backward without a training Forward")
	}
	out, _ := l.OutputShape(l.inShape)
	want := []int{l.xShape[0], out[0], out[1]}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, want) {
		return nil, layerErr(ErrShape, l.class, l.name, "dy shape %s, want %s", shapeOf(dy), tensor.ShapeString(want))
	}
	dx, err := l.inner.Backward(view(dy, want[0], want[1], 1, want[2]))
	if err != nil {
		return nil, err
	}
	return view(dx, l.xShape...), nil
}

// Config returns the layer's Keras config in dialect d.
func (l *pool1D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["pool_size"] = intList(l.pool)
	c["padding"] = paddingName(l.same)
	c["strides"] = intList(l.strides)
	c["data_format"] = "channels_last"
	return c
}

// graph returns tf_keras's ops: ExpandDims at axis 2, the 2D pooling op op (MaxPool or
// AvgPool) with a (pool, 1) window, Squeeze of axis 2.
func (l *pool1D) graph(op string) (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt(l.class, l.name)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	g := newGraphBuilder(l.class, l.name)
	dim := g.constant("ExpandDims/dim", &tensor.Tensor{DType: tensor.Int32, Shape: []int{}, Data: []int32{2}})
	x := g.op("ExpandDims", "ExpandDims", []string{"$in", dim}, tAttrs(map[string]saved.Attr{"Tdim": saved.TypeAttr(tensor.Int32)}))
	x = g.op(op, op, []string{x}, poolAttrs([2]int{l.pool, 1}, [2]int{l.strides, 1}, l.same))
	y := g.op("Squeeze", "Squeeze", []string{x}, tAttrs(map[string]saved.Attr{"squeeze_dims": saved.IntsAttr(2)}))
	return g.graphOut(l.inShape, out, false, y)
}

// Keras 3 writes no build_config for the 1D poolings (see BuildConfig).
func (*pool1D) noKeras3BuildConfig() {}

// MaxPooling1D is Keras's 1D max pooling over (batch, steps, channels) input. With padding
// "same" the padded steps are ignored; the gradient goes to each window's first maximum.
type MaxPooling1D struct{ pool1D }

// NewMaxPooling1D returns a MaxPooling1D layer. It panics on a pool size below 1 or an
// unknown padding (programmer errors).
func NewMaxPooling1D(poolSize int, opts ...Pooling1DOptions) *MaxPooling1D {
	return &MaxPooling1D{newPool1D("MaxPooling1D", "NewMaxPooling1D", poolSize, optionsArg("NewMaxPooling1D", opts))}
}

// Build records the input shape (the layer has no weights).
func (l *MaxPooling1D) Build(in []int, _ *Rand) error {
	return l.build(in, NewMaxPooling2D([2]int{l.pool, 1}, MaxPoolingOptions{Strides: [2]int{l.strides, 1}, Padding: paddingName(l.same)}))
}

// Graph returns the layer's TF ops: ExpandDims, MaxPool, Squeeze.
func (l *MaxPooling1D) Graph() (*saved.LayerGraph, error) { return l.graph("MaxPool") }

// AveragePooling1D is Keras's 1D average pooling over (batch, steps, channels) input. With
// padding "same" each window averages only the steps it covers.
type AveragePooling1D struct{ pool1D }

// NewAveragePooling1D returns an AveragePooling1D layer. It panics on a pool size below 1 or
// an unknown padding (programmer errors).
func NewAveragePooling1D(poolSize int, opts ...Pooling1DOptions) *AveragePooling1D {
	return &AveragePooling1D{newPool1D("AveragePooling1D", "NewAveragePooling1D", poolSize, optionsArg("NewAveragePooling1D", opts))}
}

// Build records the input shape (the layer has no weights).
func (l *AveragePooling1D) Build(in []int, _ *Rand) error {
	return l.build(in, NewAveragePooling2D([2]int{l.pool, 1}, AveragePoolingOptions{Strides: [2]int{l.strides, 1}, Padding: paddingName(l.same)}))
}

// Graph returns the layer's TF ops: ExpandDims, AvgPool, Squeeze.
func (l *AveragePooling1D) Graph() (*saved.LayerGraph, error) { return l.graph("AvgPool") }

func init() {
	register(Spec{Classes: []string{"MaxPooling1D", "MaxPool1D"}, FromConfig: func(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
		r := newCfgReader("MaxPooling1D", cfg)
		l := &MaxPooling1D{}
		l.readPool1D(r, "MaxPooling1D")
		w, err := r.finish()
		if err != nil {
			return nil, nil, err
		}
		return l, w, nil
	}})
	register(Spec{Classes: []string{"AveragePooling1D", "AvgPool1D"}, FromConfig: func(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
		r := newCfgReader("AveragePooling1D", cfg)
		l := &AveragePooling1D{}
		l.readPool1D(r, "AveragePooling1D")
		w, err := r.finish()
		if err != nil {
			return nil, nil, err
		}
		return l, w, nil
	}})
}
