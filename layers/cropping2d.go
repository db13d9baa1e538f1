package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Cropping2DOptions are the optional arguments of NewCropping2D.
type Cropping2DOptions struct {
	Name       string
	InputShape []int
}

// Cropping2D is Keras's Cropping2D (channels_last): it removes rows and columns at the
// edges of each image, ((top, bottom), (left, right)).
type Cropping2D struct {
	stateless
	crop [2][2]int
}

// NewCropping2D returns a Cropping2D layer cropping ((top, bottom), (left, right)). It
// panics on a negative cropping (a programmer error).
func NewCropping2D(cropping [2][2]int, opts ...Cropping2DOptions) *Cropping2D {
	o := optionsArg("NewCropping2D", opts)
	for _, p := range cropping {
		if p[0] < 0 || p[1] < 0 || p[0] > maxDim || p[1] > maxDim {
			panic("layers.NewCropping2D: cropping must be non-negative")
		}
	}
	return &Cropping2D{stateless: stateless{base: newBase(o.Name, o.InputShape)}, crop: cropping}
}

func init() {
	register(Spec{Classes: []string{"Cropping2D"}, FromConfig: cropping2DFromConfig})
}

func cropping2DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Cropping2D", cfg)
	l := &Cropping2D{}
	r.readBase(&l.base)
	l.crop = r.pads([2][2]int{}, "cropping")
	r.dataFormat()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Cropping2D".
func (l *Cropping2D) Class() string { return "Cropping2D" }

// Cropping returns ((top, bottom), (left, right)).
func (l *Cropping2D) Cropping() [2][2]int { return l.crop }

// OutputShape returns (height-top-bottom, width-left-right, channels); Keras, too, rejects a
// cropping that leaves nothing.
func (l *Cropping2D) OutputShape(in []int) ([]int, error) {
	if err := image3(in, "Cropping2D", l.name); err != nil {
		return nil, err
	}
	out := []int{in[0] - l.crop[0][0] - l.crop[0][1], in[1] - l.crop[1][0] - l.crop[1][1], in[2]}
	if out[0] < 1 || out[1] < 1 {
		return nil, layerErr(ErrShape, "Cropping2D", l.name, "cropping %v leaves nothing of input shape %s", l.crop, tensor.ShapeString(in))
	}
	return out, nil
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *Cropping2D) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Build records the input shape.
func (l *Cropping2D) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.inShape = slices.Clone(in)
	return nil
}

// Forward crops x (batch, h, w, c).
func (l *Cropping2D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Cropping2D", l.name); err != nil {
		return nil, err
	}
	out, _ := l.OutputShape(l.inShape)
	n, h, w, c := x.Shape[0], l.inShape[0], l.inShape[1], l.inShape[2]
	y := make([]float32, n*out[0]*out[1]*c)
	copyWindow(n, c, x.Float32s(), h, w, l.crop[0][0], l.crop[1][0], y, out[0], out[1], 0, 0, out[0], out[1])
	l.xShape = slices.Clone(x.Shape)
	return tensor.MustFromFloat32(append([]int{n}, out...), y), nil
}

// Backward places dy in a zero gradient of the input's shape.
func (l *Cropping2D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	out, _ := l.OutputShape(l.inShape)
	if err := l.checkDY(dy, out, "Cropping2D"); err != nil {
		return nil, err
	}
	n, h, w, c := l.xShape[0], l.inShape[0], l.inShape[1], l.inShape[2]
	dx := make([]float32, n*h*w*c)
	copyWindow(n, c, dy.Float32s(), out[0], out[1], 0, 0, dx, h, w, l.crop[0][0], l.crop[1][0], out[0], out[1])
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// Graph returns the layer as a TF StridedSlice op (Keras slices the input).
func (l *Cropping2D) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("Cropping2D", l.name)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	var b opsBuilder
	t, lft := l.crop[0][0], l.crop[1][0]
	begin := b.int32Const("strided_slice/stack", nil, i32s(0, t, lft, 0)...)
	end := b.int32Const("strided_slice/stack_1", nil, i32s(0, t+out[0], lft+out[1], 0)...)
	strides := b.int32Const("strided_slice/stack_2", nil, 1, 1, 1, 1)
	y := b.add("strided_slice", "StridedSlice", []string{"$in", begin, end, strides}, map[string]saved.Attr{
		"T": f32Attr(), "Index": saved.TypeAttr(tensor.Int32),
		// Batch and channels are taken whole (bits 0 and 3).
		"begin_mask": saved.IntAttr(9), "end_mask": saved.IntAttr(9),
		"ellipsis_mask": saved.IntAttr(0), "new_axis_mask": saved.IntAttr(0), "shrink_axis_mask": saved.IntAttr(0),
	})
	return b.graph(l.inShape, out, y), nil
}

// Config returns the layer's Keras config in dialect d.
func (l *Cropping2D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["cropping"] = pairsList(l.crop)
	c["data_format"] = "channels_last"
	return c
}
