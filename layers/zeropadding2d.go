package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// ZeroPadding2DOptions are the optional arguments of NewZeroPadding2D.
type ZeroPadding2DOptions struct {
	Name       string
	InputShape []int
}

// ZeroPadding2D is Keras's ZeroPadding2D (channels_last): it adds rows and columns of zeros
// around each image, ((top, bottom), (left, right)).
type ZeroPadding2D struct {
	stateless
	pad   [2][2]int
	infer inferBufs // the inference output, reused in a Workspace (ForwardWS)
}

// NewZeroPadding2D returns a ZeroPadding2D layer padding ((top, bottom), (left, right)). It
// panics on a negative padding (a programmer error).
func NewZeroPadding2D(padding [2][2]int, opts ...ZeroPadding2DOptions) *ZeroPadding2D {
	o := optionsArg("NewZeroPadding2D", opts)
	for _, p := range padding {
		if p[0] < 0 || p[1] < 0 || p[0] > maxDim || p[1] > maxDim {
			panic("layers.NewZeroPadding2D: padding must be non-negative")
		}
	}
	return &ZeroPadding2D{stateless: stateless{base: newBase(o.Name, o.InputShape)}, pad: padding}
}

func init() {
	register(Spec{Classes: []string{"ZeroPadding2D"}, FromConfig: zeroPadding2DFromConfig})
}

func zeroPadding2DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("ZeroPadding2D", cfg)
	l := &ZeroPadding2D{}
	r.readBase(&l.base)
	l.pad = r.pads([2][2]int{{1, 1}, {1, 1}}, "padding")
	r.dataFormat()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "ZeroPadding2D".
func (l *ZeroPadding2D) Class() string { return "ZeroPadding2D" }

// Padding returns ((top, bottom), (left, right)).
func (l *ZeroPadding2D) Padding() [2][2]int { return l.pad }

// OutputShape returns (height+top+bottom, width+left+right, channels).
func (l *ZeroPadding2D) OutputShape(in []int) ([]int, error) {
	if err := image3(in, "ZeroPadding2D", l.name); err != nil {
		return nil, err
	}
	out := []int{in[0] + l.pad[0][0] + l.pad[0][1], in[1] + l.pad[1][0] + l.pad[1][1], in[2]}
	if err := checkElems(out, "ZeroPadding2D", l.name); err != nil {
		return nil, err
	}
	return out, nil
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *ZeroPadding2D) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Build records the input shape.
func (l *ZeroPadding2D) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.inShape = slices.Clone(in)
	return nil
}

// Forward pads x (batch, h, w, c) with zeros.
func (l *ZeroPadding2D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "ZeroPadding2D", l.name); err != nil {
		return nil, err
	}
	out, _ := l.OutputShape(l.inShape)
	n, h, w, c := x.Shape[0], l.inShape[0], l.inShape[1], l.inShape[2]
	ys := append([]int{n}, out...)
	y, err := tensor.New(tensor.Float32, ys)
	if err != nil {
		return nil, layerErr(ErrShape, "ZeroPadding2D", l.name, "output %s: %v", tensor.ShapeString(ys), err)
	}
	copyWindow(n, c, x.Float32s(), h, w, 0, 0, y.Float32s(), out[0], out[1], l.pad[0][0], l.pad[1][0], h, w)
	l.xShape = slices.Clone(x.Shape)
	return y, nil
}

// Backward returns the part of dy over the input (the padding has no input).
func (l *ZeroPadding2D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	out, _ := l.OutputShape(l.inShape)
	if err := l.checkDY(dy, out, "ZeroPadding2D"); err != nil {
		return nil, err
	}
	n, h, w, c := l.xShape[0], l.inShape[0], l.inShape[1], l.inShape[2]
	dx := make([]float32, n*h*w*c)
	copyWindow(n, c, dy.Float32s(), out[0], out[1], l.pad[0][0], l.pad[1][0], dx, h, w, 0, 0, h, w)
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// Graph returns the layer as a TF Pad op.
func (l *ZeroPadding2D) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("ZeroPadding2D", l.name)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	var b opsBuilder
	p := b.int32Const("Pad/paddings", []int{4, 2}, i32s(0, 0, l.pad[0][0], l.pad[0][1], l.pad[1][0], l.pad[1][1], 0, 0)...)
	y := b.add("Pad", "Pad", []string{"$in", p}, map[string]saved.Attr{"T": f32Attr(), "Tpaddings": saved.TypeAttr(tensor.Int32)})
	return b.graph(l.inShape, out, y), nil
}

// Config returns the layer's Keras config in dialect d.
func (l *ZeroPadding2D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["padding"] = pairsList(l.pad)
	c["data_format"] = "channels_last"
	return c
}

// ForwardWS is Forward(x, false) with the output buffer from ws (see Workspace): every
// element of the output is written (the padding cleared, the input copied), once, and
// nothing is recorded in the layer.
func (l *ZeroPadding2D) ForwardWS(ws *Workspace, x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "ZeroPadding2D", l.name); err != nil {
		return nil, err
	}
	out, _ := l.OutputShape(l.inShape)
	n, h, w, c := x.Shape[0], l.inShape[0], l.inShape[1], l.inShape[2]
	ys := append([]int{n}, out...)
	size, err := tensor.CheckShape(tensor.Float32, ys, 0)
	if err != nil {
		return nil, layerErr(ErrShape, "ZeroPadding2D", l.name, "output %s: %v", tensor.ShapeString(ys), err)
	}
	b := ws.acquire(&l.infer)
	defer ws.release(b)
	y := b.out(0, int(size/4)) // size is in bytes
	src := x.Float32s()
	oh, ow := out[0], out[1]
	pt, pl := l.pad[0][0], l.pad[1][0]
	parallelFor(n, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			for r := 0; r < oh; r++ {
				row := y[((i*oh)+r)*ow*c : ((i*oh)+r+1)*ow*c]
				if r < pt || r >= pt+h {
					clear(row)
					continue
				}
				clear(row[:pl*c])
				so := ((i * h) + r - pt) * w * c
				copy(row[pl*c:(pl+w)*c], src[so:so+w*c])
				clear(row[(pl+w)*c:])
			}
		}
	})
	return b.view(0, y, ys...), nil
}
