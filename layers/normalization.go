package layers

import (
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Normalization is Keras's Normalization preprocessing layer: y = (x − mean)/max(√variance,
// 1e-7) (invert: mean + x·max(√variance, 1e-7)), with mean and variance per position of the
// kept axes (axis; none: one value). Adapted statistics are the non-trainable weights mean,
// variance and count (count int64 in the files); mean and variance given in the config are
// constants and the layer has no weights.
type Normalization struct {
	base
	axes     []int // kept Keras axes
	invert   bool
	meanCfg  any // mean and variance from the config (nil: adapted weights)
	varCfg   any
	constant bool

	mean, variance, count *Weight
	keep                  []int     // resolved kept axes into the input shape
	cmean, cvar           []float32 // the constants, of the kept axes' shape
	x                     *tensor.Tensor
}

// NormalizationOptions are the optional arguments of NewNormalization.
type NormalizationOptions struct {
	Name string
	// Axis are the kept Keras axes (nil: [-1]; use NoAxis for Keras's axis=None).
	Axis   []int
	NoAxis bool
	Invert bool
	// Mean and Variance, both set, are constants broadcast to the kept axes (one value or
	// one per position); nil: the layer has adaptable weights (see Adapt).
	Mean, Variance []float64
	InputShape     []int
}

// NewNormalization returns a Normalization layer.
func NewNormalization(opts ...NormalizationOptions) *Normalization {
	o := optionsArg("NewNormalization", opts)
	l := &Normalization{base: newBase(o.Name, o.InputShape), axes: []int{-1}, invert: o.Invert}
	switch {
	case o.NoAxis:
		l.axes = []int{}
	case o.Axis != nil:
		l.axes = slices.Clone(o.Axis)
	}
	if (o.Mean == nil) != (o.Variance == nil) {
		panic("layers.NewNormalization: give both Mean and Variance or neither")
	}
	if o.Mean != nil {
		l.constant = true
		l.meanCfg, l.varCfg = floatsValue(o.Mean), floatsValue(o.Variance)
	}
	return l
}

// floatsValue is a config value for one number or a list.
func floatsValue(v []float64) any {
	if len(v) == 1 {
		return v[0]
	}
	out := make([]any, len(v))
	for i, f := range v {
		out[i] = f
	}
	return out
}

func init() {
	register(Spec{Classes: []string{"Normalization"}, FromConfig: normalizationFromConfig,
		WeightNames:  func(func(string) bool) []string { return []string{"mean", "variance", "count"} },
		NonTrainable: []string{"mean", "variance", "count"}})
}

func normalizationFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Normalization", cfg)
	l := &Normalization{axes: []int{-1}}
	r.readBase(&l.base)
	if v, k, ok := r.get("axis"); ok {
		if list, isList := v.([]any); v == nil || (isList && len(list) == 0) {
			l.axes = []int{}
		} else {
			l.axes = readAxes(r, k, v)
		}
	}
	l.invert = r.boolean(false, "invert")
	m, _, _ := r.get("mean")
	vr, _, _ := r.get("variance")
	if (m == nil) != (vr == nil) {
		r.fail(ErrFormat, "mean and variance must both be set or both be null")
	}
	if m != nil {
		l.constant, l.meanCfg, l.varCfg = true, m, vr
		for _, v := range []any{m, vr} {
			if _, ok := flattenNumbers(v, nil); !ok {
				r.fail(ErrFormat, "mean or variance %s: want a number or a list of numbers", jsonValue(v))
			}
		}
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// flattenNumbers appends the numbers of a JSON number or (nested) list to out.
func flattenNumbers(v any, out []float32) ([]float32, bool) {
	switch x := v.(type) {
	case float64:
		return append(out, float32(x)), true
	case []any:
		if len(out)+len(x) > maxUnits {
			return nil, false
		}
		for _, e := range x {
			var ok bool
			if out, ok = flattenNumbers(e, out); !ok {
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

// Class returns "Normalization".
func (l *Normalization) Class() string { return "Normalization" }

// SetTrainable sets Keras's layer.trainable (the statistics stay non-trainable).
func (l *Normalization) SetTrainable(t bool) { l.trainable = t }

// OutputShape returns the input shape once the kept axes fit it.
func (l *Normalization) OutputShape(in []int) ([]int, error) {
	if _, err := resolveAxes(l.axes, in, "Normalization", l.name); err != nil {
		return nil, err
	}
	if err := checkElems(in, "Normalization", l.name); err != nil {
		return nil, err
	}
	return slices.Clone(in), nil
}

// Build creates mean, variance (zeros and ones of the kept axes' shape) and count (0), or
// broadcasts the config's constants.
func (l *Normalization) Build(in []int, rng *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	keep, _ := resolveAxes(l.axes, in, "Normalization", l.name)
	ps := paramShape(in, keep)
	n := shapeSize(ps)
	l.mean, l.variance, l.count = nil, nil, nil
	if l.constant {
		m, _ := flattenNumbers(l.meanCfg, nil)
		v, _ := flattenNumbers(l.varCfg, nil)
		bc := func(a []float32) ([]float32, bool) {
			if len(a) == n {
				return a, true
			}
			if len(a) != 1 {
				return nil, false
			}
			out := make([]float32, n)
			for i := range out {
				out[i] = a[0]
			}
			return out, true
		}
		var ok1, ok2 bool
		l.cmean, ok1 = bc(m)
		l.cvar, ok2 = bc(v)
		if !ok1 || !ok2 {
			return layerErr(ErrShape, "Normalization", l.name, "mean or variance of %d and %d values for kept shape %s", len(m), len(v), tensor.ShapeString(ps))
		}
	} else {
		mk := func(name string, fill float32, shape []int) *Weight {
			w, _ := newWeight(name, false, shape, rng)
			if d := w.Value.Float32s(); len(d) == w.Value.Len() {
				for i := range d {
					d[i] = fill
				}
			}
			return w
		}
		l.mean = mk("mean", 0, ps)
		l.variance = mk("variance", 1, ps)
		l.count = mk("count", 0, []int{})
		l.count.SavedDType = tensor.Int64
	}
	l.keep = keep
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns mean, variance and count (none with constant statistics).
func (l *Normalization) Weights() []*Weight { return weightList(l.mean, l.variance, l.count) }

// ParamCount returns 2·(kept size) + 1 for adaptable statistics, else 0.
func (l *Normalization) ParamCount(in []int) (int64, error) {
	if _, err := l.OutputShape(in); err != nil {
		return 0, err
	}
	if l.constant {
		return 0, nil
	}
	keep, _ := resolveAxes(l.axes, in, "Normalization", l.name)
	n, err := product("Normalization", l.name, int64(shapeSize(paramShape(in, keep))), 2)
	return n + 1, err
}

// Adapt sets the statistics from data (a batch of inputs): the mean and biased variance of
// every kept position over the batch and the other axes, and count the number of samples.
func (l *Normalization) Adapt(x *tensor.Tensor) error {
	if l.constant {
		return layerErr(ErrUnsupported, "Normalization", l.name, "Adapt of a layer with mean and variance given")
	}
	if err := checkInput(x, l.inShape, "Normalization", l.name); err != nil {
		return err
	}
	ps := paramShape(l.inShape, l.keep)
	p := newNormPlan(l.inShape, func(c []int) int {
		k := 0
		for _, a := range l.keep {
			k = k*l.inShape[a] + c[a]
		}
		return k
	}, shapeSize(ps), l.keep)
	// One sample of all rows: moments over the batch too.
	xd := x.Float32s()
	per := len(p.group)
	batch := len(xd) / max(per, 1)
	all := &normPlan{group: make([]int32, len(xd)), param: make([]int32, len(xd)), groups: p.groups, size: make([]int, p.groups)}
	for b := range batch {
		for i := range per {
			all.group[b*per+i] = p.group[i]
			all.size[p.group[i]]++
		}
	}
	mean, variance := all.moments(xd)
	md, vd := l.mean.Value.Float32s(), l.variance.Value.Float32s()
	for i := range md {
		md[i], vd[i] = float32(mean[i]), float32(variance[i])
	}
	l.count.Value.Float32s()[0] = float32(batch)
	return nil
}

// stats returns the mean and the denominator max(√variance, 1e-7) per kept position.
func (l *Normalization) stats() (mean, den []float32) {
	mean, v := l.cmean, l.cvar
	if !l.constant {
		mean, v = l.mean.Value.Float32s(), l.variance.Value.Float32s()
	}
	den = make([]float32, len(v))
	for i, x := range v {
		den[i] = max(float32(math.Sqrt(float64(x))), 1e-7)
	}
	return mean, den
}

// keptIndex maps every element of one sample to its kept position.
func (l *Normalization) keptIndex() []int32 {
	p := newNormPlan(l.inShape, func([]int) int { return 0 }, 1, l.keep)
	return p.param
}

// Forward normalises (or, with invert, denormalises) x.
func (l *Normalization) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Normalization", l.name); err != nil {
		return nil, err
	}
	mean, den := l.stats()
	idx := l.keptIndex()
	xd := x.Float32s()
	y := make([]float32, len(xd))
	per := len(idx)
	for i, v := range xd {
		k := idx[i%per]
		if l.invert {
			y[i] = mean[k] + v*den[k]
		} else {
			y[i] = (v - mean[k]) / den[k]
		}
	}
	l.x = x
	return tensor.MustFromFloat32(x.Shape, y), nil
}

// Backward returns dy/max(√variance, 1e-7) (invert: dy·max(√variance, 1e-7)).
func (l *Normalization) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.x == nil {
		return nil, layerErr(ErrShape, "Normalization", l.name, "Backward without a Forward")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.x.Shape) {
		return nil, layerErr(ErrShape, "Normalization", l.name, "dy shape does not match the last input %s", tensor.ShapeString(l.x.Shape))
	}
	_, den := l.stats()
	idx := l.keptIndex()
	dd := dy.Float32s()
	dx := make([]float32, len(dd))
	for i, v := range dd {
		k := idx[i%len(idx)]
		if l.invert {
			dx[i] = v * den[k]
		} else {
			dx[i] = v / den[k]
		}
	}
	return tensor.MustFromFloat32(dy.Shape, dx), nil
}

// Config returns the layer's Keras config in dialect d: axis always a list (as both
// libraries write it; [] for axis=None), invert, and mean and variance as configured (null
// for adapted statistics).
func (l *Normalization) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["axis"] = intList(l.axes...)
	c["invert"] = l.invert
	c["mean"] = l.meanCfg
	c["variance"] = l.varCfg
	return c
}

// Graph returns the inference ops: Sub of the mean, then RealDiv by Maximum(Sqrt(variance),
// 1e-7) (invert: Mul then AddV2), the statistics reshaped to broadcast along the kept axes.
func (l *Normalization) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("Normalization", l.name)
	}
	g := newGraphBuilder("Normalization", l.name)
	bs := make([]int32, len(l.inShape)+1)
	bs[0] = 1
	for i, n := range l.inShape {
		bs[i+1] = 1
		if slices.Contains(l.keep, i) {
			bs[i+1] = int32(n)
		}
	}
	shape := make([]int, len(bs))
	for i, v := range bs {
		shape[i] = int(v)
	}
	var mean, variance string
	if l.constant {
		mean = g.floatConst("Const", shape, slices.Clone(l.cmean))
		variance = g.floatConst("Const_1", shape, slices.Clone(l.cvar))
	} else {
		mean = reshapeParam(g, "Reshape", g.read("mean", "Reshape"), bs)
		variance = reshapeParam(g, "Reshape_1", g.read("variance", "Reshape_1"), bs)
	}
	den := g.fop("Maximum", "Maximum", g.fop("Sqrt", "Sqrt", variance), g.scalar("Maximum/y", 1e-7))
	if l.invert {
		g.fop("add", "AddV2", mean, g.fop("mul", "Mul", "$in", den))
	} else {
		g.fop("truediv", "RealDiv", g.fop("sub", "Sub", "$in", mean), den)
	}
	return g.graph(l, false)
}
