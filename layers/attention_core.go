package layers

import (
	"github.com/kerasgo/kerasgo/saved"
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds what Attention and AdditiveAttention share: inputs [query, value] or
// [query, value, key] (key defaults to value) of shapes (batch, Tq, dim), (batch, Tv, dimv),
// (batch, Tv, dim); scores (batch, Tq, Tv) from the layer's score function; the output
// softmax(scores)·value (batch, Tq, dimv). Dropout on the weights is the identity at
// inference (and not applied in training either: kerasgo refuses training such a layer with
// dropout > 0 only through the config warning).

// scoreFunc is a layer's attention score function: score computes scores (bt, tq, tv) from
// q (bt, tq, d) and k (bt, tv, d); grad adds dL/dq and dL/dk given dL/dscores and fills the
// layer's weight gradients.
type scoreFunc interface {
	score(q, k []float32, bt, tq, tv, d int) []float32
	scoreGrad(ds, q, k, dq, dk []float32, bt, tq, tv, d int)
}

// attnCore is the state of one attention layer.
type attnCore struct {
	multiBase
	dropout float64
	cache   *attnCache
	// causal is the call argument use_causal_mask=True (query step i attends to value steps
	// j <= i); causalSet records that a call set it (all calls of a layer must agree).
	causal, causalSet bool
	// scores is the call argument return_attention_scores=True (attention_scores.go):
	// forward keeps the softmax weights in scoresOut, backward adds dScores to their gradient.
	scores, scoresSet  bool
	scoresOut, dScores []float32
}

type attnCache struct {
	q, v, k          *tensor.Tensor
	w                []float32 // softmax weights (bt, tq, tv)
	qmask            []bool    // the query mask (bt·tq flags), nil: none
	three            bool
	bt, tq, tv, d, e int
}

// attnShapes checks [query, value(, key)] shapes without the batch: all (steps, features),
// or all (features,) (rank-2 inputs, on which Keras attends across the batch).
func attnShapes(class, name string, shapes [][]int) error {
	if err := checkShapesIn(class, name, shapes, 2, 3); err != nil {
		return err
	}
	rank := len(shapes[0])
	for _, s := range shapes {
		if len(s) != rank || (rank != 1 && rank != 2) {
			return layerErr(ErrShape, class, name, "input shapes %s: want all (batch, steps, features) or all (batch, features)", shapesText(shapes))
		}
	}
	q, v := shapes[0], shapes[1]
	k := v
	if len(shapes) == 3 {
		k = shapes[2]
		if rank == 2 && k[0] != v[0] && k[0] > 0 && v[0] > 0 {
			return layerErr(ErrShape, class, name, "key %s and value %s differ in steps", batchShapeString(k), batchShapeString(v))
		}
	}
	if q[rank-1] != k[rank-1] {
		return layerErr(ErrShape, class, name, "query %s and key %s differ in the last axis", batchShapeString(q), batchShapeString(k))
	}
	return nil
}

func shapesText(shapes [][]int) string {
	out := ""
	for i, s := range shapes {
		if i > 0 {
			out += ", "
		}
		out += batchShapeString(s)
	}
	return out
}

// attnOutShape is (Tq, dimv), or (dimv,) for rank-2 inputs.
func attnOutShape(shapes [][]int) []int {
	if len(shapes[0]) == 1 {
		return []int{shapes[1][0]}
	}
	return []int{shapes[0][0], shapes[1][1]}
}

// forward runs the attention with score function f; masks (nil, or one entry per input,
// each nil or batch·steps flags) are the Keras masks of the inputs.
func (c *attnCore) forward(class string, f scoreFunc, xs []*tensor.Tensor, masks [][]bool, training bool) (*tensor.Tensor, error) {
	if c.inShapes == nil {
		return nil, layerErr(ErrShape, class, c.name, "ForwardN before BuildN")
	}
	if len(xs) != len(c.inShapes) {
		return nil, layerErr(ErrShape, class, c.name, "%d inputs, built for %d", len(xs), len(c.inShapes))
	}
	for i, x := range xs {
		if err := checkInput(x, c.inShapes[i], class, c.name); err != nil {
			return nil, err
		}
	}
	q, v := xs[0], xs[1]
	k := v
	if len(xs) == 3 {
		k = xs[2]
	}
	var bt, tq, d, tv, e int
	if len(q.Shape) == 2 {
		// (batch, features): one sequence whose steps are the batch's samples.
		bt, tq, d, tv, e = 1, q.Shape[0], q.Shape[1], v.Shape[0], v.Shape[1]
		if k.Shape[0] != tv {
			return nil, layerErr(ErrShape, class, c.name, "inputs of shapes %s, %s, %s", tensor.ShapeString(q.Shape), tensor.ShapeString(v.Shape), tensor.ShapeString(k.Shape))
		}
		masks = nil
	} else {
		bt, tq, d = q.Shape[0], q.Shape[1], q.Shape[2]
		tv, e = v.Shape[1], v.Shape[2]
		if v.Shape[0] != bt || k.Shape[0] != bt || k.Shape[1] != tv {
			return nil, layerErr(ErrShape, class, c.name, "inputs of shapes %s, %s, %s", tensor.ShapeString(q.Shape), tensor.ShapeString(v.Shape), tensor.ShapeString(k.Shape))
		}
	}
	var qmask, vmask []bool
	if len(masks) > 0 {
		qmask = masks[0]
	}
	if len(masks) > 1 {
		vmask = masks[1]
	}
	if (qmask != nil && len(qmask) != bt*tq) || (vmask != nil && len(vmask) != bt*tv) {
		return nil, layerErr(ErrShape, class, c.name, "masks of %d and %d flags for inputs %s and %s", len(qmask), len(vmask), tensor.ShapeString(q.Shape), tensor.ShapeString(v.Shape))
	}
	w := f.score(q.Float32s(), k.Float32s(), bt, tq, tv, d)
	if c.causal || vmask != nil {
		// As Keras: scores -= 1e9 where a key is hidden (a later step, or masked).
		for b := 0; b < bt; b++ {
			for i := 0; i < tq; i++ {
				row := w[(b*tq+i)*tv : (b*tq+i+1)*tv]
				for j := range row {
					if (c.causal && j > i) || (vmask != nil && !vmask[b*tv+j]) {
						row[j] -= 1e9
					}
				}
			}
		}
	}
	softmaxF(w, w, tv)
	if c.scores {
		c.scoresOut = slices.Clone(w)
	}
	out := make([]float32, bt*tq*e)
	vd := v.Float32s()
	for b := 0; b < bt; b++ {
		gemm(false, false, tq, e, tv, 1, w[b*tq*tv:], tv, vd[b*tv*e:], e, 0, out[b*tq*e:], e)
	}
	if qmask != nil {
		for r, keep := range qmask {
			if !keep {
				clear(out[r*e : (r+1)*e])
			}
		}
	}
	c.cache = nil
	if training {
		c.cache = &attnCache{q: q, v: v, k: k, w: w, qmask: qmask, three: len(xs) == 3, bt: bt, tq: tq, tv: tv, d: d, e: e}
	}
	return tensor.MustFromFloat32(slices.Clone(append([]int{q.Shape[0]}, attnOutShape(c.inShapes)...)), out), nil
}

// backward returns dL/d of each input (key's gradient joins value's when key is value).
func (c *attnCore) backward(class string, f scoreFunc, dy *tensor.Tensor) ([]*tensor.Tensor, error) {
	ca := c.cache
	if ca == nil {
		return nil, layerErr(ErrShape, class, c.name, "BackwardN without a training ForwardN")
	}
	bt, tq, tv, d, e := ca.bt, ca.tq, ca.tv, ca.d, ca.e
	want := append([]int{ca.q.Shape[0]}, attnOutShape(c.inShapes)...)
	if !tensor.SameShape(dy.Shape, want) || dy.DType != tensor.Float32 {
		return nil, layerErr(ErrShape, class, c.name, "dy shape %s, want %s", tensor.ShapeString(dy.Shape), tensor.ShapeString(want))
	}
	g := dy.Float32s()
	if ca.qmask != nil {
		g = slices.Clone(g)
		for r, keep := range ca.qmask {
			if !keep {
				clear(g[r*e : (r+1)*e])
			}
		}
	}
	vd := ca.v.Float32s()
	dw := make([]float32, bt*tq*tv)
	dv := make([]float32, bt*tv*e)
	for b := 0; b < bt; b++ {
		// dw = dy·vᵀ, dv = wᵀ·dy
		gemm(false, true, tq, tv, e, 1, g[b*tq*e:], e, vd[b*tv*e:], e, 0, dw[b*tq*tv:], tv)
		gemm(true, false, tv, e, tq, 1, ca.w[b*tq*tv:], tv, g[b*tq*e:], e, 0, dv[b*tv*e:], e)
	}
	if c.dScores != nil {
		for i, v := range c.dScores {
			dw[i] += v
		}
	}
	ds := make([]float32, len(dw))
	softmaxB(nil, ca.w, dw, ds, tv)
	dq := make([]float32, bt*tq*d)
	dk := make([]float32, bt*tv*d)
	f.scoreGrad(ds, ca.q.Float32s(), ca.k.Float32s(), dq, dk, bt, tq, tv, d)
	out := []*tensor.Tensor{tensor.MustFromFloat32(slices.Clone(ca.q.Shape), dq), nil}
	if ca.three {
		out[1] = tensor.MustFromFloat32(slices.Clone(ca.v.Shape), dv)
		out = append(out, tensor.MustFromFloat32(slices.Clone(ca.k.Shape), dk))
	} else {
		for i := range dv {
			dv[i] += dk[i]
		}
		out[1] = tensor.MustFromFloat32(slices.Clone(ca.v.Shape), dv)
	}
	return out, nil
}

// tanhSum computes, for each (b, i, j), the d-vector t = tanh(c·(q_i + k_j)) into t (when
// not nil) and returns Σ_d s_d·t_d (s nil: 1).
func tanhPair(q, k []float32, c float32, s, t []float32) float32 {
	var sum float32
	for x := range q {
		v := float32(math.Tanh(float64(c * (q[x] + k[x]))))
		if t != nil {
			t[x] = v
		}
		if s != nil {
			sum += s[x] * v
		} else {
			sum += v
		}
	}
	return sum
}

func cloneShapes(s [][]int) [][]int {
	out := make([][]int, len(s))
	for i, v := range s {
		out[i] = slices.Clone(v)
	}
	return out
}

// attnGraph writes the ops tf_keras's call writes for an attention layer: the scores (the
// layer's scoreOps on query "$in" and key), Softmax, then BatchMatMulV2 with the value.
// has tells which inputs carry a Keras mask ("$mask", "$mask1"; nil: none): the value's hides
// keys (with the causal mask: scores - 1e9 where either hides), the query's zeroes output rows.
func (c *attnCore) attnGraph(class string, has []bool, scoreOps func(g *opGraph, q, k string) string) (*saved.LayerGraph, error) {
	if c.inShapes == nil {
		return nil, layerErr(ErrShape, class, c.name, "Graph before BuildN")
	}
	g := newOpGraph(cloneShapes(c.inShapes), attnOutShape(c.inShapes))
	key := "$in1"
	if len(c.inShapes) == 3 {
		key = "$in2"
	}
	s := scoreOps(g, "$in", key)
	qMask, vMask := len(has) > 0 && has[0], len(has) > 1 && has[1]
	if vMask {
		// scores - 1e9·(1 - keep), keep = value mask (· the causal mask), as float32 0/1.
		keep := g.op(g.unique("Cast"), "Cast", "y", map[string]saved.Attr{"SrcT": saved.TypeAttr(tensor.Bool),
			"DstT": saved.TypeAttr(tensor.Float32), "Truncate": saved.BoolAttr(false)}, g.expandDimsT("$mask1", -2, tensor.Bool))
		if c.causal {
			in := c.inShapes
			if len(in[0]) != 2 || in[0][0] <= 0 || in[1][0] <= 0 {
				return nil, layerErr(ErrUnsupported, class, c.name, "the causal mask in a TF graph needs known query and value steps, have %s", shapesText(in))
			}
			tq, tv := in[0][0], in[1][0]
			m := make([]float32, tq*tv)
			for i := 0; i < tq; i++ {
				for j := 0; j <= i && j < tv; j++ {
					m[i*tv+j] = 1
				}
			}
			cm := g.constant(g.unique("causal_mask"), tensor.MustFromFloat32([]int{tq, tv}, m))
			keep = g.op(g.unique("mul"), "Mul", "z", typeT(), keep, cm)
		}
		hide := g.op(g.unique("sub"), "Sub", "z", typeT(), g.constant(g.unique("sub/x"), tensor.Scalar(float32(1))), keep)
		big := g.constant(g.unique("mul/x"), tensor.Scalar(float32(1e9)))
		s = g.op(g.unique("sub"), "Sub", "z", typeT(), s, g.op(g.unique("mul"), "Mul", "z", typeT(), big, hide))
	} else if c.causal {
		// scores - 1e9 above the diagonal, as a constant (Tq, Tv) added to the scores.
		in := c.inShapes
		if len(in[0]) != 2 || in[0][0] <= 0 || in[1][0] <= 0 {
			return nil, layerErr(ErrUnsupported, class, c.name, "the causal mask in a TF graph needs known query and value steps, have %s", shapesText(in))
		}
		tq, tv := in[0][0], in[1][0]
		m := make([]float32, tq*tv)
		for i := 0; i < tq; i++ {
			for j := i + 1; j < tv; j++ {
				m[i*tv+j] = -1e9
			}
		}
		cm := g.constant(g.unique("causal_mask"), tensor.MustFromFloat32([]int{tq, tv}, m))
		s = g.op(g.unique("add"), "AddV2", "z", typeT(), s, cm)
	}
	w := g.op(g.unique("Softmax"), "Softmax", "softmax", typeT(), s)
	g.Output = g.batchMatMul(w, "$in1", false)
	if c.scores {
		g.MoreOutputs = []string{w}
		g.MoreOutputShapes = [][]int{{c.inShapes[0][0], c.inShapes[1][0]}}
	}
	if qMask {
		qm := g.op(g.unique("Cast"), "Cast", "y", map[string]saved.Attr{"SrcT": saved.TypeAttr(tensor.Bool),
			"DstT": saved.TypeAttr(tensor.Float32), "Truncate": saved.BoolAttr(false)}, "$mask")
		g.Output = g.op(g.unique("mul"), "Mul", "z", typeT(), g.Output, g.expandDimsT(qm, -1, tensor.Float32))
		g.PassesMask = true
	}
	return g.LayerGraph, nil
}

// expandDimsT appends tf.expand_dims(x, axis) of a tensor of dtype t.
func (g *opGraph) expandDimsT(x string, axis int, t tensor.DType) string {
	name := g.unique("ExpandDims")
	dim := g.constant(name+"/dim", int32Const(true, axis))
	return g.op(name, "ExpandDims", "output", map[string]saved.Attr{"T": saved.TypeAttr(t), "Tdim": saved.TypeAttr(tensor.Int32)}, x, dim)
}

// batchMatMul appends BatchMatMulV2(x, y) (y transposed with adjY).
func (g *opGraph) batchMatMul(x, y string, adjY bool) string {
	return g.op(g.unique("MatMul"), "BatchMatMulV2", "output", map[string]saved.Attr{"T": saved.TypeAttr(tensor.Float32),
		"adj_x": saved.BoolAttr(false), "adj_y": saved.BoolAttr(adjY)}, x, y)
}

// readVar appends a ReadVariableOp of the layer's weight w.
func (g *opGraph) readVar(name, w string) string {
	return g.op(g.unique(name), "ReadVariableOp", "value", map[string]saved.Attr{"dtype": saved.TypeAttr(tensor.Float32)}, "$var:"+w)
}

// pairTanhSum appends Σ_d [scale_d·] tanh([c·](q_i + k_j)) as the concat and additive scores
// write it: ExpandDims(q, -2) + ExpandDims(k, -3), the multiplications, Tanh and Sum.
func (g *opGraph) pairTanhSum(q, k string, inner, outer string) string {
	qe := g.expandDims(q, -2)
	ke := g.expandDims(k, -3)
	x := g.op(g.unique("add"), "AddV2", "z", typeT(), qe, ke)
	if inner != "" {
		x = g.op(g.unique("mul"), "Mul", "z", typeT(), g.readVar("ReadVariableOp", inner), x)
	}
	x = g.op(g.unique("Tanh"), "Tanh", "y", typeT(), x)
	if outer != "" {
		x = g.op(g.unique("mul"), "Mul", "z", typeT(), g.readVar("ReadVariableOp", outer), x)
	}
	ax := g.constant(g.unique("Sum")+"/reduction_indices", int32Const(true, -1))
	g.used["Sum"]--
	return g.op(g.unique("Sum"), "Sum", "output", map[string]saved.Attr{"T": saved.TypeAttr(tensor.Float32),
		"Tidx": saved.TypeAttr(tensor.Int32), "keep_dims": saved.BoolAttr(false)}, x, ax)
}
