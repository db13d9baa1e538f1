// Package losses holds the Keras losses kerasgo trains with (sparse categorical, categorical
// and binary crossentropy, mean squared error): their values and gradients as tf_keras
// computes them in fit and evaluate, and their configs in both Keras dialects.
package losses

import (
	"fmt"
	"math"

	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// The losses kerasgo trains with. Names are Keras's function names.
const (
	SparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
	CategoricalCrossentropy       = "categorical_crossentropy"
	BinaryCrossentropy            = "binary_crossentropy"
	MeanSquaredError              = "mean_squared_error"
)

type lossKind int

const (
	sparseCCE lossKind = iota
	catCCE
	binCE
	meanSE
)

// Loss is a compiled loss: which function, with from_logits, and how the user named it
// (kept so that the training config is written back as it was given).
type Loss struct {
	kind       lossKind
	name       string // the name as given ("mse", "sparse_categorical_crossentropy")
	fromLogits bool
	// object means the loss was given as a Keras Loss object (class_name + config) rather
	// than a string; from_logits forces it.
	object bool
	// objectName is the object's configured "name" (defaults to the function name).
	objectName string
}

// Name is the loss's name as given ("mse", "sparse_categorical_crossentropy").
func (l *Loss) Name() string { return l.name }

// FromLogits reports whether the loss takes logits (from_logits=True).
func (l *Loss) FromLogits() bool { return l.fromLogits }

// Sparse reports whether the loss takes integer class labels
// (sparse_categorical_crossentropy).
func (l *Loss) Sparse() bool { return l.kind == sparseCCE }

var lossNames = map[string]lossKind{
	"sparse_categorical_crossentropy": sparseCCE,
	"categorical_crossentropy":        catCCE,
	"binary_crossentropy":             binCE,
	"mean_squared_error":              meanSE,
	"mse":                             meanSE,
	"MSE":                             meanSE,
}

var lossClasses = map[string]lossKind{
	"SparseCategoricalCrossentropy": sparseCCE,
	"CategoricalCrossentropy":       catCCE,
	"BinaryCrossentropy":            binCE,
	"MeanSquaredError":              meanSE,
}

func (k lossKind) fnName() string {
	switch k {
	case sparseCCE:
		return "sparse_categorical_crossentropy"
	case catCCE:
		return "categorical_crossentropy"
	case binCE:
		return "binary_crossentropy"
	}
	return "mean_squared_error"
}

func (k lossKind) className() string {
	switch k {
	case sparseCCE:
		return "SparseCategoricalCrossentropy"
	case catCCE:
		return "CategoricalCrossentropy"
	case binCE:
		return "BinaryCrossentropy"
	}
	return "MeanSquaredError"
}

// Parse returns the loss Keras compiles for a function name ("mse",
// "sparse_categorical_crossentropy", ...); fromLogits makes it a Loss object with
// from_logits=True.
func Parse(name string, fromLogits bool) (*Loss, error) {
	k, ok := lossNames[name]
	if !ok {
		return nil, fmt.Errorf("%w: loss %q (kerasgo trains with sparse_categorical_crossentropy, categorical_crossentropy, binary_crossentropy, mean_squared_error)", errcat.ErrUnsupported, name)
	}
	if fromLogits && k == meanSE {
		return nil, fmt.Errorf("%w: from_logits with loss %q", errcat.ErrUnsupported, name)
	}
	return &Loss{kind: k, name: name, fromLogits: fromLogits, object: fromLogits, objectName: k.fnName()}, nil
}

// tinyProb bounds probabilities away from zero where kerasgo has only probabilities but Keras
// works from logits (a softmax or sigmoid output layer): it keeps logs and divisions finite.
const tinyProb = 1e-37

// Result is the loss of one batch and its gradient.
type Result struct {
	Loss float32
	// Grad is dL/d(model output), or dL/dz (the output layer's pre-activation) when Logits.
	Grad   []float32
	Logits bool
}

// Compute returns the mean loss over the batch and its gradient. pred is the model output
// (batch first, classes on the last axis); act is the output layer's activation. As tf_keras
// does in fit/evaluate, a crossentropy on a softmax (sigmoid) output is computed from the
// logits: then grad is dL/dz when wantLogits, else the equivalent dL/dpred.
func (l *Loss) Compute(pred *tensor.Tensor, y *tensor.Tensor, act string, wantGrad, wantLogits bool) (Result, error) {
	p := pred.Float32s()
	if len(pred.Shape) < 2 {
		return Result{}, fmt.Errorf("%w: model output shape %s has no class axis", errcat.ErrShape, tensor.ShapeString(pred.Shape))
	}
	c := pred.Shape[len(pred.Shape)-1]
	if c < 1 {
		return Result{}, fmt.Errorf("%w: model output shape %s", errcat.ErrShape, tensor.ShapeString(pred.Shape))
	}
	rows := len(p) / c
	yv, err := yFloats(y)
	if err != nil {
		return Result{}, err
	}
	var res Result
	if wantGrad {
		res.Grad = make([]float32, len(p))
	}
	switch l.kind {
	case sparseCCE:
		if len(yv) != rows {
			return Result{}, fmt.Errorf("%w: labels %s for sparse_categorical_crossentropy on output %s", errcat.ErrShape, tensor.ShapeString(y.Shape), tensor.ShapeString(pred.Shape))
		}
		logitsPath := l.fromLogits || act == "softmax"
		mInv := 1 / float32(rows)
		var sum float32
		for r := 0; r < rows; r++ {
			lab := yv[r]
			k := int(lab)
			if float32(k) != lab || k < 0 || k >= c {
				return Result{}, fmt.Errorf("%w: label %v outside [0, %d)", errcat.ErrShape, lab, c)
			}
			pr := p[r*c : (r+1)*c]
			if logitsPath {
				var probs []float32
				var li float32
				if act == "softmax" {
					probs = pr
					li = -logf(max(pr[k], tinyProb))
				} else {
					probs = make([]float32, c)
					li = softmaxLoss(pr, probs, k)
				}
				sum += li
				if wantGrad {
					g := res.Grad[r*c : (r+1)*c]
					if act == "softmax" && !wantLogits {
						// dL/dp so that the softmax backward yields p - onehot.
						g[k] = -mInv / max(probs[k], tinyProb)
					} else {
						for j, q := range probs {
							g[j] = q * mInv
						}
						g[k] = (probs[k] - 1) * mInv
					}
				}
				continue
			}
			// tf_keras clips the probabilities, takes their log and hands it to
			// sparse_softmax_cross_entropy_with_logits: log(sum q) - log(q_label).
			var qs float32
			for _, v := range pr {
				qs += clipf(v, epsilon, 1-epsilon)
			}
			q := clipf(pr[k], epsilon, 1-epsilon)
			sum += logf(qs) - logf(q)
			if wantGrad {
				g := res.Grad[r*c : (r+1)*c]
				for j, v := range pr {
					if v < epsilon || v > 1-epsilon {
						continue
					}
					g[j] = mInv / qs
					if j == k {
						g[j] -= mInv / q
					}
				}
			}
		}
		res.Loss = sum / float32(rows)
		res.Logits = wantGrad && wantLogits && logitsPath && act == "softmax"
	case catCCE:
		if len(yv) != len(p) {
			return Result{}, fmt.Errorf("%w: targets %s for categorical_crossentropy on output %s", errcat.ErrShape, tensor.ShapeString(y.Shape), tensor.ShapeString(pred.Shape))
		}
		logitsPath := l.fromLogits || act == "softmax"
		mInv := 1 / float32(rows)
		var sum float32
		probs := make([]float32, c)
		for r := 0; r < rows; r++ {
			pr, t := p[r*c:(r+1)*c], yv[r*c:(r+1)*c]
			var g []float32
			if wantGrad {
				g = res.Grad[r*c : (r+1)*c]
			}
			if logitsPath {
				var li float32
				if act == "softmax" {
					copy(probs, pr)
					for j, tj := range t {
						li -= tj * logf(max(pr[j], tinyProb))
					}
				} else {
					li = softmaxXent(pr, probs, t)
				}
				sum += li
				if g != nil {
					if act == "softmax" && !wantLogits {
						for j, tj := range t {
							g[j] = -tj * mInv / max(probs[j], tinyProb)
						}
					} else {
						var ts float32
						for _, tj := range t {
							ts += tj
						}
						for j, q := range probs {
							g[j] = (q*ts - t[j]) * mInv
						}
					}
				}
				continue
			}
			// Probabilities: renormalise, clip, -sum t log q.
			var s float32
			for _, v := range pr {
				s += v
			}
			var li, dot float32
			for j, v := range pr {
				q := v / s
				qc := clipf(q, epsilon, 1-epsilon)
				li -= t[j] * logf(qc)
				if g != nil {
					var dq float32
					if q >= epsilon && q <= 1-epsilon {
						dq = -t[j] / qc * mInv
					}
					g[j] = dq
					dot += dq * v
				}
			}
			if g != nil {
				for j := range g {
					g[j] = g[j]/s - dot/(s*s)
				}
			}
			sum += li
		}
		res.Loss = sum / float32(rows)
		res.Logits = wantGrad && wantLogits && logitsPath && act == "softmax"
	case binCE:
		if len(yv) != len(p) {
			return Result{}, fmt.Errorf("%w: targets %s for binary_crossentropy on output %s", errcat.ErrShape, tensor.ShapeString(y.Shape), tensor.ShapeString(pred.Shape))
		}
		logitsPath := l.fromLogits || act == "sigmoid"
		scale := 1 / float32(rows) / float32(c)
		var sum float32
		for r := 0; r < rows; r++ {
			var li float32
			for j := r * c; j < (r+1)*c; j++ {
				v, t := p[j], yv[j]
				switch {
				case logitsPath && act == "sigmoid":
					q := clipf(v, tinyProb, 1-tinyProb)
					li += -(t*logf(q) + (1-t)*float32(math.Log1p(-float64(q))))
					if res.Grad != nil {
						if wantLogits {
							res.Grad[j] = (v - t) * scale
						} else {
							res.Grad[j] = (v - t) * scale / max(v*(1-v), tinyProb)
						}
					}
				case logitsPath:
					// sigmoid_cross_entropy_with_logits: max(z,0) - z*t + log1p(exp(-|z|)).
					li += max(v, 0) - v*t + float32(math.Log1p(math.Exp(-math.Abs(float64(v)))))
					if res.Grad != nil {
						res.Grad[j] = (sigmoidf(v) - t) * scale
					}
				default:
					q := clipf(v, epsilon, 1-epsilon)
					a, b := logf(q+epsilon), logf(1-q+epsilon)
					li += -(t*a + (1-t)*b)
					if res.Grad != nil && v >= epsilon && v <= 1-epsilon {
						res.Grad[j] = -(t/(q+epsilon) - (1-t)/(1-q+epsilon)) * scale
					}
				}
			}
			sum += li / float32(c)
		}
		res.Loss = sum / float32(rows)
		res.Logits = wantGrad && wantLogits && logitsPath && act == "sigmoid"
	case meanSE:
		if len(yv) != len(p) {
			return Result{}, fmt.Errorf("%w: targets %s for mean_squared_error on output %s", errcat.ErrShape, tensor.ShapeString(y.Shape), tensor.ShapeString(pred.Shape))
		}
		scale := 2 / float32(rows) / float32(c)
		var sum float32
		for r := 0; r < rows; r++ {
			var li float32
			for j := r * c; j < (r+1)*c; j++ {
				d := p[j] - yv[j]
				li += d * d
				if res.Grad != nil {
					res.Grad[j] = d * scale
				}
			}
			sum += li / float32(c)
		}
		res.Loss = sum / float32(rows)
	}
	return res, nil
}

// epsilon is Keras's backend epsilon (1e-7) as float32.
const epsilon float32 = 1e-7

// softmaxLoss writes softmax(z) into probs and returns -log softmax(z)[k], computed from the
// logits as tf.nn.sparse_softmax_cross_entropy_with_logits does (max-shifted log-sum-exp).
func softmaxLoss(z, probs []float32, k int) float32 {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	var s float32
	for i, v := range z {
		e := float32(math.Exp(float64(v - m)))
		probs[i] = e
		s += e
	}
	for i := range probs {
		probs[i] /= s
	}
	return logf(s) - (z[k] - m)
}

// softmaxXent is softmaxLoss for dense targets t: sum_j t_j (lse(z) - z_j).
func softmaxXent(z, probs, t []float32) float32 {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	var s float32
	for i, v := range z {
		e := float32(math.Exp(float64(v - m)))
		probs[i] = e
		s += e
	}
	ls := logf(s)
	var l float32
	for i := range probs {
		probs[i] /= s
		l += t[i] * (ls - (z[i] - m))
	}
	return l
}

func logf(x float32) float32     { return float32(math.Log(float64(x))) }
func sigmoidf(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

func clipf(x, lo, hi float32) float32 { return min(max(x, lo), hi) }

// yFloats returns the targets as float32 values (labels may be any real dtype).
func yFloats(y *tensor.Tensor) ([]float32, error) {
	if y.DType == tensor.Float32 {
		return y.Float32s(), nil
	}
	f, err := y.ToFloat32()
	if err != nil {
		return nil, fmt.Errorf("%w: targets: %w", errcat.ErrUnsupported, err)
	}
	return f.Float32s(), nil
}

// Config is the loss as Keras writes it in compile/training configs.
func (l *Loss) Config(d saved.Dialect) any {
	if !l.object {
		return l.name
	}
	name := l.objectName
	if name == "" {
		name = l.kind.fnName()
	}
	var extra pyfmt.Object
	switch l.kind {
	case sparseCCE:
		extra = pyfmt.Object{{"from_logits", l.fromLogits}, {"ignore_class", nil}}
	case catCCE, binCE:
		extra = pyfmt.Object{{"from_logits", l.fromLogits}, {"label_smoothing", 0.0}, {"axis", -1}}
	}
	if d == saved.Keras3 {
		cfg := append(pyfmt.Object{{"name", name}, {"reduction", "sum_over_batch_size"}}, extra...)
		return pyfmt.Object{{"module", "keras.losses"}, {"class_name", l.kind.className()}, {"config", cfg}, {"registered_name", nil}}
	}
	cfg := append(pyfmt.Object{{"reduction", "auto"}, {"name", name}}, extra...)
	cfg = append(cfg, pyfmt.KV{"fn", l.kind.fnName()})
	return pyfmt.Object{{"class_name", l.kind.className()}, {"config", cfg}}
}

// FromConfig reads a loss as compile/training configs keep it: given as a function name or a Keras Loss object.
func FromConfig(v any) (*Loss, error) {
	switch x := v.(type) {
	case string:
		return Parse(x, false)
	case pyfmt.Object:
		class, _ := pyfmt.Str(x.Get("class_name"))
		k, ok := lossClasses[class]
		if !ok {
			if _, isFn := lossNames[class]; isFn {
				return Parse(class, false)
			}
			return nil, fmt.Errorf("loss %q not supported", class)
		}
		cfg, _ := pyfmt.Obj(x.Get("config"))
		fl, _ := pyfmt.Bool(cfg.Get("from_logits"))
		if ls, ok := pyfmt.Num(cfg.Get("label_smoothing")); ok && ls != 0 {
			return nil, fmt.Errorf("loss %s with label_smoothing %v not supported", class, ls)
		}
		if ax, ok := pyfmt.Num(cfg.Get("axis")); ok && ax != -1 {
			return nil, fmt.Errorf("loss %s with axis %v not supported", class, ax)
		}
		if ic := cfg.Get("ignore_class"); ic != nil {
			return nil, fmt.Errorf("loss %s with ignore_class not supported", class)
		}
		name, _ := pyfmt.Str(cfg.Get("name"))
		return &Loss{kind: k, name: k.fnName(), fromLogits: fl, object: true, objectName: name}, nil
	}
	return nil, fmt.Errorf("loss %s not supported", pyfmt.JSON(v))
}
