package layers

import (
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// AdditiveAttentionOptions are the optional arguments of NewAdditiveAttention.
type AdditiveAttentionOptions struct {
	Name string
	// NoScale is use_scale=False (Keras's default is a trainable scale vector).
	NoScale bool
	// Dropout is the rate on the attention weights (identity at inference).
	Dropout float64
	// Causal is the call argument use_causal_mask=True: query step i attends to value steps
	// j <= i.
	Causal bool
}

// AdditiveAttention is Keras's additive (Bahdanau-style) attention on [query, value] or
// [query, value, key]: scores Σ_d scale_d·tanh(q_d + k_d) (scale a trainable vector of the
// query's features, Glorot-uniform initialised; 1 with use_scale=False), output
// softmax(scores)·value. The causal mask and the inputs' Keras masks apply as in Keras
// (attention_mask.go); rank-2 inputs attend across the batch; dropout is the identity at
// inference.
type AdditiveAttention struct {
	attnCore
	useScale bool
	scale    *Weight
}

// NewAdditiveAttention returns an AdditiveAttention layer.
func NewAdditiveAttention(opts ...AdditiveAttentionOptions) *AdditiveAttention {
	o := optionsArg("NewAdditiveAttention", opts)
	l := &AdditiveAttention{attnCore: attnCore{multiBase: multiBase{base: newBase(o.Name, nil)}, dropout: o.Dropout},
		useScale: !o.NoScale}
	l.causal, l.causalSet = o.Causal, o.Causal
	return l
}

func init() {
	register(Spec{Classes: []string{"AdditiveAttention"}, FromConfig: additiveAttentionFromConfig,
		WeightNames: func(on func(string) bool) []string {
			if on("use_scale") {
				return []string{"scale"}
			}
			return nil
		}})
}

func additiveAttentionFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("AdditiveAttention", cfg)
	l := &AdditiveAttention{}
	r.readBase(&l.base)
	l.useScale = r.boolean(true, "use_scale")
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

// Class returns "AdditiveAttention".
func (l *AdditiveAttention) Class() string { return "AdditiveAttention" }

// SetTrainable sets Keras's layer.trainable.
func (l *AdditiveAttention) SetTrainable(t bool) { l.trainable = t; setTrainable(t, l.scale) }

// Weights returns scale (use_scale).
func (l *AdditiveAttention) Weights() []*Weight { return weightList(l.scale) }

// Build fails: the layer takes a list of inputs (see BuildN).
func (l *AdditiveAttention) Build([]int, *Rand) error {
	return severalInputs("AdditiveAttention", l.name, "Build")
}

// OutputShape fails: the layer takes a list of inputs (see OutputShapeN).
func (l *AdditiveAttention) OutputShape([]int) ([]int, error) {
	return nil, severalInputs("AdditiveAttention", l.name, "OutputShape")
}

// Forward fails: the layer takes a list of inputs (see ForwardN).
func (l *AdditiveAttention) Forward(*tensor.Tensor, bool) (*tensor.Tensor, error) {
	return nil, severalInputs("AdditiveAttention", l.name, "Forward")
}

// Backward fails: the layer takes a list of inputs (see BackwardN).
func (l *AdditiveAttention) Backward(*tensor.Tensor) (*tensor.Tensor, error) {
	return nil, severalInputs("AdditiveAttention", l.name, "Backward")
}

// OutputShapeN returns (Tq, value features).
func (l *AdditiveAttention) OutputShapeN(shapes [][]int) ([]int, error) {
	if err := attnShapes("AdditiveAttention", l.name, shapes); err != nil {
		return nil, err
	}
	return attnOutShape(shapes), nil
}

// BuildN checks the inputs and creates scale (the query's features).
func (l *AdditiveAttention) BuildN(shapes [][]int, rng *Rand) error {
	if _, err := l.OutputShapeN(shapes); err != nil {
		return err
	}
	l.scale = nil
	if l.useScale {
		dim := shapes[0][len(shapes[0])-1]
		w, err := newWeight("scale", l.trainable, []int{dim}, rng)
		if err != nil {
			return layerErr(ErrShape, "AdditiveAttention", l.name, "scale: %v", err)
		}
		initWeight(w, nil, "GlorotUniform", dim, dim, rng)
		l.scale = w
	}
	l.inShapes = cloneShapes(shapes)
	return nil
}

// ForwardN computes softmax(scores)·value.
func (l *AdditiveAttention) ForwardN(xs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	return l.forward("AdditiveAttention", l, xs, nil, training)
}

// BackwardN fills scale's gradient and returns dL/d of each input.
func (l *AdditiveAttention) BackwardN(dy *tensor.Tensor) ([]*tensor.Tensor, error) {
	return l.backward("AdditiveAttention", l, dy)
}

func (l *AdditiveAttention) scaleVec() []float32 {
	if l.scale == nil {
		return nil
	}
	return l.scale.Value.Float32s()
}

func (l *AdditiveAttention) score(q, k []float32, bt, tq, tv, d int) []float32 {
	s := make([]float32, bt*tq*tv)
	sc := l.scaleVec()
	for b := 0; b < bt; b++ {
		for i := 0; i < tq; i++ {
			qi := q[(b*tq+i)*d : (b*tq+i+1)*d]
			for j := 0; j < tv; j++ {
				s[(b*tq+i)*tv+j] = tanhPair(qi, k[(b*tv+j)*d:(b*tv+j+1)*d], 1, sc, nil)
			}
		}
	}
	return s
}

func (l *AdditiveAttention) scoreGrad(ds, q, k, dq, dk []float32, bt, tq, tv, d int) {
	sc := l.scaleVec()
	dsc := make([]float64, d)
	t := make([]float32, d)
	for b := 0; b < bt; b++ {
		for i := 0; i < tq; i++ {
			qi := q[(b*tq+i)*d : (b*tq+i+1)*d]
			dqi := dq[(b*tq+i)*d : (b*tq+i+1)*d]
			for j := 0; j < tv; j++ {
				kj := k[(b*tv+j)*d : (b*tv+j+1)*d]
				dkj := dk[(b*tv+j)*d : (b*tv+j+1)*d]
				g := ds[(b*tq+i)*tv+j]
				tanhPair(qi, kj, 1, nil, t)
				for x, tx := range t {
					s := float32(1)
					if sc != nil {
						s = sc[x]
					}
					u := g * s * (1 - tx*tx)
					dqi[x] += u
					dkj[x] += u
					dsc[x] += float64(g) * float64(tx)
				}
			}
		}
	}
	if l.trainable && l.scale != nil {
		gs := gradOf(l.scale)
		for x := range gs {
			gs[x] = float32(dsc[x])
		}
	}
}

// Config returns the layer's Keras config in dialect d.
func (l *AdditiveAttention) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["dropout"] = l.dropout
	c["use_scale"] = l.useScale
	if d == saved.Keras3 {
		c["seed"] = nil
	}
	return c
}

// Graph returns the layer's TF ops as tf_keras writes them: ExpandDims of query and key,
// AddV2, Tanh, Mul by scale, Sum over the features, Softmax and BatchMatMulV2 with value.
func (l *AdditiveAttention) Graph() (*saved.LayerGraph, error) { return l.GraphMaskedN(nil) }

// GraphMaskedN is Graph with the Keras masks of the inputs that has marks ("$mask", "$mask1").
func (l *AdditiveAttention) GraphMaskedN(has []bool) (*saved.LayerGraph, error) {
	return l.attnGraph("AdditiveAttention", has, func(g *opGraph, q, k string) string {
		outer := ""
		if l.scale != nil {
			outer = "scale"
		}
		return g.pairTanhSum(q, k, "", outer)
	})
}
