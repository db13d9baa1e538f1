package layers

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
)

// This file applies the weight regularizers and constraints of layer configs in training, as
// Keras does: a regularizer adds l1·Σ|w| + l2·Σw² to the loss (model.losses; not divided by
// the batch), its derivative l1·sign(w) + 2·l2·w (sign(0) = 0, TF's gradient of abs) to the
// weight's gradient; a constraint projects the weight after each optimizer update. Both are
// read once from the layer's config (WeightRules), by the *_regularizer / *_constraint key
// naming the weight.

// constraintKind is a Keras weight constraint.
type constraintKind uint8

const (
	conNone constraintKind = iota
	conMaxNorm
	conNonNeg
	conUnitNorm
	conMinMaxNorm
)

// normEpsilon is Keras's backend.epsilon(), which the norm constraints add to the norm.
const normEpsilon = 1e-7

// WeightRule is what Keras applies to one weight in training: a regularizer (L1 and L2 both
// zero: none) and a constraint.
type WeightRule struct {
	Layer string // the layer's name, for messages
	W     *Weight
	L1    float32
	L2    float32

	con              constraintKind
	maxV, minV, rate float32
	axes             []int // the constraint's reduction axes (Keras's axis), normalised
	norms            []float32
	stride, idx      []int // see initNorms and sweep
}

// HasRegularizer reports whether r adds to the loss.
func (r *WeightRule) HasRegularizer() bool { return r.L1 != 0 || r.L2 != 0 }

// HasConstraint reports whether r projects the weight after an update.
func (r *WeightRule) HasConstraint() bool { return r.con != conNone }

// Penalty returns l1·Σ|w| + l2·Σw².
func (r *WeightRule) Penalty() float64 {
	if !r.HasRegularizer() {
		return 0
	}
	var s1, s2 float64
	for _, v := range r.W.Value.Float32s() {
		s1 += math.Abs(float64(v))
		s2 += float64(v) * float64(v)
	}
	return float64(r.L1)*s1 + float64(r.L2)*s2
}

// AddGradient adds the penalty's derivative to g (the weight's gradient).
func (r *WeightRule) AddGradient(g []float32) {
	if !r.HasRegularizer() {
		return
	}
	w := r.W.Value.Float32s()
	a, b := r.L1, 2*r.L2
	for i, v := range w[:len(g)] {
		var s float32
		switch {
		case v > 0:
			s = a
		case v < 0:
			s = -a
		}
		g[i] += s + b*v
	}
}

// Constrain projects the weight as Keras's constraint does after an update.
func (r *WeightRule) Constrain() {
	w := r.W.Value.Float32s()
	switch r.con {
	case conNone:
		return
	case conNonNeg:
		for i, v := range w {
			if !(v >= 0) {
				w[i] = 0
			}
		}
		return
	}
	r.initNorms()
	clear(r.norms)
	r.sweep(w, false)
	for k, s := range r.norms {
		n := float32(math.Sqrt(float64(s)))
		var f float32
		switch r.con {
		case conMaxNorm:
			f = min(max(n, 0), r.maxV) / (normEpsilon + n)
		case conUnitNorm:
			f = 1 / (normEpsilon + n)
		case conMinMaxNorm:
			d := r.rate*min(max(n, r.minV), r.maxV) + (1-r.rate)*n
			f = d / (normEpsilon + n)
		}
		r.norms[k] = f
	}
	r.sweep(w, true)
}

// initNorms sizes the buffers once: one norm per index of the kept (not reduced) axes.
func (r *WeightRule) initNorms() {
	if r.norms != nil {
		return
	}
	shape := r.W.Value.Shape
	n := 1
	r.stride = make([]int, len(shape)) // stride of each axis in the norm index (0: reduced)
	for d := len(shape) - 1; d >= 0; d-- {
		if slices.Contains(r.axes, d) {
			continue
		}
		r.stride[d] = n
		n *= shape[d]
	}
	r.idx = make([]int, len(shape))
	r.norms = make([]float32, n)
}

// sweep walks w in order with the index of each element's norm: it sums the squares into
// norms, or (scale) multiplies each element by its norm's factor.
func (r *WeightRule) sweep(w []float32, scale bool) {
	shape := r.W.Value.Shape
	clear(r.idx)
	k := 0
	for i, v := range w {
		if scale {
			w[i] = v * r.norms[k]
		} else {
			r.norms[k] += v * v
		}
		for d := len(shape) - 1; d >= 0; d-- {
			r.idx[d]++
			k += r.stride[d]
			if r.idx[d] < shape[d] {
				break
			}
			k -= r.stride[d] * shape[d]
			r.idx[d] = 0
		}
	}
}

// weightOfKey maps a config key's prefix ("kernel" of kernel_regularizer) to the weight it
// names, and whether the weight may legitimately be absent (use_bias=False, center=False,
// SeparableConv's unused kernel_regularizer).
func weightOfKey(prefix string) (name string, optional bool) {
	switch prefix {
	case "recurrent":
		return "recurrent_kernel", false
	case "depthwise":
		return "depthwise_kernel", false
	case "pointwise":
		return "pointwise_kernel", false
	case "kernel", "bias", "beta", "gamma":
		return prefix, true
	}
	return prefix, false
}

// WeightRules returns the regularizers and constraints of l's weights (those of the layers
// inside Bidirectional and TimeDistributed and of RNN cells included), read from its config. An object kerasgo
// does not apply in training (an activity_regularizer, OrthogonalRegularizer, a custom or
// unknown regularizer or constraint) is an ErrUnsupported error naming the layer and the key:
// fitting such a model would silently diverge from Keras.
func WeightRules(l Layer) ([]WeightRule, error) {
	switch w := l.(type) {
	case *Bidirectional:
		f, err := WeightRules(w.fwd.layer)
		if err != nil {
			return nil, err
		}
		b, err := WeightRules(w.bwd.layer)
		return append(f, b...), err
	case *TimeDistributed:
		return WeightRules(w.in.layer)
	case *RNN: // RNN(cell): the cell's options are those of the inner layer
		return WeightRules(w.inner)
	case *StackedRNN:
		var out []WeightRule
		for _, c := range w.cells {
			rs, err := WeightRules(c.inner)
			if err != nil {
				return nil, err
			}
			out = append(out, rs...)
		}
		return out, nil
	}
	cfg := l.Config(saved.Keras3)
	var rules []WeightRule
	at := func(w *Weight) *WeightRule {
		for i := range rules {
			if rules[i].W == w {
				return &rules[i]
			}
		}
		rules = append(rules, WeightRule{Layer: l.Name(), W: w})
		return &rules[len(rules)-1]
	}
	fail := func(key, format string, a ...any) error {
		return layerErr(ErrUnsupported, l.Class(), l.Name(), "%s: %s", key, fmt.Sprintf(format, a...))
	}
	for _, key := range sortedKeys(cfg) {
		v := cfg[key]
		prefix, isReg := strings.CutSuffix(key, "_regularizer")
		prefixC, isCon := strings.CutSuffix(key, "_constraint")
		if v == nil || (!isReg && !isCon) {
			if err := nestedObjects(v, key); err != "" {
				return nil, fail(key, "%s inside it is not applied in training (refused)", err)
			}
			continue
		}
		if key == "activity_regularizer" {
			return nil, fail(key, "activity regularizers are not applied in training (refused; the model still loads, predicts and saves)")
		}
		if isCon {
			prefix = prefixC
		}
		name, optional := weightOfKey(prefix)
		var ws []*Weight
		for _, w := range l.Weights() {
			if w.Name == name || strings.HasSuffix(w.Name, "/"+name) {
				ws = append(ws, w)
			}
		}
		if len(ws) == 0 {
			if optional {
				continue
			}
			return nil, fail(key, "the layer has no weight %q to apply it to", name)
		}
		if isReg {
			l1, l2, err := parseRegularizer(v)
			if err != nil {
				return nil, fail(key, "%v", err)
			}
			for _, w := range ws {
				r := at(w)
				r.L1, r.L2 = l1, l2
			}
			continue
		}
		c, err := parseConstraint(v)
		if err != nil {
			return nil, fail(key, "%v", err)
		}
		for _, w := range ws {
			r := at(w)
			rank := len(w.Value.Shape)
			axes := make([]int, 0, len(c.axes))
			for _, a := range c.axes {
				if a < 0 {
					a += rank
				}
				if a < 0 || a >= rank {
					return nil, fail(key, "axis %d out of range for weight %q of rank %d", a, w.Name, rank)
				}
				axes = append(axes, a)
			}
			r.con, r.maxV, r.minV, r.rate, r.axes = c.con, c.maxV, c.minV, c.rate, axes
		}
	}
	return rules, nil
}

// nestedObjects returns the key path of a non-null regularizer or constraint inside v (a
// nested config: RNN cells, ...), which WeightRules does not apply, or "".
func nestedObjects(v any, path string) string {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if x[k] == nil {
				continue
			}
			if strings.HasSuffix(k, "_regularizer") || strings.HasSuffix(k, "_constraint") {
				return path + "." + k
			}
			if p := nestedObjects(x[k], path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range x {
			if p := nestedObjects(e, fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// objectParts returns a serialised Keras object's class and config: a string identifier
// ("l2", "max_norm") has no config; a Keras 1 dict names its class under "name" and keeps
// its arguments beside it.
func objectParts(v any) (string, map[string]any, error) {
	switch x := v.(type) {
	case string:
		return x, nil, nil
	case map[string]any:
		cn, ok := x["class_name"].(string)
		if !ok {
			if n, ok := x["name"].(string); ok {
				return n, x, nil
			}
			return "", nil, fmt.Errorf("an object without class_name")
		}
		if rn, _ := x["registered_name"].(string); rn != "" && rn != cn {
			return "", nil, fmt.Errorf("custom object %q is not applied in training (refused)", rn)
		}
		cfg, _ := x["config"].(map[string]any)
		if cfg == nil {
			cfg = map[string]any{}
		}
		return cn, cfg, nil
	}
	return "", nil, fmt.Errorf("want a string or an object, have %s", jsonType(v))
}

// cfgFloat reads a number from cfg (first key present), def when absent or null.
func cfgFloat(cfg map[string]any, def float64, keys ...string) (float32, error) {
	for _, k := range keys {
		v, ok := cfg[k]
		if !ok || v == nil {
			continue
		}
		f, ok := v.(float64)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%s: want a finite number, have %s", k, jsonValue(v))
		}
		return float32(f), nil
	}
	return float32(def), nil
}

// parseRegularizer reads a serialised L1, L2 or L1L2 (tf_keras's and Keras 3's classes, the
// string identifiers "l1", "l2", "l1_l2" with Keras's 0.01 defaults, Keras 1's
// WeightRegularizer). Factors are cast to float32 as Keras casts them to floatx.
func parseRegularizer(v any) (l1, l2 float32, err error) {
	cn, cfg, err := objectParts(v)
	if err != nil {
		return 0, 0, err
	}
	if cfg == nil { // a string identifier
		switch cn {
		case "l1", "L1":
			return 0.01, 0, nil
		case "l2", "L2":
			return 0, 0.01, nil
		case "l1_l2", "L1L2":
			return 0.01, 0.01, nil
		}
		return 0, 0, fmt.Errorf("regularizer %q is not applied in training (refused)", cn)
	}
	switch cn {
	case "L1", "l1":
		l1, err = cfgFloat(cfg, 0.01, "l1", "l")
	case "L2", "l2":
		l2, err = cfgFloat(cfg, 0.01, "l2", "l")
	case "L1L2", "l1_l2", "WeightRegularizer":
		def := 0.0
		if cn == "l1_l2" {
			def = 0.01
		}
		if l1, err = cfgFloat(cfg, def, "l1"); err == nil {
			l2, err = cfgFloat(cfg, def, "l2")
		}
	case "OrthogonalRegularizer":
		return 0, 0, fmt.Errorf("OrthogonalRegularizer is not applied in training (refused)")
	default:
		return 0, 0, fmt.Errorf("regularizer %q is not applied in training (refused)", cn)
	}
	return l1, l2, err
}

// constraintSpec is a parsed constraint.
type constraintSpec struct {
	con              constraintKind
	maxV, minV, rate float32
	axes             []int
}

// parseConstraint reads a serialised MaxNorm, NonNeg, UnitNorm or MinMaxNorm (class names
// and their snake_case aliases) with Keras's defaults (max_value 2 / 1, min_value 0, rate 1,
// axis 0; both Keras versions alike).
func parseConstraint(v any) (constraintSpec, error) {
	cn, cfg, err := objectParts(v)
	if err != nil {
		return constraintSpec{}, err
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	c := constraintSpec{axes: []int{0}, rate: 1}
	switch cn {
	case "MaxNorm", "max_norm", "maxnorm":
		c.con = conMaxNorm
		c.maxV, err = cfgFloat(cfg, 2, "max_value", "m")
	case "NonNeg", "non_neg", "nonneg":
		c.con = conNonNeg
	case "UnitNorm", "unit_norm", "unitnorm":
		c.con = conUnitNorm
	case "MinMaxNorm", "min_max_norm":
		c.con = conMinMaxNorm
		if c.minV, err = cfgFloat(cfg, 0, "min_value"); err == nil {
			if c.maxV, err = cfgFloat(cfg, 1, "max_value"); err == nil {
				c.rate, err = cfgFloat(cfg, 1, "rate")
			}
		}
	default:
		return c, fmt.Errorf("constraint %q is not applied in training (refused)", cn)
	}
	if err != nil {
		return c, err
	}
	if a, ok := cfg["axis"]; ok && a != nil {
		switch x := a.(type) {
		case float64:
			c.axes = []int{int(x)}
		case []any:
			c.axes = c.axes[:0]
			for _, e := range x {
				f, ok := e.(float64)
				if !ok || f != math.Trunc(f) {
					return c, fmt.Errorf("axis: want integers, have %s", jsonValue(a))
				}
				c.axes = append(c.axes, int(f))
			}
		default:
			return c, fmt.Errorf("axis: want an integer or a list, have %s", jsonValue(a))
		}
	}
	return c, nil
}

// objectApplied reports whether training applies the regularizer or constraint o.
func objectApplied(o *kerasObject) bool {
	v := o.value(saved.Keras3)
	switch o.Kind {
	case "regularizers":
		_, _, err := parseRegularizer(v)
		return err == nil
	case "constraints":
		_, err := parseConstraint(v)
		return err == nil
	}
	return false
}
