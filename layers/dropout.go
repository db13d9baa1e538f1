package layers

import (
	"fmt"
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// DropoutOptions are the optional arguments of NewDropout.
type DropoutOptions struct {
	Name string
	// Seed, when non-nil, seeds the layer's own mask generator (Keras's seed argument);
	// otherwise masks come from the Rand given to Build.
	Seed       *int64
	InputShape []int
}

// Dropout is Keras's Dropout: the identity at inference; in training each element is kept
// with probability 1-rate and kept elements are scaled by 1/(1-rate).
type Dropout struct {
	base
	rate float64
	seed *int64
	rng  *Rand
	// noise is Keras's noise_shape (with the batch; -1 for None), nil when not set.
	noise []int

	mask   []float32 // per element: 0 or 1/(1-rate), from the last training Forward
	xShape []int
}

// NewDropout returns a Dropout layer. It panics unless 0 <= rate < 1.
func NewDropout(rate float64, opts ...DropoutOptions) *Dropout {
	if !(rate >= 0 && rate < 1) {
		panic("layers.NewDropout: rate must be in [0, 1)")
	}
	o := optionsArg("NewDropout", opts)
	l := &Dropout{base: newBase(o.Name, o.InputShape), rate: rate}
	if o.Seed != nil {
		s := *o.Seed
		l.seed = &s
	}
	return l
}

func init() { register(Spec{Classes: []string{"Dropout"}, FromConfig: dropoutFromConfig}) }

func dropoutFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Dropout", cfg)
	l := &Dropout{}
	r.readBase(&l.base)
	if v, _, ok := r.get("rate", "p"); !ok || v == nil {
		r.fail(ErrFormat, "missing rate")
	}
	l.rate = r.float(0, "rate", "p")
	if !(l.rate >= 0 && l.rate < 1) {
		r.fail(ErrUnsupported, "rate %v (must be in [0, 1))", l.rate)
	}
	if v, _, ok := r.get("seed"); ok && v != nil {
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			r.fail(ErrFormat, "seed %s", jsonValue(v))
		}
		s64 := int64(f)
		l.seed = &s64
	}
	if v, _, ok := r.get("noise_shape"); ok && v != nil {
		l.noise = r.shape("noise_shape")
		if l.noise == nil {
			r.fail(ErrFormat, "noise_shape %s", jsonValue(v))
		}
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Dropout".
func (l *Dropout) Class() string { return "Dropout" }

// Rate returns the drop probability.
func (l *Dropout) Rate() float64 { return l.rate }

// SetRate changes the drop probability (0 <= rate < 1), as setting Keras's layer.rate does;
// tests use it to take training steps without randomness.
func (l *Dropout) SetRate(rate float64) error {
	if !(rate >= 0 && rate < 1) {
		return fmt.Errorf("layers: Dropout %q: rate %v not in [0, 1)", l.name, rate)
	}
	l.rate = rate
	return nil
}

// SetTrainable sets Keras's layer.trainable (no effect: the layer has no weights).
func (l *Dropout) SetTrainable(t bool) { l.trainable = t }

// OutputShape returns the input shape.
func (l *Dropout) OutputShape(in []int) ([]int, error) { return slices.Clone(in), nil }

// Build records the input shape and the mask generator: its own, seeded from the layer's
// seed, or rng.
func (l *Dropout) Build(in []int, rng *Rand) error {
	l.inShape = slices.Clone(in)
	switch {
	case l.seed != nil:
		l.rng = NewRand(uint64(*l.seed))
	case rng != nil:
		l.rng = rng
	default:
		l.rng = NewRand(0)
	}
	return nil
}

// Weights returns nil.
func (l *Dropout) Weights() []*Weight { return nil }

// Forward returns x at inference; in training x times a fresh mask.
func (l *Dropout) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Dropout", l.name); err != nil {
		return nil, err
	}
	l.xShape = append(l.xShape[:0], x.Shape...)
	if !training || l.rate == 0 {
		l.mask = nil
		return x, nil
	}
	xd := x.Float32s()
	if l.noise != nil {
		if len(l.noise) != len(x.Shape) {
			return nil, layerErr(ErrShape, "Dropout", l.name, "noise_shape %v does not fit input %s", l.noise, tensor.ShapeString(x.Shape))
		}
		for i, d := range l.noise {
			if d != -1 && d != 1 && d != x.Shape[i] {
				return nil, layerErr(ErrShape, "Dropout", l.name, "noise_shape %v does not fit input %s", l.noise, tensor.ShapeString(x.Shape))
			}
		}
		y := make([]float32, len(xd))
		l.mask = dropMask(l.rng, l.rate, xd, y, x.Shape, l.noise)
		return tensor.MustFromFloat32(x.Shape, y), nil
	}
	scale := float32(1 / (1 - l.rate))
	rate := float32(l.rate)
	mask := make([]float32, len(xd))
	y := make([]float32, len(xd))
	for i, v := range xd {
		if l.rng.Float32() >= rate {
			mask[i] = scale
			y[i] = v * scale
		}
	}
	l.mask = mask
	return tensor.MustFromFloat32(x.Shape, y), nil
}

// Mask returns the mask of the last training Forward (0 for dropped elements, 1/(1-rate) for
// kept ones), or nil.
func (l *Dropout) Mask() []float32 { return l.mask }

// Backward applies the same mask to dy.
func (l *Dropout) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.xShape == nil {
		return nil, layerErr(ErrShape, "Dropout", l.name, "Backward without a Forward")
	}
	if dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.xShape) {
		return nil, layerErr(ErrShape, "Dropout", l.name, "dy shape %s, want %s", tensor.ShapeString(dy.Shape), tensor.ShapeString(l.xShape))
	}
	if l.mask == nil {
		return dy, nil
	}
	d := dy.Float32s()
	dx := make([]float32, len(d))
	for i, m := range l.mask {
		dx[i] = d[i] * m
	}
	return tensor.MustFromFloat32(dy.Shape, dx), nil
}

// Config returns the layer's Keras config in dialect d.
func (l *Dropout) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["rate"] = l.rate
	c["noise_shape"] = nil
	if l.noise != nil {
		ns := make([]any, len(l.noise))
		for i, v := range l.noise {
			if v >= 0 {
				ns[i] = v
			}
		}
		c["noise_shape"] = ns
	}
	if l.seed != nil {
		c["seed"] = *l.seed
	} else {
		c["seed"] = nil
	}
	return c
}

// Graph returns the layer's TF op at inference: Identity. The call takes a training argument.
func (l *Dropout) Graph() (*saved.LayerGraph, error) {
	g := newGraphBuilder("Dropout", l.name)
	g.op("Identity", "Identity", []string{"$in"}, tAttrs(nil))
	return g.graph(l, true)
}

// Keras 3 writes no build_config for Dropout (see BuildConfig).
func (*Dropout) noKeras3BuildConfig() {}

// keras3CallKwargs: Keras 3's Dropout.call defaults training to False, which it records.
func (l *Dropout) keras3CallKwargs() map[string]any { return map[string]any{"training": false} }
