package model

import (
	"fmt"
	"slices"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/metrics"
	"github.com/kerasgo/kerasgo/optimizers"
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
	// "categorical_accuracy", "binary_accuracy", "mse", "mae". With several outputs each
	// metric is computed on every output, as tf_keras does.
	Metrics []string

	// For models with several outputs (at most one of each pair may be set):
	//
	// Losses gives one loss per output in the model's output order (Keras's list form); ""
	// leaves an output without a loss. LossByOutput gives them by output name (Keras's dict
	// form); outputs not named have no loss. Either replaces Loss.
	Losses       []string
	LossByOutput map[string]string
	// LossWeights scales each output's loss in the total loss, in output order;
	// LossWeightsByOutput by output name (outputs not named: 1).
	LossWeights         []float64
	LossWeightsByOutput map[string]float64
	// MetricsByOutput gives the metrics of each output by output name; it replaces Metrics.
	MetricsByOutput map[string][]string
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
	t := &trainState{opt: opt, slotsKeras2: true}
	if err := t.compileOutputs(o); err != nil {
		return err
	}
	var ms []metrics.Metric
	if o.Metrics != nil {
		ms = []metrics.Metric{}
	}
	for _, name := range o.Metrics {
		s, err := metrics.Parse(name)
		if err != nil {
			return err
		}
		ms = append(ms, s)
	}
	t.metrics = ms
	m.train = t
	if _, err := m.boundOutputs(); err != nil {
		m.train = nil
		return err
	}
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
	if _, err := m.boundOutputs(); err != nil {
		return []string{"loss"}
	}
	return m.train.logNames()
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
	t.reg.built = false
	t.slotNames = t.opt.Slots(t.slotsKeras2)
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
		return nil, nil, fmt.Errorf("%w: a model with %d inputs and %d outputs takes lists of tensors (FitN, EvaluateN, TrainOnBatchN)", ErrShape, len(m.fn.inputs), len(m.fn.outputs))
	}
	if !m.Built() {
		if err := m.adoptInputShape(x.Shape[1:]); err != nil {
			return nil, nil, err
		}
	}
	if m.dyn != nil {
		return nil, nil, m.dynTrainErr()
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
	if m.train.loss.Sparse() {
		if yRow*c != outRow {
			return nil, nil, fmt.Errorf("%w: labels of shape %s for outputs %s (sparse_categorical_crossentropy wants one integer label per output row)", ErrShape, tensor.ShapeString(y.Shape), shapeString(-1, m.outShape))
		}
	} else if yRow != outRow {
		return nil, nil, fmt.Errorf("%w: targets of shape %s for outputs %s", ErrShape, tensor.ShapeString(y.Shape), shapeString(-1, m.outShape))
	}
	return x, y, nil
}

// trainStep runs one optimisation step on a batch (xs and ys as prepareN returns them) and
// returns the losses computed before the update and the metric sums (on the training-mode
// outputs, as Keras's train_step). The loss minimised is the weighted sum of the outputs'
// losses.
func (m *Model) trainStep(xs, ys []*tensor.Tensor) (stepStats, error) {
	m.beginAlone() // concurrent Predict calls wait for the step (model/predict_ws.go)
	defer m.endAlone()
	t := m.train
	if s := t.opt.Unsupported(); s != "" {
		return stepStats{}, fmt.Errorf("%w: optimizer option %s", ErrUnsupported, s)
	}
	if _, err := m.boundOutputs(); err != nil {
		return stepStats{}, err
	}
	if !t.resolved {
		m.resolveMetricsN(ys)
		t.resolved = true
	}
	m.buildOptimizer()
	if err := m.weightRules(); err != nil {
		return stepStats{}, err
	}
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
	outs, err := m.forwardN(xs, true)
	if err != nil {
		return stepStats{}, err
	}
	st, dys, logits, err := m.lossesN(outs, ys, true)
	if err != nil {
		m.fnVals = nil
		return stepStats{}, err
	}
	if m.fn != nil {
		err := m.fn.backward(dys, logits, m.fnVals)
		m.fnVals = nil
		if err != nil {
			return stepStats{}, err
		}
		m.applyGradients()
		return st, nil
	}
	dy := dys[0]
	for i := len(m.layers) - 1; i >= 0; i-- {
		l := m.layers[i]
		var err error
		if i == len(m.layers)-1 && logits[0] {
			dy, err = l.(logitsBackwarder).BackwardLogits(dy)
		} else if fdx, k, ferr := layers.BackwardFused(m.layers[:i+1], dy); k > 0 || ferr != nil {
			// Conv2D → MaxPooling2D in one pass (layers/fused_train.go).
			dy, err = fdx, ferr
			i -= k - 1
			l = m.layers[i]
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
	m.addPenaltyGradients()
	raw := make([][]float32, len(t.vars))
	for i, v := range t.vars {
		raw[i] = v.w.Grad
	}
	grads := optimizers.ClipGradients(t.opt, raw, &t.gradBufs)
	if wd := optimizers.WeightDecay(t.opt); wd != 0 {
		lr := t.opt.LearningRate()
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
		t.opt.Update(t.iterations, v.w.Value.Float32s(), grads[i], v.slots)
	}
	m.applyConstraints()
	t.iterations++
}

// TrainOnBatch runs one optimisation step on one batch, as Keras's train_on_batch, and
// returns the batch's loss (computed before the update) and its metrics. For a model with
// several inputs or outputs use TrainOnBatchN.
func (m *Model) TrainOnBatch(x, y *tensor.Tensor) (float64, map[string]float64, error) {
	return m.TrainOnBatchN([]*tensor.Tensor{x}, []*tensor.Tensor{y})
}

// TrainOnBatchN runs one optimisation step on one batch of a model with any number of inputs
// and outputs: xs holds one tensor per input (InputNames order), ys one per output
// (OutputNames order; nil for an output compiled without a loss). It returns the total loss
// (the weighted sum of the outputs' losses, computed before the update) and the other logged
// values by their Keras names: "<output>_loss" per output and "<output>_<metric>" for a model
// with several outputs, the metric names for one output.
func (m *Model) TrainOnBatchN(xs, ys []*tensor.Tensor) (float64, map[string]float64, error) {
	xs, ys, err := m.prepareN(xs, ys)
	if err != nil {
		return 0, nil, apiErr("train on batch", err)
	}
	st, err := m.trainStep(xs, ys)
	if err != nil {
		return 0, nil, apiErr("train on batch", err)
	}
	vals := st.values(m.train)
	mets := map[string]float64{}
	for i, name := range m.train.logNames()[1:] {
		mets[name] = vals[i+1]
	}
	return vals[0], mets, nil
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

// evaluate computes the losses and metric means over (xs, ys) in inference mode, in
// logNames order.
func (m *Model) evaluate(xs, ys []*tensor.Tensor, batchSize int, onBatch func(done, steps int)) ([]float64, error) {
	t := m.train
	if _, err := m.boundOutputs(); err != nil {
		return nil, err
	}
	if !t.resolved {
		m.resolveMetricsN(ys)
	}
	if err := m.weightRules(); err != nil {
		return nil, err
	}
	n := xs[0].Shape[0]
	if n == 0 {
		return nil, fmt.Errorf("%w: evaluate on an empty set", ErrShape)
	}
	steps := (n + batchSize - 1) / batchSize
	tr := make(trackers, len(t.logNames()))
	xb, yb := make([]*tensor.Tensor, len(xs)), make([]*tensor.Tensor, len(ys))
	for s := 0; s < steps; s++ {
		lo, hi := s*batchSize, min((s+1)*batchSize, n)
		batchesOf(xs, xb, lo, hi, nil, nil)
		batchesOf(ys, yb, lo, hi, nil, nil)
		st, err := m.evalBatch(xb, yb)
		if err != nil {
			return nil, err
		}
		tr.add(st, t)
		if onBatch != nil {
			onBatch(s+1, steps)
		}
	}
	vals := make([]float64, len(tr))
	for i := range tr {
		vals[i] = tr[i].Result()
	}
	return vals, nil
}

// evalBatch computes the losses and metric sums of one batch in inference mode, alone on
// the model (concurrent Predict calls wait for it: model/predict_ws.go).
func (m *Model) evalBatch(xb, yb []*tensor.Tensor) (stepStats, error) {
	m.beginAlone()
	defer m.endAlone()
	outs, err := m.forwardN(xb, false)
	if err != nil {
		return stepStats{}, err
	}
	st, _, _, err := m.lossesN(outs, yb, false)
	return st, err
}

// batchesOf fills dst with rows [lo, hi) of each tensor of src (nil stays nil), gathered
// through idx when it is not nil (into bufs, one per tensor).
func batchesOf(src, dst []*tensor.Tensor, lo, hi int, idx []int, bufs [][]float32) {
	for i, t := range src {
		if t == nil {
			dst[i] = nil
			continue
		}
		if bufs == nil {
			dst[i], _ = batchOf(t, lo, hi, idx, nil)
			continue
		}
		dst[i], bufs[i] = batchOf(t, lo, hi, idx, bufs[i])
	}
}
