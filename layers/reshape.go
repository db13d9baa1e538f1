package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// ReshapeOptions are the optional arguments of NewReshape.
type ReshapeOptions struct {
	Name       string
	InputShape []int
}

// Reshape is Keras's Reshape: each sample is reshaped to target_shape, in which one
// dimension may be -1 (inferred from the input's size).
type Reshape struct {
	stateless
	target []int
}

// NewReshape returns a Reshape layer. It panics on a target shape with a dimension below 1
// other than one -1 (a programmer error).
func NewReshape(targetShape []int, opts ...ReshapeOptions) *Reshape {
	o := optionsArg("NewReshape", opts)
	if !validTarget(targetShape) {
		panic("layers.NewReshape: target shape dimensions must be positive, with at most one -1")
	}
	return &Reshape{stateless: stateless{base: newBase(o.Name, o.InputShape)}, target: slices.Clone(targetShape)}
}

func validTarget(s []int) bool {
	unknown := 0
	for _, d := range s {
		switch {
		case d == -1:
			unknown++
		case d < 1 || d > maxDim:
			return false
		}
	}
	return unknown <= 1 && len(s) <= 32
}

func init() {
	register(Spec{Classes: []string{"Reshape"}, FromConfig: reshapeFromConfig})
}

func reshapeFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Reshape", cfg)
	l := &Reshape{}
	r.readBase(&l.base)
	v, _, ok := r.get("target_shape")
	list, isList := v.([]any)
	switch {
	case !ok || v == nil:
		r.fail(ErrFormat, "target_shape is missing")
	case !isList || len(list) > 32:
		r.fail(ErrFormat, "target_shape: want a list of dimensions, have %s", jsonValue(v))
	default:
		for _, e := range list {
			n, ok := toInt(e, -1, maxDim)
			if !ok {
				r.fail(ErrFormat, "target_shape: bad dimension %s", jsonValue(e))
				break
			}
			l.target = append(l.target, n)
		}
		if r.err == nil && !validTarget(l.target) {
			r.fail(ErrFormat, "target_shape %s: dimensions must be positive, with at most one -1", jsonValue(v))
		}
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	if l.target == nil {
		l.target = []int{}
	}
	return l, w, nil
}

// Class returns "Reshape".
func (l *Reshape) Class() string { return "Reshape" }

// TargetShape returns the target shape as configured (-1 for the inferred dimension).
func (l *Reshape) TargetShape() []int { return slices.Clone(l.target) }

// OutputShape returns the target shape with its -1 resolved; the input's size must match.
func (l *Reshape) OutputShape(in []int) ([]int, error) {
	size, err := tensor.NumElements(in)
	if err != nil || len(in) == 0 || size < 1 {
		return nil, layerErr(ErrShape, "Reshape", l.name, "input shape %s", tensor.ShapeString(in))
	}
	out := slices.Clone(l.target)
	known, unknown := int64(1), -1
	for i, d := range out {
		if d == -1 {
			unknown = i
			continue
		}
		known *= int64(d)
		if known > size {
			break
		}
	}
	switch {
	case unknown >= 0 && size%known == 0:
		out[unknown] = int(size / known)
	case unknown < 0 && known == size:
	default:
		return nil, layerErr(ErrShape, "Reshape", l.name, "input shape %s (%d values) cannot be reshaped to %s", tensor.ShapeString(in), size, tensor.ShapeString(l.target))
	}
	return out, nil
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *Reshape) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Build records the input shape.
func (l *Reshape) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.inShape = slices.Clone(in)
	return nil
}

// Forward reshapes x (the data is shared, not copied).
func (l *Reshape) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Reshape", l.name); err != nil {
		return nil, err
	}
	out, _ := l.OutputShape(l.inShape)
	l.xShape = slices.Clone(x.Shape)
	return &tensor.Tensor{DType: tensor.Float32, Shape: append([]int{x.Shape[0]}, out...), Data: x.Data}, nil
}

// Backward reshapes dy back to the input shape.
func (l *Reshape) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	out, _ := l.OutputShape(l.inShape)
	if err := l.checkDY(dy, out, "Reshape"); err != nil {
		return nil, err
	}
	return &tensor.Tensor{DType: tensor.Float32, Shape: slices.Clone(l.xShape), Data: dy.Data}, nil
}

// Graph returns the layer as a TF Reshape op to (-1, output shape...).
func (l *Reshape) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("Reshape", l.name)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	var b opsBuilder
	s := b.int32Const("Reshape/shape", nil, i32s(append([]int{-1}, out...)...)...)
	y := b.add("Reshape", "Reshape", []string{"$in", s}, map[string]saved.Attr{"T": f32Attr(), "Tshape": saved.TypeAttr(tensor.Int32)})
	return b.graph(l.inShape, out, y), nil
}

// Config returns the layer's Keras config in dialect d.
func (l *Reshape) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["target_shape"] = intList(l.target...)
	return c
}

// Keras 3 writes no build_config for Reshape (see BuildConfig).
func (*Reshape) noKeras3BuildConfig() {}
