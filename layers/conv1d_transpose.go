package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Conv1DTransposeOptions are the optional arguments of NewConv1DTranspose. The zero value
// means Keras's defaults: stride 1, padding "valid", dilation 1, no output_padding, no
// activation, with a bias.
type Conv1DTransposeOptions struct {
	Name         string
	Strides      int    // zero means 1
	Padding      string // "valid" (default) or "same"
	DilationRate int    // zero means 1; above 1 only with stride 1
	// OutputPadding, when not nil, is Keras's output_padding: the output length becomes
	// (steps-1)·stride + span - 2·pad + output_padding (pad = span/2 for "same"). It must be
	// below the stride.
	OutputPadding *int
	Activation    string // "" is linear
	NoBias        bool   // use_bias=False
	InputShape    []int
}

// Conv1DTranspose is Keras's transposed 1D convolution over (batch, steps, channels) input:
// the adjoint of a Conv1D from the output's steps to the input's, as TensorFlow's
// conv1d_transpose computes it. Weights: kernel (kernel_size, filters, in), bias (filters).
type Conv1DTranspose struct {
	base
	filters, ksize, stride, dilation int
	same                             bool
	outPad                           *int
	act                              *activationFunc
	useBias                          bool

	kernelInit, biasInit             *kerasObject
	kernelReg, biasReg, activityReg  *kerasObject
	kernelConstraint, biasConstraint *kerasObject

	kernel, bias *Weight
	g            geom // the Conv1D this layer transposes: from the output (w) to the input (ow)
	x, z, y      *tensor.Tensor
	skipDX       bool
}

// NewConv1DTranspose returns a Conv1DTranspose layer. It panics on programmer errors:
// filters or kernel size below 1, an unknown padding or activation, a stride above 1 with
// dilation above 1, an output padding not below the stride.
func NewConv1DTranspose(filters, kernelSize int, opts ...Conv1DTransposeOptions) *Conv1DTranspose {
	o := optionsArg("NewConv1DTranspose", opts)
	if filters < 1 || kernelSize < 1 || o.Strides < 0 || o.DilationRate < 0 {
		panic("layers.NewConv1DTranspose: filters, kernel size, strides and dilation must be positive")
	}
	a, err := lookupActivation(o.Activation)
	if err != nil {
		panic("layers.NewConv1DTranspose: " + err.Error())
	}
	same, ok := parsePadding(o.Padding)
	if !ok {
		panic("layers.NewConv1DTranspose: padding must be \"valid\" or \"same\"")
	}
	l := &Conv1DTranspose{base: newBase(o.Name, o.InputShape), filters: filters, ksize: kernelSize,
		stride: max(o.Strides, 1), dilation: max(o.DilationRate, 1), same: same, act: a, useBias: !o.NoBias}
	if o.OutputPadding != nil {
		p := *o.OutputPadding
		l.outPad = &p
	}
	if msg := l.argsError(); msg != "" {
		panic("layers.NewConv1DTranspose: " + msg)
	}
	return l
}

func (l *Conv1DTranspose) argsError() string {
	if msg := convArgsError(l.filters, [2]int{1, l.stride}, [2]int{1, l.dilation}, 1); msg != "" {
		return msg
	}
	if l.outPad != nil && (*l.outPad < 0 || *l.outPad >= l.stride) {
		return "output_padding must be below the stride"
	}
	return ""
}

func init() {
	opOutArg["Conv2DBackpropInput"] = "output"
	opOutArg["Shape"] = "output"
	opOutArg["Pack"] = "output"
	register(Spec{Classes: []string{"Conv1DTranspose", "Convolution1DTranspose"}, FromConfig: conv1DTransposeFromConfig, WeightNames: kernelBiasNames})
}

func conv1DTransposeFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Conv1DTranspose", cfg)
	r.dialect = d
	l := &Conv1DTranspose{}
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
	l.same = r.padding() == "same"
	r.dataFormat()
	l.dilation = r.single(1, 1, maxKernel, "dilation_rate")
	if g := r.integer(1, 1, maxUnits, "groups"); g != 1 {
		r.fail(ErrUnsupported, "groups %d", g)
	}
	if v, _, ok := r.get("output_padding"); ok && v != nil {
		p := r.single(0, 0, maxKernel, "output_padding")
		l.outPad = &p
	}
	if msg := l.argsError(); msg != "" && l.filters > 0 {
		r.fail(ErrFormat, "%s", msg)
	}
	l.act = r.activation()
	l.useBias = r.boolean(true, "use_bias")
	l.kernelInit = r.object("initializers", "kernel_initializer")
	l.biasInit = r.object("initializers", "bias_initializer")
	l.kernelReg = r.objectKept("regularizers", "kernel_regularizer")
	l.biasReg = r.objectKept("regularizers", "bias_regularizer")
	l.activityReg = r.objectKept("regularizers", "activity_regularizer")
	l.kernelConstraint = r.objectKept("constraints", "kernel_constraint")
	l.biasConstraint = r.objectKept("constraints", "bias_constraint")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Conv1DTranspose".
func (l *Conv1DTranspose) Class() string { return "Conv1DTranspose" }

// Filters returns the number of output channels.
func (l *Conv1DTranspose) Filters() int { return l.filters }

// KernelSize returns the window length.
func (l *Conv1DTranspose) KernelSize() int { return l.ksize }

// Strides returns the stride.
func (l *Conv1DTranspose) Strides() int { return l.stride }

// Padding returns "valid" or "same".
func (l *Conv1DTranspose) Padding() string { return paddingName(l.same) }

// Activation returns the activation's name.
func (l *Conv1DTranspose) Activation() string { return l.act.name }

// SetTrainable sets Keras's layer.trainable.
func (l *Conv1DTranspose) SetTrainable(t bool) { l.trainable = t; setTrainable(t, l.kernel, l.bias) }

// SetSkipInputGradient makes Backward skip dL/dx and return nil.
func (l *Conv1DTranspose) SetSkipInputGradient(skip bool) { l.skipDX = skip }

// outLen returns Keras's output length for steps input steps.
func (l *Conv1DTranspose) outLen(steps int) int {
	span := (l.ksize-1)*l.dilation + 1
	if l.outPad == nil {
		if l.same {
			return steps * l.stride
		}
		return steps*l.stride + max(span-l.stride, 0)
	}
	pad := 0
	if l.same {
		pad = span / 2
	}
	return (steps-1)*l.stride + span - 2*pad + *l.outPad
}

// geometry returns the geometry of the Conv1D this layer is the transpose of.
func (l *Conv1DTranspose) geometry(in []int) (geom, error) {
	if err := steps2(in, "Conv1DTranspose", l.name); err != nil {
		return geom{}, err
	}
	out := l.outLen(in[0])
	if out < 1 || out > maxDim {
		return geom{}, layerErr(ErrShape, "Conv1DTranspose", l.name, "input shape %s: output length %d", tensor.ShapeString(in), out)
	}
	g, err := newDilatedGeom(1, out, l.filters, 1, l.ksize, 1, l.stride, 1, l.dilation, l.same)
	if err != nil || g.ow != in[0] {
		return geom{}, layerErr(ErrShape, "Conv1DTranspose", l.name, "input shape %s: output length %d does not convolve back to %d steps", tensor.ShapeString(in), out, in[0])
	}
	return g, nil
}

// OutputShape returns (out_steps, filters).
func (l *Conv1DTranspose) OutputShape(in []int) ([]int, error) {
	g, err := l.geometry(in)
	if err != nil {
		return nil, err
	}
	return []int{g.w, l.filters}, nil
}

// ParamCount returns kernel_size·filters·in, plus filters with a bias.
func (l *Conv1DTranspose) ParamCount(in []int) (int64, error) {
	if _, err := l.geometry(in); err != nil {
		return 0, err
	}
	n, err := product("Conv1DTranspose", l.name, int64(l.ksize), int64(l.filters), int64(in[1]))
	if err != nil {
		return 0, err
	}
	if l.useBias {
		n += int64(l.filters)
	}
	return n, nil
}

// Build creates kernel (kernel_size, filters, in) and bias (filters).
func (l *Conv1DTranspose) Build(in []int, rng *Rand) error {
	g, err := l.geometry(in)
	if err != nil {
		return err
	}
	k, err := newWeight("kernel", l.trainable, []int{l.ksize, l.filters, in[1]}, rng)
	if err != nil {
		return layerErr(ErrShape, "Conv1DTranspose", l.name, "kernel: %v", err)
	}
	initWeight(k, l.kernelInit, "GlorotUniform", l.ksize*l.filters, l.ksize*in[1], rng)
	l.kernel, l.bias = k, nil
	if l.useBias {
		b, _ := newWeight("bias", l.trainable, []int{l.filters}, rng)
		initWeight(b, l.biasInit, "Zeros", l.ksize*l.filters, l.ksize*in[1], rng)
		l.bias = b
	}
	l.g = g
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns kernel and (if used) bias.
func (l *Conv1DTranspose) Weights() []*Weight { return weightList(l.kernel, l.bias) }

// Forward computes (batch, out_steps, filters) from x (batch, steps, in): each input step
// adds its kernel-weighted copy into the output window it maps to (col2im of x·kernelᵀ).
func (l *Conv1DTranspose) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Conv1DTranspose", l.name); err != nil {
		return nil, err
	}
	g := l.g
	n, L, C, F := x.Shape[0], l.inShape[0], l.inShape[1], l.filters
	KF := l.ksize * F
	out := g.w
	z := make([]float32, n*out*F)
	y := z
	if l.act.needZ {
		y = make([]float32, len(z))
	}
	xd, kd := x.Float32s(), l.kernel.Value.Float32s()
	parallelFor(n, func(_, lo, hi int) {
		cols := make([]float32, L*KF)
		for i := lo; i < hi; i++ {
			gemm(false, true, L, KF, C, 1, xd[i*L*C:(i+1)*L*C], C, kd, C, 0, cols, KF)
			zi := z[i*out*F : (i+1)*out*F]
			g.col2imGroup(cols, zi, 0, F)
			if l.bias != nil {
				bd := l.bias.Value.Float32s()
				for p := 0; p < out; p++ {
					row := zi[p*F : (p+1)*F]
					for j, b := range bd[:len(row)] {
						row[j] += b
					}
				}
			}
			l.act.apply(zi, y[i*out*F:(i+1)*out*F], F)
		}
	})
	res := tensor.MustFromFloat32([]int{n, out, F}, y)
	if training {
		l.x, l.z, l.y = x, tensor.MustFromFloat32(res.Shape, z), res
	} else {
		l.x, l.z, l.y = nil, nil, nil
	}
	return res, nil
}

// Backward fills the kernel and bias gradients and returns dL/dx: the Conv1D of dL/dz.
func (l *Conv1DTranspose) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.x == nil {
		return nil, layerErr(ErrShape, "Conv1DTranspose", l.name, "Backward without a training Forward")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.y.Shape) {
		return nil, layerErr(ErrShape, "Conv1DTranspose", l.name, "dy shape %s, want %s", shapeOf(dy), tensor.ShapeString(l.y.Shape))
	}
	g := l.g
	n, L, C, F := l.x.Shape[0], l.inShape[0], l.inShape[1], l.filters
	KF := l.ksize * F
	out := g.w
	xd, kd := l.x.Float32s(), l.kernel.Value.Float32s()
	zd, yd, dyd := l.z.Float32s(), l.y.Float32s(), dy.Float32s()
	dz := make([]float32, len(dyd))
	var dx []float32
	if !l.skipDX {
		dx = make([]float32, len(xd))
	}
	w := workers(n)
	dW, dB := make([][]float32, w), make([][]float32, w)
	train := l.trainable
	parallelFor(n, func(wi, lo, hi int) {
		cols := make([]float32, L*KF)
		pw, pb := make([]float32, KF*C), make([]float32, F)
		for i := lo; i < hi; i++ {
			s, e := i*out*F, (i+1)*out*F
			l.act.grad(zd[s:e], yd[s:e], dyd[s:e], dz[s:e], F)
			for p := 0; p < out; p++ {
				for j, v := range dz[s+p*F : s+(p+1)*F] {
					pb[j] += v
				}
			}
			g.im2colGroup(dz[s:e], cols, 0, F)
			xi := xd[i*L*C : (i+1)*L*C]
			if train {
				gemm(true, false, KF, C, L, 1, cols, KF, xi, C, 1, pw, C)
			}
			if dx != nil {
				gemm(false, false, L, C, KF, 1, cols, KF, kd, C, 0, dx[i*L*C:(i+1)*L*C], C)
			}
		}
		dW[wi], dB[wi] = pw, pb
	})
	if train {
		sumInto(gradOf(l.kernel), dW)
		if l.bias != nil {
			sumInto(gradOf(l.bias), dB)
		}
	}
	if dx == nil {
		return nil, nil
	}
	return tensor.MustFromFloat32(l.x.Shape, dx), nil
}

// Config returns the layer's Keras config in dialect d (tf_keras also writes groups 1).
func (l *Conv1DTranspose) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["filters"] = l.filters
	c["kernel_size"] = intList(l.ksize)
	c["strides"] = intList(l.stride)
	c["padding"] = paddingName(l.same)
	c["data_format"] = "channels_last"
	c["dilation_rate"] = intList(l.dilation)
	if d == saved.Keras2 {
		c["groups"] = 1
	}
	c["output_padding"] = nil
	if l.outPad != nil {
		c["output_padding"] = intList(*l.outPad)
	}
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

// Graph returns the layer's TF ops after tf_keras's: the output shape (batch from Shape of
// the input, the output length and filters as constants) packed and made 4D, the input and
// the kernel expanded at axis 1 and 0, Conv2DBackpropInput (NHWC), Squeeze of axis 1,
// BiasAdd and the activation's op.
func (l *Conv1DTranspose) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("Conv1DTranspose", l.name)
	}
	b := newGraphBuilder("Conv1DTranspose", l.name)
	i32 := func(v ...int32) *tensor.Tensor {
		return &tensor.Tensor{DType: tensor.Int32, Shape: []int{len(v)}, Data: v}
	}
	s0 := func(v int32) *tensor.Tensor {
		return &tensor.Tensor{DType: tensor.Int32, Shape: []int{}, Data: []int32{v}}
	}
	shape := b.op("Shape", "Shape", []string{"$in"}, tAttrs(map[string]saved.Attr{"out_type": saved.TypeAttr(tensor.Int32)}))
	batch := b.op("strided_slice", "StridedSlice", []string{shape, b.constant("strided_slice/stack", i32(0)),
		b.constant("strided_slice/stack_1", i32(1)), b.constant("strided_slice/stack_2", i32(1))}, map[string]saved.Attr{
		"T": saved.TypeAttr(tensor.Int32), "Index": saved.TypeAttr(tensor.Int32),
		"begin_mask": saved.IntAttr(0), "end_mask": saved.IntAttr(0), "ellipsis_mask": saved.IntAttr(0),
		"new_axis_mask": saved.IntAttr(0), "shrink_axis_mask": saved.IntAttr(1),
	})
	pack := func(name string, vals []string) string {
		return b.op(name, "Pack", vals, map[string]saved.Attr{"T": saved.TypeAttr(tensor.Int32), "N": saved.IntAttr(int64(len(vals))), "axis": saved.IntAttr(0)})
	}
	sizes := pack("conv1d_transpose/stack", []string{batch, b.constant("conv1d_transpose/stack/1", s0(1)),
		b.constant("conv1d_transpose/stack/2", s0(int32(l.g.w))), b.constant("conv1d_transpose/stack/3", s0(int32(l.filters)))})
	expand := func(name, in string, dim int32) string {
		return b.op(name, "ExpandDims", []string{in, b.constant(name+"/dim", s0(dim))}, tAttrs(map[string]saved.Attr{"Tdim": saved.TypeAttr(tensor.Int32)}))
	}
	x := expand("conv1d_transpose/ExpandDims", "$in", 1)
	k := expand("conv1d_transpose/ExpandDims_1", b.read("kernel", "conv1d_transpose/ExpandDims_1"), 0)
	pad := "VALID"
	if l.same {
		pad = "SAME"
	}
	y := b.op("conv1d_transpose", "Conv2DBackpropInput", []string{sizes, k, x}, tAttrs(map[string]saved.Attr{
		"strides":     saved.IntsAttr(1, 1, int64(l.stride), 1),
		"padding":     saved.StringAttr(pad),
		"dilations":   saved.IntsAttr(1, 1, int64(l.dilation), 1),
		"data_format": saved.StringAttr("NHWC"),
	}))
	y = b.op("conv1d_transpose/Squeeze", "Squeeze", []string{y}, tAttrs(map[string]saved.Attr{"squeeze_dims": saved.IntsAttr(1)}))
	if l.bias != nil {
		bias := b.read("bias", "BiasAdd")
		y = b.op("BiasAdd", "BiasAdd", []string{y, bias}, tAttrs(map[string]saved.Attr{"data_format": saved.StringAttr("NHWC")}))
	}
	b.activation(l.act, y)
	return b.graph(l, false)
}
