package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// FlattenOptions are the optional arguments of NewFlatten.
type FlattenOptions struct {
	Name       string
	InputShape []int
}

// Flatten is Keras's Flatten (channels_last): (batch, ...) → (batch, product of the rest).
type Flatten struct {
	base
	xShape []int
	infer  inferBufs // the key of the output header in a Workspace (ForwardWS)
}

// NewFlatten returns a Flatten layer; opts, if given, names it or declares its input shape.
func NewFlatten(opts ...FlattenOptions) *Flatten {
	o := optionsArg("NewFlatten", opts)
	return &Flatten{base: newBase(o.Name, o.InputShape)}
}

func init() { register(Spec{Classes: []string{"Flatten"}, FromConfig: flattenFromConfig}) }

func flattenFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Flatten", cfg)
	l := &Flatten{}
	r.readBase(&l.base)
	r.dataFormat()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Flatten".
func (l *Flatten) Class() string { return "Flatten" }

// SetTrainable sets Keras's layer.trainable (no effect: the layer has no weights).
func (l *Flatten) SetTrainable(t bool) { l.trainable = t }

// OutputShape returns the product of the input dimensions.
func (l *Flatten) OutputShape(in []int) ([]int, error) {
	n := 1
	for _, d := range in {
		if d < 1 || n > maxDim/d {
			return nil, layerErr(ErrShape, "Flatten", l.name, "input shape %s", tensor.ShapeString(in))
		}
		n *= d
	}
	return []int{n}, nil
}

// Build records the input shape.
func (l *Flatten) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns nil.
func (l *Flatten) Weights() []*Weight { return nil }

// Forward reshapes x (the data is shared, not copied).
func (l *Flatten) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Flatten", l.name); err != nil {
		return nil, err
	}
	out, _ := l.OutputShape(l.inShape)
	l.xShape = append(l.xShape[:0], x.Shape...)
	return &tensor.Tensor{DType: tensor.Float32, Shape: []int{x.Shape[0], out[0]}, Data: x.Data}, nil
}

// ForwardWS is Forward(x, false) with the output header from ws (see Workspace): it
// records nothing in the layer.
func (l *Flatten) ForwardWS(ws *Workspace, x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Flatten", l.name); err != nil {
		return nil, err
	}
	if len(x.Shape) == 0 {
		return l.Forward(x, false) // refused there
	}
	rest := 1
	for _, v := range x.Shape[1:] {
		rest *= v
	}
	d, ok := x.Data.([]float32)
	if !ok {
		return &tensor.Tensor{DType: x.DType, Shape: []int{x.Shape[0], rest}, Data: x.Data}, nil
	}
	b := ws.acquire(&l.infer)
	defer ws.release(b)
	return b.view(0, d, x.Shape[0], rest), nil
}

// Backward reshapes dy back to the input shape.
func (l *Flatten) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.xShape == nil {
		return nil, layerErr(ErrShape, "Flatten", l.name, "Backward without a Forward")
	}
	n, _ := tensor.NumElements(l.xShape)
	if dy.DType != tensor.Float32 || int64(dy.Len()) != n || len(dy.Shape) != 2 {
		return nil, layerErr(ErrShape, "Flatten", l.name, "dy shape %s for input %s", tensor.ShapeString(dy.Shape), tensor.ShapeString(l.xShape))
	}
	return &tensor.Tensor{DType: tensor.Float32, Shape: slices.Clone(l.xShape), Data: dy.Data}, nil
}

// Config returns the layer's Keras config in dialect d.
func (l *Flatten) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["data_format"] = "channels_last"
	return c
}

// Graph returns the layer's TF ops: Reshape to (-1, n) with the shape as a Const.
func (l *Flatten) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("Flatten", l.name)
	}
	g := newGraphBuilder("Flatten", l.name)
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	s := g.int32Const("Const", []int32{-1, int32(out[0])})
	g.op("Reshape", "Reshape", []string{"$in", s}, tAttrs(map[string]saved.Attr{"Tshape": saved.TypeAttr(tensor.Int32)}))
	return g.graph(l, false)
}
