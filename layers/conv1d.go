package layers

import (
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Conv1DOptions are the optional arguments of NewConv1D. The zero value means Keras's
// defaults: stride 1, padding "valid", dilation 1, one group, no activation, with a bias.
type Conv1DOptions struct {
	Name    string
	Strides int    // zero means 1
	Padding string // "valid" (default), "same" or "causal"
	// DilationRate spaces the kernel's taps apart; zero means 1. Keras allows dilation above
	// 1 only with stride 1.
	DilationRate int
	// Groups splits the input channels and the filters into that many groups; zero means 1.
	Groups     int
	Activation string // "" is linear
	NoBias     bool   // use_bias=False
	// InputShape, when set, declares the input shape without the batch dimension, e.g.
	// []int{128, 3}.
	InputShape []int
}

// Conv1D is Keras's 1D convolution over (batch, steps, channels) input. Weights: kernel
// (kernel_size, in/groups, filters), bias (filters). Padding "causal" pads
// (kernel_size-1)·dilation zeros before the steps, so that output t sees inputs up to t.
// It runs Conv2D's code on the input seen as a one-row image.
type Conv1D struct {
	base
	filters, ksize, stride, dilation, groups int
	padding                                  string
	act                                      *activationFunc
	useBias                                  bool

	kernelInit, biasInit             *kerasObject
	kernelReg, biasReg, activityReg  *kerasObject
	kernelConstraint, biasConstraint *kerasObject

	kernel, bias *Weight
	skipDX       bool
	inner        *Conv2D // the one-row Conv2D; its kernel is a view of kernel
}

// NewConv1D returns a Conv1D layer. It panics on programmer errors: filters or kernel size
// below 1, an unknown padding or activation, a stride above 1 with dilation above 1, filters
// not a multiple of groups.
func NewConv1D(filters, kernelSize int, opts ...Conv1DOptions) *Conv1D {
	o := optionsArg("NewConv1D", opts)
	if filters < 1 || kernelSize < 1 || o.Strides < 0 || o.DilationRate < 0 || o.Groups < 0 {
		panic("layers.NewConv1D: filters, kernel size, strides, dilation and groups must be positive")
	}
	a, err := lookupActivation(o.Activation)
	if err != nil {
		panic("layers.NewConv1D: " + err.Error())
	}
	p := strings.ToLower(o.Padding)
	if p == "" {
		p = "valid"
	}
	if p != "valid" && p != "same" && p != "causal" {
		panic("layers.NewConv1D: padding must be \"valid\", \"same\" or \"causal\"")
	}
	l := &Conv1D{base: newBase(o.Name, o.InputShape), filters: filters, ksize: kernelSize,
		stride: max(o.Strides, 1), dilation: max(o.DilationRate, 1), groups: max(o.Groups, 1),
		padding: p, act: a, useBias: !o.NoBias}
	if msg := convArgsError(filters, [2]int{1, l.stride}, [2]int{1, l.dilation}, l.groups); msg != "" {
		panic("layers.NewConv1D: " + msg)
	}
	return l
}

func init() {
	register(Spec{Classes: []string{"Conv1D", "Convolution1D"}, FromConfig: conv1DFromConfig, WeightNames: kernelBiasNames})
}

func conv1DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Conv1D", cfg)
	r.dialect = d
	l := &Conv1D{}
	r.readBase(&l.base)
	l.filters = r.integer(0, 1, maxUnits, "filters", "nb_filter")
	if v, _, ok := r.get("filters", "nb_filter"); !ok || v == nil {
		r.fail(ErrFormat, "missing filters")
	}
	l.ksize = r.single(0, 1, maxKernel, "kernel_size", "filter_length")
	if l.ksize == 0 {
		r.fail(ErrFormat, "missing kernel_size")
	}
	l.stride = r.single(1, 1, maxKernel, "strides", "subsample_length")
	l.padding = r.padding1D()
	r.dataFormat()
	l.dilation = r.single(1, 1, maxKernel, "dilation_rate")
	l.groups = r.integer(1, 1, maxUnits, "groups")
	if msg := convArgsError(max(l.filters, 1), [2]int{1, l.stride}, [2]int{1, l.dilation}, l.groups); msg != "" {
		r.fail(ErrFormat, "%s", msg)
	}
	l.act = r.activation()
	l.useBias = r.boolean(true, "use_bias", "bias")
	l.kernelInit = r.object("initializers", "kernel_initializer", "init")
	l.biasInit = r.object("initializers", "bias_initializer")
	l.kernelReg = r.objectKept("regularizers", "kernel_regularizer", "W_regularizer")
	l.biasReg = r.objectKept("regularizers", "bias_regularizer", "b_regularizer")
	l.activityReg = r.objectKept("regularizers", "activity_regularizer")
	l.kernelConstraint = r.objectKept("constraints", "kernel_constraint", "W_constraint")
	l.biasConstraint = r.objectKept("constraints", "bias_constraint", "b_constraint")
	r.unsupportedIfSet("lora_rank")
	r.ignore("lora_alpha")
	r.initialWeights()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Conv1D".
func (l *Conv1D) Class() string { return "Conv1D" }

// Filters returns the number of output channels.
func (l *Conv1D) Filters() int { return l.filters }

// KernelSize returns the window length.
func (l *Conv1D) KernelSize() int { return l.ksize }

// Strides returns the stride.
func (l *Conv1D) Strides() int { return l.stride }

// Padding returns "valid", "same" or "causal".
func (l *Conv1D) Padding() string { return l.padding }

// DilationRate returns the dilation.
func (l *Conv1D) DilationRate() int { return l.dilation }

// Groups returns the number of channel groups.
func (l *Conv1D) Groups() int { return l.groups }

// Activation returns the activation's name.
func (l *Conv1D) Activation() string { return l.act.name }

// UseBias reports whether the layer has a bias.
func (l *Conv1D) UseBias() bool { return l.useBias }

// SetTrainable sets Keras's layer.trainable.
func (l *Conv1D) SetTrainable(t bool) { l.trainable = t; setTrainable(t, l.kernel, l.bias) }

// SetSkipInputGradient makes Backward skip dL/dx and return nil.
func (l *Conv1D) SetSkipInputGradient(skip bool) { l.skipDX = skip }

// causalPad returns the zeros "causal" padding puts before the steps.
func (l *Conv1D) causalPad() int {
	if l.padding != "causal" {
		return 0
	}
	return (l.ksize - 1) * l.dilation
}

// geometry returns the one-row geometry of the convolution of (steps, channels) input.
func (l *Conv1D) geometry(in []int) (geom, error) {
	if err := steps2(in, "Conv1D", l.name); err != nil {
		return geom{}, err
	}
	if in[1]%l.groups != 0 {
		return geom{}, layerErr(ErrShape, "Conv1D", l.name, "input shape %s: %d channels is not a multiple of groups %d", tensor.ShapeString(in), in[1], l.groups)
	}
	pad := l.causalPad()
	g, err := newDilatedGeom(1, in[0]+pad, in[1], 1, l.ksize, 1, l.stride, 1, l.dilation, l.padding == "same")
	if err != nil {
		return g, layerErr(ErrShape, "Conv1D", l.name, "%v", err)
	}
	// Causal: a valid convolution of the input with pad zeros before it.
	g.w, g.pl = in[0], g.pl+pad
	return g, nil
}

// OutputShape returns (out_steps, filters).
func (l *Conv1D) OutputShape(in []int) ([]int, error) {
	g, err := l.geometry(in)
	if err != nil {
		return nil, err
	}
	return []int{g.ow, l.filters}, nil
}

// Build creates kernel (kernel_size, in/groups, filters) and bias (filters).
func (l *Conv1D) Build(in []int, rng *Rand) error {
	g, err := l.geometry(in)
	if err != nil {
		return err
	}
	cg := in[1] / l.groups
	k, err := newWeight("kernel", l.trainable, []int{l.ksize, cg, l.filters}, rng)
	if err != nil {
		return layerErr(ErrShape, "Conv1D", l.name, "kernel: %v", err)
	}
	initWeight(k, l.kernelInit, "GlorotUniform", l.ksize*cg, l.ksize*l.filters, rng)
	l.kernel, l.bias = k, nil
	if l.useBias {
		b, _ := newWeight("bias", l.trainable, []int{l.filters}, rng)
		initWeight(b, l.biasInit, "Zeros", l.ksize*cg, l.ksize*l.filters, rng)
		l.bias = b
	}
	l.inner = &Conv2D{base: base{name: l.name, trainable: l.trainable}, filters: l.filters,
		ksize: [2]int{1, l.ksize}, strides: [2]int{1, l.stride}, dilation: [2]int{1, l.dilation},
		groups: l.groups, same: l.padding == "same", act: l.act, useBias: l.useBias,
		kernel: &Weight{Name: "kernel"}, bias: l.bias, g: g}
	l.inner.inShape = []int{1, in[0], in[1]}
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns kernel and (if used) bias.
func (l *Conv1D) Weights() []*Weight { return weightList(l.kernel, l.bias) }

// sync points the inner Conv2D at the current weights and flags.
func (l *Conv1D) sync() {
	k := l.kernel.Value
	in := l.inner
	in.kernel.Value = view(k, 1, k.Shape[0], k.Shape[1], k.Shape[2])
	in.kernel.Trainable = l.kernel.Trainable
	in.bias = l.bias
	in.name, in.trainable, in.skipDX = l.name, l.trainable, l.skipDX
}

// Forward convolves x (batch, steps, in) into (batch, out_steps, filters).
func (l *Conv1D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Conv1D", l.name); err != nil {
		return nil, err
	}
	l.sync()
	y, err := l.inner.Forward(view(x, x.Shape[0], 1, x.Shape[1], x.Shape[2]), training)
	if err != nil {
		return nil, err
	}
	return view(y, y.Shape[0], y.Shape[2], y.Shape[3]), nil
}

// Backward fills the kernel and bias gradients and returns dL/dx (nil when
// SetSkipInputGradient(true) was called).
func (l *Conv1D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.inner == nil || l.inner.x == nil {
		return nil, layerErr(ErrShape, "Conv1D", l.name, "Backward without a training Forward")
	}
	if dy == nil || len(dy.Shape) != 3 {
		return nil, layerErr(ErrShape, "Conv1D", l.name, "dy shape %s, want %s", shapeOf(dy), tensor.ShapeString(l.inner.y.Shape))
	}
	l.sync()
	if l.kernel.Trainable && l.trainable {
		l.inner.kernel.Grad = gradOf(l.kernel)
	}
	dx, err := l.inner.Backward(view(dy, dy.Shape[0], 1, dy.Shape[1], dy.Shape[2]))
	if err != nil || dx == nil {
		return nil, err
	}
	return view(dx, dx.Shape[0], dx.Shape[2], dx.Shape[3]), nil
}

// ParamCount returns kernel_size·in/groups·filters, plus filters with a bias.
func (l *Conv1D) ParamCount(in []int) (int64, error) {
	if _, err := l.geometry(in); err != nil {
		return 0, err
	}
	n, err := product("Conv1D", l.name, int64(l.ksize), int64(in[1]/l.groups), int64(l.filters))
	if err != nil {
		return 0, err
	}
	if l.useBias {
		n += int64(l.filters)
	}
	return n, nil
}

// Config returns the layer's Keras config in dialect d.
func (l *Conv1D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["filters"] = l.filters
	c["kernel_size"] = intList(l.ksize)
	c["strides"] = intList(l.stride)
	c["padding"] = l.padding
	c["data_format"] = "channels_last"
	c["dilation_rate"] = intList(l.dilation)
	c["groups"] = l.groups
	c["activation"] = l.act.configName(d)
	c["use_bias"] = l.useBias
	c["kernel_initializer"] = initializerValue(l.kernelInit, "GlorotUniform", d)
	c["bias_initializer"] = initializerValue(l.biasInit, "Zeros", d)
	c["kernel_regularizer"] = l.kernelReg.value(d)
	c["bias_regularizer"] = l.biasReg.value(d)
	c["activity_regularizer"] = l.activityReg.value(d)
	c["kernel_constraint"] = l.kernelConstraint.value(d)
	c["bias_constraint"] = l.biasConstraint.value(d)
	return c
}

// Graph returns the layer's TF ops as tf_keras writes them: for "causal" a Pad of the steps,
// then "Conv1D/ExpandDims" of the input to (batch, 1, steps, in) and of the kernel to (1,
// kernel_size, in/groups, filters), TF's Conv2D (NHWC), "Conv1D/Squeeze" of the row axis,
// BiasAdd and the activation's op. (tf_keras calls an XLA-compiled function for groups above
// 1; the plain Conv2D op computes the same grouped convolution.)
func (l *Conv1D) Graph() (*saved.LayerGraph, error) {
	g := newGraphBuilder("Conv1D", l.name)
	x := "$in"
	if pad := l.causalPad(); pad > 0 {
		p := g.constant("Pad/paddings", &tensor.Tensor{DType: tensor.Int32, Shape: []int{3, 2}, Data: i32s(0, 0, pad, 0, 0, 0)})
		x = g.op("Pad", "Pad", []string{x, p}, tAttrs(map[string]saved.Attr{"Tpaddings": saved.TypeAttr(tensor.Int32)}))
	}
	expand := func(name, in string, dim int32) string {
		d := g.constant(name+"/dim", &tensor.Tensor{DType: tensor.Int32, Shape: []int{}, Data: []int32{dim}})
		return g.op(name, "ExpandDims", []string{in, d}, tAttrs(map[string]saved.Attr{"Tdim": saved.TypeAttr(tensor.Int32)}))
	}
	x = expand("Conv1D/ExpandDims", x, -3)
	k := expand("Conv1D/ExpandDims_1", g.read("kernel", "Conv1D/ExpandDims_1"), 0)
	pad := "VALID"
	if l.padding == "same" {
		pad = "SAME"
	}
	x = g.op("Conv1D", "Conv2D", []string{x, k}, tAttrs(map[string]saved.Attr{
		"strides":     saved.IntsAttr(1, 1, int64(l.stride), 1),
		"padding":     saved.StringAttr(pad),
		"dilations":   saved.IntsAttr(1, 1, int64(l.dilation), 1),
		"data_format": saved.StringAttr("NHWC"),
	}))
	x = g.op("Conv1D/Squeeze", "Squeeze", []string{x}, tAttrs(map[string]saved.Attr{"squeeze_dims": saved.IntsAttr(-3)}))
	if l.bias != nil {
		b := g.read("bias", "BiasAdd")
		x = g.op("BiasAdd", "BiasAdd", []string{x, b}, tAttrs(map[string]saved.Attr{"data_format": saved.StringAttr("NHWC")}))
	}
	g.activation(l.act, x)
	return g.graph(l, false)
}
