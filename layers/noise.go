package layers

import (
	"math"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// randomLayer is the shared part of the layers that draw noise in training (the identity at
// inference): the optional seed and the generator chosen at Build.
type randomLayer struct {
	ewise
	seed *int64
	rng  *Rand
	// mult is the per-element factor of the last training Forward (nil: identity).
	mult []float32
}

func (l *randomLayer) readSeed(r *cfgReader) {
	if v, _, ok := r.get("seed"); ok && v != nil {
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			r.fail(ErrFormat, "seed %s", jsonValue(v))
			return
		}
		s := int64(f)
		l.seed = &s
	}
}

func (l *randomLayer) seedValue() any {
	if l.seed == nil {
		return nil
	}
	return *l.seed
}

// Build records the input shape and picks the generator: one seeded from the layer's seed,
// else rng.
func (l *randomLayer) Build(in []int, rng *Rand) error {
	switch {
	case l.seed != nil:
		l.rng = NewRand(uint64(*l.seed))
	case rng != nil:
		l.rng = rng
	default:
		l.rng = NewRand(0)
	}
	return l.ewise.Build(in, rng)
}

// backwardMult returns dy times the last training Forward's factors (dy itself without them).
func (l *randomLayer) backwardMult(dy *tensor.Tensor) (*tensor.Tensor, error) {
	return l.backward(dy, func(_, _, dy, dx []float32) {
		if l.mult == nil {
			copy(dx, dy)
			return
		}
		for i, m := range l.mult {
			dx[i] = dy[i] * m
		}
	})
}

// identityGraph is the inference graph of a noise layer: its output is its input.
func (l *randomLayer) identityGraph(training bool) (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, layerErr(ErrShape, l.class, l.name, "Graph before Build")
	}
	g := newGraphBuilder(l.class, l.name)
	return g.graphOut(l.inShape, l.inShape, training, "$in")
}

// GaussianNoise is Keras's GaussianNoise: the identity at inference; in training it adds
// normal noise of standard deviation stddev.
type GaussianNoise struct {
	randomLayer
	stddev float64
}

// NoiseOptions are the optional arguments of NewGaussianNoise, NewGaussianDropout and
// NewSpatialDropout2D.
type NoiseOptions struct {
	Name       string
	Seed       *int64
	InputShape []int
}

func newRandomLayer(class string, o NoiseOptions) randomLayer {
	l := randomLayer{ewise: ewise{base: newBase(o.Name, o.InputShape), class: class}}
	if o.Seed != nil {
		s := *o.Seed
		l.seed = &s
	}
	return l
}

// NewGaussianNoise returns a GaussianNoise layer. It panics on a negative stddev.
func NewGaussianNoise(stddev float64, opts ...NoiseOptions) *GaussianNoise {
	if !(stddev >= 0) {
		panic("layers.NewGaussianNoise: stddev must be >= 0")
	}
	return &GaussianNoise{randomLayer: newRandomLayer("GaussianNoise", optionsArg("NewGaussianNoise", opts)), stddev: stddev}
}

func init() {
	register(Spec{Classes: []string{"GaussianNoise"}, FromConfig: gaussianNoiseFromConfig})
	register(Spec{Classes: []string{"GaussianDropout"}, FromConfig: gaussianDropoutFromConfig})
	register(Spec{Classes: []string{"SpatialDropout2D"}, FromConfig: spatialDropout2DFromConfig})
}

func gaussianNoiseFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("GaussianNoise", cfg)
	l := &GaussianNoise{randomLayer: randomLayer{ewise: ewise{class: "GaussianNoise"}}}
	r.readBase(&l.base)
	if v, _, ok := r.get("stddev", "sigma"); !ok || v == nil {
		r.fail(ErrFormat, "missing stddev")
	}
	l.stddev = r.float(0, "stddev", "sigma")
	if l.stddev < 0 {
		r.fail(ErrFormat, "stddev %v (must be >= 0)", l.stddev)
	}
	l.readSeed(r)
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "GaussianNoise".
func (l *GaussianNoise) Class() string { return "GaussianNoise" }

// Forward returns x at inference and x + N(0, stddev²) in training.
func (l *GaussianNoise) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	l.mult = nil
	return l.forward(x, training, func(x, y []float32) {
		for i, v := range x {
			if training {
				v += float32(l.stddev * l.rng.Norm())
			}
			y[i] = v
		}
	})
}

// Backward returns dy (the noise is additive).
func (l *GaussianNoise) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	return l.backwardMult(dy)
}

// Config returns the layer's Keras config in dialect d.
func (l *GaussianNoise) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["stddev"] = l.stddev
	c["seed"] = l.seedValue()
	return c
}

// Graph returns the identity (the inference computation); the call takes training.
func (l *GaussianNoise) Graph() (*saved.LayerGraph, error) { return l.identityGraph(true) }

// GaussianDropout is Keras's GaussianDropout: the identity at inference; in training (for
// 0 < rate < 1) it multiplies by normal noise of mean 1 and deviation sqrt(rate/(1-rate)).
type GaussianDropout struct {
	randomLayer
	rate float64
}

// NewGaussianDropout returns a GaussianDropout layer. It panics unless 0 <= rate <= 1.
func NewGaussianDropout(rate float64, opts ...NoiseOptions) *GaussianDropout {
	if !(rate >= 0 && rate <= 1) {
		panic("layers.NewGaussianDropout: rate must be in [0, 1]")
	}
	return &GaussianDropout{randomLayer: newRandomLayer("GaussianDropout", optionsArg("NewGaussianDropout", opts)), rate: rate}
}

func gaussianDropoutFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("GaussianDropout", cfg)
	l := &GaussianDropout{randomLayer: randomLayer{ewise: ewise{class: "GaussianDropout"}}}
	r.readBase(&l.base)
	if v, _, ok := r.get("rate", "p"); !ok || v == nil {
		r.fail(ErrFormat, "missing rate")
	}
	l.rate = r.float(0, "rate", "p")
	if !(l.rate >= 0 && l.rate <= 1) {
		r.fail(ErrFormat, "rate %v (must be in [0, 1])", l.rate)
	}
	l.readSeed(r)
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "GaussianDropout".
func (l *GaussianDropout) Class() string { return "GaussianDropout" }

// Forward returns x at inference and x·N(1, rate/(1-rate)) in training.
func (l *GaussianDropout) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	l.mult = nil
	if !training || !(l.rate > 0 && l.rate < 1) {
		return l.forward(x, training, func(x, y []float32) { copy(y, x) })
	}
	sd := math.Sqrt(l.rate / (1 - l.rate))
	return l.forward(x, training, func(x, y []float32) {
		m := make([]float32, len(x))
		for i, v := range x {
			m[i] = float32(1 + sd*l.rng.Norm())
			y[i] = v * m[i]
		}
		l.mult = m
	})
}

// Backward returns dy times the noise of the last training Forward.
func (l *GaussianDropout) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	return l.backwardMult(dy)
}

// Config returns the layer's Keras config in dialect d.
func (l *GaussianDropout) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["rate"] = l.rate
	c["seed"] = l.seedValue()
	return c
}

// Graph returns the identity (the inference computation); the call takes training.
func (l *GaussianDropout) Graph() (*saved.LayerGraph, error) { return l.identityGraph(true) }

// SpatialDropout2D is Keras's SpatialDropout2D (channels_last): the identity at inference;
// in training whole channels of each sample are dropped with probability rate and the kept
// ones scaled by 1/(1-rate).
type SpatialDropout2D struct {
	randomLayer
	rate float64
}

// NewSpatialDropout2D returns a SpatialDropout2D layer. It panics unless 0 <= rate < 1.
func NewSpatialDropout2D(rate float64, opts ...NoiseOptions) *SpatialDropout2D {
	if !(rate >= 0 && rate < 1) {
		panic("layers.NewSpatialDropout2D: rate must be in [0, 1)")
	}
	return &SpatialDropout2D{randomLayer: newRandomLayer("SpatialDropout2D", optionsArg("NewSpatialDropout2D", opts)), rate: rate}
}

func spatialDropout2DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("SpatialDropout2D", cfg)
	l := &SpatialDropout2D{randomLayer: randomLayer{ewise: ewise{class: "SpatialDropout2D"}}}
	r.readBase(&l.base)
	if v, _, ok := r.get("rate", "p"); !ok || v == nil {
		r.fail(ErrFormat, "missing rate")
	}
	l.rate = r.float(0, "rate", "p")
	if !(l.rate >= 0 && l.rate < 1) {
		r.fail(ErrUnsupported, "rate %v (must be in [0, 1))", l.rate)
	}
	l.readSeed(r)
	r.dataFormat()
	r.ignore("noise_shape") // always (batch, 1, 1, channels)
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "SpatialDropout2D".
func (l *SpatialDropout2D) Class() string { return "SpatialDropout2D" }

// OutputShape returns the input shape, which must be (height, width, channels).
func (l *SpatialDropout2D) OutputShape(in []int) ([]int, error) {
	if len(in) != 3 {
		return nil, layerErr(ErrShape, "SpatialDropout2D", l.name, "input shape %s: want (height, width, channels)", tensor.ShapeString(in))
	}
	return l.ewise.OutputShape(in)
}

// Build checks the input rank and records it.
func (l *SpatialDropout2D) Build(in []int, rng *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	return l.randomLayer.Build(in, rng)
}

// ParamCount returns 0 for a rank-3 input.
func (l *SpatialDropout2D) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Forward returns x at inference; in training x times a mask drawn per sample and channel.
func (l *SpatialDropout2D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	l.mult = nil
	if !training || l.rate == 0 {
		return l.forward(x, training, func(x, y []float32) { copy(y, x) })
	}
	return l.forward(x, training, func(x, y []float32) {
		l.mult = dropMask(l.rng, l.rate, x, y, append([]int{len(x) / max(1, shapeSize(l.inShape))}, l.inShape...), []int{-1, 1, 1, -1})
	})
}

// Backward returns dy times the mask of the last training Forward.
func (l *SpatialDropout2D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	return l.backwardMult(dy)
}

// Config returns the layer's Keras config in dialect d: Keras 3 writes rate, seed, name, a
// plain dtype string and data_format (no trainable); tf_keras its usual keys and
// noise_shape null.
func (l *SpatialDropout2D) Config(d saved.Dialect) map[string]any {
	if d == saved.Keras3 {
		return map[string]any{"rate": l.rate, "seed": l.seedValue(), "name": l.name, "dtype": "float32", "data_format": "channels_last"}
	}
	c := l.baseConfig(d)
	c["rate"] = l.rate
	c["noise_shape"] = nil
	c["seed"] = l.seedValue()
	return c
}

// Graph returns the identity (the inference computation); the call takes training.
func (l *SpatialDropout2D) Graph() (*saved.LayerGraph, error) { return l.identityGraph(true) }

func shapeSize(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// dropMask draws a dropout mask of keep probability 1-rate (kept entries 1/(1-rate)) over the
// noise shape (entries 1 are broadcast; -1 takes the input's dimension) and writes x·mask
// into y. It returns the per-element mask.
func dropMask(rng *Rand, rate float64, x, y []float32, shape, noise []int) []float32 {
	ns := make([]int, len(shape))
	for i, d := range shape {
		ns[i] = d
		if noise[i] == 1 {
			ns[i] = 1
		}
	}
	draw := make([]float32, shapeSize(ns))
	scale := float32(1 / (1 - rate))
	for i := range draw {
		if rng.Float32() >= float32(rate) {
			draw[i] = scale
		}
	}
	mask := make([]float32, len(x))
	coords := make([]int, len(shape))
	for i := range x {
		j := 0
		for k := range shape {
			c := coords[k]
			if ns[k] == 1 {
				c = 0
			}
			j = j*ns[k] + c
		}
		mask[i] = draw[j]
		y[i] = x[i] * draw[j]
		for k := len(shape) - 1; k >= 0; k-- {
			coords[k]++
			if coords[k] < shape[k] {
				break
			}
			coords[k] = 0
		}
	}
	return mask
}

// Keras 3 writes no build_config for GaussianNoise (see BuildConfig).
func (*GaussianNoise) noKeras3BuildConfig() {}

// Keras 3 writes no build_config for GaussianDropout (see BuildConfig).
func (*GaussianDropout) noKeras3BuildConfig() {}

// Keras 3 writes no build_config for SpatialDropout2D (see BuildConfig).
func (*SpatialDropout2D) noKeras3BuildConfig() {}

// keras3CallKwargs: these classes' call defaults training to False, which Keras 3 records.
func (l *GaussianNoise) keras3CallKwargs() map[string]any { return map[string]any{"training": false} }

func (l *GaussianDropout) keras3CallKwargs() map[string]any {
	return map[string]any{"training": false}
}

func (l *SpatialDropout2D) keras3CallKwargs() map[string]any {
	return map[string]any{"training": false}
}
