package layers

import (
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// UnitNormalization is Keras's UnitNormalization: each sample is scaled to unit L2 norm over
// the given axes, y = x·inv with inv = 1/√(Σx²). The two libraries guard small norms
// differently: tf_keras (tf.linalg.l2_normalize) uses 1/√max(Σx², 1e-12), Keras 3
// min(1/√Σx², 1e12); the layer follows the dialect it was read from (tf_keras when built in
// Go).
type UnitNormalization struct {
	base
	axes     []int
	axesList bool
	keras3   bool

	plan *normPlan
	x    *tensor.Tensor
	inv  []float64
	clip []bool // per group: the guard was active (inv constant)
}

// UnitNormOptions are the optional arguments of NewUnitNormalization.
type UnitNormOptions struct {
	Name       string
	Axis       []int // nil: -1
	InputShape []int
}

// NewUnitNormalization returns a UnitNormalization layer.
func NewUnitNormalization(opts ...UnitNormOptions) *UnitNormalization {
	o := optionsArg("NewUnitNormalization", opts)
	l := &UnitNormalization{base: newBase(o.Name, o.InputShape), axes: []int{-1}}
	if o.Axis != nil {
		l.axes, l.axesList = slices.Clone(o.Axis), true
	}
	return l
}

func init() {
	register(Spec{Classes: []string{"UnitNormalization"}, FromConfig: unitNormFromConfig})
}

func unitNormFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("UnitNormalization", cfg)
	l := &UnitNormalization{axes: []int{-1}, keras3: d == saved.Keras3}
	r.readBase(&l.base)
	if v, k, ok := r.get("axis"); ok && v != nil {
		_, l.axesList = v.([]any)
		l.axes = readAxes(r, k, v)
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "UnitNormalization".
func (l *UnitNormalization) Class() string { return "UnitNormalization" }

// SetTrainable sets Keras's layer.trainable (no effect: no weights).
func (l *UnitNormalization) SetTrainable(t bool) { l.trainable = t }

// OutputShape returns the input shape once the axes fit it.
func (l *UnitNormalization) OutputShape(in []int) ([]int, error) {
	if _, err := resolveAxes(l.axes, in, "UnitNormalization", l.name); err != nil {
		return nil, err
	}
	if err := checkElems(in, "UnitNormalization", l.name); err != nil {
		return nil, err
	}
	return slices.Clone(in), nil
}

// Build records the input shape.
func (l *UnitNormalization) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	ax, _ := resolveAxes(l.axes, in, "UnitNormalization", l.name)
	groupOf, groups := outsideGroup(in, ax)
	l.plan = newNormPlan(in, groupOf, groups, ax)
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns nil.
func (l *UnitNormalization) Weights() []*Weight { return nil }

// ParamCount returns 0.
func (l *UnitNormalization) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Forward scales each sample to unit norm over the axes.
func (l *UnitNormalization) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "UnitNormalization", l.name); err != nil {
		return nil, err
	}
	p := l.plan
	xd := x.Float32s()
	per := len(p.group)
	batch := len(xd) / max(per, 1)
	inv := make([]float64, batch*p.groups)
	clip := make([]bool, len(inv))
	for b := range batch {
		s := inv[b*p.groups : (b+1)*p.groups]
		for i, v := range xd[b*per : (b+1)*per] {
			s[p.group[i]] += float64(v) * float64(v)
		}
	}
	for i, s := range inv {
		if l.keras3 {
			iv := 1 / math.Sqrt(s)
			inv[i], clip[i] = min(iv, 1e12), iv >= 1e12
		} else {
			inv[i], clip[i] = 1/math.Sqrt(max(s, 1e-12)), s <= 1e-12
		}
	}
	y := make([]float32, len(xd))
	for b := range batch {
		for i := range per {
			y[b*per+i] = float32(float64(xd[b*per+i]) * inv[b*p.groups+int(p.group[i])])
		}
	}
	l.x, l.inv, l.clip = x, inv, clip
	return tensor.MustFromFloat32(x.Shape, y), nil
}

// Backward returns dL/dx = inv·dy − inv³·x·Σ(dy·x) per group (inv·dy where the guard held).
func (l *UnitNormalization) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.x == nil {
		return nil, layerErr(ErrShape, "UnitNormalization", l.name, "Backward without a Forward")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.x.Shape) {
		return nil, layerErr(ErrShape, "UnitNormalization", l.name, "dy shape does not match the last input %s", tensor.ShapeString(l.x.Shape))
	}
	p := l.plan
	xd, dd := l.x.Float32s(), dy.Float32s()
	per := len(p.group)
	dx := make([]float32, len(xd))
	s := make([]float64, p.groups)
	for b := range len(xd) / max(per, 1) {
		clear(s)
		for i := range per {
			s[p.group[i]] += float64(dd[b*per+i]) * float64(xd[b*per+i])
		}
		for i := range per {
			g := b*p.groups + int(p.group[i])
			iv := l.inv[g]
			v := iv * float64(dd[b*per+i])
			if !l.clip[g] {
				v -= iv * iv * iv * float64(xd[b*per+i]) * s[p.group[i]]
			}
			dx[b*per+i] = float32(v)
		}
	}
	return tensor.MustFromFloat32(dy.Shape, dx), nil
}

// Config returns the layer's Keras config in dialect d (the axis as configured).
func (l *UnitNormalization) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	if l.axesList || len(l.axes) != 1 {
		c["axis"] = intList(l.axes...)
	} else {
		c["axis"] = l.axes[0]
	}
	return c
}

// Graph returns the inference ops: Square, Sum over the axes (keep dims), then the guard
// of the layer's dialect and Rsqrt, and the product with x.
func (l *UnitNormalization) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("UnitNormalization", l.name)
	}
	ax, _ := resolveAxes(l.axes, l.inShape, "UnitNormalization", l.name)
	axes := make([]int32, len(ax))
	for i, a := range ax {
		axes[i] = int32(a + 1)
	}
	g := newGraphBuilder("UnitNormalization", l.name)
	sq := g.fop("l2_normalize/Square", "Square", "$in")
	ix := g.int32Const("l2_normalize/Sum/reduction_indices", axes)
	sum := g.op("l2_normalize/Sum", "Sum", []string{sq, ix}, tAttrs(map[string]saved.Attr{
		"Tidx": saved.TypeAttr(tensor.Int32), "keep_dims": saved.BoolAttr(true)}))
	var inv string
	if l.keras3 {
		inv = g.fop("Minimum", "Minimum", g.fop("Rsqrt", "Rsqrt", sum), g.scalar("Minimum/y", 1e12))
	} else {
		inv = g.fop("l2_normalize/Rsqrt", "Rsqrt", g.fop("l2_normalize/Maximum", "Maximum", sum, g.scalar("l2_normalize/Maximum/y", 1e-12)))
	}
	g.fop("l2_normalize", "Mul", "$in", inv)
	return g.graph(l, false)
}

// Keras 3 writes no build_config for UnitNormalization (see BuildConfig).
func (*UnitNormalization) noKeras3BuildConfig() {}
