package layers

import (
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// AttentionOptions are the optional arguments of NewAttention.
type AttentionOptions struct {
	Name string
	// UseScale adds a trainable scalar scale of the scores (initialised to 1).
	UseScale bool
	// Concat selects score_mode "concat" (Σ tanh(scale·(q + k)) times a trainable scalar)
	// instead of "dot" (q·kᵀ).
	Concat bool
	// Dropout is the rate on the attention weights (identity at inference).
	Dropout float64
	// Causal is the call argument use_causal_mask=True: query step i attends to value steps
	// j <= i.
	Causal bool
}

// Attention is Keras's dot-product (Luong-style) Attention on [query, value] or [query,
// value, key]: scores q·kᵀ (times scale with use_scale) or, with score_mode "concat",
// concat_score_weight·Σ_d tanh(scale·(q_d + k_d)); output softmax(scores)·value. Weights:
// scale (a scalar, use_scale) then concat_score_weight (a scalar, concat). The causal mask
// and the inputs' Keras masks apply as in Keras (attention_mask.go); rank-2 inputs (batch,
// features) attend across the batch, as Keras does; dropout is the identity at inference.
type Attention struct {
	attnCore
	useScale, concat bool
	scale, concatW   *Weight
}

// NewAttention returns an Attention layer.
func NewAttention(opts ...AttentionOptions) *Attention {
	o := optionsArg("NewAttention", opts)
	l := &Attention{attnCore: attnCore{multiBase: multiBase{base: newBase(o.Name, nil)}, dropout: o.Dropout},
		useScale: o.UseScale, concat: o.Concat}
	l.causal, l.causalSet = o.Causal, o.Causal
	return l
}

func init() {
	register(Spec{Classes: []string{"Attention"}, FromConfig: attentionFromConfig,
		WeightNames: func(on func(string) bool) []string {
			var n []string
			if on("use_scale") {
				n = append(n, "scale")
			}
			if on("score_mode=concat") {
				n = append(n, "concat_score_weight")
			}
			return n
		}})
}

func attentionFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Attention", cfg)
	l := &Attention{}
	r.readBase(&l.base)
	l.useScale = r.boolean(false, "use_scale")
	switch m := r.str("dot", "score_mode"); m {
	case "dot":
	case "concat":
		l.concat = true
	default:
		r.fail(ErrFormat, "score_mode %q: want \"dot\" or \"concat\"", m)
	}
	l.dropout = r.float(0, "dropout")
	if l.dropout < 0 || l.dropout >= 1 {
		r.fail(ErrFormat, "dropout %g: want a rate in [0, 1)", l.dropout)
	}
	// tf_keras before 2.10 wrote the causal mask as the config key causal.
	l.causal = r.boolean(false, "causal")
	l.causalSet = l.causal
	r.ignore("seed")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Attention".
func (l *Attention) Class() string { return "Attention" }

// SetTrainable sets Keras's layer.trainable.
func (l *Attention) SetTrainable(t bool) { l.trainable = t; setTrainable(t, l.scale, l.concatW) }

// Weights returns scale (use_scale) and concat_score_weight (concat).
func (l *Attention) Weights() []*Weight { return weightList(l.scale, l.concatW) }

// Build fails: the layer takes a list of inputs (see BuildN).
func (l *Attention) Build([]int, *Rand) error { return severalInputs("Attention", l.name, "Build") }

// OutputShape fails: the layer takes a list of inputs (see OutputShapeN).
func (l *Attention) OutputShape([]int) ([]int, error) {
	return nil, severalInputs("Attention", l.name, "OutputShape")
}

// Forward fails: the layer takes a list of inputs (see ForwardN).
func (l *Attention) Forward(*tensor.Tensor, bool) (*tensor.Tensor, error) {
	return nil, severalInputs("Attention", l.name, "Forward")
}

// Backward fails: the layer takes a list of inputs (see BackwardN).
func (l *Attention) Backward(*tensor.Tensor) (*tensor.Tensor, error) {
	return nil, severalInputs("Attention", l.name, "Backward")
}

// OutputShapeN returns (Tq, value features).
func (l *Attention) OutputShapeN(shapes [][]int) ([]int, error) {
	if err := attnShapes("Attention", l.name, shapes); err != nil {
		return nil, err
	}
	return attnOutShape(shapes), nil
}

// BuildN checks the inputs and creates the scalar weights (ones).
func (l *Attention) BuildN(shapes [][]int, rng *Rand) error {
	if _, err := l.OutputShapeN(shapes); err != nil {
		return err
	}
	mk := func(name string) *Weight {
		w, _ := newWeight(name, l.trainable, []int{}, rng)
		if !rng.noData() {
			w.Value.Float32s()[0] = 1
		}
		return w
	}
	l.scale, l.concatW = nil, nil
	if l.useScale {
		l.scale = mk("scale")
	}
	if l.concat {
		l.concatW = mk("concat_score_weight")
	}
	l.inShapes = cloneShapes(shapes)
	return nil
}

// ForwardN computes softmax(scores)·value.
func (l *Attention) ForwardN(xs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	return l.forward("Attention", l, xs, nil, training)
}

// BackwardN fills the weights' gradients and returns dL/d of each input.
func (l *Attention) BackwardN(dy *tensor.Tensor) ([]*tensor.Tensor, error) {
	if l.trainable {
		for _, w := range l.Weights() {
			clear(gradOf(w))
		}
	}
	return l.backward("Attention", l, dy)
}

func (l *Attention) scaleValue() float32 {
	if l.scale == nil {
		return 1
	}
	return l.scale.Value.Float32s()[0]
}

func (l *Attention) score(q, k []float32, bt, tq, tv, d int) []float32 {
	s := make([]float32, bt*tq*tv)
	c := l.scaleValue()
	if !l.concat {
		for b := 0; b < bt; b++ {
			gemm(false, true, tq, tv, d, c, q[b*tq*d:], d, k[b*tv*d:], d, 0, s[b*tq*tv:], tv)
		}
		return s
	}
	cw := l.concatW.Value.Float32s()[0]
	for b := 0; b < bt; b++ {
		for i := 0; i < tq; i++ {
			qi := q[(b*tq+i)*d : (b*tq+i+1)*d]
			for j := 0; j < tv; j++ {
				s[(b*tq+i)*tv+j] = cw * tanhPair(qi, k[(b*tv+j)*d:(b*tv+j+1)*d], c, nil, nil)
			}
		}
	}
	return s
}

func (l *Attention) scoreGrad(ds, q, k, dq, dk []float32, bt, tq, tv, d int) {
	c := l.scaleValue()
	var dc, dcw float64
	if !l.concat {
		qk := make([]float32, tq*tv)
		for b := 0; b < bt; b++ {
			dsb := ds[b*tq*tv:]
			gemm(false, false, tq, d, tv, c, dsb, tv, k[b*tv*d:], d, 0, dq[b*tq*d:], d)
			gemm(true, false, tv, d, tq, c, dsb, tv, q[b*tq*d:], d, 0, dk[b*tv*d:], d)
			if l.scale != nil {
				gemm(false, true, tq, tv, d, 1, q[b*tq*d:], d, k[b*tv*d:], d, 0, qk, tv)
				for i, v := range qk {
					dc += float64(v) * float64(dsb[i])
				}
			}
		}
	} else {
		cw := l.concatW.Value.Float32s()[0]
		t := make([]float32, d)
		for b := 0; b < bt; b++ {
			for i := 0; i < tq; i++ {
				qi := q[(b*tq+i)*d : (b*tq+i+1)*d]
				dqi := dq[(b*tq+i)*d : (b*tq+i+1)*d]
				for j := 0; j < tv; j++ {
					kj := k[(b*tv+j)*d : (b*tv+j+1)*d]
					dkj := dk[(b*tv+j)*d : (b*tv+j+1)*d]
					g := ds[(b*tq+i)*tv+j]
					sum := tanhPair(qi, kj, c, nil, t)
					dcw += float64(g) * float64(sum)
					for x, tv := range t {
						u := g * cw * (1 - tv*tv)
						dqi[x] += u * c
						dkj[x] += u * c
						dc += float64(u) * float64(qi[x]+kj[x])
					}
				}
			}
		}
		if l.trainable {
			gradOf(l.concatW)[0] = float32(dcw)
		}
	}
	if l.trainable && l.scale != nil {
		gradOf(l.scale)[0] = float32(dc)
	}
}

// Config returns the layer's Keras config in dialect d.
func (l *Attention) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["dropout"] = l.dropout
	c["use_scale"] = l.useScale
	c["score_mode"] = "dot"
	if l.concat {
		c["score_mode"] = "concat"
	}
	if d == saved.Keras3 {
		c["seed"] = nil
	}
	return c
}

// Graph returns the layer's TF ops as tf_keras writes them: BatchMatMulV2 of query and key
// (adj_y) times scale, or the concat scores, then Softmax and BatchMatMulV2 with value.
func (l *Attention) Graph() (*saved.LayerGraph, error) { return l.GraphMaskedN(nil) }

// GraphMaskedN is Graph with the Keras masks of the inputs that has marks ("$mask", "$mask1").
func (l *Attention) GraphMaskedN(has []bool) (*saved.LayerGraph, error) {
	return l.attnGraph("Attention", has, func(g *opGraph, q, k string) string {
		if !l.concat {
			s := g.batchMatMul(q, k, true)
			if l.scale != nil {
				s = g.op(g.unique("mul"), "Mul", "z", typeT(), s, g.readVar("mul/ReadVariableOp", "scale"))
			}
			return s
		}
		inner := ""
		if l.scale != nil {
			inner = "scale"
		}
		s := g.pairTanhSum(q, k, inner, "")
		return g.op(g.unique("mul"), "Mul", "z", typeT(), g.readVar("ReadVariableOp", "concat_score_weight"), s)
	})
}
