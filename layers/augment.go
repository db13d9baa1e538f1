package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// The random image augmentation layers (RandomFlip, RandomRotation, RandomZoom,
// RandomContrast, RandomTranslation) are the identity at inference in both libraries; kerasgo
// implements only that: a training-mode call fails with ErrUnsupported. Their options are
// kept as read and written back (in the other dialect, each dialect's keys with its
// defaults for the missing ones).

// augKey is one config key of an augmentation class with its default (required: none).
type augKey struct {
	name     string
	def      any
	required bool
}

// augSpec lists a class's keys in each dialect.
type augSpec struct {
	keras2, keras3 []augKey
}

var (
	augRNG    = augKey{name: "rng_type", def: "stateful"}
	augFormat = augKey{name: "data_format", def: "channels_last"}
	augSeed   = augKey{name: "seed"}
	augFill   = []augKey{{name: "fill_mode", def: "reflect"}, {name: "fill_value", def: 0.0}, {name: "interpolation", def: "bilinear"}}
)

func augReq(name string) augKey { return augKey{name: name, required: true} }

var augSpecs = map[string]augSpec{
	"RandomFlip": {
		keras2: []augKey{augRNG, {name: "mode", def: "horizontal_and_vertical"}, augSeed},
		keras3: []augKey{augFormat, augSeed, {name: "mode", def: "horizontal_and_vertical"}},
	},
	"RandomRotation": {
		keras2: append([]augKey{augRNG, augReq("factor")}, append(augFill, augSeed)...),
		keras3: append([]augKey{augFormat, augReq("factor")}, append(augFill, augSeed)...),
	},
	"RandomZoom": {
		keras2: append([]augKey{augRNG, augReq("height_factor"), {name: "width_factor"}}, append(augFill, augSeed)...),
		keras3: append([]augKey{augFormat, augReq("height_factor"), {name: "width_factor"}}, append(augFill, augSeed)...),
	},
	"RandomContrast": {
		keras2: []augKey{augRNG, augReq("factor"), augSeed},
		keras3: []augKey{augFormat, augReq("factor"), {name: "value_range", def: []any{0.0, 255.0}}, augSeed},
	},
	"RandomTranslation": {
		keras2: append([]augKey{augRNG, augReq("height_factor"), augReq("width_factor")}, append(augFill, augSeed)...),
		keras3: append([]augKey{augFormat, augReq("height_factor"), augReq("width_factor")}, append(augFill, augSeed)...),
	},
}

// Augmentation is one of Keras's random image augmentation layers (its Class says which):
// the identity at inference; training-mode augmentation is not implemented.
type Augmentation struct {
	ewise
	opts map[string]any // the class's options as read
}

func init() {
	for _, class := range []string{"RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "RandomTranslation"} {
		register(Spec{Classes: []string{class}, FromConfig: func(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
			return augmentationFromConfig(class, cfg, d)
		}})
	}
}

func augmentationFromConfig(class string, cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader(class, cfg)
	l := &Augmentation{ewise: ewise{class: class}, opts: map[string]any{}}
	r.readBase(&l.base)
	sp := augSpecs[class]
	for _, keys := range [][]augKey{sp.keras2, sp.keras3} {
		for _, k := range keys {
			v, _, ok := r.get(k.name)
			if ok {
				l.opts[k.name] = v
			}
		}
	}
	own := sp.keras2
	if d == saved.Keras3 {
		own = sp.keras3
	}
	for _, k := range own {
		if _, ok := l.opts[k.name]; k.required && !ok {
			r.fail(ErrFormat, "no %s", k.name)
		}
	}
	if v, ok := l.opts["data_format"]; ok && v != nil && v != "channels_last" {
		r.fail(ErrUnsupported, "data_format %s (only channels_last is implemented)", jsonValue(v))
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns the Keras class name ("RandomFlip", ...).
func (l *Augmentation) Class() string { return l.class }

// Option returns the value of a config option as read (nil and false when absent).
func (l *Augmentation) Option(key string) (any, bool) {
	v, ok := l.opts[key]
	return v, ok
}

// OutputShape returns the input shape of an image batch element (height, width, channels).
func (l *Augmentation) OutputShape(in []int) ([]int, error) {
	if err := image3(in, l.class, l.name); err != nil {
		return nil, err
	}
	return slices.Clone(in), nil
}

// Build records the input shape.
func (l *Augmentation) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.inShape = slices.Clone(in)
	return nil
}

// ParamCount returns 0.
func (l *Augmentation) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Forward returns a copy of x at inference; training-mode augmentation is ErrUnsupported.
func (l *Augmentation) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if training {
		return nil, layerErr(ErrUnsupported, l.class, l.name, "random augmentation in training mode (only the inference identity is implemented)")
	}
	return l.forward(x, true, func(x, y []float32) { copy(y, x) })
}

// Backward returns dy (the identity's gradient).
func (l *Augmentation) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	return l.backward(dy, func(_, _, dy, dx []float32) { copy(dx, dy) })
}

// Config returns the layer's Keras config in dialect d: the dialect's keys, with the values
// read and the dialect's defaults for the others.
func (l *Augmentation) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	keys := augSpecs[l.class].keras2
	if d == saved.Keras3 {
		keys = augSpecs[l.class].keras3
	}
	for _, k := range keys {
		if v, ok := l.opts[k.name]; ok {
			c[k.name] = v
		} else {
			c[k.name] = k.def
		}
	}
	return c
}

// Graph returns the inference identity; the call takes a training argument.
func (l *Augmentation) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph(l.class, l.name)
	}
	g := newGraphBuilder(l.class, l.name)
	return g.graphOut(l.inShape, l.inShape, true, "$in")
}

// keras3CallKwargs: Keras 3 records the call's training argument (default True).
func (l *Augmentation) keras3CallKwargs() map[string]any { return map[string]any{"training": true} }

// RandomCrop is Keras's RandomCrop at inference. tf_keras resizes each image to
// (height, width) as Resizing with crop_to_aspect_ratio does (bilinear); Keras 3.15 returns the
// input unchanged, whose shape then differs from the layer's declared output unless the
// input already has that size: kerasgo follows the dialect the layer was read from (tf_keras
// when built in Go) and refuses the Keras 3 case of another size (ErrUnsupported).
// Training-mode random crops are not implemented (ErrUnsupported).
type RandomCrop struct {
	imageLayer
	keras3 bool
	opts   map[string]any // rng_type and seed as read
}

// NewRandomCrop returns a RandomCrop layer (tf_keras's inference behaviour).
func NewRandomCrop(height, width int, opts ...CenterCropOptions) *RandomCrop {
	o := optionsArg("NewRandomCrop", opts)
	if height < 1 || width < 1 {
		panic("layers.NewRandomCrop: height and width must be positive")
	}
	l := &RandomCrop{opts: map[string]any{}}
	l.init(o.Name, o.InputShape, height, width)
	return l
}

func (l *RandomCrop) init(name string, in []int, h, w int) {
	l.base = newBase(name, in)
	l.class, l.height, l.width = "RandomCrop", h, w
	l.planFor = func(ih, iw int) (*resample, error) { return centerCropPlan(ih, iw, l.height, l.width, true), nil }
}

func init() { register(Spec{Classes: []string{"RandomCrop"}, FromConfig: randomCropFromConfig}) }

func randomCropFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("RandomCrop", cfg)
	l := &RandomCrop{keras3: d == saved.Keras3, opts: map[string]any{}}
	l.init("", nil, 1, 1)
	r.readBase(&l.base)
	l.readSize(r)
	r.dataFormat()
	for _, k := range []string{"rng_type", "seed"} {
		if v, _, ok := r.get(k); ok {
			l.opts[k] = v
		}
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "RandomCrop".
func (l *RandomCrop) Class() string { return "RandomCrop" }

// keras3Mismatch reports the Keras 3 inference case kerasgo cannot represent: an input of
// another size than (height, width).
func (l *RandomCrop) keras3Mismatch() error {
	if l.keras3 && l.plan != nil && (l.plan.h != l.height || l.plan.w != l.width) {
		return layerErr(ErrUnsupported, "RandomCrop", l.name, "Keras 3 returns the uncropped %dx%d input at inference, not the declared %dx%d output",
			l.plan.h, l.plan.w, l.height, l.width)
	}
	return nil
}

// Forward resizes x at inference (see RandomCrop); training mode is ErrUnsupported.
func (l *RandomCrop) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if training {
		return nil, layerErr(ErrUnsupported, "RandomCrop", l.name, "random crops in training mode (only inference is implemented)")
	}
	if err := l.keras3Mismatch(); err != nil {
		return nil, err
	}
	return l.forward(x)
}

// Graph returns the inference ops (crop and resize); the call takes a training argument.
func (l *RandomCrop) Graph() (*saved.LayerGraph, error) {
	if err := l.keras3Mismatch(); err != nil {
		return nil, err
	}
	lg, err := l.imageLayer.Graph()
	if lg != nil {
		lg.Training = true
	}
	return lg, err
}

// Config returns the layer's Keras config in dialect d.
func (l *RandomCrop) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	if d == saved.Keras3 {
		c["data_format"] = "channels_last"
	} else {
		c["rng_type"] = "stateful"
		if v, ok := l.opts["rng_type"]; ok {
			c["rng_type"] = v
		}
	}
	c["height"] = l.height
	c["width"] = l.width
	c["seed"] = l.opts["seed"]
	return c
}

// keras3CallKwargs: Keras 3 records the call's training argument (default True).
func (l *RandomCrop) keras3CallKwargs() map[string]any { return map[string]any{"training": true} }

// AugmentationOptions are the optional arguments of the random augmentation constructors.
type AugmentationOptions struct {
	Name       string
	Seed       *int
	InputShape []int
}

func newAugmentation(class string, o AugmentationOptions, opts map[string]any) *Augmentation {
	l := &Augmentation{ewise: ewise{base: newBase(o.Name, o.InputShape), class: class}, opts: opts}
	if o.Seed != nil {
		l.opts["seed"] = float64(*o.Seed)
	}
	return l
}

// NewRandomFlip returns a RandomFlip layer ("horizontal", "vertical" or
// "horizontal_and_vertical"), the identity at inference.
func NewRandomFlip(mode string, opts ...AugmentationOptions) *Augmentation {
	return newAugmentation("RandomFlip", optionsArg("NewRandomFlip", opts), map[string]any{"mode": mode})
}

// NewRandomRotation returns a RandomRotation layer (factor as a fraction of 2π), the
// identity at inference.
func NewRandomRotation(factor float64, opts ...AugmentationOptions) *Augmentation {
	return newAugmentation("RandomRotation", optionsArg("NewRandomRotation", opts), map[string]any{"factor": factor})
}

// NewRandomZoom returns a RandomZoom layer, the identity at inference.
func NewRandomZoom(heightFactor float64, opts ...AugmentationOptions) *Augmentation {
	return newAugmentation("RandomZoom", optionsArg("NewRandomZoom", opts), map[string]any{"height_factor": heightFactor})
}

// NewRandomContrast returns a RandomContrast layer, the identity at inference.
func NewRandomContrast(factor float64, opts ...AugmentationOptions) *Augmentation {
	return newAugmentation("RandomContrast", optionsArg("NewRandomContrast", opts), map[string]any{"factor": factor})
}

// NewRandomTranslation returns a RandomTranslation layer, the identity at inference.
func NewRandomTranslation(heightFactor, widthFactor float64, opts ...AugmentationOptions) *Augmentation {
	return newAugmentation("RandomTranslation", optionsArg("NewRandomTranslation", opts),
		map[string]any{"height_factor": heightFactor, "width_factor": widthFactor})
}
