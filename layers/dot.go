package layers

import (
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// DotOptions are the optional arguments of NewDot.
type DotOptions struct {
	Name string
	// Normalize L2-normalises both inputs along the dot axes first (the output is then the
	// cosine proximity).
	Normalize bool
}

// Dot is Keras's Dot: the batch-wise dot product of two inputs along one axis of each
// (Keras's batch_dot). With inputs x (batch, ...) and y (batch, ...) and axes (a, b) (batch
// counted as axis 0, negative from the end), the output has x's axes without a followed by
// y's axes without the batch and b; a result with only the batch axis gets a last axis of
// size 1. Normalize divides each input by its L2 norm along its axis (x·rsqrt(max(Σx², ε)),
// ε 1e-12 as tf_keras's l2_normalize, 1e-14 for a Keras 3 config as Keras 3's normalize).
// It has no weights and takes exactly two inputs (MultiInput): its single-input Build,
// OutputShape, Forward and Backward fail with ErrShape.
type Dot struct {
	multiBase
	axes      [2]int // as configured (may be negative)
	pair      bool   // axes was given as a pair (written back as a list)
	normalize bool
	eps       float32

	// cached by a training ForwardN
	cache *dotCache
}

// dotCache is what BackwardN needs from a training ForwardN.
type dotCache struct {
	xShape   [2][]int     // the inputs' shapes
	outShape []int        // output shape with the batch
	views    [2]dotView   // each input as (batch, pre, K, post)
	packed   [2][]float32 // x as (batch, M, K) and y as (batch, K, N), normalised
	inv      [2][]float32 // normalize: each (batch, pre, post) row's rsqrt(max(Σx², ε))
	clamped  [2][]bool    // normalize: rows where Σx² < ε
}

// dotView is an input seen as (batch, pre, K, post) around its dot axis.
type dotView struct{ batch, pre, k, post int }

// NewDot returns a Dot layer. axes holds one axis for both inputs or a pair (Keras's axes
// argument: an int or a tuple of two ints); it panics otherwise (a programmer error).
func NewDot(axes []int, opts ...DotOptions) *Dot {
	o := optionsArg("NewDot", opts)
	l := &Dot{multiBase: multiBase{base: newBase(o.Name, nil)}, normalize: o.Normalize, eps: 1e-12}
	switch len(axes) {
	case 1:
		l.axes = [2]int{axes[0], axes[0]}
	case 2:
		l.axes, l.pair = [2]int{axes[0], axes[1]}, true
	default:
		panic("layers.NewDot: axes must hold one or two axes")
	}
	return l
}

func init() { register(Spec{Classes: []string{"Dot"}, FromConfig: dotFromConfig}) }

func dotFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Dot", cfg)
	l := &Dot{eps: 1e-12}
	if d == saved.Keras3 {
		l.eps = 1e-14
	}
	r.readBase(&l.base)
	v, _, ok := r.get("axes")
	switch x := v.(type) {
	case float64:
		n, good := toInt(x, -32, 32)
		if !good {
			r.fail(ErrFormat, "axes: want an integer or a pair of integers, have %s", jsonValue(v))
		}
		l.axes = [2]int{n, n}
	case []any:
		var a, b int
		good := len(x) == 2
		if good {
			var ok1, ok2 bool
			a, ok1 = toInt(x[0], -32, 32)
			b, ok2 = toInt(x[1], -32, 32)
			good = ok1 && ok2
		}
		if !good {
			r.fail(ErrFormat, "axes: want an integer or a pair of integers, have %s", jsonValue(v))
		}
		l.axes, l.pair = [2]int{a, b}, true
	default:
		if !ok || v == nil {
			r.fail(ErrFormat, "missing axes")
		} else {
			r.fail(ErrFormat, "axes: want an integer or a pair of integers, have %s", jsonType(v))
		}
	}
	if l.axes[0] == 0 || l.axes[1] == 0 {
		r.fail(ErrUnsupported, "axes %s include the batch axis 0", jsonValue(v))
	}
	l.normalize = r.boolean(false, "normalize")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Dot".
func (l *Dot) Class() string { return "Dot" }

// Axes returns the configured axes of the two inputs (batch counted as 0).
func (l *Dot) Axes() [2]int { return l.axes }

// Normalize reports whether the inputs are L2-normalised first.
func (l *Dot) Normalize() bool { return l.normalize }

// Build fails: the layer takes two inputs (see BuildN).
func (l *Dot) Build([]int, *Rand) error { return severalInputs("Dot", l.name, "Build") }

// OutputShape fails: the layer takes two inputs (see OutputShapeN).
func (l *Dot) OutputShape([]int) ([]int, error) {
	return nil, severalInputs("Dot", l.name, "OutputShape")
}

// Forward fails: the layer takes two inputs (see ForwardN).
func (l *Dot) Forward(*tensor.Tensor, bool) (*tensor.Tensor, error) {
	return nil, severalInputs("Dot", l.name, "Forward")
}

// Backward fails: the layer takes two inputs (see BackwardN).
func (l *Dot) Backward(*tensor.Tensor) (*tensor.Tensor, error) {
	return nil, severalInputs("Dot", l.name, "Backward")
}

// fullAxes resolves the axes for inputs of full ranks (with the batch) rx and ry, as Keras
// does (a negative axis modulo the rank).
func (l *Dot) fullAxes(rx, ry int, shapes [][]int) ([2]int, error) {
	a := l.axes
	for i, r := range [2]int{rx, ry} {
		if a[i] < 0 {
			a[i] += r
		}
		if a[i] <= 0 || a[i] >= r {
			return a, layerErr(ErrShape, "Dot", l.name, "axes %v do not fit inputs %s (the batch axis 0 cannot be used)", l.axesValue(), shapesString(shapes))
		}
	}
	return a, nil
}

func (l *Dot) axesValue() any {
	if l.pair {
		return intList(l.axes[0], l.axes[1])
	}
	return l.axes[0]
}

// OutputShapeN returns the shape of the dot product (without the batch).
func (l *Dot) OutputShapeN(shapes [][]int) ([]int, error) {
	if err := checkShapesIn("Dot", l.name, shapes, 2, 2); err != nil {
		return nil, err
	}
	x, y := shapes[0], shapes[1]
	if len(x) < 1 || len(y) < 1 {
		return nil, layerErr(ErrShape, "Dot", l.name, "inputs %s: both need at least one axis besides the batch", shapesString(shapes))
	}
	a, err := l.fullAxes(len(x)+1, len(y)+1, shapes)
	if err != nil {
		return nil, err
	}
	if kx, ky := x[a[0]-1], y[a[1]-1]; kx != ky && kx != -1 && ky != -1 {
		return nil, layerErr(ErrShape, "Dot", l.name, "inputs have incompatible shapes %s: size %d on axis %d of the first differs from size %d on axis %d of the second",
			shapesString(shapes), kx, a[0], ky, a[1])
	}
	out := make([]int, 0, len(x)+len(y)-2)
	out = append(out, x[:a[0]-1]...)
	out = append(out, x[a[0]:]...)
	out = append(out, y[:a[1]-1]...)
	out = append(out, y[a[1]:]...)
	if len(out) == 0 {
		out = []int{1}
	}
	return out, nil
}

// BuildN checks the two input shapes and records them.
func (l *Dot) BuildN(shapes [][]int, _ *Rand) error {
	if _, err := l.OutputShapeN(shapes); err != nil {
		return err
	}
	l.inShapes = [][]int{slices.Clone(shapes[0]), slices.Clone(shapes[1])}
	return nil
}

// viewOf splits a full shape around axis a.
func viewOf(s []int, a int) dotView {
	v := dotView{batch: s[0], pre: 1, k: s[a], post: 1}
	for _, d := range s[1:a] {
		v.pre *= d
	}
	for _, d := range s[a+1:] {
		v.post *= d
	}
	return v
}

// l2Normalize returns x (viewed as v) divided by its L2 norm along the K axis, with the
// inverse norms per (batch, pre, post) row and whether each row was clamped by eps.
func l2Normalize(x []float32, v dotView, eps float32) ([]float32, []float32, []bool) {
	out := make([]float32, len(x))
	rows := v.batch * v.pre
	inv := make([]float32, rows*v.post)
	clamped := make([]bool, rows*v.post)
	for r := range rows {
		base := r * v.k * v.post
		for j := range v.post {
			s := float32(0)
			for k := range v.k {
				e := x[base+k*v.post+j]
				s += e * e
			}
			if s < eps {
				s = eps
				clamped[r*v.post+j] = true
			}
			q := float32(1 / math.Sqrt(float64(s)))
			inv[r*v.post+j] = q
			for k := range v.k {
				out[base+k*v.post+j] = x[base+k*v.post+j] * q
			}
		}
	}
	return out, inv, clamped
}

// packDot lays an input (batch, pre, K, post) out as (batch, pre·post, K) when kLast (the
// first input) or as (batch, K, pre·post) (the second); unpackDot reverses it.
func packDot(x []float32, v dotView, kLast bool) []float32 {
	out := make([]float32, len(x))
	mn := v.pre * v.post
	for b := range v.batch {
		for i := range v.pre {
			for k := range v.k {
				src := x[((b*v.pre+i)*v.k+k)*v.post:][:v.post]
				for j, e := range src {
					m := i*v.post + j
					if kLast {
						out[(b*mn+m)*v.k+k] = e
					} else {
						out[(b*v.k+k)*mn+m] = e
					}
				}
			}
		}
	}
	return out
}

func unpackDot(p []float32, v dotView, kLast bool) []float32 {
	out := make([]float32, len(p))
	mn := v.pre * v.post
	for b := range v.batch {
		for i := range v.pre {
			for k := range v.k {
				dst := out[((b*v.pre+i)*v.k+k)*v.post:][:v.post]
				for j := range dst {
					m := i*v.post + j
					if kLast {
						dst[j] = p[(b*mn+m)*v.k+k]
					} else {
						dst[j] = p[(b*v.k+k)*mn+m]
					}
				}
			}
		}
	}
	return out
}

// ForwardN computes the batch-wise dot product of the two inputs.
func (l *Dot) ForwardN(xs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInputsN("Dot", l.name, xs, l.inShapes); err != nil {
		return nil, err
	}
	a, _ := l.fullAxes(len(xs[0].Shape), len(xs[1].Shape), l.inShapes)
	c := &dotCache{}
	for i, x := range xs {
		c.views[i] = viewOf(x.Shape, a[i])
		c.xShape[i] = slices.Clone(x.Shape)
	}
	vx, vy := c.views[0], c.views[1]
	if vx.k != vy.k {
		return nil, layerErr(ErrShape, "Dot", l.name, "inputs %s and %s differ in size along axes %d and %d", tensor.ShapeString(xs[0].Shape), tensor.ShapeString(xs[1].Shape), a[0], a[1])
	}
	out := []int{xs[0].Shape[0]}
	out = append(out, xs[0].Shape[1:a[0]]...)
	out = append(out, xs[0].Shape[a[0]+1:]...)
	out = append(out, xs[1].Shape[1:a[1]]...)
	out = append(out, xs[1].Shape[a[1]+1:]...)
	if len(out) == 1 {
		out = append(out, 1)
	}
	_, err := tensor.CheckShape(tensor.Float32, out, 0)
	if err != nil {
		return nil, layerErr(ErrShape, "Dot", l.name, "output shape %s: %v", tensor.ShapeString(out), err)
	}
	n, _ := tensor.NumElements(out)
	for i, x := range xs {
		d := x.Float32s()
		if l.normalize {
			d, c.inv[i], c.clamped[i] = l2Normalize(d, c.views[i], l.eps)
		}
		c.packed[i] = packDot(d, c.views[i], i == 0)
	}
	m, nn, k := vx.pre*vx.post, vy.pre*vy.post, vx.k
	y := make([]float32, n)
	px, py := c.packed[0], c.packed[1]
	parallelFor(vx.batch, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			gemm(false, false, m, nn, k, 1, px[b*m*k:(b+1)*m*k], k, py[b*k*nn:(b+1)*k*nn], nn, 0, y[b*m*nn:(b+1)*m*nn], nn)
		}
	})
	c.outShape = out
	if training {
		l.cache = c
	} else {
		l.cache = nil
	}
	return tensor.MustFromFloat32(out, y), nil
}

// BackwardN returns dL/dx of both inputs of the last training ForwardN.
func (l *Dot) BackwardN(dy *tensor.Tensor) ([]*tensor.Tensor, error) {
	c := l.cache
	if c == nil {
		return nil, layerErr(ErrShape, "Dot", l.name, "BackwardN without a training ForwardN")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, c.outShape) || dy.Len() != len(dy.Float32s()) {
		return nil, layerErr(ErrShape, "Dot", l.name, "dy is not float32 %s", tensor.ShapeString(c.outShape))
	}
	vx, vy := c.views[0], c.views[1]
	m, nn, k := vx.pre*vx.post, vy.pre*vy.post, vx.k
	g := dy.Float32s()
	gx := make([]float32, len(c.packed[0]))
	gy := make([]float32, len(c.packed[1]))
	px, py := c.packed[0], c.packed[1]
	parallelFor(vx.batch, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			gb := g[b*m*nn : (b+1)*m*nn]
			gemm(false, true, m, k, nn, 1, gb, nn, py[b*k*nn:(b+1)*k*nn], nn, 0, gx[b*m*k:(b+1)*m*k], k)
			gemm(true, false, k, nn, m, 1, px[b*m*k:(b+1)*m*k], k, gb, nn, 0, gy[b*k*nn:(b+1)*k*nn], nn)
		}
	})
	dxs := make([]*tensor.Tensor, 2)
	for i, gp := range [2][]float32{gx, gy} {
		d := unpackDot(gp, c.views[i], i == 0)
		if l.normalize {
			n := unpackDot(c.packed[i], c.views[i], i == 0) // the normalised input
			normalizeBackward(d, n, c.inv[i], c.clamped[i], c.views[i])
		}
		dxs[i] = tensor.MustFromFloat32(c.xShape[i], d)
	}
	return dxs, nil
}

// normalizeBackward turns the gradient g with respect to xn = x·q (q = rsqrt(max(Σx², ε)))
// into the gradient with respect to x, in place: q·(g − xn·Σ g·xn), or q·g where ε clamped.
func normalizeBackward(g, xn, inv []float32, clamped []bool, v dotView) {
	for r := range v.batch * v.pre {
		base := r * v.k * v.post
		for j := range v.post {
			q := inv[r*v.post+j]
			s := float32(0)
			if !clamped[r*v.post+j] {
				for k := range v.k {
					s += g[base+k*v.post+j] * xn[base+k*v.post+j]
				}
			}
			for k := range v.k {
				i := base + k*v.post + j
				g[i] = q * (g[i] - xn[i]*s)
			}
		}
	}
}

// Config returns the layer's Keras config in dialect d: axes as given (an int or a pair).
func (l *Dot) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["axes"] = l.axesValue()
	c["normalize"] = l.normalize
	return c
}

// Graph returns the layer's inference computation as tf_keras writes it: l2_normalize ops
// (Square, Sum, Maximum, Rsqrt, Mul) when normalize is set, then backend.batch_dot:
// ExpandDims for rank-2 inputs, Transpose bringing the first input's axis last and the
// second's to axis 1, Reshape of inputs of rank over 3 to rank 3 (a constant shape with -1
// for the batch, where tf_keras computes it), BatchMatMulV2, Reshape back, and Squeeze of
// the axis added to a rank-2 input.
func (l *Dot) Graph() (*saved.LayerGraph, error) {
	if l.inShapes == nil {
		return nil, layerErr(ErrShape, "Dot", l.name, "Graph before BuildN")
	}
	out, err := l.OutputShapeN(l.inShapes)
	if err != nil {
		return nil, err
	}
	g := newOpGraph(l.InputShapes(), out)
	shapes := [2][]int{append([]int{-1}, l.inShapes[0]...), append([]int{-1}, l.inShapes[1]...)}
	a, _ := l.fullAxes(len(shapes[0]), len(shapes[1]), l.inShapes)
	refs := [2]string{"$in", "$in1"}
	f32 := saved.TypeAttr(tensor.Float32)
	i32 := saved.TypeAttr(tensor.Int32)
	if l.normalize {
		for i := range refs {
			sc := g.unique("l2_normalize")
			sq := g.op(sc+"/Square", "Square", "y", typeT(), refs[i])
			ax := g.constant(sc+"/Sum/reduction_indices", int32Const(true, a[i]))
			sum := g.op(sc+"/Sum", "Sum", "output", map[string]saved.Attr{"T": f32, "Tidx": i32, "keep_dims": saved.BoolAttr(true)}, sq, ax)
			eps := g.constant(sc+"/Maximum/y", tensor.Scalar(l.eps))
			mx := g.op(sc+"/Maximum", "Maximum", "z", typeT(), sum, eps)
			rs := g.op(sc+"/Rsqrt", "Rsqrt", "y", typeT(), mx)
			refs[i] = g.op(sc, "Mul", "z", typeT(), refs[i], rs)
		}
	}
	origX, origY := len(shapes[0]), len(shapes[1])
	x, y := slices.Clone(shapes[0]), slices.Clone(shapes[1])
	a0, a1 := a[0], a[1]
	if len(x) == 2 {
		refs[0] = g.expandDims(refs[0], 1)
		x = []int{x[0], 1, x[1]}
		a0++
	}
	if len(y) == 2 {
		refs[1] = g.expandDims(refs[1], 2)
		y = append(y, 1)
	}
	transpose := func(ref string, s []int, perm []int) (string, []int) {
		name := g.unique("transpose")
		p := g.constant(name+"/perm", int32Const(false, perm...))
		ns := make([]int, len(s))
		for i, q := range perm {
			ns[i] = s[q]
		}
		return g.op(name, "Transpose", "y", map[string]saved.Attr{"T": f32, "Tperm": i32}, ref, p), ns
	}
	reshape := func(ref string, s []int) string {
		name := g.unique("Reshape")
		c := g.constant(name+"/shape", int32Const(false, s...))
		return g.op(name, "Reshape", "output", map[string]saved.Attr{"T": f32, "Tshape": i32}, ref, c)
	}
	if a0 != len(x)-1 {
		perm := make([]int, 0, len(x))
		for i := range x {
			if i != a0 {
				perm = append(perm, i)
			}
		}
		refs[0], x = transpose(refs[0], x, append(perm, a0))
	}
	if a1 != 1 {
		perm := []int{0, a1}
		for i := 1; i < len(y); i++ {
			if i != a1 {
				perm = append(perm, i)
			}
		}
		refs[1], y = transpose(refs[1], y, perm)
	}
	prod := func(s []int) int {
		p := 1
		for _, d := range s {
			p *= d
		}
		return p
	}
	squash := len(x) > 3 || len(y) > 3
	if len(x) > 3 {
		refs[0] = reshape(refs[0], []int{-1, prod(x[1 : len(x)-1]), x[len(x)-1]})
	}
	if len(y) > 3 {
		refs[1] = reshape(refs[1], []int{-1, y[1], prod(y[2:])})
	}
	res := g.op(g.unique("MatMul"), "BatchMatMulV2", "output", map[string]saved.Attr{
		"T": f32, "adj_x": saved.BoolAttr(false), "adj_y": saved.BoolAttr(false)}, refs[0], refs[1])
	if squash {
		s := append([]int{-1}, x[1:len(x)-1]...)
		res = reshape(res, append(s, y[2:]...))
	}
	switch {
	case origX == 2:
		res = g.op(g.unique("Squeeze"), "Squeeze", "output", map[string]saved.Attr{"T": f32, "squeeze_dims": saved.IntsAttr(1)}, res)
	case origY == 2:
		res = g.op(g.unique("Squeeze"), "Squeeze", "output", map[string]saved.Attr{"T": f32, "squeeze_dims": saved.IntsAttr(-1)}, res)
	}
	g.Output = res
	return g.LayerGraph, nil
}
