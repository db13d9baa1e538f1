package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// RepeatVectorOptions are the optional arguments of NewRepeatVector.
type RepeatVectorOptions struct {
	Name       string
	InputShape []int
}

// RepeatVector is Keras's RepeatVector: (batch, features) → (batch, n, features).
type RepeatVector struct {
	stateless
	n int
}

// NewRepeatVector returns a RepeatVector layer. It panics on n below 1 (a programmer error).
func NewRepeatVector(n int, opts ...RepeatVectorOptions) *RepeatVector {
	o := optionsArg("NewRepeatVector", opts)
	if n < 1 || n > maxDim {
		panic("layers.NewRepeatVector: n must be positive")
	}
	return &RepeatVector{stateless: stateless{base: newBase(o.Name, o.InputShape)}, n: n}
}

func init() {
	register(Spec{Classes: []string{"RepeatVector"}, FromConfig: repeatVectorFromConfig})
}

func repeatVectorFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("RepeatVector", cfg)
	l := &RepeatVector{}
	r.readBase(&l.base)
	if v, _, ok := r.get("n"); !ok || v == nil {
		r.fail(ErrFormat, "n is missing")
	}
	l.n = r.integer(1, 1, maxDim, "n")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "RepeatVector".
func (l *RepeatVector) Class() string { return "RepeatVector" }

// N returns the number of repetitions.
func (l *RepeatVector) N() int { return l.n }

// OutputShape returns (n, features).
func (l *RepeatVector) OutputShape(in []int) ([]int, error) {
	if len(in) != 1 || in[0] < 1 {
		return nil, layerErr(ErrShape, "RepeatVector", l.name, "input shape %s: want (features)", tensor.ShapeString(in))
	}
	out := []int{l.n, in[0]}
	if err := checkElems(out, "RepeatVector", l.name); err != nil {
		return nil, err
	}
	return out, nil
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *RepeatVector) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Build records the input shape.
func (l *RepeatVector) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.inShape = slices.Clone(in)
	return nil
}

// Forward repeats each sample n times.
func (l *RepeatVector) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "RepeatVector", l.name); err != nil {
		return nil, err
	}
	b, f := x.Shape[0], l.inShape[0]
	ys := []int{b, l.n, f}
	yt, err := tensor.New(tensor.Float32, ys)
	if err != nil {
		return nil, layerErr(ErrShape, "RepeatVector", l.name, "output %s: %v", tensor.ShapeString(ys), err)
	}
	y, xd := yt.Float32s(), x.Float32s()
	for i := 0; i < b; i++ {
		for k := 0; k < l.n; k++ {
			copy(y[(i*l.n+k)*f:(i*l.n+k+1)*f], xd[i*f:(i+1)*f])
		}
	}
	l.xShape = slices.Clone(x.Shape)
	return yt, nil
}

// Backward sums dy over the repetitions.
func (l *RepeatVector) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	out, _ := l.OutputShape(l.inShape)
	if err := l.checkDY(dy, out, "RepeatVector"); err != nil {
		return nil, err
	}
	b, f := l.xShape[0], l.inShape[0]
	dx := make([]float32, b*f)
	g := dy.Float32s()
	for i := 0; i < b; i++ {
		d := dx[i*f : (i+1)*f]
		for k := 0; k < l.n; k++ {
			for j, v := range g[(i*l.n+k)*f : (i*l.n+k+1)*f] {
				d[j] += v
			}
		}
	}
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// Graph returns the layer as TF's ExpandDims (axis 1) and Tile (1, n, 1) ops.
func (l *RepeatVector) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("RepeatVector", l.name)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	var b opsBuilder
	axis := b.int32Const("ExpandDims/dim", []int{}, 1)
	e := b.add("ExpandDims", "ExpandDims", []string{"$in", axis}, map[string]saved.Attr{"T": f32Attr(), "Tdim": saved.TypeAttr(tensor.Int32)})
	m := b.int32Const("Tile/multiples", nil, 1, int32(l.n), 1)
	y := b.add("Tile", "Tile", []string{e, m}, map[string]saved.Attr{"T": f32Attr(), "Tmultiples": saved.TypeAttr(tensor.Int32)})
	return b.graph(l.inShape, out, y), nil
}

// Config returns the layer's Keras config in dialect d.
func (l *RepeatVector) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["n"] = l.n
	return c
}
