package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Concatenate is Keras's Concatenate: its inputs joined along one axis. The axis counts the
// batch as axis 0 (Keras's convention); negative axes count from the end; the batch axis
// itself is refused. The inputs must have the same rank and equal sizes on every other axis.
// It has no weights and takes several inputs (MultiInput): its single-input Build,
// OutputShape, Forward and Backward fail with ErrShape.
type Concatenate struct {
	multiBase
	axis int // as configured (may be negative)

	sizes  []int // cached by a training ForwardN: each input's size along the axis
	xShape [][]int
	yShape []int
}

// NewConcatenate returns a Concatenate layer joining along axis (Keras's default is -1, the
// last axis); opts, if given, names it.
func NewConcatenate(axis int, opts ...MergeOptions) *Concatenate {
	o := optionsArg("NewConcatenate", opts)
	return &Concatenate{multiBase: multiBase{base: newBase(o.Name, nil)}, axis: axis}
}

func init() { register(Spec{Classes: []string{"Concatenate"}, FromConfig: concatenateFromConfig}) }

func concatenateFromConfig(cfg map[string]any, _ saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Concatenate", cfg)
	l := &Concatenate{}
	r.readBase(&l.base)
	l.axis = r.integer(-1, -32, 32, "axis")
	if l.axis == 0 {
		r.fail(ErrUnsupported, "axis 0 (the batch axis)")
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Concatenate".
func (l *Concatenate) Class() string { return "Concatenate" }

// Axis returns the configured axis (batch counted as 0; negative from the end).
func (l *Concatenate) Axis() int { return l.axis }

// Build fails: the layer takes several inputs (see BuildN).
func (l *Concatenate) Build([]int, *Rand) error { return severalInputs("Concatenate", l.name, "Build") }

// OutputShape fails: the layer takes several inputs (see OutputShapeN).
func (l *Concatenate) OutputShape([]int) ([]int, error) {
	return nil, severalInputs("Concatenate", l.name, "OutputShape")
}

// Forward fails: the layer takes several inputs (see ForwardN).
func (l *Concatenate) Forward(*tensor.Tensor, bool) (*tensor.Tensor, error) {
	return nil, severalInputs("Concatenate", l.name, "Forward")
}

// Backward fails: the layer takes several inputs (see BackwardN).
func (l *Concatenate) Backward(*tensor.Tensor) (*tensor.Tensor, error) {
	return nil, severalInputs("Concatenate", l.name, "Backward")
}

// fullAxis returns the axis as a non-negative index into a shape with the batch (rank r).
func (l *Concatenate) fullAxis(r int) (int, error) {
	a := l.axis
	if a < 0 {
		a += r
	}
	if a < 0 || a >= r {
		return 0, layerErr(ErrShape, "Concatenate", l.name, "axis %d is out of range for inputs of rank %d", l.axis, r)
	}
	if a == 0 {
		return 0, layerErr(ErrUnsupported, "Concatenate", l.name, "axis %d is the batch axis", l.axis)
	}
	return a, nil
}

// OutputShapeN returns the shape of the concatenation (without the batch): the inputs' shape
// with the sizes along the axis summed (-1 if any is unknown).
func (l *Concatenate) OutputShapeN(shapes [][]int) ([]int, error) {
	if err := checkShapesIn("Concatenate", l.name, shapes, 1, 0); err != nil {
		return nil, err
	}
	r := len(shapes[0]) + 1
	a, err := l.fullAxis(r)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(shapes[0])
	for _, s := range shapes[1:] {
		if len(s)+1 != r {
			return nil, layerErr(ErrShape, "Concatenate", l.name, "inputs of different ranks %s: all must have matching shapes except along axis %d", shapesString(shapes), l.axis)
		}
		for j, d := range s {
			switch {
			case j == a-1:
				if out[j] == -1 || d == -1 {
					out[j] = -1
				} else {
					out[j] += d
				}
			case out[j] == -1:
				out[j] = d
			case d != -1 && d != out[j]:
				return nil, layerErr(ErrShape, "Concatenate", l.name, "inputs have incompatible shapes %s: all must have matching shapes except along axis %d", shapesString(shapes), l.axis)
			}
		}
	}
	if out[a-1] > maxDim {
		return nil, layerErr(ErrShape, "Concatenate", l.name, "concatenated size %d along axis %d is too large", out[a-1], l.axis)
	}
	return out, nil
}

// BuildN checks the input shapes and records them.
func (l *Concatenate) BuildN(shapes [][]int, _ *Rand) error {
	if _, err := l.OutputShapeN(shapes); err != nil {
		return err
	}
	l.inShapes = make([][]int, len(shapes))
	for i, s := range shapes {
		l.inShapes[i] = slices.Clone(s)
	}
	return nil
}

// ForwardN concatenates the inputs along the axis.
func (l *Concatenate) ForwardN(xs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInputsN("Concatenate", l.name, xs, l.inShapes); err != nil {
		return nil, err
	}
	a, _ := l.fullAxis(len(xs[0].Shape))
	out := slices.Clone(xs[0].Shape)
	out[a] = 0
	for _, x := range xs {
		for j, d := range x.Shape {
			if j != a && d != out[j] {
				return nil, layerErr(ErrShape, "Concatenate", l.name, "inputs %s and %s differ on axis %d", tensor.ShapeString(xs[0].Shape), tensor.ShapeString(x.Shape), j)
			}
		}
		out[a] += x.Shape[a]
	}
	_, err := tensor.CheckShape(tensor.Float32, out, 0)
	if err != nil {
		return nil, layerErr(ErrShape, "Concatenate", l.name, "output shape %s: %v", tensor.ShapeString(out), err)
	}
	n, _ := tensor.NumElements(out)
	outer, inner := 1, 1
	for _, d := range out[:a] {
		outer *= d
	}
	for _, d := range out[a+1:] {
		inner *= d
	}
	y := make([]float32, n)
	row := out[a] * inner
	off := 0
	sizes := make([]int, len(xs))
	for i, x := range xs {
		sizes[i] = x.Shape[a]
		w := x.Shape[a] * inner
		xd := x.Float32s()
		for o := range outer {
			copy(y[o*row+off:o*row+off+w], xd[o*w:(o+1)*w])
		}
		off += w
	}
	if training {
		l.sizes, l.yShape = sizes, out
		l.xShape = make([][]int, len(xs))
		for i, x := range xs {
			l.xShape[i] = slices.Clone(x.Shape)
		}
	} else {
		l.sizes, l.yShape, l.xShape = nil, nil, nil
	}
	return tensor.MustFromFloat32(out, y), nil
}

// BackwardN splits dy along the axis into dL/dx for every input.
func (l *Concatenate) BackwardN(dy *tensor.Tensor) ([]*tensor.Tensor, error) {
	if l.yShape == nil {
		return nil, layerErr(ErrShape, "Concatenate", l.name, "BackwardN without a training ForwardN")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.yShape) || dy.Len() != len(dy.Float32s()) {
		return nil, layerErr(ErrShape, "Concatenate", l.name, "dy is not float32 %s", tensor.ShapeString(l.yShape))
	}
	a, _ := l.fullAxis(len(l.yShape))
	outer, inner := 1, 1
	for _, d := range l.yShape[:a] {
		outer *= d
	}
	for _, d := range l.yShape[a+1:] {
		inner *= d
	}
	g := dy.Float32s()
	row := l.yShape[a] * inner
	off := 0
	dxs := make([]*tensor.Tensor, len(l.sizes))
	for i, s := range l.sizes {
		w := s * inner
		d := make([]float32, outer*w)
		for o := range outer {
			copy(d[o*w:(o+1)*w], g[o*row+off:o*row+off+w])
		}
		off += w
		dxs[i] = tensor.MustFromFloat32(l.xShape[i], d)
	}
	return dxs, nil
}

// Config returns the layer's Keras config in dialect d.
func (l *Concatenate) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["axis"] = l.axis
	return c
}

// Graph returns the layer's inference computation: one ConcatV2 over the inputs with the
// axis as a non-negative int32 constant (tf_keras's backend.concatenate resolves negative
// axes against the rank).
func (l *Concatenate) Graph() (*saved.LayerGraph, error) {
	if l.inShapes == nil {
		return nil, layerErr(ErrShape, "Concatenate", l.name, "Graph before BuildN")
	}
	out, err := l.OutputShapeN(l.inShapes)
	if err != nil {
		return nil, err
	}
	a, _ := l.fullAxis(len(out) + 1)
	g := newOpGraph(l.InputShapes(), out)
	ins := make([]string, 0, len(l.inShapes)+1)
	for i := range l.inShapes {
		ins = append(ins, inputRef(i))
	}
	ins = append(ins, g.constant("concat/axis", int32Const(true, a)))
	g.Output = g.op("concat", "ConcatV2", "output", map[string]saved.Attr{
		"N": saved.IntAttr(int64(len(l.inShapes))), "T": saved.TypeAttr(tensor.Float32), "Tidx": saved.TypeAttr(tensor.Int32),
	}, ins...)
	return g.LayerGraph, nil
}
