package layers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Conv2DTransposeOptions are the optional arguments of NewConv2DTranspose. The zero value
// means Keras's defaults: strides (1, 1), padding "valid", no output padding, no
// activation, with a bias.
type Conv2DTransposeOptions struct {
	Name    string
	Strides [2]int // zero means (1, 1)
	Padding string // "valid" (default) or "same"
	// OutputPadding, when set, is Keras's output_padding: extra rows and columns at the end
	// of the output, each below the stride.
	OutputPadding *[2]int
	// DilationRate spaces the kernel's taps apart (Keras's dilation_rate); zero means (1, 1).
	// Above 1 only with strides (1, 1).
	DilationRate [2]int
	Activation   string // "" is linear
	NoBias       bool   // use_bias=False
	// InputShape, when set, declares the input shape without the batch dimension.
	InputShape []int
}

// Conv2DTranspose is Keras's transposed 2D convolution over NHWC input (the adjoint of a
// Conv2D from the output's shape to the input's, TF's Conv2DBackpropInput). Weights: kernel
// (kh, kw, filters, in), bias (filters). A dilation above 1 (strides 1) spaces the kernel's
// taps apart; its TF graph is not written (SavedModel refused).
type Conv2DTranspose struct {
	base
	filters      int
	ksize        [2]int
	strides      [2]int
	dil          [2]int // dilation_rate; zero value: (1, 1)
	outPad       [2]int
	hasOutPad    bool
	same         bool
	act          *activationFunc
	useBias      bool
	kernelInit   *kerasObject
	biasInit     *kerasObject
	kernelReg    *kerasObject
	biasReg      *kerasObject
	activityReg  *kerasObject
	kernelConstr *kerasObject
	biasConstr   *kerasObject
	kernel, bias *Weight
	g            geom // the forward convolution from the output's shape to the input's
	x, z, y      *tensor.Tensor
	skipDX       bool
}

// NewConv2DTranspose returns a Conv2DTranspose layer. It panics on programmer errors: filters,
// kernel size or strides below 1, an output padding not below the stride, an unknown padding
// or activation.
func NewConv2DTranspose(filters int, kernelSize [2]int, opts ...Conv2DTransposeOptions) *Conv2DTranspose {
	o := optionsArg("NewConv2DTranspose", opts)
	st, dl, same, a := convOptions("NewConv2DTranspose", kernelSize, o.Strides, o.DilationRate, o.Padding, o.Activation)
	if filters < 1 {
		panic("layers.NewConv2DTranspose: filters must be positive")
	}
	if msg := convArgsError(filters, st, dl, 1); msg != "" {
		panic("layers.NewConv2DTranspose: " + msg)
	}
	l := &Conv2DTranspose{base: newBase(o.Name, o.InputShape), filters: filters, ksize: kernelSize,
		strides: st, dil: dl, same: same, act: a, useBias: !o.NoBias}
	if o.OutputPadding != nil {
		l.outPad, l.hasOutPad = *o.OutputPadding, true
		if msg := outPadError(l.outPad, st); msg != "" {
			panic("layers.NewConv2DTranspose: " + msg)
		}
	}
	return l
}

// outPadError returns why Keras refuses an output padding, or "".
func outPadError(op, strides [2]int) string {
	for i := range 2 {
		if op[i] < 0 || op[i] >= strides[i] {
			return fmt.Sprintf("output_padding %v must be non-negative and below the strides %v", op, strides)
		}
	}
	return ""
}

func init() {
	register(Spec{Classes: []string{"Conv2DTranspose", "Convolution2DTranspose", "Deconvolution2D", "Deconv2D"},
		FromConfig: conv2DTransposeFromConfig, WeightNames: kernelBiasNames})
	opOutArg["Conv2DBackpropInput"] = "output"
	opOutArg["Shape"] = "output"
}

func conv2DTransposeFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Conv2DTranspose", cfg)
	r.dialect = d
	l := &Conv2DTranspose{}
	r.readBase(&l.base)
	l.filters = r.integer(0, 1, maxUnits, "filters", "nb_filter")
	if v, _, ok := r.get("filters", "nb_filter"); !ok || v == nil {
		r.fail(ErrFormat, "missing filters")
	}
	l.ksize, l.strides, l.dil, l.same = r.readConvCommon()
	if v, _, ok := r.get("output_padding"); ok && v != nil {
		l.outPad, l.hasOutPad = r.pair([2]int{}, 0, maxKernel, "output_padding"), true
		if msg := outPadError(l.outPad, l.strides); msg != "" && r.err == nil {
			r.fail(ErrFormat, "%s", msg)
		}
	}
	l.act = r.activation()
	l.useBias = r.boolean(true, "use_bias", "bias")
	l.kernelInit = r.object("initializers", "kernel_initializer", "init")
	l.biasInit = r.object("initializers", "bias_initializer")
	l.kernelReg = r.objectKept("regularizers", "kernel_regularizer", "W_regularizer")
	l.biasReg = r.objectKept("regularizers", "bias_regularizer", "b_regularizer")
	l.activityReg = r.objectKept("regularizers", "activity_regularizer")
	l.kernelConstr = r.objectKept("constraints", "kernel_constraint", "W_constraint")
	l.biasConstr = r.objectKept("constraints", "bias_constraint", "b_constraint")
	r.initialWeights()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Conv2DTranspose".
func (l *Conv2DTranspose) Class() string { return "Conv2DTranspose" }

// Filters returns the number of output channels.
func (l *Conv2DTranspose) Filters() int { return l.filters }

// KernelSize returns (kh, kw).
func (l *Conv2DTranspose) KernelSize() [2]int { return l.ksize }

// Strides returns the strides.
func (l *Conv2DTranspose) Strides() [2]int { return l.strides }

// Padding returns "valid" or "same".
func (l *Conv2DTranspose) Padding() string { return paddingName(l.same) }

// dilation returns the dilation rate, (1, 1) when unset.
func (l *Conv2DTranspose) dilation() (int, int) {
	if l.dil == [2]int{} {
		return 1, 1
	}
	return l.dil[0], l.dil[1]
}

// OutputPadding returns Keras's output_padding and whether it is set.
func (l *Conv2DTranspose) OutputPadding() ([2]int, bool) { return l.outPad, l.hasOutPad }

// Activation returns the activation's name.
func (l *Conv2DTranspose) Activation() string { return l.act.name }

// UseBias reports whether the layer has a bias.
func (l *Conv2DTranspose) UseBias() bool { return l.useBias }

// SetTrainable sets Keras's layer.trainable.
func (l *Conv2DTranspose) SetTrainable(t bool) { l.trainable = t; setTrainable(t, l.kernel, l.bias) }

// SetSkipInputGradient makes Backward skip dL/dx and return nil.
func (l *Conv2DTranspose) SetSkipInputGradient(skip bool) { l.skipDX = skip }

// deconvLength is Keras's output length of a transposed convolution along one axis: without
// output padding in·s + max(k−s, 0) ("valid") or in·s ("same"); with output padding p,
// (in−1)·s + k − 2·pad + p where pad is k//2 ("same") or 0 ("valid").
func deconvLength(in, k, s int, same, hasPad bool, p int) int {
	if !hasPad {
		if same {
			return in * s
		}
		return in*s + max(k-s, 0)
	}
	pad := 0
	if same {
		pad = k / 2
	}
	return (in-1)*s + k - 2*pad + p
}

// geometry returns the forward convolution from the output's shape to the input's, checking
// that it gives back the input's size (as TF's Conv2DBackpropInput requires).
func (l *Conv2DTranspose) geometry(in []int) (geom, error) {
	if len(in) != 3 || in[0] < 1 || in[1] < 1 || in[2] < 1 || in[0] > maxDim/maxKernel || in[1] > maxDim/maxKernel {
		return geom{}, layerErr(ErrShape, "Conv2DTranspose", l.name, "input shape %s: want (height, width, channels)", tensor.ShapeString(in))
	}
	dh, dw := l.dilation()
	// Keras computes the output length from the dilated kernel's span
	oh := deconvLength(in[0], (l.ksize[0]-1)*dh+1, l.strides[0], l.same, l.hasOutPad, l.outPad[0])
	ow := deconvLength(in[1], (l.ksize[1]-1)*dw+1, l.strides[1], l.same, l.hasOutPad, l.outPad[1])
	if oh < 1 || ow < 1 {
		return geom{}, layerErr(ErrShape, "Conv2DTranspose", l.name, "input shape %s gives an empty output %dx%d", tensor.ShapeString(in), oh, ow)
	}
	g, err := newDilatedGeom(oh, ow, l.filters, l.ksize[0], l.ksize[1], l.strides[0], l.strides[1], dh, dw, l.same)
	if err != nil || g.oh != in[0] || g.ow != in[1] {
		return geom{}, layerErr(ErrShape, "Conv2DTranspose", l.name,
			"input shape %s: the output %dx%d does not convolve back to %dx%d with this kernel, strides and padding", tensor.ShapeString(in), oh, ow, in[0], in[1])
	}
	return g, nil
}

// OutputShape returns (out_h, out_w, filters) by Keras's formula (see deconvLength).
func (l *Conv2DTranspose) OutputShape(in []int) ([]int, error) {
	g, err := l.geometry(in)
	if err != nil {
		return nil, err
	}
	return []int{g.h, g.w, l.filters}, nil
}

// Build creates kernel (kh, kw, filters, in) and bias (filters).
func (l *Conv2DTranspose) Build(in []int, rng *Rand) error {
	g, err := l.geometry(in)
	if err != nil {
		return err
	}
	k, err := newWeight("kernel", l.trainable, []int{l.ksize[0], l.ksize[1], l.filters, in[2]}, rng)
	if err != nil {
		return layerErr(ErrShape, "Conv2DTranspose", l.name, "kernel: %v", err)
	}
	rf := l.ksize[0] * l.ksize[1]
	initWeight(k, l.kernelInit, "GlorotUniform", rf*l.filters, rf*in[2], rng)
	l.kernel, l.bias = k, nil
	if l.useBias {
		b, _ := newWeight("bias", l.trainable, []int{l.filters}, rng)
		initWeight(b, l.biasInit, "Zeros", rf*l.filters, rf*in[2], rng)
		l.bias = b
	}
	l.g = g
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns kernel and (if used) bias.
func (l *Conv2DTranspose) Weights() []*Weight { return weightList(l.kernel, l.bias) }

// Forward returns (batch, out_h, out_w, filters) for x (batch, h, w, in): every input pixel
// spreads its kernel-weighted values over its window of the output (im2col's adjoint).
func (l *Conv2DTranspose) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Conv2DTranspose", l.name); err != nil {
		return nil, err
	}
	g := l.g
	n, C, F := x.Shape[0], l.inShape[2], l.filters
	P, K := g.patch()
	outSize := g.h * g.w * F
	z := make([]float32, n*outSize)
	y := z
	if l.act.needZ {
		y = make([]float32, len(z))
	}
	xd, kd := x.Float32s(), l.kernel.Value.Float32s()
	var bd []float32
	if l.bias != nil {
		bd = l.bias.Value.Float32s()
	}
	parallelFor(n, func(_, lo, hi int) {
		cols := make([]float32, P*K)
		for i := lo; i < hi; i++ {
			gemm(false, true, P, K, C, 1, xd[i*P*C:(i+1)*P*C], C, kd, C, 0, cols, K)
			zi := z[i*outSize : (i+1)*outSize]
			if bd != nil {
				for r := 0; r < outSize; r += F {
					copy(zi[r:r+F], bd)
				}
			}
			if g.dilated() {
				g.col2imGroup(cols, zi, 0, F)
			} else {
				g.col2im(cols, zi)
			}
		}
		l.act.apply(z[lo*outSize:hi*outSize], y[lo*outSize:hi*outSize], F)
	})
	outShape := []int{n, g.h, g.w, F}
	out := tensor.MustFromFloat32(outShape, y)
	if training {
		l.x, l.z, l.y = x, tensor.MustFromFloat32(outShape, z), out
	} else {
		l.x, l.z, l.y = nil, nil, nil
	}
	return out, nil
}

// Backward fills the kernel and bias gradients and returns dL/dx (nil when
// SetSkipInputGradient(true) was called): dL/dx is the forward convolution of dL/dz.
func (l *Conv2DTranspose) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.x == nil {
		return nil, layerErr(ErrShape, "Conv2DTranspose", l.name, "Backward without a training Forward")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.y.Shape) {
		return nil, layerErr(ErrShape, "Conv2DTranspose", l.name, "dy %s, want %s", shapeOf(dy), tensor.ShapeString(l.y.Shape))
	}
	g := l.g
	n, C, F := l.x.Shape[0], l.inShape[2], l.filters
	P, K := g.patch()
	outSize := g.h * g.w * F
	xd, kd, zd, yd, dyd := l.x.Float32s(), l.kernel.Value.Float32s(), l.z.Float32s(), l.y.Float32s(), dy.Float32s()
	dz := make([]float32, len(dyd))
	var dx []float32
	if !l.skipDX {
		dx = make([]float32, len(xd))
	}
	w := workers(n)
	dK, dB := make([][]float32, w), make([][]float32, w)
	parallelFor(n, func(wi, lo, hi int) {
		s, e := lo*outSize, hi*outSize
		l.act.grad(zd[s:e], yd[s:e], dyd[s:e], dz[s:e], F)
		cols := make([]float32, P*K)
		var pk, pb []float32
		if l.trainable {
			pk, pb = make([]float32, K*C), make([]float32, F)
			for r := s; r < e; r += F {
				for j, v := range dz[r : r+F] {
					pb[j] += v
				}
			}
		}
		for i := lo; i < hi; i++ {
			if g.dilated() {
				g.im2colGroup(dz[i*outSize:(i+1)*outSize], cols, 0, F)
			} else {
				g.im2col(dz[i*outSize:(i+1)*outSize], cols)
			}
			if pk != nil {
				gemm(true, false, K, C, P, 1, cols, K, xd[i*P*C:(i+1)*P*C], C, 1, pk, C)
			}
			if dx != nil {
				gemm(false, false, P, C, K, 1, cols, K, kd, C, 0, dx[i*P*C:(i+1)*P*C], C)
			}
		}
		dK[wi], dB[wi] = pk, pb
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

// Config returns the layer's Keras config in dialect d (tf_keras also writes groups 1).
func (l *Conv2DTranspose) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["filters"] = l.filters
	c["kernel_size"] = intList(l.ksize[0], l.ksize[1])
	c["strides"] = intList(l.strides[0], l.strides[1])
	c["padding"] = paddingName(l.same)
	c["data_format"] = "channels_last"
	dh, dw := l.dilation()
	c["dilation_rate"] = intList(dh, dw)
	c["output_padding"] = nil
	if l.hasOutPad {
		c["output_padding"] = intList(l.outPad[0], l.outPad[1])
	}
	if d != saved.Keras3 {
		c["groups"] = 1
	}
	c["activation"] = l.act.configName(d)
	c["use_bias"] = l.useBias
	c["kernel_initializer"] = initializerValue(l.kernelInit, "GlorotUniform", d)
	c["bias_initializer"] = initializerValue(l.biasInit, "Zeros", d)
	c["kernel_regularizer"] = l.kernelReg.value(d)
	c["bias_regularizer"] = l.biasReg.value(d)
	c["activity_regularizer"] = l.activityReg.value(d)
	c["kernel_constraint"] = l.kernelConstr.value(d)
	c["bias_constraint"] = l.biasConstr.value(d)
	return c
}

// Graph returns the layer's TF ops: the output shape (the batch size from Shape of the input,
// then the constant out_h, out_w, filters), Conv2DBackpropInput named "conv2d_transpose" on
// the kernel, BiasAdd, then the activation's op.
func (l *Conv2DTranspose) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, errNotBuiltGraph("Conv2DTranspose", l.name)
	}
	if dh, dw := l.dilation(); dh != 1 || dw != 1 {
		return l.dilatedGraph()
	}
	b := newGraphBuilder("Conv2DTranspose", l.name)
	i32 := saved.TypeAttr(tensor.Int32)
	shape := b.op("Shape", "Shape", []string{"$in"}, tAttrs(map[string]saved.Attr{"out_type": i32}))
	begin := b.int32Const("strided_slice/stack", []int32{0})
	end := b.int32Const("strided_slice/stack_1", []int32{1})
	step := b.int32Const("strided_slice/stack_2", []int32{1})
	batch := b.op("strided_slice", "StridedSlice", []string{shape, begin, end, step}, map[string]saved.Attr{
		"T": i32, "Index": i32, "begin_mask": saved.IntAttr(0), "end_mask": saved.IntAttr(0),
		"ellipsis_mask": saved.IntAttr(0), "new_axis_mask": saved.IntAttr(0), "shrink_axis_mask": saved.IntAttr(0),
	})
	rest := b.int32Const("stack/rest", []int32{int32(l.g.h), int32(l.g.w), int32(l.filters)})
	axis := b.int32s("stack/axis", []int{}, 0)
	sizes := b.op("stack", "ConcatV2", []string{batch, rest, axis}, map[string]saved.Attr{
		"T": i32, "Tidx": i32, "N": saved.IntAttr(2)})
	k := b.read("kernel", "conv2d_transpose")
	x := b.op("conv2d_transpose", "Conv2DBackpropInput", []string{sizes, k, "$in"}, tAttrs(map[string]saved.Attr{
		"strides":     saved.IntsAttr(1, int64(l.strides[0]), int64(l.strides[1]), 1),
		"padding":     saved.StringAttr(strings.ToUpper(paddingName(l.same))),
		"dilations":   saved.IntsAttr(1, 1, 1, 1),
		"data_format": saved.StringAttr("NHWC"),
	}))
	if l.bias != nil {
		bb := b.read("bias", "BiasAdd")
		x = b.op("BiasAdd", "BiasAdd", []string{x, bb}, tAttrs(map[string]saved.Attr{"data_format": saved.StringAttr("NHWC")}))
	}
	b.activation(l.act, x)
	return b.graph(l, false)
}

// dilatedGraph is Graph for a dilation_rate above 1 (strides 1; TF's CPU kernel of
// Conv2DBackpropInput takes no dilations). A transposed convolution is the adjoint of the
// forward convolution from the output to the input (l.g); with stride 1 that adjoint is a
// dilated Conv2D (VALID) of the input padded by (span−1−pad_before) before and the rest after,
// with the kernel flipped in both spatial axes and its two channel axes swapped:
// Transpose(kernel, [0, 1, 3, 2]), ReverseV2 on axes 0 and 1, Pad, Conv2D with dilations.
func (l *Conv2DTranspose) dilatedGraph() (*saved.LayerGraph, error) {
	g := l.g
	eh, ew := (g.kh-1)*g.dh+1, (g.kw-1)*g.dw+1
	top, left := eh-1-g.pt, ew-1-g.pl
	bottom, right := g.h+eh-1-g.oh-top, g.w+ew-1-g.ow-left
	if l.strides != [2]int{1, 1} || top < 0 || left < 0 || bottom < 0 || right < 0 {
		return nil, layerErr(ErrUnsupported, "Conv2DTranspose", l.name, "no TF graph for dilation_rate (%d, %d) with strides (%d, %d)",
			g.dh, g.dw, l.strides[0], l.strides[1])
	}
	b := newGraphBuilder("Conv2DTranspose", l.name)
	k := b.read("kernel", "conv2d_transpose")
	perm := b.int32Const("conv2d_transpose/perm", []int32{0, 1, 3, 2})
	kt := b.op("conv2d_transpose/transpose", "Transpose", []string{k, perm}, tAttrs(map[string]saved.Attr{"Tperm": saved.TypeAttr(tensor.Int32)}))
	axes := b.int32Const("conv2d_transpose/ReverseV2/axis", []int32{0, 1})
	kf := b.op("conv2d_transpose/ReverseV2", "ReverseV2", []string{kt, axes}, tAttrs(map[string]saved.Attr{"Tidx": saved.TypeAttr(tensor.Int32)}))
	pads := b.int32s("conv2d_transpose/Pad/paddings", []int{4, 2}, 0, 0, int32(top), int32(bottom), int32(left), int32(right), 0, 0)
	xp := b.op("conv2d_transpose/Pad", "Pad", []string{"$in", pads}, tAttrs(map[string]saved.Attr{"Tpaddings": saved.TypeAttr(tensor.Int32)}))
	x := b.op("conv2d_transpose", "Conv2D", []string{xp, kf}, tAttrs(map[string]saved.Attr{
		"strides": saved.IntsAttr(1, 1, 1, 1), "padding": saved.StringAttr("VALID"),
		"dilations": saved.IntsAttr(1, int64(g.dh), int64(g.dw), 1), "data_format": saved.StringAttr("NHWC"),
	}))
	if l.bias != nil {
		bb := b.read("bias", "BiasAdd")
		x = b.op("BiasAdd", "BiasAdd", []string{x, bb}, tAttrs(map[string]saved.Attr{"data_format": saved.StringAttr("NHWC")}))
	}
	b.activation(l.act, x)
	return b.graph(l, false)
}

// ParamCount returns kh·kw·filters·in, plus filters with a bias.
func (l *Conv2DTranspose) ParamCount(in []int) (int64, error) {
	if _, err := l.geometry(in); err != nil {
		return 0, err
	}
	n, err := product("Conv2DTranspose", l.name, int64(l.ksize[0]), int64(l.ksize[1]), int64(l.filters), int64(in[2]))
	if err == nil && l.useBias {
		n += int64(l.filters)
	}
	return n, err
}
