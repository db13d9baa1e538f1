package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// SeparableConv2DOptions are the optional arguments of NewSeparableConv2D. The zero value
// means Keras's defaults: depth_multiplier 1, strides (1, 1), padding "valid", dilation
// (1, 1), no activation, with a bias.
type SeparableConv2DOptions struct {
	Name string
	// DepthMultiplier is the number of depthwise filters per input channel; zero means 1.
	DepthMultiplier int
	Strides         [2]int // zero means (1, 1)
	Padding         string // "valid" (default) or "same"
	// DilationRate spaces the depthwise kernel's taps apart; zero means (1, 1). Dilation
	// above 1 needs strides (1, 1).
	DilationRate [2]int
	Activation   string // "" is linear
	NoBias       bool   // use_bias=False
	// InputShape, when set, declares the input shape without the batch dimension.
	InputShape []int
}

// SeparableConv2D is Keras's depthwise separable 2D convolution over NHWC input: a depthwise
// convolution (strides, padding and dilation apply to it) then a 1×1 convolution to filters
// channels, a bias and the activation. Weights: depthwise_kernel (kh, kw, in,
// depth_multiplier), pointwise_kernel (1, 1, in·depth_multiplier, filters), bias (filters).
type SeparableConv2D struct {
	base
	filters                  int
	ksize, strides, dilation [2]int
	dm                       int
	same                     bool
	act                      *activationFunc
	useBias                  bool

	dwInit, pwInit, biasInit           *kerasObject
	dwReg, pwReg, biasReg, activityReg *kerasObject
	dwConstraint, pwConstraint         *kerasObject
	biasConstraint                     *kerasObject
	// tf_keras's SeparableConv2D also writes the unused kernel_* options of its base class.
	kernelInit, kernelReg, kernelConstraint *kerasObject

	dwKernel, pwKernel, bias *Weight
	g                        geom
	x, d, z, y               *tensor.Tensor // cached by a training Forward (d: the depthwise result)
	skipDX                   bool
}

// NewSeparableConv2D returns a SeparableConv2D layer. It panics on programmer errors: filters,
// kernel size, strides, dilation or depth multiplier out of range, an unknown padding or
// activation, strides above 1 with dilation above 1.
func NewSeparableConv2D(filters int, kernelSize [2]int, opts ...SeparableConv2DOptions) *SeparableConv2D {
	o := optionsArg("NewSeparableConv2D", opts)
	st, dl, same, a := convOptions("NewSeparableConv2D", kernelSize, o.Strides, o.DilationRate, o.Padding, o.Activation)
	if filters < 1 || o.DepthMultiplier < 0 {
		panic("layers.NewSeparableConv2D: filters and depth multiplier must be positive")
	}
	return &SeparableConv2D{base: newBase(o.Name, o.InputShape), filters: filters, ksize: kernelSize,
		strides: st, dilation: dl, dm: max(o.DepthMultiplier, 1), same: same, act: a, useBias: !o.NoBias}
}

func init() {
	register(Spec{Classes: []string{"SeparableConv2D", "SeparableConvolution2D"}, FromConfig: separableConv2DFromConfig,
		WeightNames: func(on func(string) bool) []string {
			if on("use_bias") {
				return []string{"depthwise_kernel", "pointwise_kernel", "bias"}
			}
			return []string{"depthwise_kernel", "pointwise_kernel"}
		}})
}

func separableConv2DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("SeparableConv2D", cfg)
	r.dialect = d
	l := &SeparableConv2D{}
	r.readBase(&l.base)
	l.filters = r.integer(0, 1, maxUnits, "filters", "nb_filter")
	if v, _, ok := r.get("filters", "nb_filter"); !ok || v == nil {
		r.fail(ErrFormat, "missing filters")
	}
	l.ksize, l.strides, l.dilation, l.same = r.readConvCommon()
	l.dm = r.integer(1, 1, maxUnits, "depth_multiplier")
	l.act = r.activation()
	l.useBias = r.boolean(true, "use_bias", "bias")
	l.dwInit = r.object("initializers", "depthwise_initializer")
	l.pwInit = r.object("initializers", "pointwise_initializer")
	l.biasInit = r.object("initializers", "bias_initializer")
	l.kernelInit = r.object("initializers", "kernel_initializer")
	l.dwReg = r.objectKept("regularizers", "depthwise_regularizer")
	l.pwReg = r.objectKept("regularizers", "pointwise_regularizer")
	l.biasReg = r.objectKept("regularizers", "bias_regularizer")
	l.kernelReg = r.objectKept("regularizers", "kernel_regularizer")
	l.activityReg = r.objectKept("regularizers", "activity_regularizer")
	l.dwConstraint = r.objectKept("constraints", "depthwise_constraint")
	l.pwConstraint = r.objectKept("constraints", "pointwise_constraint")
	l.biasConstraint = r.objectKept("constraints", "bias_constraint")
	l.kernelConstraint = r.objectKept("constraints", "kernel_constraint")
	r.initialWeights()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "SeparableConv2D".
func (l *SeparableConv2D) Class() string { return "SeparableConv2D" }

// Filters returns the number of output channels.
func (l *SeparableConv2D) Filters() int { return l.filters }

// KernelSize returns the depthwise kernel's (kh, kw).
func (l *SeparableConv2D) KernelSize() [2]int { return l.ksize }

// DepthMultiplier returns the number of depthwise filters per input channel.
func (l *SeparableConv2D) DepthMultiplier() int { return l.dm }

// Strides returns the strides.
func (l *SeparableConv2D) Strides() [2]int { return l.strides }

// Padding returns "valid" or "same".
func (l *SeparableConv2D) Padding() string { return paddingName(l.same) }

// DilationRate returns the dilation.
func (l *SeparableConv2D) DilationRate() [2]int { return l.dilation }

// Activation returns the activation's name.
func (l *SeparableConv2D) Activation() string { return l.act.name }

// UseBias reports whether the layer has a bias.
func (l *SeparableConv2D) UseBias() bool { return l.useBias }

// SetTrainable sets Keras's layer.trainable.
func (l *SeparableConv2D) SetTrainable(t bool) {
	l.trainable = t
	setTrainable(t, l.dwKernel, l.pwKernel, l.bias)
}

// SetSkipInputGradient makes Backward skip dL/dx and return nil.
func (l *SeparableConv2D) SetSkipInputGradient(skip bool) { l.skipDX = skip }

// OutputShape returns (out_h, out_w, filters).
func (l *SeparableConv2D) OutputShape(in []int) ([]int, error) {
	g, err := depthwiseGeometry("SeparableConv2D", l.name, in, l.ksize, l.strides, l.dilation, l.same)
	if err != nil {
		return nil, err
	}
	if in[2] > maxUnits/l.dm {
		return nil, layerErr(ErrShape, "SeparableConv2D", l.name, "%d channels × depth multiplier %d is too large", in[2], l.dm)
	}
	return []int{g.oh, g.ow, l.filters}, nil
}

// Build creates depthwise_kernel (kh, kw, in, depth_multiplier), pointwise_kernel
// (1, 1, in·depth_multiplier, filters) and bias (filters).
func (l *SeparableConv2D) Build(in []int, rng *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	g, _ := depthwiseGeometry("SeparableConv2D", l.name, in, l.ksize, l.strides, l.dilation, l.same)
	cd := in[2] * l.dm
	dk, err := newWeight("depthwise_kernel", l.trainable, []int{l.ksize[0], l.ksize[1], in[2], l.dm}, rng)
	if err != nil {
		return layerErr(ErrShape, "SeparableConv2D", l.name, "depthwise_kernel: %v", err)
	}
	pk, err := newWeight("pointwise_kernel", l.trainable, []int{1, 1, cd, l.filters}, rng)
	if err != nil {
		return layerErr(ErrShape, "SeparableConv2D", l.name, "pointwise_kernel: %v", err)
	}
	rf := l.ksize[0] * l.ksize[1]
	initWeight(dk, l.dwInit, "GlorotUniform", rf*in[2], rf*l.dm, rng)
	initWeight(pk, l.pwInit, "GlorotUniform", cd, l.filters, rng)
	l.dwKernel, l.pwKernel, l.bias = dk, pk, nil
	if l.useBias {
		b, _ := newWeight("bias", l.trainable, []int{l.filters}, rng)
		initWeight(b, l.biasInit, "Zeros", cd, l.filters, rng)
		l.bias = b
	}
	l.g = g
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns depthwise_kernel, pointwise_kernel and (if used) bias.
func (l *SeparableConv2D) Weights() []*Weight { return weightList(l.dwKernel, l.pwKernel, l.bias) }

// Forward convolves x (batch, h, w, in) and returns (batch, out_h, out_w, filters).
func (l *SeparableConv2D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "SeparableConv2D", l.name); err != nil {
		return nil, err
	}
	g := l.g
	n, cd, F, P := x.Shape[0], g.c*l.dm, l.filters, g.oh*g.ow
	d := make([]float32, n*P*cd)
	z := make([]float32, n*P*F)
	y := z
	if l.act.needZ {
		y = make([]float32, len(z))
	}
	xd, dkd, pkd := x.Float32s(), l.dwKernel.Value.Float32s(), l.pwKernel.Value.Float32s()
	var bd []float32
	if l.bias != nil {
		bd = l.bias.Value.Float32s()
	}
	parallelFor(n, func(_, lo, hi int) {
		dwForward(&g, l.dm, xd, dkd, nil, d, lo*g.oh, hi*g.oh)
		zc := z[lo*P*F : hi*P*F]
		beta := float32(0)
		if bd != nil {
			for r := 0; r < len(zc); r += F {
				copy(zc[r:r+F], bd)
			}
			beta = 1
		}
		gemm(false, false, (hi-lo)*P, F, cd, 1, d[lo*P*cd:hi*P*cd], cd, pkd, F, beta, zc, F)
		l.act.apply(zc, y[lo*P*F:hi*P*F], F)
	})
	outShape := []int{n, g.oh, g.ow, F}
	out := tensor.MustFromFloat32(outShape, y)
	if training {
		l.x, l.d, l.z, l.y = x, tensor.MustFromFloat32([]int{n, g.oh, g.ow, cd}, d), tensor.MustFromFloat32(outShape, z), out
	} else {
		l.x, l.d, l.z, l.y = nil, nil, nil, nil
	}
	return out, nil
}

// Backward fills the gradients of both kernels and the bias and returns dL/dx (nil when
// SetSkipInputGradient(true) was called).
func (l *SeparableConv2D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.x == nil {
		return nil, layerErr(ErrShape, "SeparableConv2D", l.name, "Backward without a training Forward")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.y.Shape) {
		return nil, layerErr(ErrShape, "SeparableConv2D", l.name, "dy %s, want %s", shapeOf(dy), tensor.ShapeString(l.y.Shape))
	}
	g := l.g
	n, cd, F, P := l.x.Shape[0], g.c*l.dm, l.filters, g.oh*g.ow
	xd, dd, dkd, pkd := l.x.Float32s(), l.d.Float32s(), l.dwKernel.Value.Float32s(), l.pwKernel.Value.Float32s()
	zd, yd, dyd := l.z.Float32s(), l.y.Float32s(), dy.Float32s()
	dz := make([]float32, len(dyd))
	ddep := make([]float32, len(dd))
	var dx []float32
	if !l.skipDX {
		dx = make([]float32, len(xd))
	}
	w := workers(n)
	dDK, dPK, dB := make([][]float32, w), make([][]float32, w), make([][]float32, w)
	parallelFor(n, func(wi, lo, hi int) {
		s, e := lo*P*F, hi*P*F
		l.act.grad(zd[s:e], yd[s:e], dyd[s:e], dz[s:e], F)
		m := (hi - lo) * P
		dc := dd[lo*P*cd : hi*P*cd]
		// dL/d(depthwise result) = dz · pointwiseᵀ.
		gemm(false, true, m, cd, F, 1, dz[s:e], F, pkd, F, 0, ddep[lo*P*cd:hi*P*cd], cd)
		var pdk []float32
		if l.trainable {
			pb := make([]float32, F)
			for r := s; r < e; r += F {
				for j, v := range dz[r : r+F] {
					pb[j] += v
				}
			}
			ppk := make([]float32, cd*F)
			gemm(true, false, cd, F, m, 1, dc, cd, dz[s:e], F, 0, ppk, F)
			pdk = make([]float32, len(dkd))
			dB[wi], dPK[wi] = pb, ppk
		}
		if pdk != nil || dx != nil {
			dwBackward(&g, l.dm, xd, dkd, ddep, pdk, dx, lo, hi)
		}
		dDK[wi] = pdk
	})
	if l.trainable {
		sumInto(gradOf(l.dwKernel), dDK)
		sumInto(gradOf(l.pwKernel), dPK)
		if l.bias != nil {
			sumInto(gradOf(l.bias), dB)
		}
	}
	if dx == nil {
		return nil, nil
	}
	return tensor.MustFromFloat32(l.x.Shape, dx), nil
}

// Config returns the layer's Keras config in dialect d (tf_keras also writes groups 1 and
// its base class's unused kernel_* options).
func (l *SeparableConv2D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["filters"] = l.filters
	c["kernel_size"] = intList(l.ksize[0], l.ksize[1])
	c["strides"] = intList(l.strides[0], l.strides[1])
	c["padding"] = paddingName(l.same)
	c["data_format"] = "channels_last"
	c["dilation_rate"] = intList(l.dilation[0], l.dilation[1])
	c["activation"] = l.act.configName(d)
	c["use_bias"] = l.useBias
	c["depth_multiplier"] = l.dm
	c["depthwise_initializer"] = initializerValue(l.dwInit, "GlorotUniform", d)
	c["pointwise_initializer"] = initializerValue(l.pwInit, "GlorotUniform", d)
	c["bias_initializer"] = initializerValue(l.biasInit, "Zeros", d)
	c["depthwise_regularizer"] = l.dwReg.value(d)
	c["pointwise_regularizer"] = l.pwReg.value(d)
	c["bias_regularizer"] = l.biasReg.value(d)
	c["activity_regularizer"] = l.activityReg.value(d)
	c["depthwise_constraint"] = l.dwConstraint.value(d)
	c["pointwise_constraint"] = l.pwConstraint.value(d)
	c["bias_constraint"] = l.biasConstraint.value(d)
	if d != saved.Keras3 {
		c["groups"] = 1
		c["kernel_initializer"] = initializerValue(l.kernelInit, "GlorotUniform", d)
		c["kernel_regularizer"] = l.kernelReg.value(d)
		c["kernel_constraint"] = l.kernelConstraint.value(d)
	}
	return c
}

// Graph returns the layer's TF ops as tf_keras writes them under "separable_conv2d": the
// depthwise convolution (DepthwiseConv2dNative, space-to-batch around it when dilated), a 1×1
// Conv2D on the pointwise kernel, BiasAdd, then the activation's op.
func (l *SeparableConv2D) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, errNotBuiltGraph("SeparableConv2D", l.name)
	}
	b := newGraphBuilder("SeparableConv2D", l.name)
	dk := b.read("depthwise_kernel", "separable_conv2d")
	pk := b.readAs("separable_conv2d/ReadVariableOp_1", "pointwise_kernel")
	x := dwGraph(b, &l.g, l.same, "separable_conv2d/depthwise", "$in", dk)
	x = b.op("separable_conv2d", "Conv2D", []string{x, pk}, tAttrs(map[string]saved.Attr{
		"strides": saved.IntsAttr(1, 1, 1, 1), "padding": saved.StringAttr("VALID"),
		"dilations": saved.IntsAttr(1, 1, 1, 1), "data_format": saved.StringAttr("NHWC"),
	}))
	if l.bias != nil {
		bb := b.read("bias", "BiasAdd")
		x = b.op("BiasAdd", "BiasAdd", []string{x, bb}, tAttrs(map[string]saved.Attr{"data_format": saved.StringAttr("NHWC")}))
	}
	b.activation(l.act, x)
	return b.graph(l, false)
}

// ParamCount returns kh·kw·in·depth_multiplier + in·depth_multiplier·filters, plus filters
// with a bias.
func (l *SeparableConv2D) ParamCount(in []int) (int64, error) {
	if _, err := l.OutputShape(in); err != nil {
		return 0, err
	}
	a, err := product("SeparableConv2D", l.name, int64(l.ksize[0]), int64(l.ksize[1]), int64(in[2]), int64(l.dm))
	if err != nil {
		return 0, err
	}
	b, err := product("SeparableConv2D", l.name, int64(in[2]), int64(l.dm), int64(l.filters))
	if err != nil {
		return 0, err
	}
	n := a + b
	if l.useBias {
		n += int64(l.filters)
	}
	return n, nil
}
