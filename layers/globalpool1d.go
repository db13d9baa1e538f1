package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// globalPool1D is what GlobalAveragePooling1D and GlobalMaxPooling1D share: the keepdims
// flag, the config, and the 2D global pooling they run on the input seen as a one-row image.
type globalPool1D struct {
	base
	class    string
	keepdims bool
	inner    Layer // *GlobalAveragePooling2D or *GlobalMaxPooling2D, keepdims false
	xShape   []int // input shape of the last Forward
}

func newGlobalPool1D(class, fn string, opts []GlobalPoolingOptions) globalPool1D {
	o := optionsArg(fn, opts)
	return globalPool1D{base: newBase(o.Name, o.InputShape), class: class, keepdims: o.Keepdims}
}

func globalPool1DFromConfig(class string, cfg map[string]any, g *globalPool1D) ([]string, error) {
	r := newCfgReader(class, cfg)
	g.class = class
	r.readBase(&g.base)
	g.keepdims = r.boolean(false, "keepdims")
	r.dataFormat()
	return r.finish()
}

// Class returns the Keras class name.
func (g *globalPool1D) Class() string { return g.class }

// Keepdims reports whether the output keeps the steps dimension (as size 1).
func (g *globalPool1D) Keepdims() bool { return g.keepdims }

// SetTrainable sets Keras's layer.trainable (no effect: the layer has no weights).
func (g *globalPool1D) SetTrainable(t bool) { g.trainable = t }

// Weights returns nil.
func (g *globalPool1D) Weights() []*Weight { return nil }

// OutputShape returns (channels), or (1, channels) with keepdims.
func (g *globalPool1D) OutputShape(in []int) ([]int, error) {
	if err := steps2(in, g.class, g.name); err != nil {
		return nil, err
	}
	if g.keepdims {
		return []int{1, in[1]}, nil
	}
	return []int{in[1]}, nil
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (g *globalPool1D) ParamCount(in []int) (int64, error) {
	_, err := g.OutputShape(in)
	return 0, err
}

func (g *globalPool1D) build(in []int, inner Layer) error {
	if _, err := g.OutputShape(in); err != nil {
		return err
	}
	inner.SetName(g.name)
	if err := inner.Build([]int{1, in[0], in[1]}, nil); err != nil {
		return err
	}
	g.inner, g.inShape = inner, slices.Clone(in)
	return nil
}

// Forward reduces x (batch, steps, channels) over the steps.
func (g *globalPool1D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, g.inShape, g.class, g.name); err != nil {
		return nil, err
	}
	y, err := g.inner.Forward(view(x, x.Shape[0], 1, x.Shape[1], x.Shape[2]), training)
	if err != nil {
		return nil, err
	}
	g.xShape = slices.Clone(x.Shape)
	out, _ := g.OutputShape(g.inShape)
	return view(y, append([]int{x.Shape[0]}, out...)...), nil
}

// Backward returns dL/dx.
func (g *globalPool1D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if g.xShape == nil {
		return nil, layerErr(ErrShape, g.class, g.name, "Backward without a Forward")
	}
	out, _ := g.OutputShape(g.inShape)
	want := append([]int{g.xShape[0]}, out...)
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, want) {
		return nil, layerErr(ErrShape, g.class, g.name, "dy shape %s, want %s", shapeOf(dy), tensor.ShapeString(want))
	}
	dx, err := g.inner.Backward(view(dy, g.xShape[0], g.xShape[2]))
	if err != nil {
		return nil, err
	}
	return view(dx, g.xShape...), nil
}

// Config returns the layer's Keras config in dialect d.
func (g *globalPool1D) Config(d saved.Dialect) map[string]any {
	c := g.baseConfig(d)
	c["data_format"] = "channels_last"
	c["keepdims"] = g.keepdims
	return c
}

// graph returns the layer as tf_keras writes it: a TF reduction (Mean or Max) over axis 1.
func (g *globalPool1D) graph(op string) (*saved.LayerGraph, error) {
	if g.inShape == nil {
		return nil, notBuilt(g.class, g.name)
	}
	out, err := g.OutputShape(g.inShape)
	if err != nil {
		return nil, err
	}
	b := newGraphBuilder(g.class, g.name)
	axis := b.constant(op+"/reduction_indices", &tensor.Tensor{DType: tensor.Int32, Shape: []int{}, Data: []int32{1}})
	y := b.op(op, op, []string{"$in", axis}, tAttrs(map[string]saved.Attr{
		"Tidx": saved.TypeAttr(tensor.Int32), "keep_dims": saved.BoolAttr(g.keepdims),
	}))
	return b.graphOut(g.inShape, out, false, y)
}

// Keras 3 writes no build_config for the 1D global poolings (see BuildConfig).
func (*globalPool1D) noKeras3BuildConfig() {}

// GlobalAveragePooling1D is Keras's GlobalAveragePooling1D (channels_last): the mean of
// each channel over the steps (over the unmasked steps with a mask: ForwardMasked).
type GlobalAveragePooling1D struct {
	globalPool1D
	keep []float32 // the masked training Forward's mask (batch·steps), nil when none
	cnt  []float32 // its unmasked steps per batch row
}

// NewGlobalAveragePooling1D returns a GlobalAveragePooling1D layer.
func NewGlobalAveragePooling1D(opts ...GlobalPoolingOptions) *GlobalAveragePooling1D {
	return &GlobalAveragePooling1D{globalPool1D: newGlobalPool1D("GlobalAveragePooling1D", "NewGlobalAveragePooling1D", opts)}
}

// Build records the input shape.
func (l *GlobalAveragePooling1D) Build(in []int, _ *Rand) error {
	return l.build(in, NewGlobalAveragePooling2D())
}

// Graph returns the layer as a TF Mean op over axis 1.
func (l *GlobalAveragePooling1D) Graph() (*saved.LayerGraph, error) { return l.graph("Mean") }

// keras3CallKwargs: GlobalAveragePooling1D's call takes a mask, which Keras 3 records as null.
func (l *GlobalAveragePooling1D) keras3CallKwargs() map[string]any {
	return map[string]any{"mask": nil}
}

// GlobalMaxPooling1D is Keras's GlobalMaxPooling1D (channels_last): the maximum of each
// channel over the steps; Backward shares a channel's gradient equally among the steps that
// equal its maximum, as TensorFlow's gradient of reduce_max.
type GlobalMaxPooling1D struct{ globalPool1D }

// NewGlobalMaxPooling1D returns a GlobalMaxPooling1D layer.
func NewGlobalMaxPooling1D(opts ...GlobalPoolingOptions) *GlobalMaxPooling1D {
	return &GlobalMaxPooling1D{newGlobalPool1D("GlobalMaxPooling1D", "NewGlobalMaxPooling1D", opts)}
}

// Build records the input shape.
func (l *GlobalMaxPooling1D) Build(in []int, _ *Rand) error {
	return l.build(in, NewGlobalMaxPooling2D())
}

// Graph returns the layer as a TF Max op over axis 1.
func (l *GlobalMaxPooling1D) Graph() (*saved.LayerGraph, error) { return l.graph("Max") }

func init() {
	register(Spec{Classes: []string{"GlobalAveragePooling1D", "GlobalAvgPool1D"}, FromConfig: func(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
		l := &GlobalAveragePooling1D{}
		w, err := globalPool1DFromConfig("GlobalAveragePooling1D", cfg, &l.globalPool1D)
		if err != nil {
			return nil, nil, err
		}
		return l, w, nil
	}})
	register(Spec{Classes: []string{"GlobalMaxPooling1D", "GlobalMaxPool1D"}, FromConfig: func(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
		l := &GlobalMaxPooling1D{}
		w, err := globalPool1DFromConfig("GlobalMaxPooling1D", cfg, &l.globalPool1D)
		if err != nil {
			return nil, nil, err
		}
		return l, w, nil
	}})
}
