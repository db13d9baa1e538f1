package layers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds what the merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum,
// Concatenate, Dot) share: the multi-input bookkeeping, the refusal of the single-input
// methods, and the element-wise machinery with Keras's broadcasting rule. Each class has its
// own file with its registration, config and graph.

// MergeOptions are the optional arguments of the merge layer constructors (NewAdd, ...).
type MergeOptions struct {
	Name string
}

// maxMergeInputs bounds the number of inputs a merge layer is built for.
const maxMergeInputs = 1 << 12

// multiBase is the part of a multi-input layer that replaces base's single input shape.
type multiBase struct {
	base
	inShapes [][]int // nil until BuildN
}

// Built reports whether BuildN has run.
func (b *multiBase) Built() bool { return b.inShapes != nil }

// InputShape returns nil: the layer has several inputs (see InputShapes).
func (b *multiBase) InputShape() []int { return nil }

// InputShapes returns the shapes given to BuildN, without the batch dimension (nil before).
func (b *multiBase) InputShapes() [][]int {
	if b.inShapes == nil {
		return nil
	}
	out := make([][]int, len(b.inShapes))
	for i, s := range b.inShapes {
		out[i] = slices.Clone(s)
	}
	return out
}

// SetTrainable sets Keras's layer.trainable (no effect: merge layers have no weights).
func (b *multiBase) SetTrainable(t bool) { b.trainable = t }

// Weights returns nil: merge layers have no weights.
func (b *multiBase) Weights() []*Weight { return nil }

// severalInputs is the error of the single-input methods of a multi-input layer.
func severalInputs(class, name, method string) error {
	return layerErr(ErrShape, class, name, "the layer takes several inputs (a list of tensors): %s is not defined for one input; use %sN", method, method)
}

// checkShapesIn validates the shapes given to BuildN / OutputShapeN: at least lo inputs
// (and at most hi when hi > 0), each dimension positive or -1 (unknown).
func checkShapesIn(class, name string, shapes [][]int, lo, hi int) error {
	if len(shapes) < lo || (hi > 0 && len(shapes) > hi) || len(shapes) > maxMergeInputs {
		want := fmt.Sprintf("at least %d", lo)
		if hi == lo {
			want = fmt.Sprintf("exactly %d", lo)
		}
		return layerErr(ErrShape, class, name, "the layer takes %s inputs, have %d", want, len(shapes))
	}
	for _, s := range shapes {
		if len(s) > 32 {
			return layerErr(ErrShape, class, name, "input shape %s has too many axes", batchShapeString(s))
		}
		for _, d := range s {
			if d == 0 || d < -1 || d > maxDim {
				return layerErr(ErrShape, class, name, "input shape %s", batchShapeString(s))
			}
		}
	}
	return nil
}

// batchShapeString spells a shape without its batch dimension as Keras does with it:
// (None, 3, 4).
func batchShapeString(s []int) string { return tensor.ShapeString(append([]int{-1}, s...)) }

// shapesString spells several shapes as a Keras list: [(None, 3), (None, 4)].
func shapesString(shapes [][]int) string {
	parts := make([]string, len(shapes))
	for i, s := range shapes {
		parts[i] = batchShapeString(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// checkInputsN checks ForwardN's inputs against the built shapes: one float32 tensor per
// input, each of the built rank (plus the batch) with the built dimensions (any size where
// the built dimension is -1), all with the same batch size.
func checkInputsN(class, name string, xs []*tensor.Tensor, built [][]int) error {
	if built == nil {
		return layerErr(ErrShape, class, name, "ForwardN before BuildN")
	}
	if len(xs) != len(built) {
		return layerErr(ErrShape, class, name, "%d inputs, the layer is built for %d", len(xs), len(built))
	}
	for i, x := range xs {
		if x == nil {
			return layerErr(ErrShape, class, name, "input %d is nil", i)
		}
		ok := x.DType == tensor.Float32 && len(x.Shape) == len(built[i])+1
		for j := 0; ok && j < len(built[i]); j++ {
			ok = built[i][j] == -1 || built[i][j] == x.Shape[j+1]
		}
		if !ok {
			return layerErr(ErrShape, class, name, "input %d is %v %s, want float32 %s", i, x.DType, tensor.ShapeString(x.Shape), batchShapeString(built[i]))
		}
		if x.Shape[0] != xs[0].Shape[0] {
			return layerErr(ErrShape, class, name, "inputs have different batch sizes: %s and %s", tensor.ShapeString(xs[0].Shape), tensor.ShapeString(x.Shape))
		}
		if x.Len() != len(x.Float32s()) {
			return layerErr(ErrShape, class, name, "input %d: shape %s does not match its %d values", i, tensor.ShapeString(x.Shape), len(x.Float32s()))
		}
	}
	return nil
}

// elemOp is the function of an element-wise merge layer.
type elemOp int

const (
	opAdd elemOp = iota
	opSubtract
	opMultiply
	opAverage
	opMaximum
	opMinimum
)

// elemMerge implements the element-wise merge layers. Inputs may differ in shape where Keras
// allows it (tf_keras 2.21 and Keras 3.15 share the rule): the shapes without the batch are
// aligned on their last axes (a lower-rank input gets axes of size 1 inserted after the
// batch, as Keras's expand_dims(x, 1)), and on each axis the sizes are equal or one of them
// is 1. The batch sizes must be equal.
type elemMerge struct {
	multiBase
	class string
	op    elemOp
	minIn int // at least this many inputs
	maxIn int // at most (0: no limit)

	// cached by a training ForwardN
	vals    [][]float32 // inputs broadcast to the output shape (shared when not broadcast)
	xShapes [][]int     // the inputs' shapes (with batch)
	yShape  []int
	sel     []int32 // Maximum/Minimum: the input each output element came from

	infer *inferBufs // inference outputs, reused (see inferBufs)
}

func newElemMerge(class string, op elemOp, opts []MergeOptions) elemMerge {
	o := optionsArg("New"+class, opts)
	m := elemMerge{multiBase: multiBase{base: newBase(o.Name, nil)}, class: class, op: op, minIn: 1, infer: &inferBufs{}}
	if op == opSubtract {
		m.minIn, m.maxIn = 2, 2
	}
	return m
}

// elemFromConfig reads the config of an element-wise merge layer (only the base keys).
func elemFromConfig(class string, op elemOp, cfg map[string]any) (*elemMerge, []string, error) {
	r := newCfgReader(class, cfg)
	m := newElemMerge(class, op, nil)
	r.readBase(&m.base)
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return &m, w, nil
}

// Class returns the Keras class name.
func (m *elemMerge) Class() string { return m.class }

// Build fails: the layer takes several inputs (see BuildN).
func (m *elemMerge) Build([]int, *Rand) error { return severalInputs(m.class, m.name, "Build") }

// OutputShape fails: the layer takes several inputs (see OutputShapeN).
func (m *elemMerge) OutputShape([]int) ([]int, error) {
	return nil, severalInputs(m.class, m.name, "OutputShape")
}

// Forward fails: the layer takes several inputs (see ForwardN).
func (m *elemMerge) Forward(*tensor.Tensor, bool) (*tensor.Tensor, error) {
	return nil, severalInputs(m.class, m.name, "Forward")
}

// Backward fails: the layer takes several inputs (see BackwardN).
func (m *elemMerge) Backward(*tensor.Tensor) (*tensor.Tensor, error) {
	return nil, severalInputs(m.class, m.name, "Backward")
}

// OutputShapeN returns the broadcast shape of the inputs (without the batch), with -1 where
// a dimension is unknown, or an ErrShape error naming the shapes.
func (m *elemMerge) OutputShapeN(shapes [][]int) ([]int, error) {
	if err := checkShapesIn(m.class, m.name, shapes, m.minIn, m.maxIn); err != nil {
		return nil, err
	}
	out := slices.Clone(shapes[0])
	for _, s := range shapes[1:] {
		o, ok := broadcastPair(out, s)
		if !ok {
			return nil, layerErr(ErrShape, m.class, m.name, "inputs have incompatible shapes %s: the sizes on each axis (aligned on the last axis) must be equal or 1",
				shapesString(shapes))
		}
		out = o
	}
	return out, nil
}

// broadcastPair is Keras's element-wise output shape of two shapes without the batch.
func broadcastPair(a, b []int) ([]int, bool) {
	if len(a) < len(b) {
		a, b = b, a
	}
	out := slices.Clone(a)
	off := len(a) - len(b)
	for j, d := range b {
		i := a[off+j]
		switch {
		case i == -1 || d == -1:
			out[off+j] = -1
		case i == 1:
			out[off+j] = d
		case d == 1 || i == d:
		default:
			return nil, false
		}
	}
	return out, true
}

// BuildN checks the input shapes and records them.
func (m *elemMerge) BuildN(shapes [][]int, _ *Rand) error {
	if _, err := m.OutputShapeN(shapes); err != nil {
		return err
	}
	m.inShapes = make([][]int, len(shapes))
	for i, s := range shapes {
		m.inShapes[i] = slices.Clone(s)
	}
	return nil
}

// padShape returns the full shape (with the batch) of x with axes of size 1 inserted after
// the batch up to rank r.
func padShape(s []int, r int) []int {
	out := make([]int, 0, r)
	out = append(out, s[0])
	for range r - len(s) {
		out = append(out, 1)
	}
	return append(out, s[1:]...)
}

// bcastStrides returns the strides of a (padded) input shape over the output's axes, 0 on
// the axes it is broadcast along.
func bcastStrides(in, out []int) []int {
	st := make([]int, len(in))
	s := 1
	for d := len(in) - 1; d >= 0; d-- {
		if in[d] == out[d] {
			st[d] = s
		}
		s *= in[d]
	}
	return st
}

// bcastWalk calls fn for every row of the last axis of out: i is the row's offset in the
// output, off the matching offset in the input with strides st.
func bcastWalk(st, out []int, fn func(i, off int)) {
	r := len(out)
	inner := out[r-1]
	n := 1
	for _, d := range out {
		n *= d
	}
	idx := make([]int, r)
	off := 0
	for i := 0; i < n; i += inner {
		fn(i, off)
		for d := r - 2; d >= 0; d-- {
			idx[d]++
			off += st[d]
			if idx[d] < out[d] {
				break
			}
			off -= st[d] * out[d]
			idx[d] = 0
		}
	}
}

// expand returns x's values broadcast to out (x itself when no broadcast is needed).
func expand(x []float32, xs, out []int) []float32 {
	if slices.Equal(xs, out) {
		return x
	}
	st := bcastStrides(xs, out)
	inner, s := out[len(out)-1], st[len(st)-1]
	n, _ := tensor.NumElements(out)
	dst := make([]float32, n)
	bcastWalk(st, out, func(i, off int) {
		row := dst[i : i+inner]
		for j := range row {
			row[j] = x[off+j*s]
		}
	})
	return dst
}

// reduceTo sums g (of shape out) over the axes xs was broadcast along, into a new slice of
// xs's size.
func reduceTo(g []float32, xs, out []int) []float32 {
	n, _ := tensor.NumElements(xs)
	dst := make([]float32, n)
	if slices.Equal(xs, out) {
		copy(dst, g)
		return dst
	}
	st := bcastStrides(xs, out)
	inner, s := out[len(out)-1], st[len(st)-1]
	bcastWalk(st, out, func(i, off int) {
		for j, v := range g[i : i+inner] {
			dst[off+j*s] += v
		}
	})
	return dst
}

// ForwardN merges the inputs element-wise. ForwardNWS reuses the inference output buffer
// instead (see Workspace).
func (m *elemMerge) ForwardN(xs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	return m.forwardN(nil, xs, training)
}

// ForwardNWS is ForwardN(xs, false) with the buffers of ws (see Workspace).
func (m *elemMerge) ForwardNWS(ws *Workspace, xs []*tensor.Tensor) (*tensor.Tensor, error) {
	return m.forwardN(ws, xs, false)
}

func (m *elemMerge) forwardN(ws *Workspace, xs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInputsN(m.class, m.name, xs, m.inShapes); err != nil {
		return nil, err
	}
	if !training && ws != nil && m.sameShapes(xs) {
		return m.inferSame(ws, xs), nil
	}
	if !training && ws != nil {
		if y := m.inferChannels(ws, xs); y != nil {
			return y, nil
		}
	}
	// The output shape of these inputs: broadcast their concrete shapes.
	r := 0
	for _, x := range xs {
		r = max(r, len(x.Shape))
	}
	padded := make([][]int, len(xs))
	out := padShape(xs[0].Shape, r)
	for i, x := range xs {
		padded[i] = padShape(x.Shape, r)
		o, ok := broadcastPair(out[1:], padded[i][1:])
		if !ok {
			shapes := make([]string, len(xs))
			for k, x := range xs {
				shapes[k] = tensor.ShapeString(x.Shape)
			}
			return nil, layerErr(ErrShape, m.class, m.name, "inputs have incompatible shapes [%s]", strings.Join(shapes, ", "))
		}
		out = append(out[:1], o...)
	}
	if _, err := tensor.CheckShape(tensor.Float32, out, 0); err != nil {
		return nil, layerErr(ErrShape, m.class, m.name, "output shape %s: %v", tensor.ShapeString(out), err)
	}
	vals := make([][]float32, len(xs))
	for i, x := range xs {
		vals[i] = expand(x.Float32s(), padded[i], out)
	}
	n, _ := tensor.NumElements(out)
	var y []float32
	var b *inferBufs
	if training {
		y = make([]float32, n)
	} else {
		// Inference: the buffers of ws (see Workspace).
		b = ws.acquire(m.infer)
		defer ws.release(b)
		y = b.out(0, int(n))
	}
	var sel []int32
	copy(y, vals[0])
	switch m.op {
	case opAdd, opAverage:
		for _, v := range vals[1:] {
			for j := range y {
				y[j] += v[j]
			}
		}
		if m.op == opAverage {
			k := float32(len(vals))
			for j := range y {
				y[j] /= k
			}
		}
	case opSubtract:
		for j, v := range vals[1] {
			y[j] -= v
		}
	case opMultiply:
		for _, v := range vals[1:] {
			for j := range y {
				y[j] *= v[j]
			}
		}
	case opMaximum, opMinimum:
		// TF's Maximum(a, b) sends the gradient to a where a >= b (Minimum: a <= b), so along
		// the chain max(max(x0, x1), x2) the first input holding the extreme value wins ties.
		if training {
			sel = make([]int32, n)
		}
		for i, v := range vals[1:] {
			for j := range y {
				if m.op == opMaximum && !(y[j] >= v[j]) || m.op == opMinimum && !(y[j] <= v[j]) {
					y[j] = v[j]
					if sel != nil {
						sel[j] = int32(i + 1)
					}
				}
			}
		}
	}
	if training {
		m.vals, m.sel, m.yShape = vals, sel, out
		m.xShapes = make([][]int, len(xs))
		for i, x := range xs {
			m.xShapes[i] = slices.Clone(x.Shape)
		}
	} else if m.vals != nil || m.sel != nil || m.yShape != nil || m.xShapes != nil {
		m.vals, m.sel, m.yShape, m.xShapes = nil, nil, nil, nil
	}
	if b != nil {
		return b.view(0, y, out...), nil
	}
	return tensor.MustFromFloat32(out, y), nil
}

// sameShapes reports whether the inputs all have one shape (no broadcasting).
func (m *elemMerge) sameShapes(xs []*tensor.Tensor) bool {
	if m.op == opSubtract && len(xs) != 2 {
		return false // the general path reports it
	}
	for _, x := range xs[1:] {
		if !slices.Equal(x.Shape, xs[0].Shape) {
			return false
		}
	}
	return true
}

// inferSame is the inference ForwardNWS of inputs of one shape: the general path's
// arithmetic, in the same order, with no broadcast views.
// inferChannels is the inference of Multiply or Add of two rank-4 inputs, (n, h, w, c) and
// (n, 1, 1, c) in either order (a squeeze-and-excitation scale), in one pass with no
// broadcast copy of the small input; it returns nil for other inputs. The products and sums
// are the general path's (both operations commute).
func (m *elemMerge) inferChannels(ws *Workspace, xs []*tensor.Tensor) *tensor.Tensor {
	if len(xs) != 2 || m.op != opMultiply && m.op != opAdd {
		return nil
	}
	big, small := xs[0], xs[1]
	if len(big.Shape) == 4 && big.Shape[1] == 1 && big.Shape[2] == 1 {
		big, small = small, big
	}
	bs, ss := big.Shape, small.Shape
	if len(bs) != 4 || len(ss) != 4 || ss[1] != 1 || ss[2] != 1 || ss[0] != bs[0] || ss[3] != bs[3] || bs[3] == 0 {
		return nil
	}
	b := ws.acquire(m.infer)
	defer ws.release(b)
	c, hw := bs[3], bs[1]*bs[2]
	xd, sd := big.Float32s(), small.Float32s()
	y := b.out(0, len(xd))
	mul := m.op == opMultiply
	parallelFor(bs[0], func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			sv := sd[i*c : (i+1)*c]
			for p := 0; p < hw; p++ {
				o := (i*hw + p) * c
				xr, yr := xd[o:o+c], y[o:o+c]
				if mul {
					for j, v := range xr {
						yr[j] = v * sv[j]
					}
				} else {
					for j, v := range xr {
						yr[j] = v + sv[j]
					}
				}
			}
		}
	})
	return b.view(0, y, bs...)
}

func (m *elemMerge) inferSame(ws *Workspace, xs []*tensor.Tensor) *tensor.Tensor {
	b := ws.acquire(m.infer)
	defer ws.release(b)
	y := b.out(0, len(xs[0].Float32s()))
	if len(xs) == 2 && (m.op == opAdd || m.op == opMultiply) {
		// One pass, the same operations as below.
		u, v := xs[0].Float32s(), xs[1].Float32s()
		v = v[:len(u)]
		y = y[:len(u)]
		if m.op == opAdd {
			for j, a := range u {
				y[j] = a + v[j]
			}
		} else {
			for j, a := range u {
				y[j] = a * v[j]
			}
		}
		return b.view(0, y, xs[0].Shape...)
	}
	copy(y, xs[0].Float32s())
	for _, x := range xs[1:] {
		v := x.Float32s()
		switch m.op {
		case opAdd, opAverage:
			for j := range y {
				y[j] += v[j]
			}
		case opSubtract:
			for j := range y {
				y[j] -= v[j]
			}
		case opMultiply:
			for j := range y {
				y[j] *= v[j]
			}
		case opMaximum, opMinimum:
			for j := range y {
				if m.op == opMaximum && !(y[j] >= v[j]) || m.op == opMinimum && !(y[j] <= v[j]) {
					y[j] = v[j]
				}
			}
		}
	}
	if m.op == opAverage {
		k := float32(len(xs))
		for j := range y {
			y[j] /= k
		}
	}
	if m.vals != nil || m.sel != nil || m.yShape != nil || m.xShapes != nil {
		m.vals, m.sel, m.yShape, m.xShapes = nil, nil, nil, nil
	}
	return b.view(0, y, xs[0].Shape...)
}

// BackwardN returns dL/dx for every input of the last training ForwardN, summed over the
// axes an input was broadcast along.
func (m *elemMerge) BackwardN(dy *tensor.Tensor) ([]*tensor.Tensor, error) {
	if m.yShape == nil {
		return nil, layerErr(ErrShape, m.class, m.name, "BackwardN without a training ForwardN")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, m.yShape) || dy.Len() != len(dy.Float32s()) {
		have := "nil"
		if dy != nil {
			have = fmt.Sprintf("%v %s", dy.DType, tensor.ShapeString(dy.Shape))
		}
		return nil, layerErr(ErrShape, m.class, m.name, "dy is %s, want float32 %s", have, tensor.ShapeString(m.yShape))
	}
	g := dy.Float32s()
	r := len(m.yShape)
	dxs := make([]*tensor.Tensor, len(m.vals))
	buf := make([]float32, len(g))
	for i := range m.vals {
		switch m.op {
		case opAdd:
			copy(buf, g)
		case opAverage:
			k := float32(len(m.vals))
			for j, v := range g {
				buf[j] = v / k
			}
		case opSubtract:
			copy(buf, g)
			if i == 1 {
				for j := range buf {
					buf[j] = -buf[j]
				}
			}
		case opMultiply:
			copy(buf, g)
			for k, v := range m.vals {
				if k == i {
					continue
				}
				for j := range buf {
					buf[j] *= v[j]
				}
			}
		case opMaximum, opMinimum:
			for j, v := range g {
				if m.sel[j] == int32(i) {
					buf[j] = v
				} else {
					buf[j] = 0
				}
			}
		}
		d := reduceTo(buf, padShape(m.xShapes[i], r), m.yShape)
		dxs[i] = tensor.MustFromFloat32(m.xShapes[i], d)
	}
	return dxs, nil
}

// Config returns the layer's Keras config in dialect d (the base keys only).
func (m *elemMerge) Config(d saved.Dialect) map[string]any { return m.baseConfig(d) }

// Graph returns the layer's inference computation as TF ops: ExpandDims (axis 1) for inputs
// of a lower rank, as Keras's call does, then a chain of the binary op over the inputs
// (Average: AddV2 ops and a RealDiv by the number of inputs).
func (m *elemMerge) Graph() (*saved.LayerGraph, error) {
	if m.inShapes == nil {
		return nil, layerErr(ErrShape, m.class, m.name, "Graph before BuildN")
	}
	out, err := m.OutputShapeN(m.inShapes)
	if err != nil {
		return nil, err
	}
	g := newOpGraph(m.InputShapes(), out)
	r := 0
	for _, s := range m.inShapes {
		r = max(r, len(s))
	}
	refs := make([]string, len(m.inShapes))
	for i, s := range m.inShapes {
		refs[i] = inputRef(i)
		for range r - len(s) {
			refs[i] = g.expandDims(refs[i], 1)
		}
	}
	op := map[elemOp]struct{ typ, name string }{
		opAdd: {"AddV2", "add"}, opAverage: {"AddV2", "add"}, opSubtract: {"Sub", "sub"},
		opMultiply: {"Mul", "mul"}, opMaximum: {"Maximum", "Maximum"}, opMinimum: {"Minimum", "Minimum"},
	}[m.op]
	cur := refs[0]
	for _, ref := range refs[1:] {
		cur = g.op(g.unique(op.name), op.typ, "z", typeT(), cur, ref)
	}
	if m.op == opAverage {
		name := g.unique("truediv")
		c := g.constant(name+"/y", tensor.Scalar(float32(len(refs))))
		cur = g.op(name, "RealDiv", "z", typeT(), cur, c)
	}
	g.Output = cur
	return g.LayerGraph, nil
}

// The helpers below build the LayerGraphs of the merge layers.

// inputRef is the graph reference of input i: "$in", "$in1", ...
func inputRef(i int) string {
	if i == 0 {
		return "$in"
	}
	return fmt.Sprintf("$in%d", i)
}

// opGraph builds a LayerGraph, making op names unique as TF does (name, name_1, ...).
type opGraph struct {
	*saved.LayerGraph
	used map[string]int
}

func newOpGraph(in [][]int, out []int) *opGraph {
	return &opGraph{LayerGraph: &saved.LayerGraph{InputShapes: in, OutputShape: slices.Clone(out)}, used: map[string]int{}}
}

// unique returns base, or base_1, base_2, ... when base is taken.
func (g *opGraph) unique(base string) string {
	k := g.used[base]
	g.used[base] = k + 1
	if k == 0 {
		return base
	}
	return fmt.Sprintf("%s_%d", base, k)
}

// op appends an op and returns its name.
func (g *opGraph) op(name, typ, outArg string, attrs map[string]saved.Attr, inputs ...string) string {
	g.Ops = append(g.Ops, saved.Op{Name: name, Type: typ, Inputs: inputs, Attrs: attrs, OutArg: outArg})
	return name
}

// constant appends a Const op holding t.
func (g *opGraph) constant(name string, t *tensor.Tensor) string {
	return g.op(name, "Const", "output", map[string]saved.Attr{"dtype": saved.TypeAttr(t.DType), "value": saved.TensorAttr(t)})
}

// expandDims appends tf.expand_dims(x, axis).
func (g *opGraph) expandDims(x string, axis int) string {
	name := g.unique("ExpandDims")
	dim := g.constant(name+"/dim", int32Const(true, axis))
	return g.op(name, "ExpandDims", "output", map[string]saved.Attr{"T": saved.TypeAttr(tensor.Float32), "Tdim": saved.TypeAttr(tensor.Int32)}, x, dim)
}

func typeT() map[string]saved.Attr {
	return map[string]saved.Attr{"T": saved.TypeAttr(tensor.Float32)}
}

// int32Const returns an int32 tensor (a scalar when scalar is true, else a vector).
func int32Const(scalar bool, v ...int) *tensor.Tensor {
	d := make([]int32, len(v))
	for i, x := range v {
		d[i] = int32(x)
	}
	shape := []int{len(v)}
	if scalar {
		shape = []int{}
	}
	return &tensor.Tensor{DType: tensor.Int32, Shape: shape, Data: d}
}
