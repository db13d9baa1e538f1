package layers

import (
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// MultiHeadAttention on inputs of rank 4 or more and with attention_axes other than the
// steps of (batch, steps, features). Keras projects every position's features (the last
// axis), attends over the attention axes (jointly when there are several: one softmax over
// all their key positions) and treats the other axes between the batch and the features as
// batch axes, which must match between query and value/key. Attention axes are numbered as
// in Keras: 1 .. rank-2 of the query with its batch (negative ones count from the end, as
// Keras 3 does), in increasing order.
//
// Since the projections act on each position alone, kerasgo regroups the positions: the
// inputs become (G, T, features), G = batch × the batch axes, T = the attention positions in
// row-major order, and the rank-3 computation runs on them; the output's rows go back to
// their places. The scores, (G, heads, Tq, Tv), are then already in Keras's layout
// (batch, <batch axes>, heads, <query attention axes>, <key attention axes>). Keras masks,
// attention_mask and use_causal_mask with such axes are refused.

// mhaGroup is the regrouping of one call.
type mhaGroup struct {
	batch      int
	qShape     []int // the input shapes with the batch
	vShape     []int
	kShape     []int
	qRows      []int // grouped row (g·Tq + t) -> original row, nil when the same
	kvRows     []int
	g, tq, tv  int
	identity   bool
	scoreShape []int
}

// mhaAxes returns the attention axes for query shape q (without the batch), resolved as
// Keras resolves them (nil config: every axis between the batch and the features).
func (l *MultiHeadAttention) mhaAxes(q []int) ([]int, error) {
	const class = "MultiHeadAttention"
	r := len(q) + 1 // the query's rank with the batch
	if l.axesRaw == nil {
		out := make([]int, 0, r-2)
		for a := 1; a <= r-2; a++ {
			out = append(out, a)
		}
		return out, nil
	}
	out := make([]int, len(l.axesRaw))
	for i, a := range l.axesRaw {
		if a < 0 {
			a += r
		}
		if a < 1 || a > r-2 {
			return nil, layerErr(ErrShape, class, l.name, "attention_axes %v for a query of rank %d: want axes in 1..%d", l.axesRaw, r, r-2)
		}
		if i > 0 && a <= out[i-1] {
			return nil, layerErr(ErrUnsupported, class, l.name, "attention_axes %v (kerasgo takes distinct axes in increasing order)", l.axesRaw)
		}
		out[i] = a
	}
	return out, nil
}

// defaultAxes reports whether the layer's calls are the rank-3 computation itself.
func (l *MultiHeadAttention) defaultAxes(shapes [][]int) bool {
	if len(shapes) == 0 || len(shapes[0]) != 2 {
		return false
	}
	ax, err := l.mhaAxes(shapes[0])
	return err == nil && len(ax) == 1 && ax[0] == 1
}

// checkAxesShapes checks query, value (and key) shapes (without the batch) for the attention
// axes: one rank, the batch axes equal; it returns the axes.
func (l *MultiHeadAttention) checkAxesShapes(shapes [][]int) ([]int, error) {
	const class = "MultiHeadAttention"
	q := shapes[0]
	if len(q) < 2 {
		return nil, layerErr(ErrUnsupported, class, l.name, "query %s: kerasgo attends over the axes of (batch, ..., features) inputs of rank 3 or more", batchShapeString(q))
	}
	ax, err := l.mhaAxes(q)
	if err != nil {
		return nil, err
	}
	for _, s := range shapes[1:] {
		if len(s) != len(q) {
			return nil, layerErr(ErrShape, class, l.name, "inputs of ranks %d and %d (query %s, %s)", len(q)+1, len(s)+1, batchShapeString(q), batchShapeString(s))
		}
		for a := 1; a < len(q); a++ {
			if !slices.Contains(ax, a) && s[a-1] != q[a-1] {
				return nil, layerErr(ErrShape, class, l.name, "axis %d is a batch axis of the attention (attention_axes %v): query %s and %s differ on it", a, ax, batchShapeString(q), batchShapeString(s))
			}
		}
	}
	if len(shapes) == 3 {
		for _, a := range ax {
			if shapes[1][a-1] != shapes[2][a-1] {
				return nil, layerErr(ErrShape, class, l.name, "key %s and value %s differ on attention axis %d", batchShapeString(shapes[2]), batchShapeString(shapes[1]), a)
			}
		}
	}
	return ax, nil
}

// groupRows returns, for shape (with the batch; features last), the original row of each
// grouped row and the group and position counts.
func groupRows(shape []int, ax []int) (rows []int, g, t int, identity bool) {
	dims := shape[:len(shape)-1] // batch and the axes between
	var batchAx, attnAx []int
	batchAx = append(batchAx, 0)
	for a := 1; a < len(dims); a++ {
		if slices.Contains(ax, a) {
			attnAx = append(attnAx, a)
		} else {
			batchAx = append(batchAx, a)
		}
	}
	g, t = 1, 1
	for _, a := range batchAx {
		g *= dims[a]
	}
	for _, a := range attnAx {
		t *= dims[a]
	}
	order := append(slices.Clone(batchAx), attnAx...)
	identity = slices.IsSorted(order)
	if identity {
		return nil, g, t, true
	}
	strides := make([]int, len(dims))
	s := 1
	for a := len(dims) - 1; a >= 0; a-- {
		strides[a] = s
		s *= dims[a]
	}
	rows = make([]int, g*t)
	idx := make([]int, len(order))
	for r := range rows {
		off := 0
		for i, a := range order {
			off += idx[i] * strides[a]
		}
		rows[r] = off
		for i := len(order) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < dims[order[i]] {
				break
			}
			idx[i] = 0
		}
	}
	return rows, g, t, false
}

// gatherRows returns x's rows (of n values) in the order rows gives (nil: as they are).
func gatherRows(x []float32, rows []int, n int) []float32 {
	if rows == nil {
		return x
	}
	out := make([]float32, len(rows)*n)
	for i, r := range rows {
		copy(out[i*n:(i+1)*n], x[r*n:(r+1)*n])
	}
	return out
}

// scatterRows is the inverse of gatherRows.
func scatterRows(x []float32, rows []int, n int) []float32 {
	if rows == nil {
		return x
	}
	out := make([]float32, len(rows)*n)
	for i, r := range rows {
		copy(out[r*n:(r+1)*n], x[i*n:(i+1)*n])
	}
	return out
}

// newGroup regroups one call's tensors (query, value[, key]).
func (l *MultiHeadAttention) newGroup(xs []*tensor.Tensor) (*mhaGroup, []*tensor.Tensor, error) {
	shapes := make([][]int, len(xs))
	for i, x := range xs {
		shapes[i] = x.Shape[1:]
	}
	ax, err := l.checkAxesShapes(shapes)
	if err != nil {
		return nil, nil, err
	}
	gr := &mhaGroup{batch: xs[0].Shape[0], qShape: slices.Clone(xs[0].Shape), vShape: slices.Clone(xs[1].Shape)}
	gr.kShape = gr.vShape
	if len(xs) == 3 {
		gr.kShape = slices.Clone(xs[2].Shape)
	}
	var idq, idv bool
	gr.qRows, gr.g, gr.tq, idq = groupRows(gr.qShape, ax)
	gr.kvRows, _, gr.tv, idv = groupRows(gr.vShape, ax)
	gr.identity = idq && idv
	// the scores: (batch, <batch axes>, heads, <query attention axes>, <key attention axes>)
	gr.scoreShape = []int{gr.batch}
	for a := 1; a < len(gr.qShape)-1; a++ {
		if !slices.Contains(ax, a) {
			gr.scoreShape = append(gr.scoreShape, gr.qShape[a])
		}
	}
	gr.scoreShape = append(gr.scoreShape, l.heads)
	for _, s := range [][]int{gr.qShape, gr.kShape} {
		for _, a := range ax {
			gr.scoreShape = append(gr.scoreShape, s[a])
		}
	}
	out := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		rows, t := gr.kvRows, gr.tv
		if i == 0 {
			rows, t = gr.qRows, gr.tq
		}
		d := x.Shape[len(x.Shape)-1]
		out[i] = tensor.MustFromFloat32([]int{gr.g, t, d}, gatherRows(x.Float32s(), rows, d))
	}
	return gr, out, nil
}

// grouped reports whether calls regroup their positions (rank above 3 or non-default axes).
func (l *MultiHeadAttention) grouped() bool {
	return !l.inGroup && l.inShapes != nil && !l.defaultAxes(l.tensorShapes())
}

// forwardGrouped is ForwardMaskedN for inputs whose positions are regrouped.
func (l *MultiHeadAttention) forwardGrouped(xs []*tensor.Tensor, masks [][]bool, training bool) (*tensor.Tensor, error) {
	const class = "MultiHeadAttention"
	if len(xs) != len(l.inShapes) {
		return nil, layerErr(ErrShape, class, l.name, "%d inputs, built for %d", len(xs), len(l.inShapes))
	}
	for i, x := range xs {
		if err := checkInput(x, l.inShapes[i], class, l.name); err != nil {
			return nil, err
		}
	}
	for _, m := range masks {
		if m != nil {
			return nil, layerErr(ErrUnsupported, class, l.name, "Keras masks with attention_axes %v on inputs %s", l.axesRaw, shapesText(l.inShapes))
		}
	}
	if l.maskArg || l.causal {
		return nil, layerErr(ErrUnsupported, class, l.name, "attention_mask or use_causal_mask with attention_axes %v on inputs %s", l.axesRaw, shapesText(l.inShapes))
	}
	gr, gx, err := l.newGroup(xs)
	if err != nil {
		return nil, err
	}
	built := l.inShapes
	l.inShapes = make([][]int, len(gx))
	for i, x := range gx {
		l.inShapes[i] = slices.Clone(x.Shape[1:])
	}
	l.inGroup = true
	y, err := l.ForwardMaskedN(gx, nil, training)
	l.inGroup = false
	l.inShapes = built
	if err != nil {
		return nil, err
	}
	l.group = gr
	n := y.Shape[2]
	shape := slices.Clone(gr.qShape)
	shape[len(shape)-1] = n
	return tensor.MustFromFloat32(shape, scatterRows(y.Float32s(), gr.qRows, n)), nil
}

// backwardGrouped is BackwardN for a regrouped call.
func (l *MultiHeadAttention) backwardGrouped(dy *tensor.Tensor) ([]*tensor.Tensor, error) {
	gr := l.group
	if gr == nil || l.cache == nil {
		return nil, layerErr(ErrShape, "MultiHeadAttention", l.name, "BackwardN without a training ForwardN")
	}
	n := dy.Shape[len(dy.Shape)-1]
	want := slices.Clone(gr.qShape)
	want[len(want)-1] = l.out(gr.qShape[1:])
	if dy.DType != tensor.Float32 || !slices.Equal(dy.Shape, want) {
		return nil, layerErr(ErrShape, "MultiHeadAttention", l.name, "dy shape %s, want %s", tensor.ShapeString(dy.Shape), tensor.ShapeString(want))
	}
	gdy := tensor.MustFromFloat32([]int{gr.g, gr.tq, n}, gatherRows(dy.Float32s(), gr.qRows, n))
	l.inGroup = true
	dxs, err := l.BackwardN(gdy)
	l.inGroup = false
	if err != nil {
		return nil, err
	}
	for i, dx := range dxs {
		if dx == nil {
			continue
		}
		rows, shape := gr.kvRows, gr.vShape
		if i == 0 {
			rows, shape = gr.qRows, gr.qShape
		} else if i == 2 {
			shape = gr.kShape
		}
		d := shape[len(shape)-1]
		dxs[i] = tensor.MustFromFloat32(slices.Clone(shape), scatterRows(dx.Float32s(), rows, d))
	}
	return dxs, nil
}

// scoresShape is the shape of the scores of a call on a batch of b.
func (l *MultiHeadAttention) scoresShape(b, tq, tv int) []int {
	if l.group != nil && l.group.batch == b {
		return slices.Clone(l.group.scoreShape)
	}
	return []int{b, l.heads, tq, tv}
}

// outputShapesAxes returns the scores' shape without the batch for built shapes.
func (l *MultiHeadAttention) scoresShapeOf(shapes [][]int) ([]int, error) {
	ax, err := l.checkAxesShapes(shapes)
	if err != nil {
		return nil, err
	}
	q := shapes[0]
	k := shapes[1]
	if len(shapes) == 3 {
		k = shapes[2]
	}
	var out []int
	for a := 1; a < len(q); a++ {
		if !slices.Contains(ax, a) {
			out = append(out, q[a-1])
		}
	}
	out = append(out, l.heads)
	for _, s := range [][]int{q, k} {
		for _, a := range ax {
			out = append(out, s[a-1])
		}
	}
	return out, nil
}

// mhaLetters are Keras's einsum letters.
const mhaLetters = "abcdefghijklmnopqrstuvwxyz"

// mhaProjEquation is Keras's projection equation: free axes, bound (contracted) axes, output
// axes; with the bias axes (the output axes).
func mhaProjEquation(free, bound, out int) (string, string) {
	in := mhaLetters[:free] + mhaLetters[free:free+bound]
	kernel := mhaLetters[free : free+bound+out]
	bias := mhaLetters[free+bound : free+bound+out]
	return in + "," + kernel + "->" + mhaLetters[:free] + bias, bias
}

// mhaAttnEquations are Keras's dot-product and combine equations for projected tensors of rank
// r (batch, ..., heads, dim) and attention axes ax.
func mhaAttnEquations(r int, ax []int) (dot, combine string) {
	target := mhaLetters[:r]
	var batchDims []int
	for i := 0; i < r-1; i++ {
		if !slices.Contains(ax, i) {
			batchDims = append(batchDims, i)
		}
	}
	source := ""
	off := r
	for i := 0; i < r; i++ {
		if slices.Contains(batchDims, i) || i == r-1 {
			source += string(target[i])
		} else {
			source += string(mhaLetters[off])
			off++
		}
	}
	product := ""
	for _, i := range batchDims {
		product += string(target[i])
	}
	for _, i := range ax {
		product += string(target[i])
	}
	for _, i := range ax {
		product += string(source[i])
	}
	return source + "," + target + "->" + product, product + "," + source + "->" + target
}

// graphGrouped is GraphMaskedN for regrouped calls: Keras's einsum equations for the input
// rank and attention axes, the softmax over the key attention positions (a Reshape merging
// them around Softmax when there are several).
func (l *MultiHeadAttention) graphGrouped(has []bool) (*saved.LayerGraph, error) {
	const class = "MultiHeadAttention"
	for _, h := range has {
		if h {
			return nil, layerErr(ErrUnsupported, class, l.name, "Keras masks with attention_axes %v", l.axesRaw)
		}
	}
	if l.maskArg || l.causal {
		return nil, layerErr(ErrUnsupported, class, l.name, "attention_mask or use_causal_mask with attention_axes %v", l.axesRaw)
	}
	shapes := l.tensorShapes()
	ax, err := l.checkAxesShapes(shapes)
	if err != nil {
		return nil, err
	}
	free := len(shapes[0]) // query rank with the batch, less one
	projEq, _ := mhaProjEquation(free, 1, 2)
	outEq, _ := mhaProjEquation(free, 2, 1)
	dotEq, combEq := mhaAttnEquations(free+2, ax)
	g := newGraphBuilder(class, l.name)
	dense := func(sub, in, eq string, w, b *Weight) string {
		k := g.readAs(g.unique(sub+"/einsum/Einsum/ReadVariableOp"), w.Name)
		x := g.op(g.unique(sub+"/einsum/Einsum"), "Einsum", []string{in, k}, tAttrs(map[string]saved.Attr{
			"equation": saved.StringAttr(eq), "N": saved.IntAttr(2)}))
		if b != nil {
			bb := g.readAs(g.unique(sub+"/add/ReadVariableOp"), b.Name)
			x = g.fop(g.unique(sub+"/add"), "AddV2", x, bb)
		}
		return x
	}
	key := "$in1"
	if len(shapes) == 3 {
		key = "$in2"
	}
	q := dense("query", "$in", projEq, l.wq, l.bq)
	k := dense("key", key, projEq, l.wk, l.bk)
	v := dense("value", "$in1", projEq, l.wv, l.bv)
	q = g.fop("Mul", "Mul", q, g.scalar("Mul/y", float32(1/math.Sqrt(float64(l.keyDim)))))
	s := g.op("einsum/Einsum", "Einsum", []string{k, q}, tAttrs(map[string]saved.Attr{
		"equation": saved.StringAttr(dotEq), "N": saved.IntAttr(2)}))
	sShape, err := l.scoresShapeOf(shapes)
	if err != nil {
		return nil, err
	}
	var w string
	if len(ax) == 1 {
		w = g.op("softmax/Softmax", "Softmax", []string{s}, tAttrs(nil))
	} else {
		// one softmax over the key attention positions: merge them, Softmax, split them
		kn := 1
		for _, d := range sShape[len(sShape)-len(ax):] {
			kn *= d
		}
		flat := []int32{-1}
		for _, d := range sShape[:len(sShape)-len(ax)] {
			flat = append(flat, int32(d))
		}
		flat = append(flat, int32(kn))
		back := []int32{-1}
		for _, d := range sShape {
			back = append(back, int32(d))
		}
		rs := g.op("softmax/Reshape", "Reshape", []string{s, g.int32Const("softmax/Reshape/shape", flat)},
			tAttrs(map[string]saved.Attr{"Tshape": saved.TypeAttr(tensor.Int32)}))
		sm := g.op("softmax/Softmax", "Softmax", []string{rs}, tAttrs(nil))
		w = g.op("softmax/Reshape_1", "Reshape", []string{sm, g.int32Const("softmax/Reshape_1/shape", back)},
			tAttrs(map[string]saved.Attr{"Tshape": saved.TypeAttr(tensor.Int32)}))
	}
	o := g.op("einsum_1/Einsum", "Einsum", []string{w, v}, tAttrs(map[string]saved.Attr{
		"equation": saved.StringAttr(combEq), "N": saved.IntAttr(2)}))
	out := dense("attention_output", o, outEq, l.wo, l.bo)
	if g.err != nil {
		return nil, g.err
	}
	outShape, err := l.OutputShapeN(l.inShapes)
	if err != nil {
		return nil, err
	}
	lg := &saved.LayerGraph{InputShapes: cloneShapes(l.inShapes), OutputShape: outShape, Ops: g.ops, Output: out,
		SubLayers: l.subLayerGraphs()}
	if l.scores {
		lg.MoreOutputs = []string{w}
		lg.MoreOutputShapes = [][]int{sShape}
	}
	return lg, nil
}

func intsJSON(v []int) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}
