package layers

import (
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// VarianceRule says which batch variance BatchNormalization feeds into its moving variance
// during training. Normalisation itself always uses the biased batch variance.
type VarianceRule int

const (
	// TFKerasVariance is tf_keras 2.x: for rank-4 and rank-5 inputs (batch included) the
	// fused kernel updates the moving variance with the unbiased (Bessel-corrected) batch
	// variance; for other ranks with the biased one.
	TFKerasVariance VarianceRule = iota
	// Keras3Variance is Keras 3: always the biased batch variance.
	Keras3Variance
)

// BatchNormOptions are the optional arguments of NewBatchNormalization. The zero value means
// Keras's defaults: momentum 0.99, epsilon 0.001, center and scale.
type BatchNormOptions struct {
	Name     string
	Momentum float64 // 0 means 0.99; use MomentumZero for a real 0
	Epsilon  float64 // 0 means 0.001
	NoCenter bool    // center=False: no beta
	NoScale  bool    // scale=False: no gamma
	// MomentumZero sets momentum to 0 (moving statistics replaced by each batch's).
	MomentumZero bool
	// Variance selects the moving-variance rule (zero value: tf_keras).
	Variance   VarianceRule
	InputShape []int
}

// BatchNormalization is Keras's batch normalisation over one axis (the channels; the last by
// default, any axis but the batch's as configured).
//
// Weights in Keras order: gamma (if scale), beta (if center), moving_mean, moving_variance
// (the last two non-trainable). Inference uses the moving statistics; training uses the batch
// statistics (biased variance) and updates the moving ones as
// moving = moving*momentum + batch*(1-momentum). A non-trainable layer always runs in
// inference mode, as in Keras.
type BatchNormalization struct {
	base
	axisCfg       any // the axis as read from a config (nil: -1)
	momentum, eps float64
	center, scale bool
	rule          VarianceRule

	betaInit, gammaInit, mmInit, mvInit *kerasObject
	betaReg, gammaReg                   *kerasObject
	betaConstraint, gammaConstraint     *kerasObject

	gamma, beta, mean, variance *Weight
	ch                          int
	ax, inner                   int // the axis (index into the input shape), elements after it

	// cached by a training Forward
	x       *tensor.Tensor
	xhat    []float32
	invStd  []float32
	trained bool // whether the cached Forward used batch statistics

	infer inferBufs // the inference output and folded scale and shift, reused across calls
}

// NewBatchNormalization returns a BatchNormalization layer over the last axis (see
// SetAxis for another).
func NewBatchNormalization(opts ...BatchNormOptions) *BatchNormalization {
	o := optionsArg("NewBatchNormalization", opts)
	l := &BatchNormalization{base: newBase(o.Name, o.InputShape), momentum: o.Momentum,
		eps: o.Epsilon, center: !o.NoCenter, scale: !o.NoScale, rule: o.Variance}
	if l.momentum == 0 && !o.MomentumZero {
		l.momentum = 0.99
	}
	if l.eps == 0 {
		l.eps = 0.001
	}
	if l.momentum < 0 || l.momentum > 1 || l.eps < 0 {
		panic("layers.NewBatchNormalization: momentum must be in [0, 1] and epsilon >= 0")
	}
	return l
}

func init() {
	register(Spec{Classes: []string{"BatchNormalization"}, FromConfig: batchNormFromConfig,
		WeightNames: batchNormWeightNames, NonTrainable: []string{"moving_mean", "moving_variance"}})
}

// batchNormWeightNames names BatchNormalization's variables: gamma (scale on), beta (center
// on), then the moving statistics.
func batchNormWeightNames(on func(string) bool) []string {
	scale, center := on("scale"), on("center")
	var names []string
	if scale {
		names = append(names, "gamma")
	}
	if center {
		names = append(names, "beta")
	}
	return append(names, "moving_mean", "moving_variance")
}

func batchNormFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("BatchNormalization", cfg)
	l := &BatchNormalization{}
	if d == saved.Keras3 {
		l.rule = Keras3Variance
	}
	r.readBase(&l.base)
	if v, k, ok := r.get("axis"); ok && v != nil {
		a := v
		if list, ok := v.([]any); ok && len(list) == 1 {
			a = list[0]
		}
		if list, ok := v.([]any); ok && len(list) != 1 {
			r.fail(ErrUnsupported, "%s %s (only one axis is implemented)", k, jsonValue(v))
		} else if _, ok := toInt(a, -33, 32); ok {
			l.axisCfg = v
		} else {
			r.fail(ErrFormat, "%s %s", k, jsonValue(v))
		}
	}
	l.momentum = r.float(0.99, "momentum")
	l.eps = r.float(0.001, "epsilon")
	if l.momentum < 0 || l.momentum > 1 || l.eps < 0 {
		r.fail(ErrFormat, "momentum %v or epsilon %v out of range", l.momentum, l.eps)
	}
	l.center = r.boolean(true, "center")
	l.scale = r.boolean(true, "scale")
	l.betaInit = r.object("initializers", "beta_initializer", "beta_init")
	l.gammaInit = r.object("initializers", "gamma_initializer", "gamma_init")
	l.mmInit = r.object("initializers", "moving_mean_initializer")
	l.mvInit = r.object("initializers", "moving_variance_initializer")
	l.betaReg = r.objectKept("regularizers", "beta_regularizer")
	l.gammaReg = r.objectKept("regularizers", "gamma_regularizer")
	l.betaConstraint = r.objectKept("constraints", "beta_constraint")
	l.gammaConstraint = r.objectKept("constraints", "gamma_constraint")
	if r.boolean(false, "renorm") {
		r.fail(ErrUnsupported, "renorm true")
	}
	if r.boolean(false, "synchronized") {
		r.warn("synchronized true has no effect on one device")
	}
	r.ignore("renorm_clipping", "renorm_momentum")
	if v, _, ok := r.get("virtual_batch_size"); ok && v != nil {
		r.fail(ErrUnsupported, "virtual_batch_size %s", jsonValue(v))
	}
	if v, _, ok := r.get("adjustment"); ok && v != nil {
		r.fail(ErrUnsupported, "adjustment %s", jsonValue(v))
	}
	if m := r.integer(0, 0, 2, "mode"); m != 0 { // Keras 1
		r.fail(ErrUnsupported, "mode %d (only 0 is implemented)", m)
	}
	r.ignore("fused")
	r.initialWeights()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "BatchNormalization".
func (l *BatchNormalization) Class() string { return "BatchNormalization" }

// Momentum returns the moving-average momentum.
func (l *BatchNormalization) Momentum() float64 { return l.momentum }

// Epsilon returns epsilon.
func (l *BatchNormalization) Epsilon() float64 { return l.eps }

// Center and Scale report whether beta and gamma exist.
func (l *BatchNormalization) Center() bool { return l.center }

// Scale reports whether gamma exists.
func (l *BatchNormalization) Scale() bool { return l.scale }

// SetVarianceRule selects how training updates the moving variance.
func (l *BatchNormalization) SetVarianceRule(r VarianceRule) { l.rule = r }

// VarianceRule returns the moving-variance rule.
func (l *BatchNormalization) VarianceRule() VarianceRule { return l.rule }

// SetTrainable sets Keras's layer.trainable; a non-trainable BatchNormalization runs in
// inference mode.
func (l *BatchNormalization) SetTrainable(t bool) {
	l.trainable = t
	setTrainable(t, l.gamma, l.beta)
}

// SetAxis sets the Keras axis of the channels (batch axis 0; negatives count from the end)
// before Build.
func (l *BatchNormalization) SetAxis(axis int) { l.axisCfg = axis }

// axis returns the configured axis as an index into the input shape in.
func (l *BatchNormalization) axis(in []int) (int, error) {
	n := -1
	if l.axisCfg != nil {
		a := l.axisCfg
		if list, ok := a.([]any); ok && len(list) == 1 {
			a = list[0]
		}
		var ok bool
		if n, ok = a.(int); !ok {
			n, _ = toInt(a, -33, 32)
		}
	}
	ax, err := resolveAxes([]int{n}, in, "BatchNormalization", l.name)
	if err != nil {
		return 0, err
	}
	return ax[0], nil
}

// OutputShape returns the input shape.
func (l *BatchNormalization) OutputShape(in []int) ([]int, error) {
	if len(in) < 1 {
		return nil, layerErr(ErrShape, "BatchNormalization", l.name, "input shape %s", tensor.ShapeString(in))
	}
	ax, err := l.axis(in)
	if err != nil {
		return nil, err
	}
	if in[ax] < 1 {
		return nil, layerErr(ErrShape, "BatchNormalization", l.name, "input shape %s", tensor.ShapeString(in))
	}
	return slices.Clone(in), nil
}

// toLast returns xd (a batch) with the layer's axis moved last (xd itself when it is).
func (l *BatchNormalization) toLast(xd []float32) []float32 {
	c, inner := l.ch, l.inner
	if inner == 1 {
		return xd
	}
	out := make([]float32, len(xd))
	for o := range len(xd) / (c * inner) {
		src, dst := xd[o*c*inner:(o+1)*c*inner], out[o*c*inner:(o+1)*c*inner]
		for j := range c {
			for k := range inner {
				dst[k*c+j] = src[j*inner+k]
			}
		}
	}
	return out
}

// fromLast undoes toLast.
func (l *BatchNormalization) fromLast(xd []float32) []float32 {
	c, inner := l.ch, l.inner
	if inner == 1 {
		return xd
	}
	out := make([]float32, len(xd))
	for o := range len(xd) / (c * inner) {
		src, dst := xd[o*c*inner:(o+1)*c*inner], out[o*c*inner:(o+1)*c*inner]
		for j := range c {
			for k := range inner {
				dst[j*inner+k] = src[k*c+j]
			}
		}
	}
	return out
}

// Build creates gamma, beta, moving_mean and moving_variance of the axis's size.
func (l *BatchNormalization) Build(in []int, rng *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	ax, _ := l.axis(in)
	c := in[ax]
	mk := func(name string, trainable bool, o *kerasObject, def string) *Weight {
		w, _ := newWeight(name, trainable, []int{c}, rng)
		initWeight(w, o, def, c, c, rng)
		return w
	}
	l.gamma, l.beta = nil, nil
	if l.scale {
		l.gamma = mk("gamma", l.trainable, l.gammaInit, "Ones")
	}
	if l.center {
		l.beta = mk("beta", l.trainable, l.betaInit, "Zeros")
	}
	l.mean = mk("moving_mean", false, l.mmInit, "Zeros")
	l.variance = mk("moving_variance", false, l.mvInit, "Ones")
	l.ch, l.ax, l.inner = c, ax, shapeSize(in[ax+1:])
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns gamma, beta, moving_mean, moving_variance (those that exist).
func (l *BatchNormalization) Weights() []*Weight {
	return weightList(l.gamma, l.beta, l.mean, l.variance)
}

// ForwardWS is Forward(x, false) with the buffers of ws (see Workspace).
func (l *BatchNormalization) ForwardWS(ws *Workspace, x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "BatchNormalization", l.name); err != nil {
		return nil, err
	}
	l.clearTrainCache()
	return l.forwardInfer(ws, x), nil
}

// clearTrainCache drops what a training Forward cached, writing only what is set.
func (l *BatchNormalization) clearTrainCache() {
	if l.x != nil || l.xhat != nil || l.invStd != nil || l.trained {
		l.x, l.xhat, l.invStd, l.trained = nil, nil, nil, false
	}
}

// Forward normalises x. With training (and a trainable layer) it uses the batch statistics
// and updates the moving statistics; otherwise it uses the moving statistics. ForwardWS
// reuses the inference output buffer instead (see Workspace).
func (l *BatchNormalization) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "BatchNormalization", l.name); err != nil {
		return nil, err
	}
	if !training {
		l.clearTrainCache()
		return l.forwardInfer(nil, x), nil
	}
	c := l.ch
	xd := l.toLast(x.Float32s())
	rows := len(xd) / c
	wantCache := training
	training = training && l.trainable
	mean := make([]float64, c)
	variance := make([]float64, c)
	mm, mv := l.mean.Value.Float32s(), l.variance.Value.Float32s()
	if training {
		batchMoments(xd, c, mean, variance)
	} else {
		for j := range c {
			mean[j], variance[j] = float64(mm[j]), float64(mv[j])
		}
	}
	scale := make([]float32, c)
	offset := make([]float32, c)
	inv := make([]float32, c)
	for j := range c {
		is := 1 / math.Sqrt(variance[j]+l.eps)
		inv[j] = float32(is)
		g, b := 1.0, 0.0
		if l.gamma != nil {
			g = float64(l.gamma.Value.Float32s()[j])
		}
		if l.beta != nil {
			b = float64(l.beta.Value.Float32s()[j])
		}
		scale[j] = float32(is * g)
		offset[j] = float32(b - mean[j]*is*g)
	}
	y := make([]float32, len(xd))
	parallelFor(rows, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := xd[r*c:(r+1)*c], y[r*c:(r+1)*c]
			for j, v := range xr {
				yr[j] = v*scale[j] + offset[j]
			}
		}
	})
	l.x, l.xhat, l.invStd, l.trained = nil, nil, nil, false
	if training {
		// xhat for Backward.
		xhat := make([]float32, len(xd))
		parallelFor(rows, func(_, lo, hi int) {
			for r := lo; r < hi; r++ {
				xr, hr := xd[r*c:(r+1)*c], xhat[r*c:(r+1)*c]
				for j, v := range xr {
					hr[j] = float32((float64(v) - mean[j]) * float64(inv[j]))
				}
			}
		})
		l.x, l.xhat, l.invStd, l.trained = x, xhat, inv, true
		// Moving statistics.
		unbiased := l.rule == TFKerasVariance && (len(l.inShape) == 3 || len(l.inShape) == 4) &&
			(l.inner == 1 || l.ax == 0) // tf_keras's fused kernel: NHWC or NCHW
		f := 1 - l.momentum
		for j := range c {
			v := variance[j]
			if unbiased && rows > 1 {
				v *= float64(rows) / float64(rows-1)
			}
			mm[j] = float32(float64(mm[j])*l.momentum + mean[j]*f)
			mv[j] = float32(float64(mv[j])*l.momentum + v*f)
		}
	} else if wantCache {
		l.x, l.invStd = x, inv // inference-mode gradient: dy * gamma * inv
	}
	return tensor.MustFromFloat32(x.Shape, l.fromLast(y)), nil
}

// forwardInfer is Forward(x, false): the moving statistics, gamma and beta folded into one
// scale and shift per channel, applied in one pass over x in its own layout (no transpose),
// into a buffer the layer reuses (valid until the next inference Forward).
func (l *BatchNormalization) forwardInfer(ws *Workspace, x *tensor.Tensor) *tensor.Tensor {
	b := ws.acquire(&l.infer)
	defer ws.release(b)
	c, inner := l.ch, l.inner
	xd := x.Float32s()
	y := b.out(0, len(xd))
	scale, shift := b.get(1, c), b.get(2, c)
	l.foldInto(scale, shift)
	block := c * inner // one outer index: c channels of inner elements each
	parallelFor(len(xd)/block, func(_, lo, hi int) {
		for o := lo; o < hi; o++ {
			xs, ys := xd[o*block:(o+1)*block], y[o*block:(o+1)*block]
			if inner == 1 {
				ys = ys[:len(xs)]
				sc, sh := scale[:len(xs)], shift[:len(xs)]
				for j, v := range xs {
					ys[j] = v*sc[j] + sh[j]
				}
				continue
			}
			for j := range c {
				s, t := scale[j], shift[j]
				xr, yr := xs[j*inner:(j+1)*inner], ys[j*inner:(j+1)*inner]
				for k, v := range xr {
					yr[k] = v*s + t
				}
			}
		}
	})
	return b.view(0, y, x.Shape...)
}

// foldInto writes the inference scale gamma/sqrt(var+eps) and shift beta - mean*scale of
// every channel (computed in float64 as the training-mode Forward does).
func (l *BatchNormalization) foldInto(scale, shift []float32) {
	mm, mv := l.mean.Value.Float32s(), l.variance.Value.Float32s()
	for j := range l.ch {
		is := 1 / math.Sqrt(float64(mv[j])+l.eps)
		g, b := 1.0, 0.0
		if l.gamma != nil {
			g = float64(l.gamma.Value.Float32s()[j])
		}
		if l.beta != nil {
			b = float64(l.beta.Value.Float32s()[j])
		}
		scale[j] = float32(is * g)
		shift[j] = float32(b - float64(mm[j])*is*g)
	}
}

// batchMoments computes per-channel mean and biased variance (two passes, float64).
func batchMoments(xd []float32, c int, mean, variance []float64) {
	rows := len(xd) / c
	w := workers(rows)
	parts := make([][]float64, w)
	parallelFor(rows, func(wi, lo, hi int) {
		s := make([]float64, c)
		for r := lo; r < hi; r++ {
			for j, v := range xd[r*c : (r+1)*c] {
				s[j] += float64(v)
			}
		}
		parts[wi] = s
	})
	for _, p := range parts {
		for j, v := range p {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(max(rows, 1))
	}
	parallelFor(rows, func(wi, lo, hi int) {
		s := make([]float64, c)
		for r := lo; r < hi; r++ {
			for j, v := range xd[r*c : (r+1)*c] {
				d := float64(v) - mean[j]
				s[j] += d * d
			}
		}
		parts[wi] = s
	})
	for _, p := range parts {
		for j, v := range p {
			variance[j] += v
		}
	}
	for j := range variance {
		variance[j] /= float64(max(rows, 1))
	}
}

// Backward fills the gamma and beta gradients and returns dL/dx, through the batch
// statistics when the last Forward was in training mode.
func (l *BatchNormalization) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.x == nil {
		return nil, layerErr(ErrShape, "BatchNormalization", l.name, "Backward without a training Forward")
	}
	if dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.x.Shape) {
		return nil, layerErr(ErrShape, "BatchNormalization", l.name, "dy shape %s, want %s", tensor.ShapeString(dy.Shape), tensor.ShapeString(l.x.Shape))
	}
	c := l.ch
	dyd := l.toLast(dy.Float32s())
	rows := len(dyd) / c
	gamma := make([]float64, c)
	for j := range gamma {
		gamma[j] = 1
		if l.gamma != nil {
			gamma[j] = float64(l.gamma.Value.Float32s()[j])
		}
	}
	dx := make([]float32, len(dyd))
	if !l.trained {
		// Inference mode: y = x*scale + offset with constant statistics.
		mv := l.variance.Value.Float32s()
		mm := l.mean.Value.Float32s()
		xd := l.toLast(l.x.Float32s())
		dg := make([]float64, c)
		db := make([]float64, c)
		for r := 0; r < rows; r++ {
			for j := range c {
				v := dyd[r*c+j]
				dx[r*c+j] = v * float32(gamma[j]) * l.invStd[j]
				db[j] += float64(v)
				dg[j] += float64(v) * (float64(xd[r*c+j]) - float64(mm[j])) / math.Sqrt(float64(mv[j])+l.eps)
			}
		}
		l.storeGrads(dg, db)
		return tensor.MustFromFloat32(l.x.Shape, l.fromLast(dx)), nil
	}
	// Sums of dy and dy*xhat per channel.
	w := workers(rows)
	sdy := make([][]float64, w)
	sdyx := make([][]float64, w)
	parallelFor(rows, func(wi, lo, hi int) {
		a, b := make([]float64, c), make([]float64, c)
		for r := lo; r < hi; r++ {
			for j, v := range dyd[r*c : (r+1)*c] {
				a[j] += float64(v)
				b[j] += float64(v) * float64(l.xhat[r*c+j])
			}
		}
		sdy[wi], sdyx[wi] = a, b
	})
	db := make([]float64, c)
	dg := make([]float64, c)
	for i := range w {
		for j := range c {
			db[j] += sdy[i][j]
			dg[j] += sdyx[i][j]
		}
	}
	// dx = gamma*invstd/N * (N*dy - sum(dy) - xhat*sum(dy*xhat))
	k1 := make([]float32, c)
	k2 := make([]float32, c)
	k3 := make([]float32, c)
	nrows := float64(rows)
	for j := range c {
		g := gamma[j] * float64(l.invStd[j])
		k1[j] = float32(g)
		k2[j] = float32(g * db[j] / nrows)
		k3[j] = float32(g * dg[j] / nrows)
	}
	parallelFor(rows, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			for j := range c {
				i := r*c + j
				dx[i] = k1[j]*dyd[i] - k2[j] - k3[j]*l.xhat[i]
			}
		}
	})
	l.storeGrads(dg, db)
	return tensor.MustFromFloat32(l.x.Shape, l.fromLast(dx)), nil
}

func (l *BatchNormalization) storeGrads(dg, db []float64) {
	if l.gamma != nil && l.gamma.Trainable {
		g := gradOf(l.gamma)
		for j := range g {
			g[j] = float32(dg[j])
		}
	}
	if l.beta != nil && l.beta.Trainable {
		g := gradOf(l.beta)
		for j := range g {
			g[j] = float32(db[j])
		}
	}
}

// Config returns the layer's Keras config in dialect d, whichever dialect the layer was read
// from. tf_keras writes the axis as a list of non-negative indices ([3] for a built layer on
// rank-4 input) and Keras 3 as an integer (it rejects a list): the last axis of a built
// layer is written -1 for Keras 3 (its default; an explicit 3 on rank-4 input means the same).
func (l *BatchNormalization) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["axis"] = l.axisConfig(d)
	c["momentum"] = l.momentum
	c["epsilon"] = l.eps
	c["center"] = l.center
	c["scale"] = l.scale
	c["beta_initializer"] = initializerValue(l.betaInit, "Zeros", d)
	c["gamma_initializer"] = initializerValue(l.gammaInit, "Ones", d)
	c["moving_mean_initializer"] = initializerValue(l.mmInit, "Zeros", d)
	c["moving_variance_initializer"] = initializerValue(l.mvInit, "Ones", d)
	c["beta_regularizer"] = l.betaReg.value(d)
	c["gamma_regularizer"] = l.gammaReg.value(d)
	c["beta_constraint"] = l.betaConstraint.value(d)
	c["gamma_constraint"] = l.gammaConstraint.value(d)
	if d == saved.Keras3 {
		c["synchronized"] = false
		c["renorm"] = false
		c["renorm_clipping"] = nil
		c["renorm_momentum"] = 0.99
	}
	return c
}

// axisConfig is the axis as written in dialect d (see Config).
func (l *BatchNormalization) axisConfig(d saved.Dialect) any {
	rank := -1 // rank of the input with the batch dimension, when built
	if l.Built() {
		rank = len(l.inShape) + 1
	}
	var a any = -1
	if l.axisCfg != nil {
		a = l.axisCfg
	}
	if list, ok := a.([]any); ok {
		if len(list) != 1 {
			return a
		}
		if d == saved.Keras2 && rank < 0 {
			return a
		}
		a = list[0]
	}
	n, ok := a.(int)
	if !ok {
		if n, ok = toInt(a, -1, 32); !ok {
			return a
		}
	}
	if d == saved.Keras2 {
		if n < 0 && rank > 0 {
			n += rank
		}
		return intList(n)
	}
	if rank > 0 && n == rank-1 {
		n = -1
	}
	return n
}

// Graph returns the layer's TF ops at inference, as tf_keras writes them: FusedBatchNormV3
// (is_training false) for a 4-D input (with the batch) normalised over its last axis;
// otherwise the arithmetic "batchnorm/*" ops (x·γ/√(var+ε) + (β − mean·γ/√(var+ε)), the two
// vectors reshaped to broadcast along another axis than the last). A missing gamma or beta is a
// Const of ones or zeros. The call takes a training argument.
func (l *BatchNormalization) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("BatchNormalization", l.name)
	}
	g := newGraphBuilder("BatchNormalization", l.name)
	ch := l.ch
	var gamma, beta string
	if l.gamma != nil {
		gamma = g.read("gamma", "gamma")
	}
	if l.beta != nil {
		beta = g.read("beta", "beta")
	}
	mean := g.read("moving_mean", "moving_mean")
	variance := g.read("moving_variance", "moving_variance")
	if len(l.inShape) == 3 && l.inner == 1 {
		if gamma == "" {
			ones := make([]float32, ch)
			for i := range ones {
				ones[i] = 1
			}
			gamma = g.floatConst("ones", []int{ch}, ones)
		}
		if beta == "" {
			beta = g.floatConst("zeros", []int{ch}, make([]float32, ch))
		}
		g.op("FusedBatchNormV3", "FusedBatchNormV3", []string{"$in", gamma, beta, mean, variance}, tAttrs(map[string]saved.Attr{
			"U": saved.TypeAttr(tensor.Float32), "epsilon": saved.FloatAttr(float32(l.eps)),
			"is_training": saved.BoolAttr(false), "data_format": saved.StringAttr("NHWC"),
			"exponential_avg_factor": saved.FloatAttr(1),
		}))
		return g.graph(l, true)
	}
	e := g.floatConst("batchnorm/add/y", nil, []float32{float32(l.eps)})
	v := g.op("batchnorm/add", "AddV2", []string{variance, e}, tAttrs(nil))
	inv := g.op("batchnorm/Rsqrt", "Rsqrt", []string{v}, tAttrs(nil))
	if gamma != "" {
		inv = g.op("batchnorm/mul", "Mul", []string{inv, gamma}, tAttrs(nil))
	}
	bs := broadcastShape(l.inShape, []int{l.ax}) // nil for the last axis
	ms := g.op("batchnorm/mul_2", "Mul", []string{mean, inv}, tAttrs(nil))
	if beta == "" {
		beta = g.floatConst("zeros", []int{ch}, make([]float32, ch))
	}
	sh := g.op("batchnorm/sub", "Sub", []string{beta, ms}, tAttrs(nil))
	inv = reshapeParam(g, "Reshape", inv, bs)
	sh = reshapeParam(g, "Reshape_1", sh, bs)
	xs := g.op("batchnorm/mul_1", "Mul", []string{"$in", inv}, tAttrs(nil))
	g.op("batchnorm/add_1", "AddV2", []string{xs, sh}, tAttrs(nil))
	return g.graph(l, true)
}

// Tracked returns the layer's tracked children that hold no variable: tf_keras keeps the
// axis as a tracked list, listed in checkpoints before the weights (TrackedChildren).
func (l *BatchNormalization) Tracked() []string { return []string{"axis"} }

// keras3CallKwargs: BatchNormalization's call takes a mask, which Keras 3 records as null.
func (l *BatchNormalization) keras3CallKwargs() map[string]any { return map[string]any{"mask": nil} }
