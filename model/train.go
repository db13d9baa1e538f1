package model

import (
	"fmt"
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// CompileOptions configure a model for training, as model.compile(optimizer, loss, metrics).
type CompileOptions struct {
	// Optimizer is an Optimizer (Adam, SGD, RMSprop) or a name ("adam", "sgd", "rmsprop").
	// nil means "rmsprop", Keras's default.
	Optimizer any
	// Loss is a Keras loss function name: "sparse_categorical_crossentropy",
	// "categorical_crossentropy", "binary_crossentropy", "mean_squared_error" (or "mse").
	Loss string
	// FromLogits says the model outputs logits (the loss is then configured as a Keras loss
	// object, e.g. SparseCategoricalCrossentropy(from_logits=True)).
	FromLogits bool
	// Metrics are Keras metric names: "accuracy" (or "acc": resolved from the loss's target
	// and output shapes as Keras resolves it), "sparse_categorical_accuracy",
	// "categorical_accuracy", "binary_accuracy", "mse", "mae".
	Metrics []string
}

// Compile configures the model for training. Compiling again replaces the optimizer and its
// state, as Keras does.
func (m *Model) Compile(o CompileOptions) error {
	return apiErr("compile", m.compile(o))
}

func (m *Model) compile(o CompileOptions) error {
	var opt Optimizer
	switch x := o.Optimizer.(type) {
	case nil:
		opt = RMSprop()
	case string:
		var err error
		if opt, err = GetOptimizer(x); err != nil {
			return err
		}
	case Optimizer:
		if x == nil {
			return fmt.Errorf("%w: nil optimizer", ErrFormat)
		}
		opt = x
	default:
		return fmt.Errorf("%w: optimizer of type %T", ErrUnsupported, o.Optimizer)
	}
	if o.Loss == "" {
		return fmt.Errorf("%w: no loss", ErrFormat)
	}
	loss, err := parseLossName(o.Loss, o.FromLogits)
	if err != nil {
		return err
	}
	var ms []metricSpec
	if o.Metrics != nil {
		ms = []metricSpec{}
	}
	for _, name := range o.Metrics {
		s, err := parseMetric(name)
		if err != nil {
			return err
		}
		ms = append(ms, s)
	}
	m.train = &trainState{opt: opt, loss: loss, metrics: ms, slotsKeras2: true}
	return nil
}

// Compiled reports whether Compile (or loading a compiled model) configured the model for
// training.
func (m *Model) Compiled() bool { return m.train != nil }

// Optimizer returns the compiled optimizer, or nil.
func (m *Model) Optimizer() Optimizer {
	if m.train == nil {
		return nil
	}
	return m.train.opt
}

// Iterations returns the optimizer's step counter (Keras's optimizer.iterations).
func (m *Model) Iterations() int64 {
	if m.train == nil {
		return 0
	}
	return m.train.iterations
}

// StopTraining asks a running Fit to stop after the current epoch (Keras's
// model.stop_training = True); callbacks call it.
func (m *Model) StopTraining() {
	if m.train != nil {
		m.train.stop = true
	}
}

// MetricsNames returns the names of the values Evaluate and Fit report: "loss", then each
// metric, as Keras's model.metrics_names.
func (m *Model) MetricsNames() []string {
	if m.train == nil {
		return nil
	}
	out := []string{"loss"}
	for _, s := range m.train.metrics {
		out = append(out, s.name)
	}
	return out
}

// trainVar is one trainable variable of the model with its optimizer slots.
type trainVar struct {
	layer string
	w     *layers.Weight
	slots [][]float32 // in Optimizer.slots order; nil until the optimizer is built
}

// trainableVars lists the model's trainable weights in model.trainable_variables order.
func (m *Model) trainableVars() []trainVar {
	var out []trainVar
	for _, l := range leafLayers(m.layers) {
		for _, w := range l.Weights() {
			if w.Trainable {
				out = append(out, trainVar{layer: l.Name(), w: w})
			}
		}
	}
	return out
}

// buildOptimizer creates the slot variables (zeros) if they do not exist yet or the model's
// trainable variables changed.
func (m *Model) buildOptimizer() {
	t := m.train
	vars := m.trainableVars()
	if t.vars != nil && len(t.vars) == len(vars) {
		same := true
		for i := range vars {
			if vars[i].w != t.vars[i].w || len(t.vars[i].slots) != len(t.slotNames) {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	t.slotNames = t.opt.slots(t.slotsKeras2)
	for i := range vars {
		n := vars[i].w.Value.Len()
		vars[i].slots = make([][]float32, len(t.slotNames))
		for j := range vars[i].slots {
			vars[i].slots[j] = make([]float32, n)
		}
	}
	t.vars = vars
}

// outputActivation returns the activation of the model's last layer ("softmax", ...), or "".
func (m *Model) outputActivation() string {
	if a, ok := m.outputLayer().(interface{ Activation() string }); ok {
		return a.Activation()
	}
	return ""
}

// outputLayer returns the layer producing the model's (first) output, or nil.
func (m *Model) outputLayer() layers.Layer {
	if m.fn != nil {
		return m.fn.outputs[0].node.layer
	}
	if len(m.layers) == 0 {
		return nil
	}
	return m.layers[len(m.layers)-1]
}

// logitsBackwarder is implemented by layers whose output is activation(z) and that can take
// dL/dz directly (skipping the activation's backward), as Keras's crossentropy on a softmax
// or sigmoid output back-propagates from the logits.
type logitsBackwarder interface {
	BackwardLogits(dz *tensor.Tensor) (*tensor.Tensor, error)
}

// prepare checks x and y for training or evaluation and returns them as float32, building
// the model for x's shape if needed.
func (m *Model) prepare(x, y *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor, error) {
	if m.train == nil {
		return nil, nil, fmt.Errorf("%w: the model is not compiled (call Compile)", ErrNotBuilt)
	}
	if x == nil || y == nil {
		return nil, nil, fmt.Errorf("%w: nil x or y", ErrShape)
	}
	if len(x.Shape) < 1 || len(y.Shape) < 1 {
		return nil, nil, fmt.Errorf("%w: x %s and y %s need a batch dimension", ErrShape, tensor.ShapeString(x.Shape), tensor.ShapeString(y.Shape))
	}
	if x.Shape[0] != y.Shape[0] {
		return nil, nil, fmt.Errorf("%w: x has %d samples, y has %d", ErrShape, x.Shape[0], y.Shape[0])
	}
	if x.Shape[0] == 0 {
		return nil, nil, fmt.Errorf("%w: no samples", ErrShape)
	}
	if len(m.layers) == 0 {
		return nil, nil, fmt.Errorf("%w: the model has no layers", ErrNotBuilt)
	}
	if m.fn != nil && (len(m.fn.inputs) != 1 || len(m.fn.outputs) != 1) {
		return nil, nil, fmt.Errorf("%w: training a model with %d inputs and %d outputs (only one of each is implemented)", ErrUnsupported, len(m.fn.inputs), len(m.fn.outputs))
	}
	if !m.Built() {
		if err := m.adoptInputShape(x.Shape[1:]); err != nil {
			return nil, nil, err
		}
	}
	if !slices.Equal(x.Shape[1:], m.in.shape) {
		return nil, nil, inputShapeErr(x.Shape, m.in.batch, m.in.shape)
	}
	var err error
	if x.DType != tensor.Float32 {
		if x, err = x.ToFloat32(); err != nil {
			return nil, nil, within("x", err)
		}
	}
	if y.DType != tensor.Float32 {
		if y, err = y.ToFloat32(); err != nil {
			return nil, nil, within("y", err)
		}
	}
	// Targets must fit the output: checked per batch by the loss; check the sample size here.
	yRow := rowLen(y.Shape[1:])
	outRow := rowLen(m.outShape)
	c := m.outShape[len(m.outShape)-1]
	if m.train.loss.kind == sparseCCE {
		if yRow*c != outRow {
			return nil, nil, fmt.Errorf("%w: labels of shape %s for outputs %s (sparse_categorical_crossentropy wants one integer label per output row)", ErrShape, tensor.ShapeString(y.Shape), shapeString(-1, m.outShape))
		}
	} else if yRow != outRow {
		return nil, nil, fmt.Errorf("%w: targets of shape %s for outputs %s", ErrShape, tensor.ShapeString(y.Shape), shapeString(-1, m.outShape))
	}
	return x, y, nil
}

// resolveMetrics fixes the function of "accuracy"/"acc" for targets of shape yShape.
func (m *Model) resolveMetrics(yShape []int) {
	t := m.train
	predShape := append([]int{-1}, m.outShape...)
	for i := range t.metrics {
		if t.metrics[i].auto {
			t.metrics[i].fn = resolveAccuracy(yShape, predShape)
		}
	}
}

// stepStats are a batch's loss and metric sums.
type stepStats struct {
	loss    float32
	n       float32
	metrics []float32 // per metric: sum over the batch
}

// trainStep runs one optimisation step on a batch (x, y already float32) and returns the
// loss computed before the update and the metric sums (on the training-mode outputs, as
// Keras's train_step).
func (m *Model) trainStep(x, y *tensor.Tensor) (stepStats, error) {
	t := m.train
	if s := t.opt.unsupported(); s != "" {
		return stepStats{}, fmt.Errorf("%w: optimizer option %s", ErrUnsupported, s)
	}
	if !t.resolved {
		m.resolveMetrics(y.Shape)
		t.resolved = true
	}
	m.buildOptimizer()
	if err := m.restoreSlots(); err != nil {
		return stepStats{}, err
	}
	if m.fn != nil {
		m.fn.skipInputGradients(true)
	} else if len(m.layers) > 0 {
		if s, ok := m.layers[0].(interface{ SetSkipInputGradient(bool) }); ok {
			s.SetSkipInputGradient(true)
		}
	}
	out, err := m.forward(x, true)
	if err != nil {
		return stepStats{}, err
	}
	last := m.outputLayer()
	lb, canLogits := last.(logitsBackwarder)
	if m.fn != nil && m.fn.consumers[m.fn.outputs[0]] > 1 {
		canLogits = false // other layers use the activation's output too
	}
	res, err := t.loss.compute(out, y, m.outputActivation(), true, canLogits)
	if err != nil {
		return stepStats{}, within("loss "+t.loss.name, err)
	}
	st := stepStats{loss: res.loss, n: float32(x.Shape[0])}
	if st.metrics, err = m.metricSums(out, y); err != nil {
		return stepStats{}, err
	}
	dy := tensor.MustFromFloat32(out.Shape, res.grad)
	if m.fn != nil {
		err := m.fn.backward([]*tensor.Tensor{dy}, []bool{res.logits}, m.fnVals)
		m.fnVals = nil
		if err != nil {
			return stepStats{}, err
		}
		m.applyGradients()
		return st, nil
	}
	for i := len(m.layers) - 1; i >= 0; i-- {
		l := m.layers[i]
		var err error
		if i == len(m.layers)-1 && res.logits {
			dy, err = lb.BackwardLogits(dy)
		} else {
			dy, err = l.Backward(dy)
		}
		if err != nil {
			return stepStats{}, &wrapped{msg: fmt.Sprintf("backward through layer %q (%s): %s", l.Name(), l.Class(), layerReason(l.Name(), l.Class(), err)), err: withShape(err)}
		}
		if dy == nil && i > 0 {
			return stepStats{}, fmt.Errorf("layer %q (%s) returned no input gradient", l.Name(), l.Class())
		}
	}
	m.applyGradients()
	return st, nil
}

// applyGradients runs the optimizer on every trainable variable, then counts the step, as
// tf_keras's apply_gradients: clip the gradients, apply weight decay, update each variable.
func (m *Model) applyGradients() {
	t := m.train
	c := t.opt.base()
	grads := clipGradients(c, t.vars, &t.gradBufs)
	if c.weightDecay != nil && *c.weightDecay != 0 {
		lr, wd := t.opt.LearningRate(), float32(*c.weightDecay)
		for i := range t.vars {
			if t.vars[i].w.Grad == nil {
				continue
			}
			w := t.vars[i].w.Value.Float32s()
			for j, v := range w {
				w[j] = v - v*wd*lr
			}
		}
	}
	for i := range t.vars {
		v := &t.vars[i]
		if v.w.Grad == nil {
			continue // Keras skips variables without gradients
		}
		t.opt.update(t.iterations, v.w.Value.Float32s(), grads[i], v.slots)
	}
	t.iterations++
}

// metricSums evaluates each compiled metric on a batch.
func (m *Model) metricSums(out, y *tensor.Tensor) ([]float32, error) {
	t := m.train
	if len(t.metrics) == 0 {
		return nil, nil
	}
	yv := y.Float32s()
	sums := make([]float32, len(t.metrics))
	for i, s := range t.metrics {
		fn := s.fn
		if fn == "" {
			fn = resolveAccuracy(y.Shape, out.Shape)
		}
		v, _, err := metricSum(fn, out.Float32s(), out.Shape, yv)
		if err != nil {
			return nil, within("metric "+s.name, err)
		}
		sums[i] = v
	}
	return sums, nil
}

// TrainOnBatch runs one optimisation step on one batch, as Keras's train_on_batch, and
// returns the batch's loss (computed before the update) and its metrics.
func (m *Model) TrainOnBatch(x, y *tensor.Tensor) (float64, map[string]float64, error) {
	x, y, err := m.prepare(x, y)
	if err != nil {
		return 0, nil, apiErr("train on batch", err)
	}
	st, err := m.trainStep(x, y)
	if err != nil {
		return 0, nil, apiErr("train on batch", err)
	}
	mets := map[string]float64{}
	for i, s := range m.train.metrics {
		mets[s.name] = float64(st.metrics[i] / st.n)
	}
	return float64(st.loss), mets, nil
}

// batchOf returns rows [lo, hi) of t (a view when idx is nil, else gathered through idx).
func batchOf(t *tensor.Tensor, lo, hi int, idx []int, buf []float32) (*tensor.Tensor, []float32) {
	row := rowLen(t.Shape[1:])
	shape := append([]int{hi - lo}, t.Shape[1:]...)
	src := t.Float32s()
	if idx == nil {
		return tensor.MustFromFloat32(shape, src[lo*row:hi*row]), buf
	}
	need := (hi - lo) * row
	if cap(buf) < need {
		buf = make([]float32, need)
	}
	buf = buf[:need]
	for i, k := range idx[lo:hi] {
		copy(buf[i*row:(i+1)*row], src[k*row:(k+1)*row])
	}
	return tensor.MustFromFloat32(shape, buf), buf
}

// evaluate computes the loss and metric means over (x, y) in inference mode.
func (m *Model) evaluate(x, y *tensor.Tensor, batchSize int, onBatch func(done, steps int)) (float64, []float64, error) {
	t := m.train
	if !t.resolved {
		m.resolveMetrics(y.Shape)
	}
	n := x.Shape[0]
	if n == 0 {
		return 0, nil, fmt.Errorf("%w: evaluate on an empty set", ErrShape)
	}
	steps := (n + batchSize - 1) / batchSize
	var lossT meanTracker
	mt := make([]meanTracker, len(t.metrics))
	act := m.outputActivation()
	for s := 0; s < steps; s++ {
		lo, hi := s*batchSize, min((s+1)*batchSize, n)
		xb, _ := batchOf(x, lo, hi, nil, nil)
		yb, _ := batchOf(y, lo, hi, nil, nil)
		out, err := m.forward(xb, false)
		if err != nil {
			return 0, nil, err
		}
		res, err := t.loss.compute(out, yb, act, false, false)
		if err != nil {
			return 0, nil, within("loss "+t.loss.name, err)
		}
		bn := float32(hi - lo)
		lossT.add(res.loss*bn, bn)
		sums, err := m.metricSums(out, yb)
		if err != nil {
			return 0, nil, err
		}
		for i := range mt {
			mt[i].add(sums[i], bn)
		}
		if onBatch != nil {
			onBatch(s+1, steps)
		}
	}
	vals := make([]float64, len(mt))
	for i := range mt {
		vals[i] = mt[i].result()
	}
	return lossT.result(), vals, nil
}

// clipGradients returns the gradients to apply, per variable: clipnorm (per variable), else
// global_clipnorm, else clipvalue, as tf_keras's Optimizer._clip_gradients (tf.clip_by_norm,
// tf.clip_by_global_norm, tf.clip_by_value). Clipped gradients go to buffers in bufs; the
// layers' Grad slices are left as computed.
func clipGradients(c *commonOptions, vars []trainVar, bufs *[][]float32) [][]float32 {
	out := make([][]float32, len(vars))
	for i, v := range vars {
		out[i] = v.w.Grad
	}
	clipped := func(i int) []float32 {
		if len(*bufs) < len(vars) {
			*bufs = make([][]float32, len(vars))
		}
		b := (*bufs)[i]
		if cap(b) < len(out[i]) {
			b = make([]float32, len(out[i]))
		}
		b = b[:len(out[i])]
		(*bufs)[i] = b
		return b
	}
	switch {
	case c.clipnorm != nil && *c.clipnorm > 0:
		cn := float32(*c.clipnorm)
		for i, g := range out {
			var ss float32
			for _, x := range g {
				ss += x * x
			}
			if ss <= 0 {
				continue
			}
			den := max(float32(math.Sqrt(float64(ss))), cn)
			b := clipped(i)
			for j, x := range g {
				b[j] = x * cn / den
			}
			out[i] = b
		}
	case c.globalClipnorm != nil && *c.globalClipnorm > 0:
		cn := float32(*c.globalClipnorm)
		var ss float32
		for _, g := range out {
			var s float32
			for _, x := range g {
				s += x * x
			}
			ss += s
		}
		norm := float32(math.Sqrt(float64(ss)))
		scale := cn * min(1/norm, 1/cn)
		for i, g := range out {
			b := clipped(i)
			for j, x := range g {
				b[j] = x * scale
			}
			out[i] = b
		}
	case c.clipvalue != nil && *c.clipvalue > 0:
		cv := float32(*c.clipvalue)
		for i, g := range out {
			b := clipped(i)
			for j, x := range g {
				b[j] = min(max(x, -cv), cv)
			}
			out[i] = b
		}
	}
	return out
}
