package layers

import (
	"math"
	"slices"
	"sync"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// MultiHeadAttentionOptions are the optional arguments of NewMultiHeadAttention.
type MultiHeadAttentionOptions struct {
	Name string
	// ValueDim is the size of each head for the value (0: KeyDim).
	ValueDim int
	// NoBias drops the four projections' biases (Keras's use_bias=False).
	NoBias bool
	// OutputDim is the last axis of the output (0: the query's last axis).
	OutputDim int
	// Dropout is the rate on the attention weights (the identity at inference).
	Dropout float64
	// CausalMask is Keras's call argument use_causal_mask=True: query step i attends to
	// value steps 0..i only.
	CausalMask bool
}

// MultiHeadAttention is Keras's MultiHeadAttention on (query, value[, key]) of shapes
// (batch, Tq, Dq), (batch, Tv, Dv), (batch, Tv, Dk) (key defaults to value), attending over
// the steps (other ranks and attention_axes: mha_axes.go). Its variables belong to four EinsumDense sub-layers, named
// "query/kernel", "query/bias", "key/...", "value/...", "attention_output/..." (the
// sub-layer's name, then the variable's): query and key kernels (D, heads, key_dim), the
// value kernel (Dv, heads, value_dim), biases (heads, dim), the output kernel (heads,
// value_dim, out) and bias (out). The call scales the projected query by 1/√key_dim, takes
// the softmax of its products with the projected keys over the value steps (the causal mask
// with use_causal_mask), and projects the weighted sum of the projected values. Dropout is
// the identity at inference and refused in training. The attention_mask tensor argument and
// the Keras masks of the inputs apply as in Keras (mha_mask.go); return_attention_scores
// (attention_scores.go) and attention_axes on inputs of any rank (mha_axes.go) too.
type MultiHeadAttention struct {
	multiBase
	heads, keyDim, valueDim int
	outDim                  int  // 0: the query's last axis
	outList                 bool // output_shape was a list in a tf_keras config
	useBias                 bool
	dropout                 float64
	causal                  bool
	// maskArg: the calls pass attention_mask, a tensor (batch, Tq, Tv), as the last input.
	maskArg bool
	// scores is the call argument return_attention_scores=True (attention_scores.go).
	scores             bool
	scoresOut, dScores []float32
	// axesRaw is the attention_axes config (nil: the default), mha_axes.go; inGroup marks
	// the rank-3 computation running on regrouped positions, group the last call's regrouping.
	axesRaw []int
	inGroup bool
	group   *mhaGroup

	kernelInit, biasInit             *kerasObject
	kernelReg, biasReg, activityReg  *kerasObject
	kernelConstraint, biasConstraint *kerasObject

	wq, bq, wk, bk, wv, bv, wo, bo *Weight

	cache *mhaCache
}

type mhaCache struct {
	q, v, k    *tensor.Tensor
	pq, pk, pv []float32 // projections (bt, t, heads*dim), pq unscaled
	w          []float32 // attention weights (bt, heads, tq, tv)
	o          []float32 // (bt, tq, heads*vd)
	three      bool
}

// mhaSubLayers are the sub-layers that own the variables, with their Keras 3 attribute paths
// and tf_keras checkpoint attribute names.
var mhaSubLayers = []saved.SubLayer{
	{Name: "query", Keras3: "query_dense", Checkpoint: "_query_dense"},
	{Name: "key", Keras3: "key_dense", Checkpoint: "_key_dense"},
	{Name: "value", Keras3: "value_dense", Checkpoint: "_value_dense"},
	{Name: "attention_output", Keras3: "output_dense", Checkpoint: "_output_dense"},
}

// NewMultiHeadAttention returns a MultiHeadAttention layer with numHeads heads of keyDim.
func NewMultiHeadAttention(numHeads, keyDim int, opts ...MultiHeadAttentionOptions) *MultiHeadAttention {
	o := optionsArg("NewMultiHeadAttention", opts)
	l := &MultiHeadAttention{multiBase: multiBase{base: newBase(o.Name, nil)}, heads: numHeads, keyDim: keyDim,
		valueDim: o.ValueDim, outDim: o.OutputDim, useBias: !o.NoBias, dropout: o.Dropout, causal: o.CausalMask}
	if l.valueDim == 0 {
		l.valueDim = keyDim
	}
	return l
}

func init() {
	register(Spec{Classes: []string{"MultiHeadAttention"}, FromConfig: mhaFromConfig,
		WeightNames: func(on func(string) bool) []string {
			bias := on("use_bias")
			var n []string
			for _, s := range mhaSubLayers {
				n = append(n, s.Name+"/kernel")
				if bias {
					n = append(n, s.Name+"/bias")
				}
			}
			return n
		},
		SubLayers:      mhaSubLayers,
		TensorArgs:     append(slices.Clone(mhaCallArgs), "attention_mask"),
		Keras3Children: []saved.SubLayer{{Name: "dropout", Keras3: "_dropout_layer"}, {Name: "softmax", Keras3: "_softmax"}}})
}

func mhaFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	const class = "MultiHeadAttention"
	r := newCfgReader(class, cfg)
	r.dialect = d
	l := &MultiHeadAttention{}
	r.readBase(&l.base)
	l.heads = r.integer(0, 1, maxUnits, "num_heads")
	l.keyDim = r.integer(0, 1, maxUnits, "key_dim")
	if l.heads == 0 || l.keyDim == 0 {
		r.fail(ErrFormat, "num_heads and key_dim are required")
	}
	if v, ok := cfg["value_dim"]; ok && v != nil {
		l.valueDim = r.integer(0, 1, maxUnits, "value_dim")
	} else {
		r.ignore("value_dim")
		l.valueDim = l.keyDim
	}
	l.dropout = r.float(0, "dropout")
	if l.dropout < 0 || l.dropout >= 1 {
		r.fail(ErrFormat, "dropout %g: want a rate in [0, 1)", l.dropout)
	}
	l.useBias = r.boolean(true, "use_bias")
	switch v := cfg["output_shape"].(type) {
	case nil:
	case float64:
		n, ok := toInt(v, 1, maxUnits)
		if !ok {
			r.fail(ErrFormat, "output_shape %s", jsonValue(v))
		}
		l.outDim = n
	case []any:
		// Keras 3 writes every output_shape as a list; tf_keras keeps what it was given
		l.outList = d != saved.Keras3
		n := 0
		ok := len(v) == 1
		if ok {
			n, ok = toInt(v[0], 1, maxUnits)
		}
		if !ok {
			r.fail(ErrUnsupported, "output_shape %s (kerasgo supports one output axis)", jsonValue(v))
		}
		l.outDim = n
	default:
		r.fail(ErrFormat, "output_shape: want an integer or a list, have %s", jsonType(v))
	}
	r.ignore("output_shape")
	if v, ok := cfg["attention_axes"]; ok && v != nil {
		a, isList := v.([]any)
		if f, isNum := v.(float64); isNum {
			a, isList = []any{f}, true
		}
		ok = isList && len(a) > 0 && len(a) <= 8
		for _, x := range a {
			n, isInt := toInt(x, -16, 16)
			ok = ok && isInt
			l.axesRaw = append(l.axesRaw, n)
		}
		if !ok {
			r.fail(ErrFormat, "attention_axes %s: want an axis or a list of axes", jsonValue(v))
		}
	}
	r.ignore("attention_axes")
	l.kernelInit = r.object("initializers", "kernel_initializer")
	l.biasInit = r.object("initializers", "bias_initializer")
	l.kernelReg = r.objectKept("regularizers", "kernel_regularizer")
	l.biasReg = r.objectKept("regularizers", "bias_regularizer")
	l.activityReg = r.objectKept("regularizers", "activity_regularizer")
	l.kernelConstraint = r.objectKept("constraints", "kernel_constraint")
	l.biasConstraint = r.objectKept("constraints", "bias_constraint")
	if r.boolean(false, "use_gate") {
		r.fail(ErrUnsupported, "use_gate true")
	}
	r.unsupportedIfSet("sliding_window")
	if r.boolean(false, "softmax_robust_masking") {
		r.warn("softmax_robust_masking true has no effect without attention masks")
	}
	r.ignore("seed", "query_shape", "key_shape", "value_shape")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "MultiHeadAttention".
func (l *MultiHeadAttention) Class() string { return "MultiHeadAttention" }

// CausalMask reports whether the layer is called with use_causal_mask=True.
func (l *MultiHeadAttention) CausalMask() bool { return l.causal }

// CallArgs names the call's tensor arguments in input order (see TensorArgs).
func (l *MultiHeadAttention) CallArgs() []string {
	if !l.maskArg {
		return slices.Clone(mhaCallArgs)
	}
	names := []string{"query", "value"}
	if len(l.inShapes) == 4 {
		names = append(names, "key")
	}
	return append(names, "attention_mask")
}

// AllCallArgs names every tensor argument the call may take, in input order (see
// OptionalTensorArgs).
func (l *MultiHeadAttention) AllCallArgs() []string {
	return append(slices.Clone(mhaCallArgs), "attention_mask")
}

// SetPresentArgs records which of the optional tensor arguments a call passes (every call of
// the layer must pass attention_mask or none).
func (l *MultiHeadAttention) SetPresentArgs(names []string, first bool) error {
	m := slices.Contains(names, "attention_mask")
	if !first && m != l.maskArg {
		return layerErr(ErrUnsupported, "MultiHeadAttention", l.name, "calls with and without attention_mask")
	}
	l.maskArg = m
	return nil
}

// tensorShapes returns the built input shapes without attention_mask's.
func (l *MultiHeadAttention) tensorShapes() [][]int {
	if l.maskArg && len(l.inShapes) > 0 {
		return l.inShapes[:len(l.inShapes)-1]
	}
	return l.inShapes
}

var mhaCallArgs = []string{"query", "value", "key"}

// CallKwargs returns the call's other keyword arguments as a Functional config records them
// (use_causal_mask when true).
func (l *MultiHeadAttention) CallKwargs() map[string]any {
	kw := map[string]any{}
	if l.causal {
		kw["use_causal_mask"] = true
	}
	if l.scores {
		kw["return_attention_scores"] = true
	}
	return kw
}

// SetCallKwarg takes one non-tensor keyword argument of a call read from a config:
// use_causal_mask (the same for every call of the layer), training (ignored); the mask
// arguments given as tensors (query_mask, ...) and return_attention_scores=True are
// ErrUnsupported (attention_mask is a tensor argument, see AllCallArgs).
func (l *MultiHeadAttention) SetCallKwarg(k string, v any, first bool) error {
	switch k {
	case "training":
		return nil
	case "use_causal_mask":
		b, ok := v.(bool)
		if v != nil && !ok {
			return layerErr(ErrFormat, "MultiHeadAttention", l.name, "call argument use_causal_mask %s", jsonValue(v))
		}
		if !first && b != l.causal {
			return layerErr(ErrUnsupported, "MultiHeadAttention", l.name, "calls with and without use_causal_mask")
		}
		l.causal = b
		return nil
	case "return_attention_scores":
		b, ok := v.(bool)
		if v != nil && !ok {
			return layerErr(ErrFormat, "MultiHeadAttention", l.name, "call argument return_attention_scores %s", jsonValue(v))
		}
		if !first && b != l.scores {
			return layerErr(ErrUnsupported, "MultiHeadAttention", l.name, "calls with and without return_attention_scores")
		}
		l.scores = b
		return nil
	case "attention_mask", "query_mask", "value_mask", "key_mask":
		if v != nil {
			return layerErr(ErrUnsupported, "MultiHeadAttention", l.name, "call argument %s (attention masks)", k)
		}
		return nil
	}
	return layerErr(ErrUnsupported, "MultiHeadAttention", l.name, "call argument %s=%s", k, jsonValue(v))
}

// Tracked returns the layer's tracked children without variables in tf_keras's order: each
// EinsumDense sub-layer's output shape lists, the softmax and dropout sub-layers (see
// TrackedChildren).
func (l *MultiHeadAttention) Tracked() []string {
	var out []string
	for _, s := range mhaSubLayers {
		if s.Name == "attention_output" {
			out = append(out, "_softmax", "_dropout_layer")
		}
		out = append(out, s.Checkpoint+"/partial_output_shape", s.Checkpoint+"/full_output_shape")
	}
	return out
}

// SetTrainable sets Keras's layer.trainable.
func (l *MultiHeadAttention) SetTrainable(t bool) {
	l.trainable = t
	setTrainable(t, l.Weights()...)
}

// Weights returns the projections' kernels and biases: query, key, value, attention_output.
func (l *MultiHeadAttention) Weights() []*Weight {
	return weightList(l.wq, l.bq, l.wk, l.bk, l.wv, l.bv, l.wo, l.bo)
}

// Build fails: the layer takes several inputs (see BuildN).
func (l *MultiHeadAttention) Build([]int, *Rand) error {
	return severalInputs("MultiHeadAttention", l.name, "Build")
}

// OutputShape fails: the layer takes several inputs (see OutputShapeN).
func (l *MultiHeadAttention) OutputShape([]int) ([]int, error) {
	return nil, severalInputs("MultiHeadAttention", l.name, "OutputShape")
}

// Forward fails: the layer takes several inputs (see ForwardN).
func (l *MultiHeadAttention) Forward(*tensor.Tensor, bool) (*tensor.Tensor, error) {
	return nil, severalInputs("MultiHeadAttention", l.name, "Forward")
}

// Backward fails: the layer takes several inputs (see BackwardN).
func (l *MultiHeadAttention) Backward(*tensor.Tensor) (*tensor.Tensor, error) {
	return nil, severalInputs("MultiHeadAttention", l.name, "Backward")
}

func (l *MultiHeadAttention) out(q []int) int {
	if l.outDim > 0 {
		return l.outDim
	}
	return q[len(q)-1]
}

// OutputShapeN returns (Tq, output dim).
func (l *MultiHeadAttention) OutputShapeN(shapes [][]int) ([]int, error) {
	const class = "MultiHeadAttention"
	if l.maskArg {
		if len(shapes) < 3 {
			return nil, layerErr(ErrShape, class, l.name, "%d inputs: want query, value[, key] and attention_mask", len(shapes))
		}
		m, q, v := shapes[len(shapes)-1], shapes[0], shapes[1]
		if len(m) != 2 || len(q) != 2 || len(v) != 2 || m[0] != q[0] || m[1] != v[0] {
			return nil, layerErr(ErrShape, class, l.name, "attention_mask %s for query %s and value %s: want (batch, Tq, Tv)", batchShapeString(m), batchShapeString(q), batchShapeString(v))
		}
		shapes = shapes[:len(shapes)-1]
	}
	if err := checkShapesIn(class, l.name, shapes, 2, 3); err != nil {
		return nil, err
	}
	if !l.defaultAxes(shapes) {
		if _, err := l.checkAxesShapes(shapes); err != nil {
			return nil, err
		}
		if l.heads < 1 || l.keyDim < 1 || l.valueDim < 1 {
			return nil, layerErr(ErrShape, class, l.name, "num_heads, key_dim and value_dim must be positive")
		}
		out := slices.Clone(shapes[0])
		out[len(out)-1] = l.out(shapes[0])
		return out, nil
	}
	for _, s := range shapes {
		if len(s) != 2 {
			return nil, layerErr(ErrUnsupported, class, l.name, "input shape %s: kerasgo supports (batch, steps, features) inputs", batchShapeString(s))
		}
	}
	if len(shapes) == 3 && shapes[2][0] != shapes[1][0] {
		return nil, layerErr(ErrShape, class, l.name, "key %s and value %s differ in steps", batchShapeString(shapes[2]), batchShapeString(shapes[1]))
	}
	if l.heads < 1 || l.keyDim < 1 || l.valueDim < 1 {
		return nil, layerErr(ErrShape, class, l.name, "num_heads, key_dim and value_dim must be positive")
	}
	return []int{shapes[0][0], l.out(shapes[0])}, nil
}

// BuildN creates the four projections' variables as Keras's EinsumDense sub-layers do.
func (l *MultiHeadAttention) BuildN(shapes [][]int, rng *Rand) error {
	if _, err := l.OutputShapeN(shapes); err != nil {
		return err
	}
	full := shapes
	if l.maskArg {
		shapes = shapes[:len(shapes)-1]
	}
	last := func(s []int) int { return s[len(s)-1] }
	dq, dv := last(shapes[0]), last(shapes[1])
	dk := dv
	if len(shapes) == 3 {
		dk = last(shapes[2])
	}
	h, kd, vd := l.heads, l.keyDim, l.valueDim
	var firstErr error
	mk := func(name, def string, shape []int) *Weight {
		w, err := newWeight(name, l.trainable, shape, rng)
		if err != nil {
			if firstErr == nil {
				firstErr = layerErr(ErrShape, "MultiHeadAttention", l.name, "%s: %v", name, err)
			}
			return nil
		}
		o := l.kernelInit
		if def == "Zeros" {
			o = l.biasInit
		}
		rf := 1
		for _, v := range shape[:max(0, len(shape)-2)] {
			rf *= v
		}
		fi, fo := shape[0]*rf, shape[0]*rf
		if len(shape) >= 2 {
			fi, fo = shape[len(shape)-2]*rf, shape[len(shape)-1]*rf
		}
		initWeight(w, o, def, fi, fo, rng)
		return w
	}
	l.wq = mk("query/kernel", "GlorotUniform", []int{dq, h, kd})
	l.wk = mk("key/kernel", "GlorotUniform", []int{dk, h, kd})
	l.wv = mk("value/kernel", "GlorotUniform", []int{dv, h, vd})
	l.wo = mk("attention_output/kernel", "GlorotUniform", []int{h, vd, l.out(shapes[0])})
	l.bq, l.bk, l.bv, l.bo = nil, nil, nil, nil
	if l.useBias {
		l.bq = mk("query/bias", "Zeros", []int{h, kd})
		l.bk = mk("key/bias", "Zeros", []int{h, kd})
		l.bv = mk("value/bias", "Zeros", []int{h, vd})
		l.bo = mk("attention_output/bias", "Zeros", []int{l.out(shapes[0])})
	}
	if firstErr != nil {
		return firstErr
	}
	l.inShapes = cloneShapes(full)
	return nil
}

// project computes x (rows, d) · w (d, n) + b into a new (rows, n) slice.
func project(x []float32, rows, d int, w, b *Weight) []float32 {
	return projectInto(nil, x, rows, d, w, b)
}

// projectInto is project writing into out (nil: a new slice; else rows·n floats whose
// contents do not matter).
func projectInto(out, x []float32, rows, d int, w, b *Weight) []float32 {
	wd := w.Value.Float32s()
	n := len(wd) / d
	if out == nil {
		out = make([]float32, rows*n)
	}
	if b != nil {
		bd := b.Value.Float32s()
		for r := 0; r < rows; r++ {
			copy(out[r*n:(r+1)*n], bd)
		}
	}
	beta := float32(0)
	if b != nil {
		beta = 1
	}
	gemm(false, false, rows, n, d, 1, x, d, wd, n, beta, out, n)
	return out
}

// attnBufs recycles MultiHeadAttention's inference buffers between calls.
var attnBufs sync.Pool

// getAttnBuf returns a pooled slice of n floats (contents undefined).
func getAttnBuf(n int) *[]float32 {
	if p, _ := attnBufs.Get().(*[]float32); p != nil && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n)
	return &s
}

// ForwardN computes the attention of query on value (and key).
func (l *MultiHeadAttention) ForwardN(xs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	return l.ForwardMaskedN(xs, nil, training)
}

// ForwardMaskedN is ForwardN with the Keras masks of the inputs (query, value, key).
func (l *MultiHeadAttention) ForwardMaskedN(xs []*tensor.Tensor, masks [][]bool, training bool) (*tensor.Tensor, error) {
	const class = "MultiHeadAttention"
	if l.inShapes == nil {
		return nil, layerErr(ErrShape, class, l.name, "ForwardN before BuildN")
	}
	if l.grouped() {
		return l.forwardGrouped(xs, masks, training)
	}
	if len(xs) != len(l.inShapes) {
		return nil, layerErr(ErrShape, class, l.name, "%d inputs, built for %d", len(xs), len(l.inShapes))
	}
	for i, x := range xs {
		if err := checkInput(x, l.inShapes[i], class, l.name); err != nil {
			return nil, err
		}
	}
	if training && l.dropout > 0 {
		return nil, layerErr(ErrUnsupported, class, l.name, "training with dropout %g", l.dropout)
	}
	var am []float32 // attention_mask (bt, tq, tv)
	if l.maskArg {
		am = xs[len(xs)-1].Float32s()
		xs = xs[:len(xs)-1]
	}
	q, v := xs[0], xs[1]
	k := v
	if len(xs) == 3 {
		k = xs[2]
	}
	keep := l.keepMask(am, masks, xs, q.Shape[0], q.Shape[1], v.Shape[1])
	bt, tq, tv := q.Shape[0], q.Shape[1], v.Shape[1]
	if v.Shape[0] != bt || k.Shape[0] != bt {
		return nil, layerErr(ErrShape, class, l.name, "inputs with batches %d, %d, %d", bt, v.Shape[0], k.Shape[0])
	}
	h, kd, vd := l.heads, l.keyDim, l.valueDim
	hk, hv := h*kd, h*vd
	// Inference carves the projections, the weights and the heads' outputs from one pooled
	// buffer, given back when the call returns; training keeps them in the cache.
	sizes := []int{bt * tq * hk, bt * tv * hk, bt * tv * hv, bt * h * tq * tv, bt * tq * hv}
	var all []float32
	if !training {
		p := getAttnBuf(sizes[0] + sizes[1] + sizes[2] + sizes[3] + sizes[4])
		defer attnBufs.Put(p)
		all = *p
	}
	scratch := func(n int) []float32 {
		if all == nil {
			return make([]float32, n)
		}
		out := all[:n:n]
		all = all[n:]
		return out
	}
	pq := projectInto(scratch(sizes[0]), q.Float32s(), bt*tq, q.Shape[2], l.wq, l.bq)
	pk := projectInto(scratch(sizes[1]), k.Float32s(), bt*tv, k.Shape[2], l.wk, l.bk)
	pv := projectInto(scratch(sizes[2]), v.Float32s(), bt*tv, v.Shape[2], l.wv, l.bv)
	scale := float32(1 / math.Sqrt(float64(kd)))
	w := scratch(sizes[3])
	o := scratch(sizes[4])
	// One (sample, head) pair per task: its scores, softmax and weighted values touch only
	// its own slices of w and o.
	parallelFor(bt*h, func(_, lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			b, hh := bh/h, bh%h
			s := w[bh*tq*tv : (bh+1)*tq*tv]
			gemm(false, true, tq, tv, kd, scale, pq[b*tq*hk+hh*kd:], hk, pk[b*tv*hk+hh*kd:], hk, 0, s, tv)
			if keep != nil {
				kb := keep[b*tq*tv : (b+1)*tq*tv]
				for i, kp := range kb {
					if !kp {
						s[i] -= 1e9
					}
				}
			} else if l.causal {
				for i := 0; i < tq; i++ {
					for j := i + 1; j < tv; j++ {
						s[i*tv+j] -= 1e9
					}
				}
			}
			softmaxF(s, s, tv)
			gemm(false, false, tq, vd, tv, 1, s, tv, pv[b*tv*hv+hh*vd:], hv, 0, o[b*tq*hv+hh*vd:], hv)
		}
	})
	if l.scores {
		l.scoresOut = slices.Clone(w)
	}
	y := project(o, bt*tq, hv, l.wo, l.bo)
	l.cache = nil
	if training {
		l.cache = &mhaCache{q: q, v: v, k: k, pq: pq, pk: pk, pv: pv, w: w, o: o, three: len(xs) == 3}
	}
	return tensor.MustFromFloat32([]int{bt, tq, len(y) / (bt * tq)}, y), nil
}

// projectBack adds the gradients of x·w + b for dz (rows, n): w's and b's (when trainable)
// and returns dL/dx (rows, d).
func (l *MultiHeadAttention) projectBack(x, dz []float32, rows, d int, w, b *Weight) []float32 {
	wd := w.Value.Float32s()
	n := len(wd) / d
	if l.trainable {
		gemm(true, false, d, n, rows, 1, x, d, dz, n, 0, gradOf(w), n)
		if b != nil {
			g := gradOf(b)
			clear(g)
			for r := 0; r < rows; r++ {
				for j, v := range dz[r*n : (r+1)*n] {
					g[j] += v
				}
			}
		}
	}
	dx := make([]float32, rows*d)
	gemm(false, true, rows, d, n, 1, dz, n, wd, n, 0, dx, d)
	return dx
}

// BackwardN fills the weights' gradients and returns dL/d of each input (key's gradient
// joins value's when the key is the value).
func (l *MultiHeadAttention) BackwardN(dy *tensor.Tensor) ([]*tensor.Tensor, error) {
	const class = "MultiHeadAttention"
	c := l.cache
	if c == nil {
		return nil, layerErr(ErrShape, class, l.name, "BackwardN without a training ForwardN")
	}
	if l.grouped() {
		return l.backwardGrouped(dy)
	}
	bt, tq, tv := c.q.Shape[0], c.q.Shape[1], c.v.Shape[1]
	h, kd, vd := l.heads, l.keyDim, l.valueDim
	hk, hv := h*kd, h*vd
	dout := l.out(c.q.Shape[1:])
	if !tensor.SameShape(dy.Shape, []int{bt, tq, dout}) || dy.DType != tensor.Float32 {
		return nil, layerErr(ErrShape, class, l.name, "dy shape %s, want %s", tensor.ShapeString(dy.Shape), tensor.ShapeString([]int{bt, tq, dout}))
	}
	do := l.projectBack(c.o, dy.Float32s(), bt*tq, hv, l.wo, l.bo)
	scale := float32(1 / math.Sqrt(float64(kd)))
	dpq := make([]float32, len(c.pq))
	dpk := make([]float32, len(c.pk))
	dpv := make([]float32, len(c.pv))
	dw := make([]float32, tq*tv)
	for b := 0; b < bt; b++ {
		for hh := 0; hh < h; hh++ {
			w := c.w[(b*h+hh)*tq*tv : (b*h+hh+1)*tq*tv]
			// dw = dO·Vᵀ, dV = wᵀ·dO
			gemm(false, true, tq, tv, vd, 1, do[b*tq*hv+hh*vd:], hv, c.pv[b*tv*hv+hh*vd:], hv, 0, dw, tv)
			gemm(true, false, tv, vd, tq, 1, w, tv, do[b*tq*hv+hh*vd:], hv, 0, dpv[b*tv*hv+hh*vd:], hv)
			if l.dScores != nil {
				for i, v := range l.dScores[(b*h+hh)*tq*tv : (b*h+hh+1)*tq*tv] {
					dw[i] += v
				}
			}
			softmaxB(nil, w, dw, dw, tv)
			// s = scale·Q·Kᵀ: dQ = scale·ds·K, dK = scale·dsᵀ·Q
			gemm(false, false, tq, kd, tv, scale, dw, tv, c.pk[b*tv*hk+hh*kd:], hk, 0, dpq[b*tq*hk+hh*kd:], hk)
			gemm(true, false, tv, kd, tq, scale, dw, tv, c.pq[b*tq*hk+hh*kd:], hk, 0, dpk[b*tv*hk+hh*kd:], hk)
		}
	}
	dq := l.projectBack(c.q.Float32s(), dpq, bt*tq, c.q.Shape[2], l.wq, l.bq)
	dk := l.projectBack(c.k.Float32s(), dpk, bt*tv, c.k.Shape[2], l.wk, l.bk)
	dv := l.projectBack(c.v.Float32s(), dpv, bt*tv, c.v.Shape[2], l.wv, l.bv)
	out := []*tensor.Tensor{tensor.MustFromFloat32(slices.Clone(c.q.Shape), dq), nil}
	if c.three {
		out[1] = tensor.MustFromFloat32(slices.Clone(c.v.Shape), dv)
		out = append(out, tensor.MustFromFloat32(slices.Clone(c.k.Shape), dk))
	} else {
		for i := range dv {
			dv[i] += dk[i]
		}
		out[1] = tensor.MustFromFloat32(slices.Clone(c.v.Shape), dv)
	}
	if l.maskArg {
		out = append(out, nil) // attention_mask: no gradient
	}
	return out, nil
}

// Config returns the layer's Keras config in dialect d.
func (l *MultiHeadAttention) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["num_heads"] = l.heads
	c["key_dim"] = l.keyDim
	c["value_dim"] = l.valueDim
	c["dropout"] = l.dropout
	c["use_bias"] = l.useBias
	if d == saved.Keras3 {
		c["use_gate"] = false
	}
	switch {
	case l.outDim == 0:
		c["output_shape"] = nil
	case d == saved.Keras3 || l.outList:
		c["output_shape"] = []any{l.outDim}
	default:
		c["output_shape"] = l.outDim
	}
	c["attention_axes"] = nil
	if l.axesRaw != nil {
		c["attention_axes"] = intsJSON(l.axesRaw)
	}
	if s := l.tensorShapes(); s != nil {
		// as Keras writes it once built: the axes resolved
		if ax, err := l.mhaAxes(s[0]); err == nil {
			c["attention_axes"] = intsJSON(ax)
		}
	}
	if d == saved.Keras3 {
		c["sliding_window"] = nil
	}
	c["kernel_initializer"] = initializerValue(l.kernelInit, "GlorotUniform", d)
	c["bias_initializer"] = initializerValue(l.biasInit, "Zeros", d)
	c["kernel_regularizer"] = l.kernelReg.value(d)
	c["bias_regularizer"] = l.biasReg.value(d)
	c["activity_regularizer"] = l.activityReg.value(d)
	c["kernel_constraint"] = l.kernelConstraint.value(d)
	c["bias_constraint"] = l.biasConstraint.value(d)
	if d == saved.Keras3 {
		c["seed"] = nil
		return c
	}
	c["query_shape"], c["key_shape"], c["value_shape"] = nil, nil, nil
	if s := l.tensorShapes(); s != nil {
		c["query_shape"] = batchShapeJSON(s[0])
		c["value_shape"] = batchShapeJSON(s[1])
		c["key_shape"] = batchShapeJSON(s[1])
		if len(s) == 3 {
			c["key_shape"] = batchShapeJSON(s[2])
		}
	}
	c["softmax_robust_masking"] = false
	return c
}

// buildConfig is the layer's "build_config": Keras 3's shapes_dict of the call's shapes,
// tf_keras's the query's shape.
func (l *MultiHeadAttention) buildConfig(d saved.Dialect) map[string]any {
	s := l.tensorShapes()
	if d != saved.Keras3 {
		return map[string]any{"input_shape": batchShapeJSON(s[0])}
	}
	sd := map[string]any{"query_shape": batchShapeJSON(s[0]), "value_shape": batchShapeJSON(s[1])}
	if len(s) == 3 {
		sd["key_shape"] = batchShapeJSON(s[2])
	}
	return map[string]any{"shapes_dict": sd}
}

// Graph returns the layer's TF ops as tf_keras writes them: the projections as Einsum with
// AddV2 of the biases, the scaled query, the scores (Einsum), the causal mask, Softmax, the
// weighted values (Einsum) and the output projection.
func (l *MultiHeadAttention) Graph() (*saved.LayerGraph, error) { return l.GraphMaskedN(nil) }

// GraphMaskedN is Graph with the Keras masks of the inputs that has marks ("$mask" of the
// query, "$mask1" of the value, "$mask2" of the key), merged into the attention mask; the
// output carries the query's.
func (l *MultiHeadAttention) GraphMaskedN(has []bool) (*saved.LayerGraph, error) {
	if l.inShapes == nil {
		return nil, errNotBuiltGraph("MultiHeadAttention", l.name)
	}
	if !l.defaultAxes(l.tensorShapes()) {
		return l.graphGrouped(has)
	}
	g := newGraphBuilder("MultiHeadAttention", l.name)
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
	value, key := "$in1", "$in1"
	if len(l.tensorShapes()) == 3 {
		key = "$in2"
	}
	q := dense("query", "$in", "abc,cde->abde", l.wq, l.bq)
	k := dense("key", key, "abc,cde->abde", l.wk, l.bk)
	v := dense("value", value, "abc,cde->abde", l.wv, l.bv)
	q = g.fop("Mul", "Mul", q, g.scalar("Mul/y", float32(1/math.Sqrt(float64(l.keyDim)))))
	s := g.op("einsum/Einsum", "Einsum", []string{k, q}, tAttrs(map[string]saved.Attr{
		"equation": saved.StringAttr("aecd,abcd->acbe"), "N": saved.IntAttr(2)}))
	anyMask := false
	for _, h := range has {
		anyMask = anyMask || h
	}
	if l.maskArg || anyMask {
		s = l.graphMaskOps(g, s, has)
	} else if l.causal {
		tq, tv := l.inShapes[0][0], l.inShapes[1][0]
		m := make([]float32, tq*tv)
		for i := 0; i < tq; i++ {
			for j := i + 1; j < tv; j++ {
				m[i*tv+j] = -1e9
			}
		}
		s = g.fop("softmax/add", "AddV2", s, g.floatConst("softmax/mul", []int{tq, tv}, m))
	}
	w := g.op("softmax/Softmax", "Softmax", []string{s}, tAttrs(nil))
	o := g.op("einsum_1/Einsum", "Einsum", []string{w, v}, tAttrs(map[string]saved.Attr{
		"equation": saved.StringAttr("acbe,aecd->abcd"), "N": saved.IntAttr(2)}))
	out := dense("attention_output", o, "abcd,cde->abe", l.wo, l.bo)
	if g.err != nil {
		return nil, g.err
	}
	outShape, err := l.OutputShapeN(l.inShapes)
	if err != nil {
		return nil, err
	}
	lg := &saved.LayerGraph{InputShapes: cloneShapes(l.inShapes), OutputShape: outShape, Ops: g.ops, Output: out,
		SubLayers: l.subLayerGraphs(), PassesMask: len(has) > 0 && has[0]}
	if l.scores {
		lg.MoreOutputs = []string{w}
		lg.MoreOutputShapes = [][]int{{l.heads, l.inShapes[0][0], l.inShapes[1][0]}}
	}
	return lg, nil
}

// subLayerGraphs returns the four EinsumDense sub-layers as tf_keras builds them (their
// configs and input shapes), for the SavedModel metadata.
func (l *MultiHeadAttention) subLayerGraphs() []saved.SubLayerGraph {
	s := l.tensorShapes()
	key := s[1]
	if len(s) == 3 {
		key = s[2]
	}
	h, kd, vd := l.heads, l.keyDim, l.valueDim
	free := len(s[0])
	projEq, projBias := mhaProjEquation(free, 1, 2)
	outEq, outBias := mhaProjEquation(free, 2, 1)
	lead := func(n int, tail ...int) []int { // Keras's output_shape: None (-1) before the known axes
		out := make([]int, n)
		for i := range out {
			out[i] = -1
		}
		return append(out, tail...)
	}
	oin := append(slices.Clone(s[0][:free-1]), h, vd)
	mk := func(sub saved.SubLayer, eq string, out []int, bias string, in []int) saved.SubLayerGraph {
		o := EinsumDenseOptions{Name: sub.Name}
		if l.useBias {
			o.BiasAxes = bias
		}
		e := NewEinsumDense(eq, out, o)
		e.kernelInit, e.biasInit = l.kernelInit, l.biasInit
		return saved.SubLayerGraph{Attr: sub.Checkpoint, Class: "EinsumDense", Config: e.Config(saved.Keras2),
			InputShape: slices.Clone(in)}
	}
	return []saved.SubLayerGraph{
		mk(mhaSubLayers[0], projEq, lead(free-1, h, kd), projBias, s[0]),
		mk(mhaSubLayers[1], projEq, lead(free-1, h, kd), projBias, key),
		mk(mhaSubLayers[2], projEq, lead(free-1, h, vd), projBias, s[1]),
		mk(mhaSubLayers[3], outEq, lead(free-1, l.out(s[0])), outBias, oin),
	}
}
