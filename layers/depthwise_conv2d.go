package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// DepthwiseConv2DOptions are the optional arguments of NewDepthwiseConv2D. The zero value
// means Keras's defaults: depth_multiplier 1, strides (1, 1), padding "valid", dilation
// (1, 1), no activation, with a bias.
type DepthwiseConv2DOptions struct {
	Name string
	// DepthMultiplier is the number of filters per input channel; zero means 1.
	DepthMultiplier int
	Strides         [2]int // zero means (1, 1)
	Padding         string // "valid" (default) or "same"
	// DilationRate spaces the kernel's taps apart; zero means (1, 1). Dilation above 1
	// needs strides (1, 1).
	DilationRate [2]int
	Activation   string // "" is linear
	NoBias       bool   // use_bias=False
	// InputShape, when set, declares the input shape without the batch dimension.
	InputShape []int
}

// DepthwiseConv2D is Keras's depthwise 2D convolution over NHWC input: each input channel
// is convolved with its own depth_multiplier filters. Weights: depthwise_kernel
// (kh, kw, in, depth_multiplier), bias (in·depth_multiplier); output channel
// c·depth_multiplier+m comes from input channel c.
type DepthwiseConv2D struct {
	base
	ksize, strides, dilation [2]int
	dm                       int
	same                     bool
	act                      *activationFunc
	useBias                  bool

	kernelInit, biasInit             *kerasObject
	kernelReg, biasReg, activityReg  *kerasObject
	kernelConstraint, biasConstraint *kerasObject

	kernel, bias *Weight
	g            geom
	x, z, y      *tensor.Tensor // cached by a training Forward
	skipDX       bool
	// infer holds the output and scratch of inference Forward calls.
	infer inferBufs
}

// NewDepthwiseConv2D returns a DepthwiseConv2D layer. It panics on programmer errors: a
// kernel size, strides, dilation or depth multiplier below 0 or 1, an unknown padding or
// activation, strides above 1 with dilation above 1.
func NewDepthwiseConv2D(kernelSize [2]int, opts ...DepthwiseConv2DOptions) *DepthwiseConv2D {
	o := optionsArg("NewDepthwiseConv2D", opts)
	st, dl, same, a := convOptions("NewDepthwiseConv2D", kernelSize, o.Strides, o.DilationRate, o.Padding, o.Activation)
	if o.DepthMultiplier < 0 {
		panic("layers.NewDepthwiseConv2D: depth multiplier must be positive")
	}
	return &DepthwiseConv2D{base: newBase(o.Name, o.InputShape), ksize: kernelSize, strides: st,
		dilation: dl, dm: max(o.DepthMultiplier, 1), same: same, act: a, useBias: !o.NoBias}
}

// convOptions checks and defaults the options the convolution constructors share; it panics
// (naming fn) on programmer errors.
func convOptions(fn string, ksize, strides, dilation [2]int, padding, activation string) (st, dl [2]int, same bool, a *activationFunc) {
	if ksize[0] < 1 || ksize[1] < 1 || min(strides[0], strides[1], dilation[0], dilation[1]) < 0 {
		panic("layers." + fn + ": kernel size, strides and dilation must be positive")
	}
	a, err := lookupActivation(activation)
	if err != nil {
		panic("layers." + fn + ": " + err.Error())
	}
	same, ok := parsePadding(padding)
	if !ok {
		panic("layers." + fn + ": padding must be \"valid\" or \"same\"")
	}
	st, dl = strides, dilation
	if st == [2]int{} {
		st = [2]int{1, 1}
	}
	if dl == [2]int{} {
		dl = [2]int{1, 1}
	}
	if msg := convArgsError(1, st, dl, 1); msg != "" {
		panic("layers." + fn + ": " + msg)
	}
	return st, dl, same, a
}

func init() {
	register(Spec{Classes: []string{"DepthwiseConv2D"}, FromConfig: depthwiseConv2DFromConfig,
		WeightNames: func(on func(string) bool) []string {
			if on("use_bias") {
				return []string{"depthwise_kernel", "bias"}
			}
			return []string{"depthwise_kernel"}
		}})
}

// readConvCommon reads the keys every 2D convolution class shares: kernel_size, strides,
// padding, data_format, dilation_rate (refusing strides above 1 with dilation above 1) and
// groups, which must be 1.
func (r *cfgReader) readConvCommon() (ksize, strides, dilation [2]int, same bool) {
	ksize = r.pair([2]int{}, 1, maxKernel, "kernel_size")
	if v, _, ok := r.get("kernel_size"); !ok || v == nil {
		r.fail(ErrFormat, "missing kernel_size")
	}
	strides = r.pair([2]int{1, 1}, 1, maxKernel, "strides", "subsample")
	same = r.padding() == "same"
	r.dataFormat()
	dilation = r.pair([2]int{1, 1}, 1, maxKernel, "dilation_rate")
	if g := r.integer(1, 1, maxUnits, "groups"); g != 1 {
		r.fail(ErrUnsupported, "groups %d (only 1 is implemented for %s)", g, r.class)
	}
	if msg := convArgsError(1, strides, dilation, 1); msg != "" {
		r.fail(ErrFormat, "%s", msg)
	}
	return
}

func depthwiseConv2DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("DepthwiseConv2D", cfg)
	r.dialect = d
	l := &DepthwiseConv2D{}
	r.readBase(&l.base)
	l.ksize, l.strides, l.dilation, l.same = r.readConvCommon()
	l.dm = r.integer(1, 1, maxUnits, "depth_multiplier")
	l.act = r.activation()
	l.useBias = r.boolean(true, "use_bias", "bias")
	l.kernelInit = r.object("initializers", "depthwise_initializer")
	l.biasInit = r.object("initializers", "bias_initializer")
	l.kernelReg = r.objectKept("regularizers", "depthwise_regularizer")
	l.biasReg = r.objectKept("regularizers", "bias_regularizer")
	l.activityReg = r.objectKept("regularizers", "activity_regularizer")
	l.kernelConstraint = r.objectKept("constraints", "depthwise_constraint")
	l.biasConstraint = r.objectKept("constraints", "bias_constraint")
	if v, _, ok := r.get("filters"); ok && v != nil {
		r.warn("filters %s ignored (DepthwiseConv2D's output channels are in·depth_multiplier)", jsonValue(v))
	}
	r.initialWeights()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "DepthwiseConv2D".
func (l *DepthwiseConv2D) Class() string { return "DepthwiseConv2D" }

// KernelSize returns (kh, kw).
func (l *DepthwiseConv2D) KernelSize() [2]int { return l.ksize }

// DepthMultiplier returns the number of filters per input channel.
func (l *DepthwiseConv2D) DepthMultiplier() int { return l.dm }

// Strides returns the strides.
func (l *DepthwiseConv2D) Strides() [2]int { return l.strides }

// Padding returns "valid" or "same".
func (l *DepthwiseConv2D) Padding() string { return paddingName(l.same) }

// DilationRate returns the dilation.
func (l *DepthwiseConv2D) DilationRate() [2]int { return l.dilation }

// Activation returns the activation's name.
func (l *DepthwiseConv2D) Activation() string { return l.act.name }

// UseBias reports whether the layer has a bias.
func (l *DepthwiseConv2D) UseBias() bool { return l.useBias }

// SetTrainable sets Keras's layer.trainable.
func (l *DepthwiseConv2D) SetTrainable(t bool) {
	l.trainable = t
	setTrainable(t, l.kernel, l.bias)
}

// SetSkipInputGradient makes Backward skip dL/dx and return nil.
func (l *DepthwiseConv2D) SetSkipInputGradient(skip bool) { l.skipDX = skip }

// depthwiseGeometry is the window arithmetic of a depthwise convolution of an input shape.
func depthwiseGeometry(class, name string, in []int, ksize, strides, dilation [2]int, same bool) (geom, error) {
	if len(in) != 3 || in[0] < 1 || in[1] < 1 || in[2] < 1 {
		return geom{}, layerErr(ErrShape, class, name, "input shape %s: want (height, width, channels)", tensor.ShapeString(in))
	}
	g, err := newDilatedGeom(in[0], in[1], in[2], ksize[0], ksize[1], strides[0], strides[1], dilation[0], dilation[1], same)
	if err != nil {
		return g, layerErr(ErrShape, class, name, "%v", err)
	}
	return g, nil
}

// OutputShape returns (out_h, out_w, in·depth_multiplier).
func (l *DepthwiseConv2D) OutputShape(in []int) ([]int, error) {
	g, err := depthwiseGeometry("DepthwiseConv2D", l.name, in, l.ksize, l.strides, l.dilation, l.same)
	if err != nil {
		return nil, err
	}
	if in[2] > maxUnits/l.dm {
		return nil, layerErr(ErrShape, "DepthwiseConv2D", l.name, "%d channels × depth multiplier %d is too large", in[2], l.dm)
	}
	return []int{g.oh, g.ow, in[2] * l.dm}, nil
}

// Build creates depthwise_kernel (kh, kw, in, depth_multiplier) and bias (in·depth_multiplier).
func (l *DepthwiseConv2D) Build(in []int, rng *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	g, _ := depthwiseGeometry("DepthwiseConv2D", l.name, in, l.ksize, l.strides, l.dilation, l.same)
	k, err := newWeight("depthwise_kernel", l.trainable, []int{l.ksize[0], l.ksize[1], in[2], l.dm}, rng)
	if err != nil {
		return layerErr(ErrShape, "DepthwiseConv2D", l.name, "depthwise_kernel: %v", err)
	}
	rf := l.ksize[0] * l.ksize[1]
	initWeight(k, l.kernelInit, "GlorotUniform", rf*in[2], rf*l.dm, rng)
	l.kernel, l.bias = k, nil
	if l.useBias {
		b, _ := newWeight("bias", l.trainable, []int{in[2] * l.dm}, rng)
		initWeight(b, l.biasInit, "Zeros", rf*in[2], rf*l.dm, rng)
		l.bias = b
	}
	l.g = g
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns depthwise_kernel and (if used) bias.
func (l *DepthwiseConv2D) Weights() []*Weight { return weightList(l.kernel, l.bias) }

// Forward convolves x (batch, h, w, in) and returns (batch, out_h, out_w, in·depth_multiplier).
func (l *DepthwiseConv2D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if !training {
		return l.ForwardWS(nil, x)
	}
	if err := checkInput(x, l.inShape, "DepthwiseConv2D", l.name); err != nil {
		return nil, err
	}
	g := l.g
	n, cd := x.Shape[0], g.c*l.dm
	outShape := []int{n, g.oh, g.ow, cd}
	z := make([]float32, n*g.oh*g.ow*cd)
	y := z
	if l.act.needZ {
		y = make([]float32, len(z))
	}
	xd, kd := x.Float32s(), l.kernel.Value.Float32s()
	var bd []float32
	if l.bias != nil {
		bd = l.bias.Value.Float32s()
	}
	per := g.ow * cd // one output row
	parallelFor(n*g.oh, func(_, lo, hi int) {
		dwForward(&g, l.dm, xd, kd, bd, z, lo, hi)
		l.act.apply(z[lo*per:hi*per], y[lo*per:hi*per], cd)
	})
	out := tensor.MustFromFloat32(outShape, y)
	if training {
		l.x, l.z, l.y = x, tensor.MustFromFloat32(outShape, z), out
	} else {
		l.x, l.z, l.y = nil, nil, nil
	}
	return out, nil
}

// Backward fills the depthwise_kernel and bias gradients and returns dL/dx (nil when
// SetSkipInputGradient(true) was called).
func (l *DepthwiseConv2D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.x == nil {
		return nil, layerErr(ErrShape, "DepthwiseConv2D", l.name, "Backward without a training Forward")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.y.Shape) {
		return nil, layerErr(ErrShape, "DepthwiseConv2D", l.name, "dy %s, want %s", shapeOf(dy), tensor.ShapeString(l.y.Shape))
	}
	g := l.g
	n, cd := l.x.Shape[0], g.c*l.dm
	per := g.oh * g.ow * cd
	dz := make([]float32, len(l.y.Float32s()))
	var dx []float32
	if !l.skipDX {
		dx = make([]float32, len(l.x.Float32s()))
	}
	xd, kd, zd, yd, dyd := l.x.Float32s(), l.kernel.Value.Float32s(), l.z.Float32s(), l.y.Float32s(), dy.Float32s()
	w := workers(n)
	dK, dB := make([][]float32, w), make([][]float32, w)
	parallelFor(n, func(wi, lo, hi int) {
		s, e := lo*per, hi*per
		l.act.grad(zd[s:e], yd[s:e], dyd[s:e], dz[s:e], cd)
		var pk []float32
		if l.trainable {
			pk = make([]float32, len(kd))
			pb := make([]float32, cd)
			for r := s; r < e; r += cd {
				for j, v := range dz[r : r+cd] {
					pb[j] += v
				}
			}
			dB[wi] = pb
		}
		dwBackward(&g, l.dm, xd, kd, dz, pk, dx, lo, hi)
		dK[wi] = pk
	})
	if l.trainable {
		sumInto(gradOf(l.kernel), dK)
		if l.bias != nil {
			sumInto(gradOf(l.bias), dB)
		}
	}
	if dx == nil {
		return nil, nil
	}
	return tensor.MustFromFloat32(l.x.Shape, dx), nil
}

// shapeOf describes a possibly nil tensor for an error message.
func shapeOf(t *tensor.Tensor) string {
	if t == nil {
		return "nil"
	}
	return t.DType.String() + " " + tensor.ShapeString(t.Shape)
}

// Config returns the layer's Keras config in dialect d (tf_keras also writes groups 1).
func (l *DepthwiseConv2D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["kernel_size"] = intList(l.ksize[0], l.ksize[1])
	c["strides"] = intList(l.strides[0], l.strides[1])
	c["padding"] = paddingName(l.same)
	c["data_format"] = "channels_last"
	c["dilation_rate"] = intList(l.dilation[0], l.dilation[1])
	if d != saved.Keras3 {
		c["groups"] = 1
	}
	c["activation"] = l.act.configName(d)
	c["use_bias"] = l.useBias
	c["depth_multiplier"] = l.dm
	c["depthwise_initializer"] = initializerValue(l.kernelInit, "GlorotUniform", d)
	c["bias_initializer"] = initializerValue(l.biasInit, "Zeros", d)
	c["depthwise_regularizer"] = l.kernelReg.value(d)
	c["bias_regularizer"] = l.biasReg.value(d)
	c["activity_regularizer"] = l.activityReg.value(d)
	c["depthwise_constraint"] = l.kernelConstraint.value(d)
	c["bias_constraint"] = l.biasConstraint.value(d)
	return c
}

// Graph returns the layer's TF ops as tf_keras writes them: DepthwiseConv2dNative named
// "depthwise" (with SpaceToBatchND / BatchToSpaceND around it when dilated), BiasAdd, then
// the activation's op.
func (l *DepthwiseConv2D) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, errNotBuiltGraph("DepthwiseConv2D", l.name)
	}
	b := newGraphBuilder("DepthwiseConv2D", l.name)
	k := b.read("depthwise_kernel", "depthwise")
	x := dwGraph(b, &l.g, l.same, "depthwise", "$in", k)
	if l.bias != nil {
		bb := b.read("bias", "BiasAdd")
		x = b.op("BiasAdd", "BiasAdd", []string{x, bb}, tAttrs(map[string]saved.Attr{"data_format": saved.StringAttr("NHWC")}))
	}
	b.activation(l.act, x)
	return b.graph(l, false)
}

// ParamCount returns kh·kw·in·depth_multiplier, plus in·depth_multiplier with a bias.
func (l *DepthwiseConv2D) ParamCount(in []int) (int64, error) {
	if _, err := l.OutputShape(in); err != nil {
		return 0, err
	}
	n, err := product("DepthwiseConv2D", l.name, int64(l.ksize[0]), int64(l.ksize[1]), int64(in[2]), int64(l.dm))
	if err == nil && l.useBias {
		n += int64(in[2] * l.dm)
	}
	return n, err
}
