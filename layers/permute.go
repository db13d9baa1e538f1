package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// PermuteOptions are the optional arguments of NewPermute.
type PermuteOptions struct {
	Name       string
	InputShape []int
}

// Permute is Keras's Permute: it reorders the dimensions of each sample; dims is a
// permutation of 1..rank (the batch dimension 0 stays first).
type Permute struct {
	stateless
	dims []int
}

// NewPermute returns a Permute layer. It panics when dims is not a permutation of 1..len(dims)
// (a programmer error).
func NewPermute(dims []int, opts ...PermuteOptions) *Permute {
	o := optionsArg("NewPermute", opts)
	if !isPermutation(dims) {
		panic("layers.NewPermute: dims must be a permutation of 1..len(dims)")
	}
	return &Permute{stateless: stateless{base: newBase(o.Name, o.InputShape)}, dims: slices.Clone(dims)}
}

func isPermutation(dims []int) bool {
	if len(dims) == 0 || len(dims) > 32 {
		return false
	}
	seen := make([]bool, len(dims)+1)
	for _, d := range dims {
		if d < 1 || d > len(dims) || seen[d] {
			return false
		}
		seen[d] = true
	}
	return true
}

func init() {
	register(Spec{Classes: []string{"Permute"}, FromConfig: permuteFromConfig})
}

func permuteFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Permute", cfg)
	l := &Permute{}
	r.readBase(&l.base)
	v, _, _ := r.get("dims")
	list, _ := v.([]any)
	for _, e := range list {
		n, ok := toInt(e, 1, 32)
		if !ok {
			break
		}
		l.dims = append(l.dims, n)
	}
	if len(l.dims) != len(list) || !isPermutation(l.dims) {
		r.fail(ErrFormat, "dims: want a permutation of 1..rank, have %s", jsonValue(v))
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Permute".
func (l *Permute) Class() string { return "Permute" }

// Dims returns the permutation (1-based, as Keras's dims).
func (l *Permute) Dims() []int { return slices.Clone(l.dims) }

// OutputShape returns the input dimensions in dims order.
func (l *Permute) OutputShape(in []int) ([]int, error) {
	if len(in) != len(l.dims) {
		return nil, layerErr(ErrShape, "Permute", l.name, "input shape %s has rank %d, dims %v want %d", tensor.ShapeString(in), len(in), l.dims, len(l.dims))
	}
	out := make([]int, len(in))
	for i, d := range l.dims {
		if in[d-1] < 1 {
			return nil, layerErr(ErrShape, "Permute", l.name, "input shape %s", tensor.ShapeString(in))
		}
		out[i] = in[d-1]
	}
	return out, nil
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *Permute) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Build records the input shape.
func (l *Permute) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.inShape = slices.Clone(in)
	return nil
}

// transpose writes, for each of n samples of shape in, the sample with its dimensions
// reordered so that output dimension i is input dimension perm[i] (0-based) into dst.
func transposeSamples(n int, in, perm []int, src, dst []float32) {
	r := len(in)
	size := 1
	for _, d := range in {
		size *= d
	}
	// Input strides, taken in output order.
	inStride := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		inStride[i] = s
		s *= in[i]
	}
	out := make([]int, r)
	st := make([]int, r)
	for i, p := range perm {
		out[i] = in[p]
		st[i] = inStride[p]
	}
	parallelFor(n, func(_, lo, hi int) {
		idx := make([]int, r)
		for b := lo; b < hi; b++ {
			sa, da := src[b*size:(b+1)*size], dst[b*size:(b+1)*size]
			clear(idx)
			off := 0
			for j := range da {
				da[j] = sa[off]
				// Advance the output index (row-major), keeping the input offset.
				for k := r - 1; k >= 0; k-- {
					idx[k]++
					off += st[k]
					if idx[k] < out[k] {
						break
					}
					off -= st[k] * out[k]
					idx[k] = 0
				}
			}
		}
	})
}

func (l *Permute) perm0() []int {
	p := make([]int, len(l.dims))
	for i, d := range l.dims {
		p[i] = d - 1
	}
	return p
}

// Forward permutes the dimensions of x's samples.
func (l *Permute) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Permute", l.name); err != nil {
		return nil, err
	}
	out, _ := l.OutputShape(l.inShape)
	y := make([]float32, x.Len())
	transposeSamples(x.Shape[0], l.inShape, l.perm0(), x.Float32s(), y)
	l.xShape = slices.Clone(x.Shape)
	return tensor.MustFromFloat32(append([]int{x.Shape[0]}, out...), y), nil
}

// Backward applies the inverse permutation to dy.
func (l *Permute) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	out, _ := l.OutputShape(l.inShape)
	if err := l.checkDY(dy, out, "Permute"); err != nil {
		return nil, err
	}
	inv := make([]int, len(l.dims))
	for i, p := range l.perm0() {
		inv[p] = i
	}
	dx := make([]float32, dy.Len())
	transposeSamples(l.xShape[0], out, inv, dy.Float32s(), dx)
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// Graph returns the layer as a TF Transpose op with perm (0, dims...).
func (l *Permute) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("Permute", l.name)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	var b opsBuilder
	p := b.int32Const("transpose/perm", nil, i32s(append([]int{0}, l.dims...)...)...)
	y := b.add("transpose", "Transpose", []string{"$in", p}, map[string]saved.Attr{"T": f32Attr(), "Tperm": saved.TypeAttr(tensor.Int32)})
	return b.graph(l.inShape, out, y), nil
}

// Config returns the layer's Keras config in dialect d.
func (l *Permute) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["dims"] = intList(l.dims...)
	return c
}
