package layers

import (
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// SeparableConv1DOptions are the optional arguments of NewSeparableConv1D. The zero value
// means Keras's defaults: stride 1, padding "valid", dilation 1, depth multiplier 1, no
// activation, with a bias.
type SeparableConv1DOptions struct {
	Name    string
	Strides int // zero means 1
	// Padding is "valid" (default), "same" or "causal" (tf_keras only: Keras 3 refuses it).
	Padding         string
	DilationRate    int    // zero means 1; above 1 only with stride 1
	DepthMultiplier int    // zero means 1
	Activation      string // "" is linear
	NoBias          bool   // use_bias=False
	InputShape      []int
}

// SeparableConv1D is Keras's depthwise-separable 1D convolution over (batch, steps,
// channels) input: a depthwise convolution (depthwise_kernel (kernel_size, in,
// depth_multiplier), no bias) followed by a pointwise one (pointwise_kernel (1,
// in·depth_multiplier, filters)), then bias (filters) and the activation. Both steps run as
// Conv1Ds: the depthwise one with one group per input channel.
type SeparableConv1D struct {
	base
	filters, ksize, stride, dilation, mult int
	padding                                string
	act                                    *activationFunc
	useBias                                bool

	dwInit, pwInit, biasInit, kernelInit *kerasObject
	dwReg, pwReg, biasReg, activityReg   *kerasObject
	kernelReg, kernelConstraint          *kerasObject
	dwConstraint, pwConstraint, biasCons *kerasObject

	dwKernel, pwKernel, bias *Weight
	skipDX                   bool
	dw, pw                   *Conv1D
}

// NewSeparableConv1D returns a SeparableConv1D layer. It panics on programmer errors:
// filters, kernel size or depth multiplier below 1, an unknown padding or activation, a
// stride above 1 with dilation above 1.
func NewSeparableConv1D(filters, kernelSize int, opts ...SeparableConv1DOptions) *SeparableConv1D {
	o := optionsArg("NewSeparableConv1D", opts)
	if filters < 1 || kernelSize < 1 || o.Strides < 0 || o.DilationRate < 0 || o.DepthMultiplier < 0 {
		panic("layers.NewSeparableConv1D: filters, kernel size, strides, dilation and depth multiplier must be positive")
	}
	a, err := lookupActivation(o.Activation)
	if err != nil {
		panic("layers.NewSeparableConv1D: " + err.Error())
	}
	p := strings.ToLower(o.Padding)
	if p == "" {
		p = "valid"
	}
	if p != "valid" && p != "same" && p != "causal" {
		panic("layers.NewSeparableConv1D: padding must be \"valid\", \"same\" or \"causal\"")
	}
	l := &SeparableConv1D{base: newBase(o.Name, o.InputShape), filters: filters, ksize: kernelSize, stride: max(o.Strides, 1),
		dilation: max(o.DilationRate, 1), mult: max(o.DepthMultiplier, 1), padding: p, act: a, useBias: !o.NoBias}
	if msg := convArgsError(1, [2]int{1, l.stride}, [2]int{1, l.dilation}, 1); msg != "" {
		panic("layers.NewSeparableConv1D: " + msg)
	}
	return l
}

func separableNames(on func(string) bool) []string {
	if on("use_bias") {
		return []string{"depthwise_kernel", "pointwise_kernel", "bias"}
	}
	return []string{"depthwise_kernel", "pointwise_kernel"}
}

func init() {
	register(Spec{Classes: []string{"SeparableConv1D", "SeparableConvolution1D"}, FromConfig: separableConv1DFromConfig, WeightNames: separableNames})
}

func separableConv1DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("SeparableConv1D", cfg)
	r.dialect = d
	l := &SeparableConv1D{}
	r.readBase(&l.base)
	l.filters = r.integer(0, 1, maxUnits, "filters")
	if v, _, ok := r.get("filters"); !ok || v == nil {
		r.fail(ErrFormat, "missing filters")
	}
	l.ksize = r.single(0, 1, maxKernel, "kernel_size")
	if l.ksize == 0 {
		r.fail(ErrFormat, "missing kernel_size")
	}
	l.stride = r.single(1, 1, maxKernel, "strides")
	l.padding = r.padding1D()
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
	l.dwInit = r.object("initializers", "depthwise_initializer")
	l.pwInit = r.object("initializers", "pointwise_initializer")
	l.biasInit = r.object("initializers", "bias_initializer")
	// tf_keras's config also holds its base class's kernel_* keys (unused by the layer).
	l.kernelInit = r.object("initializers", "kernel_initializer")
	l.kernelReg = r.objectKept("regularizers", "kernel_regularizer")
	l.kernelConstraint = r.objectKept("constraints", "kernel_constraint")
	l.dwReg = r.objectKept("regularizers", "depthwise_regularizer")
	l.pwReg = r.objectKept("regularizers", "pointwise_regularizer")
	l.biasReg = r.objectKept("regularizers", "bias_regularizer")
	l.activityReg = r.objectKept("regularizers", "activity_regularizer")
	l.dwConstraint = r.objectKept("constraints", "depthwise_constraint")
	l.pwConstraint = r.objectKept("constraints", "pointwise_constraint")
	l.biasCons = r.objectKept("constraints", "bias_constraint")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "SeparableConv1D".
func (l *SeparableConv1D) Class() string { return "SeparableConv1D" }

// Filters returns the number of output channels.
func (l *SeparableConv1D) Filters() int { return l.filters }

// KernelSize returns the depthwise window length.
func (l *SeparableConv1D) KernelSize() int { return l.ksize }

// Padding returns "valid", "same" or "causal".
func (l *SeparableConv1D) Padding() string { return l.padding }

// DepthMultiplier returns the number of depthwise filters per input channel.
func (l *SeparableConv1D) DepthMultiplier() int { return l.mult }

// Activation returns the activation's name.
func (l *SeparableConv1D) Activation() string { return l.act.name }

// SetTrainable sets Keras's layer.trainable.
func (l *SeparableConv1D) SetTrainable(t bool) {
	l.trainable = t
	setTrainable(t, l.dwKernel, l.pwKernel, l.bias)
}

// SetSkipInputGradient makes Backward skip dL/dx and return nil.
func (l *SeparableConv1D) SetSkipInputGradient(skip bool) { l.skipDX = skip }

// convs returns the depthwise and pointwise Conv1Ds for in channels (not built).
func (l *SeparableConv1D) convs(in int) (*Conv1D, *Conv1D) {
	lin, _ := lookupActivation("")
	dw := &Conv1D{base: base{name: l.name, trainable: l.trainable}, filters: in * l.mult, ksize: l.ksize,
		stride: l.stride, dilation: l.dilation, groups: in, padding: l.padding, act: lin}
	pw := &Conv1D{base: base{name: l.name, trainable: l.trainable}, filters: l.filters, ksize: 1,
		stride: 1, dilation: 1, groups: 1, padding: "valid", act: l.act, useBias: l.useBias}
	return dw, pw
}

// OutputShape returns (out_steps, filters).
func (l *SeparableConv1D) OutputShape(in []int) ([]int, error) {
	if err := steps2(in, "SeparableConv1D", l.name); err != nil {
		return nil, err
	}
	dw, _ := l.convs(in[1])
	out, err := dw.OutputShape(in)
	if err != nil {
		return nil, layerErr(ErrShape, "SeparableConv1D", l.name, "%v", err)
	}
	return []int{out[0], l.filters}, nil
}

// ParamCount returns kernel_size·in·depth_multiplier + in·depth_multiplier·filters, plus
// filters with a bias.
func (l *SeparableConv1D) ParamCount(in []int) (int64, error) {
	if _, err := l.OutputShape(in); err != nil {
		return 0, err
	}
	a, err := product("SeparableConv1D", l.name, int64(l.ksize), int64(in[1]), int64(l.mult))
	if err != nil {
		return 0, err
	}
	b, err := product("SeparableConv1D", l.name, int64(in[1]), int64(l.mult), int64(l.filters))
	if err != nil {
		return 0, err
	}
	n := a + b
	if l.useBias {
		n += int64(l.filters)
	}
	return n, nil
}

// Build creates depthwise_kernel (kernel_size, in, depth_multiplier), pointwise_kernel (1,
// in·depth_multiplier, filters) and bias (filters).
func (l *SeparableConv1D) Build(in []int, rng *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	c, m := in[1], l.mult
	dk, err := newWeight("depthwise_kernel", l.trainable, []int{l.ksize, c, m}, rng)
	if err != nil {
		return layerErr(ErrShape, "SeparableConv1D", l.name, "depthwise kernel: %v", err)
	}
	pk, err := newWeight("pointwise_kernel", l.trainable, []int{1, c * m, l.filters}, rng)
	if err != nil {
		return layerErr(ErrShape, "SeparableConv1D", l.name, "pointwise kernel: %v", err)
	}
	initWeight(dk, l.dwInit, "GlorotUniform", l.ksize*c, l.ksize*m, rng)
	initWeight(pk, l.pwInit, "GlorotUniform", c*m, l.filters, rng)
	l.dwKernel, l.pwKernel, l.bias = dk, pk, nil
	if l.useBias {
		b, _ := newWeight("bias", l.trainable, []int{l.filters}, rng)
		initWeight(b, l.biasInit, "Zeros", c*m, l.filters, rng)
		l.bias = b
	}
	dw, pw := l.convs(c)
	if err := dw.Build(in, NewRand(0).NoData()); err != nil {
		return err
	}
	mid, _ := dw.OutputShape(in)
	if err := pw.Build(mid, NewRand(0).NoData()); err != nil {
		return err
	}
	l.dw, l.pw = dw, pw
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns depthwise_kernel, pointwise_kernel and (if used) bias.
func (l *SeparableConv1D) Weights() []*Weight { return weightList(l.dwKernel, l.pwKernel, l.bias) }

// sync gives the inner Conv1Ds the layer's current weights and flags.
func (l *SeparableConv1D) sync() {
	k := l.dwKernel.Value
	l.dw.kernel.Value = view(k, k.Shape[0], 1, k.Shape[1]*k.Shape[2])
	l.pw.kernel.Value = l.pwKernel.Value
	l.dw.kernel.Trainable, l.pw.kernel.Trainable = l.dwKernel.Trainable, l.pwKernel.Trainable
	l.pw.bias = l.bias
	for _, c := range []*Conv1D{l.dw, l.pw} {
		c.name, c.trainable = l.name, l.trainable
	}
	l.dw.skipDX = l.skipDX
}

// Forward convolves x (batch, steps, in) into (batch, out_steps, filters).
func (l *SeparableConv1D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "SeparableConv1D", l.name); err != nil {
		return nil, err
	}
	l.sync()
	h, err := l.dw.Forward(x, training)
	if err != nil {
		return nil, err
	}
	return l.pw.Forward(h, training)
}

// Backward fills the three gradients and returns dL/dx.
func (l *SeparableConv1D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.dw == nil {
		return nil, layerErr(ErrShape, "SeparableConv1D", l.name, "Backward without a training Forward")
	}
	l.sync()
	l.dw.kernel.Grad, l.pw.kernel.Grad = nil, nil
	if l.trainable {
		if l.dwKernel.Trainable {
			l.dw.kernel.Grad = gradOf(l.dwKernel)
		}
		if l.pwKernel.Trainable {
			l.pw.kernel.Grad = gradOf(l.pwKernel)
		}
	}
	dh, err := l.pw.Backward(dy)
	if err != nil {
		return nil, err
	}
	return l.dw.Backward(dh)
}

// Config returns the layer's Keras config in dialect d (tf_keras also writes groups 1 and
// its base class's kernel_initializer, kernel_regularizer and kernel_constraint).
func (l *SeparableConv1D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["filters"] = l.filters
	c["kernel_size"] = intList(l.ksize)
	c["strides"] = intList(l.stride)
	c["padding"] = l.padding
	c["data_format"] = "channels_last"
	c["dilation_rate"] = intList(l.dilation)
	c["depth_multiplier"] = l.mult
	c["activation"] = l.act.configName(d)
	c["use_bias"] = l.useBias
	c["depthwise_initializer"] = initializerValue(l.dwInit, "GlorotUniform", d)
	c["pointwise_initializer"] = initializerValue(l.pwInit, "GlorotUniform", d)
	c["bias_initializer"] = initializerValue(l.biasInit, "Zeros", d)
	c["depthwise_regularizer"] = l.dwReg.value(d)
	c["pointwise_regularizer"] = l.pwReg.value(d)
	c["bias_regularizer"] = l.biasReg.value(d)
	c["activity_regularizer"] = l.activityReg.value(d)
	c["depthwise_constraint"] = l.dwConstraint.value(d)
	c["pointwise_constraint"] = l.pwConstraint.value(d)
	c["bias_constraint"] = l.biasCons.value(d)
	if d == saved.Keras2 {
		c["groups"] = 1
		c["kernel_initializer"] = initializerValue(l.kernelInit, "GlorotUniform", d)
		c["kernel_regularizer"] = l.kernelReg.value(d)
		c["kernel_constraint"] = l.kernelConstraint.value(d)
	}
	return c
}

// Graph returns the layer's TF ops as tf_keras writes them: for "causal" a Pad of the steps,
// ExpandDims of the input (axis 1) and of both kernels (axis 0), DepthwiseConv2dNative
// ("separable_conv2d/depthwise"), the 1×1 Conv2D ("separable_conv2d"), BiasAdd, Squeeze of
// axis 1 and the activation's op. With dilation above 1 (where tf_keras wraps the depthwise
// op in SpaceToBatchND/BatchToSpaceND) the depthwise step is the equal grouped Conv2D with
// dilations on the depthwise kernel reshaped to (1, kernel_size, 1, in·depth_multiplier).
func (l *SeparableConv1D) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("SeparableConv1D", l.name)
	}
	g := newGraphBuilder("SeparableConv1D", l.name)
	x := "$in"
	pad := "VALID"
	switch l.padding {
	case "same":
		pad = "SAME"
	case "causal":
		p := g.constant("Pad/paddings", &tensor.Tensor{DType: tensor.Int32, Shape: []int{3, 2}, Data: i32s(0, 0, (l.ksize-1)*l.dilation, 0, 0, 0)})
		x = g.op("Pad", "Pad", []string{x, p}, tAttrs(map[string]saved.Attr{"Tpaddings": saved.TypeAttr(tensor.Int32)}))
	}
	s0 := func(v int32) *tensor.Tensor {
		return &tensor.Tensor{DType: tensor.Int32, Shape: []int{}, Data: []int32{v}}
	}
	expand := func(name, in string, dim int32) string {
		return g.op(name, "ExpandDims", []string{in, g.constant(name+"/dim", s0(dim))}, tAttrs(map[string]saved.Attr{"Tdim": saved.TypeAttr(tensor.Int32)}))
	}
	x = expand("ExpandDims", x, 1)
	dk := expand("ExpandDims_1", g.read("depthwise_kernel", "ExpandDims_1"), 0)
	pk := expand("ExpandDims_2", g.read("pointwise_kernel", "ExpandDims_2"), 0)
	if l.dilation == 1 {
		x = g.op("separable_conv2d/depthwise", "DepthwiseConv2dNative", []string{x, dk}, tAttrs(map[string]saved.Attr{
			"strides": saved.IntsAttr(1, int64(l.stride), int64(l.stride), 1), "padding": saved.StringAttr(pad),
			"dilations": saved.IntsAttr(1, 1, 1, 1), "data_format": saved.StringAttr("NHWC"),
		}))
	} else {
		shape := g.int32Const("separable_conv2d/Reshape/shape", i32s(1, l.ksize, 1, l.inShape[1]*l.mult))
		dk = g.op("separable_conv2d/Reshape", "Reshape", []string{dk, shape}, tAttrs(map[string]saved.Attr{"Tshape": saved.TypeAttr(tensor.Int32)}))
		x = g.op("separable_conv2d/depthwise", "Conv2D", []string{x, dk}, tAttrs(map[string]saved.Attr{
			"strides": saved.IntsAttr(1, 1, int64(l.stride), 1), "padding": saved.StringAttr(pad),
			"dilations": saved.IntsAttr(1, 1, int64(l.dilation), 1), "data_format": saved.StringAttr("NHWC"),
		}))
	}
	x = g.op("separable_conv2d", "Conv2D", []string{x, pk}, tAttrs(map[string]saved.Attr{
		"strides": saved.IntsAttr(1, 1, 1, 1), "padding": saved.StringAttr("VALID"),
		"dilations": saved.IntsAttr(1, 1, 1, 1), "data_format": saved.StringAttr("NHWC"),
	}))
	if l.bias != nil {
		b := g.read("bias", "BiasAdd")
		x = g.op("BiasAdd", "BiasAdd", []string{x, b}, tAttrs(map[string]saved.Attr{"data_format": saved.StringAttr("NHWC")}))
	}
	x = g.op("Squeeze", "Squeeze", []string{x}, tAttrs(map[string]saved.Attr{"squeeze_dims": saved.IntsAttr(1)}))
	g.activation(l.act, x)
	return g.graph(l, false)
}
