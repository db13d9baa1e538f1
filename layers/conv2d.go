package layers

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Conv2DOptions are the optional arguments of NewConv2D. The zero value means Keras's
// defaults: strides (1, 1), padding "valid", dilation (1, 1), one group, no activation,
// with a bias.
type Conv2DOptions struct {
	Name    string
	Strides [2]int // zero means (1, 1)
	Padding string // "valid" (default) or "same"
	// DilationRate spaces the kernel's taps apart (Keras's dilation_rate); zero means (1, 1).
	// Keras allows dilation above 1 only with strides (1, 1).
	DilationRate [2]int
	// Groups splits the input channels and the filters into that many groups, each
	// convolved on its own (Keras's groups); zero means 1. Filters and the input channels
	// must be multiples of it.
	Groups     int
	Activation string // "" is linear
	NoBias     bool   // use_bias=False
	// InputShape, when set, declares the input shape without the batch dimension (Keras's
	// input_shape argument on the first layer), e.g. []int{32, 32, 3}.
	InputShape []int
}

// Conv2D is Keras's 2D convolution over NHWC input (channels_last), with any dilation_rate
// and groups. Weights: kernel (kh, kw, in/groups, filters), bias (filters). Padding "same"
// pads as TensorFlow does (the odd extra cell after).
type Conv2D struct {
	base
	filters  int
	ksize    [2]int
	strides  [2]int
	dilation [2]int
	groups   int
	same     bool
	act      *activationFunc
	useBias  bool

	kernelInit, biasInit             *kerasObject
	kernelReg, biasReg, activityReg  *kerasObject
	kernelConstraint, biasConstraint *kerasObject

	kernel, bias *Weight
	g            geom
	x, z, y      *tensor.Tensor // cached by a training Forward
	skipDX       bool
	// Scratch reused across calls: dL/dz and im2col buffers, per worker.
	dzBuf []float32
	// trainZ, trainY: the outputs of a training Forward (before and after the activation),
	// reused by the next training Forward (Backward reads them in between).
	trainZ, trainY []float32
	trainBufs      inferBufs // the direct kernels' scratch in a training Forward
	scratch        [][]float32
	// colsCache holds the im2col matrix of the last training Forward for Backward's kernel
	// gradient (when it fits in maxColsCache bytes).
	colsCache []float32
	colsValid bool
	// infer holds the output and scratch of inference Forward calls.
	infer inferBufs
}

// inferBufs are the buffers of a layer's inference calls: outputs (so a warm inference call
// allocates no tensor data), their headers and per-worker scratch. A layer's own inferBufs
// value is also the key of its sets in a Workspace (see Workspace, which says who owns what).
// A plain Forward that finds the layer's own set held by a concurrent call uses a fresh set.
type inferBufs struct {
	mu   sync.Mutex
	bufs [][]float32
	// fresh makes out allocate: the set is a layer's own, taken by a plain Forward(x, false),
	// whose result the caller owns (see Workspace).
	fresh bool
	// hdrs are the headers of the outputs (view), reused like bufs.
	hdrs []tensor.Tensor
}

// view returns a float32 tensor of shape dims over data: header i of b, reused by the next
// call, or a new tensor when b is fresh.
func (b *inferBufs) view(i int, data []float32, dims ...int) *tensor.Tensor {
	if b.fresh {
		return tensor.MustFromFloat32(slices.Clone(dims), data)
	}
	for len(b.hdrs) <= i {
		b.hdrs = append(b.hdrs, tensor.Tensor{})
	}
	h := &b.hdrs[i]
	setData(h, data)
	h.Shape = append(h.Shape[:0], dims...)
	return h
}

// setData makes h a float32 tensor over data. Storing a slice in the Data interface
// allocates; a reused buffer is usually the slice h holds already, which is kept.
func setData(h *tensor.Tensor, data []float32) {
	h.DType = tensor.Float32
	if d, ok := h.Data.([]float32); ok && len(d) == len(data) && cap(d) == cap(data) && (len(d) == 0 || &d[0] == &data[0]) {
		return
	}
	h.Data = data
}

// SetFloat32View makes h a float32 tensor of shape dims over data, reusing h's shape slice
// and, when data is the slice h holds already, its Data (so a reused header allocates
// nothing).
func SetFloat32View(h *tensor.Tensor, data []float32, dims ...int) {
	setData(h, data)
	h.Shape = append(h.Shape[:0], dims...)
}

// viewLast is view with the shape of x and the last dimension last.
func (b *inferBufs) viewLast(i int, data []float32, x *tensor.Tensor, last int) *tensor.Tensor {
	if b.fresh {
		shape := slices.Clone(x.Shape)
		shape[len(shape)-1] = last
		return tensor.MustFromFloat32(shape, data)
	}
	for len(b.hdrs) <= i {
		b.hdrs = append(b.hdrs, tensor.Tensor{})
	}
	h := &b.hdrs[i]
	setData(h, data)
	h.Shape = append(h.Shape[:0], x.Shape...)
	h.Shape[len(h.Shape)-1] = last
	return h
}

// acquire returns b locked, or, when a concurrent call holds b, a fresh set (also locked).
func (b *inferBufs) acquire() *inferBufs {
	if b.mu.TryLock() {
		return b
	}
	f := &inferBufs{}
	f.mu.Lock()
	return f
}

func (b *inferBufs) release() { b.mu.Unlock() }

// get returns buffer i with n elements (contents left over from earlier calls). Call it
// before handing buffers to workers: it is not safe for concurrent use.
func (b *inferBufs) get(i, n int) []float32 {
	for len(b.bufs) <= i {
		b.bufs = append(b.bufs, nil)
	}
	if cap(b.bufs[i]) < n {
		b.bufs[i] = make([]float32, n)
	}
	return b.bufs[i][:n]
}

// out returns output buffer i with n elements: get's, or a new slice when b is fresh.
func (b *inferBufs) out(i, n int) []float32 {
	if b.fresh {
		return make([]float32, n)
	}
	return b.get(i, n)
}

// maxColsCache bounds the im2col matrix a training Forward keeps for Backward.
const maxColsCache = 1 << 29

// buf returns scratch buffer i (one per worker and use) with n elements, reusing memory.
func (l *Conv2D) buf(i, n int) []float32 {
	for len(l.scratch) <= i {
		l.scratch = append(l.scratch, nil)
	}
	if cap(l.scratch[i]) < n {
		l.scratch[i] = make([]float32, n)
	}
	return l.scratch[i][:n]
}

// ForwardWS is Forward(x, false) with the buffers of ws (see Workspace).
func (l *Conv2D) ForwardWS(ws *Workspace, x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Conv2D", l.name); err != nil {
		return nil, err
	}
	if !l.plain() {
		return l.forwardGrouped(ws, x, false), nil
	}
	l.clearTrainCache()
	return l.forwardInfer(ws, x), nil
}

// clearTrainCache drops what a training Forward cached, writing only what is set (so that
// concurrent inference calls on a clean layer write nothing).
func (l *Conv2D) clearTrainCache() {
	if l.x != nil || l.z != nil || l.y != nil {
		l.x, l.z, l.y = nil, nil, nil
	}
	if l.colsValid {
		l.colsValid = false
	}
}

// NewConv2D returns a Conv2D layer. It panics on programmer errors: filters or kernel size
// below 1, an unknown padding or activation, strides above 1 with dilation above 1, filters
// not a multiple of groups.
func NewConv2D(filters int, kernelSize [2]int, opts ...Conv2DOptions) *Conv2D {
	o := optionsArg("NewConv2D", opts)
	if filters < 1 || kernelSize[0] < 1 || kernelSize[1] < 1 || o.Strides[0] < 0 || o.Strides[1] < 0 ||
		o.DilationRate[0] < 0 || o.DilationRate[1] < 0 || o.Groups < 0 {
		panic("layers.NewConv2D: filters, kernel size, strides, dilation and groups must be positive")
	}
	a, err := lookupActivation(o.Activation)
	if err != nil {
		panic("layers.NewConv2D: " + err.Error())
	}
	same, ok := parsePadding(o.Padding)
	if !ok {
		panic("layers.NewConv2D: padding must be \"valid\" or \"same\"")
	}
	st, dl, groups := o.Strides, o.DilationRate, max(o.Groups, 1)
	if st == [2]int{} {
		st = [2]int{1, 1}
	}
	if dl == [2]int{} {
		dl = [2]int{1, 1}
	}
	if msg := convArgsError(filters, st, dl, groups); msg != "" {
		panic("layers.NewConv2D: " + msg)
	}
	return &Conv2D{base: newBase(o.Name, o.InputShape), filters: filters, ksize: kernelSize,
		strides: st, dilation: dl, groups: groups, same: same, act: a, useBias: !o.NoBias}
}

// convArgsError returns why Keras refuses these Conv2D arguments, or "": strides above 1
// together with dilation above 1 (Keras 3's constructor and TensorFlow's convolution both
// refuse it), filters not a multiple of groups.
func convArgsError(filters int, strides, dilation [2]int, groups int) string {
	if max(strides[0], strides[1]) > 1 && max(dilation[0], dilation[1]) > 1 {
		return fmt.Sprintf("strides %v with dilation_rate %v: strides above 1 cannot be combined with dilation above 1", strides, dilation)
	}
	if filters%groups != 0 {
		return fmt.Sprintf("filters %d is not a multiple of groups %d", filters, groups)
	}
	return ""
}

func parsePadding(p string) (same, ok bool) {
	switch strings.ToLower(p) {
	case "", "valid":
		return false, true
	case "same":
		return true, true
	}
	return false, false
}

func init() {
	register(Spec{Classes: []string{"Conv2D", "Convolution2D"}, FromConfig: conv2DFromConfig, WeightNames: kernelBiasNames})
}

func conv2DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Conv2D", cfg)
	r.dialect = d
	l := &Conv2D{}
	r.readBase(&l.base)
	l.filters = r.integer(0, 1, maxUnits, "filters", "nb_filter")
	if v, _, ok := r.get("filters", "nb_filter"); !ok || v == nil {
		r.fail(ErrFormat, "missing filters")
	}
	if _, _, ok := r.get("kernel_size"); ok {
		l.ksize = r.pair([2]int{}, 1, maxKernel, "kernel_size")
	} else {
		l.ksize = [2]int{r.integer(0, 1, maxKernel, "nb_row"), r.integer(0, 1, maxKernel, "nb_col")}
		if l.ksize[0] == 0 || l.ksize[1] == 0 {
			r.fail(ErrFormat, "missing kernel_size")
		}
	}
	l.strides = r.pair([2]int{1, 1}, 1, maxKernel, "strides", "subsample")
	l.same = r.padding() == "same"
	r.dataFormat()
	l.dilation = r.pair([2]int{1, 1}, 1, maxKernel, "dilation_rate")
	l.groups = r.integer(1, 1, maxUnits, "groups")
	if msg := convArgsError(max(l.filters, 1), l.strides, l.dilation, l.groups); msg != "" {
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

// Class returns "Conv2D".
func (l *Conv2D) Class() string { return "Conv2D" }

// Filters returns the number of output channels.
func (l *Conv2D) Filters() int { return l.filters }

// KernelSize returns (kh, kw).
func (l *Conv2D) KernelSize() [2]int { return l.ksize }

// Strides returns the strides.
func (l *Conv2D) Strides() [2]int { return l.strides }

// Padding returns "valid" or "same".
func (l *Conv2D) Padding() string { return paddingName(l.same) }

// DilationRate returns the dilation (Keras's dilation_rate).
func (l *Conv2D) DilationRate() [2]int { return l.dilation }

// Groups returns the number of channel groups.
func (l *Conv2D) Groups() int { return l.groups }

// plain reports whether the layer is an ordinary convolution (no dilation, one group),
// which the im2col and direct kernels below handle; others go through conv2d_grouped.go.
func (l *Conv2D) plain() bool { return l.dilation == [2]int{1, 1} && l.groups == 1 }

// Activation returns the activation's name.
func (l *Conv2D) Activation() string { return l.act.name }

// UseBias reports whether the layer has a bias.
func (l *Conv2D) UseBias() bool { return l.useBias }

// SetTrainable sets Keras's layer.trainable.
func (l *Conv2D) SetTrainable(t bool) { l.trainable = t; setTrainable(t, l.kernel, l.bias) }

// SetSkipInputGradient makes Backward skip dL/dx and return nil (for the first layer of a
// model, whose input gradient nobody uses).
func (l *Conv2D) SetSkipInputGradient(skip bool) { l.skipDX = skip }

func paddingName(same bool) string {
	if same {
		return "same"
	}
	return "valid"
}

func (l *Conv2D) geometry(in []int) (geom, error) {
	if len(in) != 3 || in[0] < 1 || in[1] < 1 || in[2] < 1 {
		return geom{}, layerErr(ErrShape, "Conv2D", l.name, "input shape %s: want (height, width, channels)", tensor.ShapeString(in))
	}
	if in[2]%l.groups != 0 {
		return geom{}, layerErr(ErrShape, "Conv2D", l.name, "input shape %s: %d channels is not a multiple of groups %d", tensor.ShapeString(in), in[2], l.groups)
	}
	g, err := newDilatedGeom(in[0], in[1], in[2], l.ksize[0], l.ksize[1], l.strides[0], l.strides[1], l.dilation[0], l.dilation[1], l.same)
	if err != nil {
		return g, layerErr(ErrShape, "Conv2D", l.name, "%v", err)
	}
	return g, nil
}

// OutputShape returns (out_h, out_w, filters).
func (l *Conv2D) OutputShape(in []int) ([]int, error) {
	g, err := l.geometry(in)
	if err != nil {
		return nil, err
	}
	return []int{g.oh, g.ow, l.filters}, nil
}

// Build creates kernel (kh, kw, in/groups, filters) and bias (filters).
func (l *Conv2D) Build(in []int, rng *Rand) error {
	g, err := l.geometry(in)
	if err != nil {
		return err
	}
	cg := in[2] / l.groups
	k, err := newWeight("kernel", l.trainable, []int{l.ksize[0], l.ksize[1], cg, l.filters}, rng)
	if err != nil {
		return layerErr(ErrShape, "Conv2D", l.name, "kernel: %v", err)
	}
	// Keras's fans come from the kernel's shape: receptive field × its last two dimensions.
	rf := l.ksize[0] * l.ksize[1]
	initWeight(k, l.kernelInit, "GlorotUniform", rf*cg, rf*l.filters, rng)
	l.kernel, l.bias = k, nil
	if l.useBias {
		b, _ := newWeight("bias", l.trainable, []int{l.filters}, rng)
		initWeight(b, l.biasInit, "Zeros", rf*cg, rf*l.filters, rng)
		l.bias = b
	}
	l.g = g
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns kernel and (if used) bias.
func (l *Conv2D) Weights() []*Weight { return weightList(l.kernel, l.bias) }

// imagesPerChunk is how many images one GEMM covers: enough rows to keep BLAS busy, few
// enough that the im2col buffer stays in cache.
func imagesPerChunk(rowsPerImage int) int {
	return max(1, min(64, 2048/max(rowsPerImage, 1)))
}

// Forward convolves x (batch, h, w, in) and returns (batch, out_h, out_w, filters). In
// inference mode (an ordinary convolution: no dilation, one group) the result lives in a
// buffer the layer reuses: it is valid until the layer's next inference Forward.
func (l *Conv2D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Conv2D", l.name); err != nil {
		return nil, err
	}
	if !l.plain() {
		return l.forwardGrouped(nil, x, training), nil
	}
	if !training {
		l.clearTrainCache()
		return l.forwardInfer(nil, x), nil
	}
	l.x, l.z, l.y = nil, nil, nil
	l.colsValid = false
	g := l.g
	n := x.Shape[0]
	P, K := g.patch()
	F := l.filters
	inSize := g.h * g.w * g.c
	outShape := []int{n, g.oh, g.ow, F}
	l.trainZ = reuseBuf(l.trainZ, n*P*F)
	z := l.trainZ
	y := z
	if l.act.needZ {
		l.trainY = reuseBuf(l.trainY, len(z))
		y = l.trainY
	}
	xd, kd := x.Float32s(), l.kernel.Value.Float32s()
	if l.direct512() && !g.trivial() && n > 0 {
		// The AVX-512 direct kernels compute the outputs from x in place (bias and ReLU in
		// registers); Backward builds its im2col rows chunk by chunk, in cache.
		b := l.trainBufs.acquire()
		l.forwardInfer512(b, xd, z, y, n)
		b.release()
		out := tensor.MustFromFloat32(outShape, y)
		l.x, l.z, l.y = x, tensor.MustFromFloat32(outShape, z), out
		return out, nil
	}
	var bd []float32
	if l.bias != nil {
		bd = l.bias.Value.Float32s()
	}
	chunk := imagesPerChunk(P)
	nw := workers(n)
	colsBuf := make([][]float32, nw)
	if !g.trivial() {
		for w := range nw {
			colsBuf[w] = l.buf(w, min(chunk, n)*P*K)
		}
	}
	cache := training && l.trainable && !g.trivial() && int64(n)*int64(P*K)*4 <= maxColsCache
	if cache {
		if cap(l.colsCache) < n*P*K {
			l.colsCache = make([]float32, n*P*K)
		}
		l.colsCache = l.colsCache[:n*P*K]
	}
	parallelFor(n, func(wi, lo, hi int) {
		cols := colsBuf[wi]
		for i0 := lo; i0 < hi; i0 += chunk {
			i1 := min(i0+chunk, hi)
			m := (i1 - i0) * P
			a := xd[i0*inSize : i1*inSize]
			if !g.trivial() {
				c := cols
				if cache {
					c = l.colsCache[i0*P*K : i1*P*K]
				}
				for i := i0; i < i1; i++ {
					g.im2col(xd[i*inSize:(i+1)*inSize], c[(i-i0)*P*K:(i-i0+1)*P*K])
				}
				a = c[:m*K]
			}
			zc := z[i0*P*F : i1*P*F]
			beta := float32(0)
			if bd != nil {
				for r := 0; r < m; r++ {
					copy(zc[r*F:(r+1)*F], bd)
				}
				beta = 1
			}
			gemm(false, false, m, F, K, 1, a, K, kd, F, beta, zc, F)
			l.act.apply(zc, y[i0*P*F:i1*P*F], F)
		}
	})
	out := tensor.MustFromFloat32(outShape, y)
	l.colsValid = cache
	if training {
		l.x, l.z, l.y = x, tensor.MustFromFloat32(outShape, z), out
	} else {
		l.x, l.z, l.y = nil, nil, nil
	}
	return out, nil
}

// Backward fills the kernel and bias gradients and returns dL/dx (nil when
// SetSkipInputGradient(true) was called).
func (l *Conv2D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.x == nil {
		return nil, layerErr(ErrShape, "Conv2D", l.name, "Backward without a training Forward")
	}
	if dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.y.Shape) {
		return nil, layerErr(ErrShape, "Conv2D", l.name, "dy shape %s, want %s", tensor.ShapeString(dy.Shape), tensor.ShapeString(l.y.Shape))
	}
	if !l.plain() {
		return l.backwardGrouped(dy), nil
	}
	return l.backward(dy.Float32s(), nil)
}

// dzFiller writes dL/dz of images [i0, i1) into dz (their outputs' rows, every element
// written) for Conv2D.backward.
type dzFiller func(i0, i1 int, dz []float32)

// backward is Backward of an ordinary convolution with dL/dy dyd. fill, when not nil,
// writes dL/dz chunk by chunk instead of the activation's gradient of dyd (a fused
// MaxPooling2D backward; dyd is then unused).
func (l *Conv2D) backward(dyd []float32, fill dzFiller) (*tensor.Tensor, error) {
	g := l.g
	n := l.x.Shape[0]
	P, K := g.patch()
	F := l.filters
	inSize := g.h * g.w * g.c
	xd, kd := l.x.Float32s(), l.kernel.Value.Float32s()
	zd, yd := l.z.Float32s(), l.y.Float32s()
	var dx []float32
	if !l.skipDX {
		dx = make([]float32, len(xd))
	}
	w := workers(n)
	dW := make([][]float32, w)
	dB := make([][]float32, w)
	chunk := imagesPerChunk(P)
	ddw := l.trainable && l.directDW()
	var taps [][9]int
	var accSize int
	if ddw {
		taps = g.dwTaps()
		accSize = len(taps) * (F / 16) * 144
	} else if !l.colsValid {
		// im2col rows built here: chunks of up to 1 MiB of rows (in L2), so that each
		// kernel-gradient product is deep.
		chunk = max(chunk, min(n, (1<<18)/max(P*K, 1)))
	}
	// dL/dz of one chunk per worker, used while it is in cache (not the whole batch).
	dzSize := min(chunk, n) * P * F
	l.dzBuf = reuseBuf(l.dzBuf, w*dzSize)
	colsBuf := make([][]float32, w)
	dcolsBuf := make([][]float32, w)
	if !g.trivial() {
		for i := range w {
			if !ddw {
				colsBuf[i] = l.buf(2*i, min(chunk, n)*P*K)
			}
			if dx != nil {
				dcolsBuf[i] = l.buf(2*i+1, min(chunk, n)*P*K)
			}
		}
	}
	parallelFor(n, func(wi, lo, hi int) {
		pw := make([]float32, K*F)
		pb := make([]float32, F)
		cols, dcols := colsBuf[wi], dcolsBuf[wi]
		var acc []float32
		if ddw {
			acc = make([]float32, accSize)
		}
		for i0 := lo; i0 < hi; i0 += chunk {
			i1 := min(i0+chunk, hi)
			m := (i1 - i0) * P
			s := i0 * P * F
			e := i1 * P * F
			dzc := l.dzBuf[wi*dzSize : wi*dzSize+e-s]
			if fill != nil {
				fill(i0, i1, dzc)
			} else {
				l.act.grad(zd[s:e], yd[s:e], dyd[s:e], dzc, F)
			}
			if l.bias != nil && l.trainable {
				sumRows(pb, dzc)
			}
			a := xd[i0*inSize : i1*inSize]
			switch {
			case ddw:
				l.kernelGradDirect(a, dzc, acc, taps)
			case g.trivial() || !l.trainable:
			case l.colsValid:
				a = l.colsCache[i0*P*K : i1*P*K]
			default:
				for i := i0; i < i1; i++ {
					g.im2col(xd[i*inSize:(i+1)*inSize], cols[(i-i0)*P*K:(i-i0+1)*P*K])
				}
				a = cols[:m*K]
			}
			if l.trainable && !ddw {
				gemm(true, false, K, F, m, 1, a, K, dzc, F, 1, pw, F)
			}
			if dx == nil {
				continue
			}
			if g.trivial() {
				gemm(false, true, m, K, F, 1, dzc, F, kd, F, 0, dx[i0*inSize:i1*inSize], K)
				continue
			}
			gemm(false, true, m, K, F, 1, dzc, F, kd, F, 0, dcols[:m*K], K)
			for i := i0; i < i1; i++ {
				g.col2im(dcols[(i-i0)*P*K:(i-i0+1)*P*K], dx[i*inSize:(i+1)*inSize])
			}
		}
		if ddw {
			foldDW(pw, acc, K, F)
		}
		dW[wi], dB[wi] = pw, pb
	})
	if l.trainable {
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

// sumRows adds every row of len(acc) elements of d to acc.
func sumRows(acc, d []float32) {
	F := len(acc)
	if hasConv512 && F%16 == 0 && len(d) >= F {
		rows := len(d) / F
		_ = d[rows*F-1]
		for b := 0; b < F; b += 16 {
			sumRows16(&acc[b], &d[b], rows, 4*F)
		}
		return
	}
	if F == 16 {
		a := (*[16]float32)(acc)
		for ; len(d) >= 16; d = d[16:] {
			r := (*[16]float32)(d)
			for j := range a {
				a[j] += r[j]
			}
		}
		return
	}
	for ; len(d) >= F; d = d[F:] {
		r := d[:F]
		for j, v := range r {
			acc[j] += v
		}
	}
}

// reuseBuf returns buf with n elements (contents left over), reallocated when too small.
func reuseBuf(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// sumInto overwrites dst with the sum of the non-nil parts.
func sumInto(dst []float32, parts [][]float32) {
	clear(dst)
	for _, p := range parts {
		for i, v := range p {
			dst[i] += v
		}
	}
}

// checkInput checks that x is float32 (batch, ...in).
func checkInput(x *tensor.Tensor, in []int, class, name string) error {
	if in == nil {
		return layerErr(ErrShape, class, name, "Forward before Build")
	}
	if x == nil || x.DType != tensor.Float32 || len(x.Shape) != len(in)+1 || !tensor.SameShape(x.Shape[1:], in) {
		if x == nil {
			return layerErr(ErrShape, class, name, "nil input")
		}
		return layerErr(ErrShape, class, name, "input %v %s, want float32 %s", x.DType, tensor.ShapeString(x.Shape), tensor.ShapeString(append([]int{-1}, in...)))
	}
	return nil
}

// Config returns the layer's Keras config in dialect d.
func (l *Conv2D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["filters"] = l.filters
	c["kernel_size"] = intList(l.ksize[0], l.ksize[1])
	c["strides"] = intList(l.strides[0], l.strides[1])
	c["padding"] = paddingName(l.same)
	c["data_format"] = "channels_last"
	c["dilation_rate"] = intList(l.dilation[0], l.dilation[1])
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

// Graph returns the layer's TF ops: Conv2D (NHWC, with the dilation as its dilations; a
// grouped kernel's in/groups input dimension makes TF's Conv2D a grouped convolution) on the
// kernel, BiasAdd, then the activation's op.
func (l *Conv2D) Graph() (*saved.LayerGraph, error) {
	g := newGraphBuilder("Conv2D", l.name)
	k := g.read("kernel", "Conv2D")
	x := g.op("Conv2D", "Conv2D", []string{"$in", k}, tAttrs(map[string]saved.Attr{
		"strides":     saved.IntsAttr(1, int64(l.strides[0]), int64(l.strides[1]), 1),
		"padding":     saved.StringAttr(strings.ToUpper(paddingName(l.same))),
		"dilations":   saved.IntsAttr(1, int64(l.dilation[0]), int64(l.dilation[1]), 1),
		"data_format": saved.StringAttr("NHWC"),
	}))
	if l.bias != nil {
		b := g.read("bias", "BiasAdd")
		x = g.op("BiasAdd", "BiasAdd", []string{x, b}, tAttrs(map[string]saved.Attr{"data_format": saved.StringAttr("NHWC")}))
	}
	g.activation(l.act, x)
	return g.graph(l, false)
}
