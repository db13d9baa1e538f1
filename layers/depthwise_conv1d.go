package layers

import (
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// DepthwiseConv1DOptions are the optional arguments of NewDepthwiseConv1D. The zero value
// means Keras's defaults: stride 1, padding "valid", dilation 1, depth multiplier 1, no
// activation, with a bias.
type DepthwiseConv1DOptions struct {
	Name            string
	Strides         int    // zero means 1
	Padding         string // "valid" (default) or "same"
	DilationRate    int    // zero means 1; above 1 only with stride 1
	DepthMultiplier int    // zero means 1
	Activation      string // "" is linear
	NoBias          bool   // use_bias=False
	InputShape      []int
}

// DepthwiseConv1D is Keras's depthwise 1D convolution over (batch, steps, channels) input:
// each input channel c is convolved with its own depth_multiplier filters, giving output
// channels c·depth_multiplier + m. Weights: depthwise_kernel (kernel_size, in,
// depth_multiplier) (Keras 3 calls it kernel), bias (in·depth_multiplier). It is a Conv1D
// with one group per input channel, whose kernel (kernel_size, 1, in·depth_multiplier) has
// the same layout.
type DepthwiseConv1D struct {
	base
	ksize, stride, dilation, mult int
	same                          bool
	act                           *activationFunc
	useBias                       bool

	kernelInit, biasInit             *kerasObject
	kernelReg, biasReg, activityReg  *kerasObject
	kernelConstraint, biasConstraint *kerasObject

	kernel, bias *Weight
	skipDX       bool
	inner        *Conv1D
}

// NewDepthwiseConv1D returns a DepthwiseConv1D layer. It panics on programmer errors: a
// kernel size or depth multiplier below 1, an unknown padding or activation, a stride above 1
// with dilation above 1.
func NewDepthwiseConv1D(kernelSize int, opts ...DepthwiseConv1DOptions) *DepthwiseConv1D {
	o := optionsArg("NewDepthwiseConv1D", opts)
	if kernelSize < 1 || o.Strides < 0 || o.DilationRate < 0 || o.DepthMultiplier < 0 {
		panic("layers.NewDepthwiseConv1D: kernel size, strides, dilation and depth multiplier must be positive")
	}
	a, err := lookupActivation(o.Activation)
	if err != nil {
		panic("layers.NewDepthwiseConv1D: " + err.Error())
	}
	same, ok := parsePadding(o.Padding)
	if !ok {
		panic("layers.NewDepthwiseConv1D: padding must be \"valid\" or \"same\"")
	}
	l := &DepthwiseConv1D{base: newBase(o.Name, o.InputShape), ksize: kernelSize, stride: max(o.Strides, 1),
		dilation: max(o.DilationRate, 1), mult: max(o.DepthMultiplier, 1), same: same, act: a, useBias: !o.NoBias}
	if msg := convArgsError(1, [2]int{1, l.stride}, [2]int{1, l.dilation}, 1); msg != "" {
		panic("layers.NewDepthwiseConv1D: " + msg)
	}
	return l
}

func depthwiseNames(on func(string) bool) []string {
	if on("use_bias") {
		return []string{"depthwise_kernel", "bias"}
	}
	return []string{"depthwise_kernel"}
}

func init() {
	register(Spec{Classes: []string{"DepthwiseConv1D"}, FromConfig: depthwiseConv1DFromConfig, WeightNames: depthwiseNames})
}

func depthwiseConv1DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("DepthwiseConv1D", cfg)
	r.dialect = d
	l := &DepthwiseConv1D{}
	r.readBase(&l.base)
	l.ksize = r.single(0, 1, maxKernel, "kernel_size")
	if l.ksize == 0 {
		r.fail(ErrFormat, "missing kernel_size")
	}
	l.stride = r.single(1, 1, maxKernel, "strides")
	l.same = r.padding() == "same"
	r.dataFormat()
	l.dilation = r.single(1, 1, maxKernel, "dilation_rate")
	l.mult = r.integer(1, 1, maxUnits, "depth_multiplier")
	if g := r.integer(1, 1, maxUnits, "groups"); g != 1 {
		r.fail(ErrUnsupported, "groups %d", g)
	}
	if msg := convArgsError(1, [2]int{1, l.stride}, [2]int{1, l.dilation}, 1); msg != "" {
		r.fail(ErrFormat, "%s", msg)
	}
	l.act = r.activation()
	l.useBias = r.boolean(true, "use_bias")
	l.kernelInit = r.object("initializers", "depthwise_initializer")
	l.biasInit = r.object("initializers", "bias_initializer")
	l.kernelReg = r.objectKept("regularizers", "depthwise_regularizer")
	l.biasReg = r.objectKept("regularizers", "bias_regularizer")
	l.activityReg = r.objectKept("regularizers", "activity_regularizer")
	l.kernelConstraint = r.objectKept("constraints", "depthwise_constraint")
	l.biasConstraint = r.objectKept("constraints", "bias_constraint")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "DepthwiseConv1D".
func (l *DepthwiseConv1D) Class() string { return "DepthwiseConv1D" }

// KernelSize returns the window length.
func (l *DepthwiseConv1D) KernelSize() int { return l.ksize }

// DepthMultiplier returns the number of filters per input channel.
func (l *DepthwiseConv1D) DepthMultiplier() int { return l.mult }

// Activation returns the activation's name.
func (l *DepthwiseConv1D) Activation() string { return l.act.name }

// SetTrainable sets Keras's layer.trainable.
func (l *DepthwiseConv1D) SetTrainable(t bool) { l.trainable = t; setTrainable(t, l.kernel, l.bias) }

// SetSkipInputGradient makes Backward skip dL/dx and return nil.
func (l *DepthwiseConv1D) SetSkipInputGradient(skip bool) { l.skipDX = skip }

// conv returns the grouped Conv1D equal to the layer for in channels (not built).
func (l *DepthwiseConv1D) conv(in int) *Conv1D {
	c := &Conv1D{base: base{name: l.name, trainable: l.trainable}, filters: in * l.mult, ksize: l.ksize,
		stride: l.stride, dilation: l.dilation, groups: in, padding: paddingName(l.same), act: l.act, useBias: l.useBias}
	return c
}

// OutputShape returns (out_steps, in·depth_multiplier).
func (l *DepthwiseConv1D) OutputShape(in []int) ([]int, error) {
	if err := steps2(in, "DepthwiseConv1D", l.name); err != nil {
		return nil, err
	}
	g, err := l.conv(in[1]).geometry(in)
	if err != nil {
		return nil, layerErr(ErrShape, "DepthwiseConv1D", l.name, "%v", err)
	}
	return []int{g.ow, in[1] * l.mult}, nil
}

// ParamCount returns kernel_size·in·depth_multiplier, plus in·depth_multiplier with a bias.
func (l *DepthwiseConv1D) ParamCount(in []int) (int64, error) {
	if _, err := l.OutputShape(in); err != nil {
		return 0, err
	}
	n, err := product("DepthwiseConv1D", l.name, int64(l.ksize), int64(in[1]), int64(l.mult))
	if err != nil {
		return 0, err
	}
	if l.useBias {
		n += int64(in[1] * l.mult)
	}
	return n, nil
}

// Build creates depthwise_kernel (kernel_size, in, depth_multiplier) and bias
// (in·depth_multiplier).
func (l *DepthwiseConv1D) Build(in []int, rng *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	k, err := newWeight("depthwise_kernel", l.trainable, []int{l.ksize, in[1], l.mult}, rng)
	if err != nil {
		return layerErr(ErrShape, "DepthwiseConv1D", l.name, "kernel: %v", err)
	}
	// Keras's fans of the kernel shape (k, in, mult): k·in and k·mult.
	initWeight(k, l.kernelInit, "GlorotUniform", l.ksize*in[1], l.ksize*l.mult, rng)
	l.kernel, l.bias = k, nil
	if l.useBias {
		b, _ := newWeight("bias", l.trainable, []int{in[1] * l.mult}, rng)
		initWeight(b, l.biasInit, "Zeros", l.ksize*in[1], l.ksize*l.mult, rng)
		l.bias = b
	}
	c := l.conv(in[1])
	if err := c.Build(in, NewRand(0).NoData()); err != nil {
		return err
	}
	l.inner = c
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns depthwise_kernel and (if used) bias.
func (l *DepthwiseConv1D) Weights() []*Weight { return weightList(l.kernel, l.bias) }

// sync gives the inner Conv1D the layer's current weights and flags.
func (l *DepthwiseConv1D) sync() {
	k := l.kernel.Value
	c := l.inner
	c.kernel.Value = view(k, k.Shape[0], 1, k.Shape[1]*k.Shape[2])
	c.kernel.Trainable = l.kernel.Trainable
	c.bias = l.bias
	c.name, c.trainable, c.skipDX = l.name, l.trainable, l.skipDX
}

// Forward convolves x (batch, steps, in) into (batch, out_steps, in·depth_multiplier).
func (l *DepthwiseConv1D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "DepthwiseConv1D", l.name); err != nil {
		return nil, err
	}
	l.sync()
	return l.inner.Forward(x, training)
}

// Backward fills the kernel and bias gradients and returns dL/dx.
func (l *DepthwiseConv1D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.inner == nil {
		return nil, layerErr(ErrShape, "DepthwiseConv1D", l.name, "Backward without a training Forward")
	}
	l.sync()
	l.inner.kernel.Grad = nil
	if l.kernel.Trainable && l.trainable {
		l.inner.kernel.Grad = gradOf(l.kernel)
	}
	return l.inner.Backward(dy)
}

// Config returns the layer's Keras config in dialect d (tf_keras also writes groups 1).
func (l *DepthwiseConv1D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["kernel_size"] = intList(l.ksize)
	c["strides"] = intList(l.stride)
	c["padding"] = paddingName(l.same)
	c["data_format"] = "channels_last"
	c["dilation_rate"] = intList(l.dilation)
	if d == saved.Keras2 {
		c["groups"] = 1
	}
	c["depth_multiplier"] = l.mult
	c["activation"] = l.act.configName(d)
	c["use_bias"] = l.useBias
	c["depthwise_initializer"] = initializerValue(l.kernelInit, "GlorotUniform", d)
	c["bias_initializer"] = initializerValue(l.biasInit, "Zeros", d)
	c["depthwise_regularizer"] = l.kernelReg.value(d)
	c["bias_regularizer"] = l.biasReg.value(d)
	c["activity_regularizer"] = l.activityReg.value(d)
	c["depthwise_constraint"] = l.kernelConstraint.value(d)
	c["bias_constraint"] = l.biasConstraint.value(d)
	return c
}

// Graph returns the layer's TF ops: ExpandDims of the input at axis 1 and of the kernel at
// axis 0, DepthwiseConv2dNative (NHWC) as tf_keras writes it, BiasAdd, Squeeze of axis 1 and
// the activation's op. With dilation above 1 (where tf_keras wraps the depthwise op in
// SpaceToBatchND/BatchToSpaceND) it writes the equal grouped Conv2D with dilations instead,
// on the kernel reshaped to (1, kernel_size, 1, in·depth_multiplier).
func (l *DepthwiseConv1D) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("DepthwiseConv1D", l.name)
	}
	g := newGraphBuilder("DepthwiseConv1D", l.name)
	s0 := func(v int32) *tensor.Tensor {
		return &tensor.Tensor{DType: tensor.Int32, Shape: []int{}, Data: []int32{v}}
	}
	expand := func(name, in string, dim int32) string {
		return g.op(name, "ExpandDims", []string{in, g.constant(name+"/dim", s0(dim))}, tAttrs(map[string]saved.Attr{"Tdim": saved.TypeAttr(tensor.Int32)}))
	}
	x := expand("ExpandDims", "$in", 1)
	k := expand("ExpandDims_1", g.read("depthwise_kernel", "ExpandDims_1"), 0)
	pad := saved.StringAttr(strings.ToUpper(paddingName(l.same)))
	if l.dilation == 1 {
		x = g.op("depthwise", "DepthwiseConv2dNative", []string{x, k}, tAttrs(map[string]saved.Attr{
			"strides": saved.IntsAttr(1, int64(l.stride), int64(l.stride), 1), "padding": pad,
			"dilations": saved.IntsAttr(1, 1, 1, 1), "data_format": saved.StringAttr("NHWC"),
		}))
	} else {
		shape := g.int32Const("Reshape/shape", i32s(1, l.ksize, 1, l.inShape[1]*l.mult))
		k = g.op("Reshape", "Reshape", []string{k, shape}, tAttrs(map[string]saved.Attr{"Tshape": saved.TypeAttr(tensor.Int32)}))
		x = g.op("depthwise", "Conv2D", []string{x, k}, tAttrs(map[string]saved.Attr{
			"strides": saved.IntsAttr(1, 1, int64(l.stride), 1), "padding": pad,
			"dilations": saved.IntsAttr(1, 1, int64(l.dilation), 1), "data_format": saved.StringAttr("NHWC"),
		}))
	}
	if l.bias != nil {
		b := g.read("bias", "BiasAdd")
		x = g.op("BiasAdd", "BiasAdd", []string{x, b}, tAttrs(map[string]saved.Attr{"data_format": saved.StringAttr("NHWC")}))
	}
	x = g.op("Squeeze", "Squeeze", []string{x}, tAttrs(map[string]saved.Attr{"squeeze_dims": saved.IntsAttr(1)}))
	g.activation(l.act, x)
	return g.graph(l, false)
}
