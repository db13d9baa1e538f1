package model

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/losses"
	"github.com/kerasgo/kerasgo/metrics"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds what training needs per model output: the loss, its weight and the
// metrics of each output, bound to the model's outputs as Keras's compile binds a loss given
// as a list (one per output, in order) or a dict (by output name).

// declForm is how a per-output compile argument was given.
type declForm int

const (
	formOne  declForm = iota // one value for every output (or none given)
	formList                 // a list, one entry per output in order
	formDict                 // a dict keyed by output name
)

// perOutput is a compile argument given per output: list holds the entries (list form) or
// the dict's values in key order, names the dict's keys.
type perOutput[T any] struct {
	form  declForm
	list  []T
	names []string
}

// pick returns the entry for output i named name, and whether there is one.
func (p *perOutput[T]) pick(i int, name string) (T, bool) {
	var zero T
	switch p.form {
	case formList:
		if i < len(p.list) {
			return p.list[i], true
		}
	case formDict:
		for j, n := range p.names {
			if n == name {
				return p.list[j], true
			}
		}
	}
	return zero, false
}

// check reports an error when the list does not have one entry per output or a dict key
// names no output.
func (p *perOutput[T]) check(what string, names []string) error {
	switch p.form {
	case formList:
		if len(p.list) != len(names) {
			return fmt.Errorf("%w: %s has %d entries for a model with %d outputs %v", ErrFormat, what, len(p.list), len(names), names)
		}
	case formDict:
		for _, n := range p.names {
			if !slices.Contains(names, n) {
				return fmt.Errorf("%w: %s for %q, which is not an output of the model (outputs: %v)", ErrFormat, what, n, names)
			}
		}
	}
	return nil
}

// outSpec is the training configuration of one model output.
type outSpec struct {
	name    string
	layer   layers.Layer // the layer producing the output
	shape   []int        // without the batch dimension
	loss    *losses.Loss // nil: the output has no loss
	weight  float32
	metrics []metrics.Metric
}

// outputCount is the number of outputs of the model.
func (m *Model) outputCount() int {
	if m.fn != nil {
		return len(m.fn.outputs)
	}
	return 1
}

// boundOutputs returns the per-output training configuration, binding the compiled losses,
// weights and metrics to the model's outputs on first use.
func (m *Model) boundOutputs() ([]outSpec, error) {
	t := m.train
	if t.outs != nil {
		if m.fn == nil { // a Sequential model may be built or changed after Compile
			t.outs[0].layer, t.outs[0].shape = m.outputLayer(), m.outShape
			t.outs[0].name = ""
			if l := t.outs[0].layer; l != nil {
				t.outs[0].name = l.Name()
			}
		}
		return t.outs, nil
	}
	names := m.OutputNames()
	k := m.outputCount()
	if len(names) != k {
		names = make([]string, k)
	}
	if err := t.losses.check("loss", names); err != nil {
		return nil, err
	}
	if err := t.weights.check("loss_weights", names); err != nil {
		return nil, err
	}
	if err := t.outMetrics.check("metrics", names); err != nil {
		return nil, err
	}
	outs := make([]outSpec, k)
	anyLoss := false
	for i, name := range names {
		o := outSpec{name: name, loss: t.loss, weight: 1}
		if m.fn != nil {
			o.layer, o.shape = m.fn.outputs[i].node.layer, m.fn.outputs[i].shape
		} else {
			o.layer, o.shape = m.outputLayer(), m.outShape
		}
		if t.losses.form != formOne {
			o.loss, _ = t.losses.pick(i, name)
		}
		if w, ok := t.weights.pick(i, name); ok {
			o.weight = float32(w)
		}
		switch {
		case t.outMetrics.form != formOne:
			ms, _ := t.outMetrics.pick(i, name)
			o.metrics = slices.Clone(ms)
			for j := range o.metrics {
				o.metrics[j].Name = strings.TrimPrefix(o.metrics[j].Name, name+"_")
			}
		case k == 1:
			o.metrics = t.metrics // shared: resolving "accuracy" shows in the saved config
		default:
			o.metrics = slices.Clone(t.metrics)
		}
		anyLoss = anyLoss || o.loss != nil
		outs[i] = o
	}
	if !anyLoss {
		return nil, fmt.Errorf("%w: no output of the model has a loss", ErrFormat)
	}
	t.outs = outs
	return outs, nil
}

// multiOutput reports whether logs name values per output ("cls_loss", "cls_accuracy").
func (t *trainState) multiOutput() bool { return len(t.outs) > 1 }

// metricCount is the number of metric values over all outputs.
func (t *trainState) metricCount() int {
	n := 0
	for _, o := range t.outs {
		n += len(o.metrics)
	}
	return n
}

// logNames lists the names of the logged values in tf_keras's order: "loss", each output's
// loss ("<output>_loss", models with several outputs), then each output's metrics
// ("<output>_<metric>" with several outputs).
func (t *trainState) logNames() []string {
	out := []string{"loss"}
	multi := t.multiOutput()
	if multi {
		for _, o := range t.outs {
			if o.loss != nil {
				out = append(out, o.name+"_loss")
			}
		}
	}
	for _, o := range t.outs {
		for _, s := range o.metrics {
			if multi {
				out = append(out, o.name+"_"+s.Name)
			} else {
				out = append(out, s.Name)
			}
		}
	}
	return out
}

// stepStats are a batch's losses and metric sums.
type stepStats struct {
	loss    float32   // weighted sum of the outputs' mean losses
	outLoss []float32 // per output: its mean loss (0 without a loss)
	n       float32
	metrics []float32 // per metric over all outputs: sum over the batch
	// metricN is each metric's count: the samples of the batch, or for an output carrying a
	// Keras mask its unmasked entries (weighted as Keras weights masked metrics; see
	// metricSumsN), in samples (count/steps).
	metricN []float32
}

// values returns the step's values in logNames order (means over the batch).
func (st stepStats) values(t *trainState) []float64 {
	v := []float64{float64(st.loss)}
	if t.multiOutput() {
		for i, o := range t.outs {
			if o.loss != nil {
				v = append(v, float64(st.outLoss[i]))
			}
		}
	}
	for i, s := range st.metrics {
		n := st.metricCount(i)
		if n == 0 {
			v = append(v, 0) // every entry masked: Keras's 0/0 is 0
			continue
		}
		v = append(v, float64(s/n))
	}
	return v
}

func (st stepStats) metricCount(i int) float32 {
	if i < len(st.metricN) {
		return st.metricN[i]
	}
	return st.n
}

// trackers accumulates step values over batches, weighted by batch size (a metric by its
// count).
type trackers []metrics.Mean

func (tr trackers) add(st stepStats, t *trainState) {
	vs := st.values(t)
	first := len(vs) - len(st.metrics)
	for i, v := range vs {
		n := st.n
		if i >= first {
			n = st.metricCount(i - first)
		}
		tr[i].Add(float32(v)*n, n)
	}
}

// prepareN checks xs (one per input) and ys (one per output; nil for an output without a
// loss) and returns them as float32.
func (m *Model) prepareN(xs, ys []*tensor.Tensor) ([]*tensor.Tensor, []*tensor.Tensor, error) {
	if m.train == nil {
		return nil, nil, fmt.Errorf("%w: the model is not compiled (call Compile)", ErrNotBuilt)
	}
	if m.fn == nil {
		if len(xs) != 1 || len(ys) != 1 {
			return nil, nil, fmt.Errorf("%w: %d inputs and %d targets for a model with one input and one output", ErrShape, len(xs), len(ys))
		}
		x, y, err := m.prepare(xs[0], ys[0])
		if err != nil {
			return nil, nil, err
		}
		if _, err := m.boundOutputs(); err != nil {
			return nil, nil, err
		}
		return []*tensor.Tensor{x}, []*tensor.Tensor{y}, nil
	}
	if m.dyn != nil {
		return nil, nil, m.dynTrainErr()
	}
	xs, err := m.checkInputs(xs)
	if err != nil {
		return nil, nil, err
	}
	n := xs[0].Shape[0]
	if n == 0 {
		return nil, nil, fmt.Errorf("%w: no samples", ErrShape)
	}
	outs, err := m.boundOutputs()
	if err != nil {
		return nil, nil, err
	}
	if len(ys) != len(outs) {
		return nil, nil, fmt.Errorf("%w: %d targets for a model with %d outputs %v", ErrShape, len(ys), len(outs), m.OutputNames())
	}
	res := make([]*tensor.Tensor, len(ys))
	for i, y := range ys {
		o := outs[i]
		if o.loss == nil {
			if y != nil {
				return nil, nil, fmt.Errorf("%w: targets for output %q, which has no loss", ErrShape, o.name)
			}
			continue
		}
		if y == nil {
			return nil, nil, fmt.Errorf("%w: no targets for output %q", ErrShape, o.name)
		}
		if len(y.Shape) < 1 || y.Shape[0] != n {
			return nil, nil, fmt.Errorf("%w: targets of output %q have shape %s for %d samples", ErrShape, o.name, tensor.ShapeString(y.Shape), n)
		}
		if y.DType != tensor.Float32 {
			if y, err = y.ToFloat32(); err != nil {
				return nil, nil, within("targets of output "+o.name, err)
			}
		}
		yRow, outRow := rowLen(y.Shape[1:]), rowLen(o.shape)
		if o.loss.Sparse() {
			if len(o.shape) == 0 || yRow*o.shape[len(o.shape)-1] != outRow {
				return nil, nil, fmt.Errorf("%w: labels of shape %s for output %q %s (sparse_categorical_crossentropy wants one integer label per output row)", ErrShape, tensor.ShapeString(y.Shape), o.name, shapeString(-1, o.shape))
			}
		} else if yRow != outRow {
			return nil, nil, fmt.Errorf("%w: targets of shape %s for output %q %s", ErrShape, tensor.ShapeString(y.Shape), o.name, shapeString(-1, o.shape))
		}
		res[i] = y
	}
	return xs, res, nil
}

// forwardN runs the model on a batch and returns its outputs (a Functional model keeps the
// values for backward when training).
func (m *Model) forwardN(xs []*tensor.Tensor, training bool) ([]*tensor.Tensor, error) {
	if m.fn == nil {
		y, mask, err := m.forwardMask(xs[0], training)
		if err != nil {
			return nil, err
		}
		m.outMasks = [][]bool{mask}
		return []*tensor.Tensor{y}, nil
	}
	ys, vals, err := m.fn.forward(xs, training)
	if err != nil {
		return nil, err
	}
	if training {
		m.fnVals = vals
	}
	m.outMasks = make([][]bool, len(m.fn.outputs))
	for i, t := range m.fn.outputs {
		m.outMasks[i] = m.fn.masks[t]
	}
	return ys, nil
}

// outputActivationOf returns the activation of layer l ("softmax", ...), or "".
func outputActivationOf(l layers.Layer) string {
	if a, ok := l.(interface{ Activation() string }); ok {
		return a.Activation()
	}
	return ""
}

// resolveMetricsN fixes the function of "accuracy"/"acc" per output from its targets.
func (m *Model) resolveMetricsN(ys []*tensor.Tensor) {
	for i := range m.train.outs {
		o := &m.train.outs[i]
		if ys[i] == nil {
			continue
		}
		predShape := append([]int{-1}, o.shape...)
		for j := range o.metrics {
			if o.metrics[j].Auto {
				o.metrics[j].Fn = metrics.ResolveAccuracy(ys[i].Shape, predShape)
			}
		}
	}
}

// lossesN computes the loss of every output on a batch: the step's loss values and, when
// wantGrad, the gradient per output (scaled by the output's weight) and whether it is with
// respect to the output layer's logits.
func (m *Model) lossesN(outs, ys []*tensor.Tensor, wantGrad bool) (stepStats, []*tensor.Tensor, []bool, error) {
	t := m.train
	st := stepStats{outLoss: make([]float32, len(t.outs)), n: float32(outs[0].Shape[0])}
	var dys []*tensor.Tensor
	var logits []bool
	if wantGrad {
		dys, logits = make([]*tensor.Tensor, len(t.outs)), make([]bool, len(t.outs))
	}
	for i, o := range t.outs {
		if o.loss == nil {
			continue
		}
		canLogits := false
		if wantGrad {
			_, canLogits = o.layer.(logitsBackwarder)
			if m.fn != nil && m.fn.consumers[m.fn.outputs[i]] > 1 {
				canLogits = false // other layers use the activation's output too
			}
		}
		var mask []bool
		if i < len(m.outMasks) {
			mask = m.outMasks[i]
		}
		res, err := computeLoss(o.loss, outs[i], ys[i], mask, outputActivationOf(o.layer), wantGrad, canLogits)
		if err != nil {
			what := "loss " + o.loss.Name()
			if t.multiOutput() {
				what += " of output " + o.name
			}
			return stepStats{}, nil, nil, within(what, err)
		}
		st.outLoss[i] = res.Loss
		st.loss += o.weight * res.Loss
		if wantGrad {
			if o.weight != 1 {
				for j := range res.Grad {
					res.Grad[j] *= o.weight
				}
			}
			dys[i] = tensor.MustFromFloat32(outs[i].Shape, res.Grad)
			logits[i] = res.Logits
		}
	}
	st.loss += m.layerLosses()
	sums, counts, err := m.metricSumsN(outs, ys)
	if err != nil {
		return stepStats{}, nil, nil, err
	}
	st.metrics, st.metricN = sums, counts
	return st, dys, logits, nil
}

// metricSumsN evaluates each output's metrics on a batch: per metric the sum of its
// per-sample values and their count. A metric of an output carrying a Keras mask counts the
// unmasked entries alone, as both Kerases weight it by the mask (tf_keras's compile_utils
// passes the mask as sample_weight, Keras 3's MeanMetricWrapper applies it): the mean over
// the batch's unmasked entries, accumulated over batches by their number. Sums and counts
// are in samples (entries / steps per sample).
func (m *Model) metricSumsN(outs, ys []*tensor.Tensor) ([]float32, []float32, error) {
	t := m.train
	var sums, counts []float32
	for i, o := range t.outs {
		var mask []bool
		if i < len(m.outMasks) {
			mask = m.outMasks[i]
		}
		for _, s := range o.metrics {
			if ys[i] == nil {
				return nil, nil, fmt.Errorf("%w: metric %s of output %q without targets", ErrShape, s.Name, o.name)
			}
			fn := s.Fn
			if fn == "" {
				fn = metrics.ResolveAccuracy(ys[i].Shape, outs[i].Shape)
			}
			pred, predShape, y := outs[i].Float32s(), outs[i].Shape, ys[i].Float32s()
			perSample := float32(1) // entries (rows) per sample
			if c := predShape[len(predShape)-1]; len(predShape) > 2 && c > 0 && predShape[0] > 0 {
				perSample = float32(len(pred) / c / predShape[0])
			}
			if mask != nil {
				var err error
				if pred, predShape, y, err = maskedRows(pred, predShape, y, mask); err != nil {
					return nil, nil, within(fmt.Sprintf("metric %s of output %q", s.Name, o.name), err)
				}
			}
			v, n, err := metrics.Sum(fn, pred, predShape, y)
			if err != nil {
				return nil, nil, within("metric "+s.Name, err)
			}
			sums, counts = append(sums, v/perSample), append(counts, n/perSample)
		}
	}
	return sums, counts, nil
}

// maskedRows keeps the rows (entries without the class axis) of pred and y whose mask flag is
// set: pred (rows, classes), y with as many values per row.
func maskedRows(pred []float32, shape []int, y []float32, mask []bool) ([]float32, []int, []float32, error) {
	c := shape[len(shape)-1]
	if c < 1 || len(pred)%c != 0 {
		return nil, nil, nil, fmt.Errorf("%w: output shape %s", ErrShape, tensor.ShapeString(shape))
	}
	rows := len(pred) / c
	if len(mask) != rows || rows == 0 || len(y)%rows != 0 {
		return nil, nil, nil, fmt.Errorf("%w: output mask of %d flags for output %s and %d targets", ErrShape, len(mask), tensor.ShapeString(shape), len(y))
	}
	yr := len(y) / rows
	var p, t []float32
	for r, keep := range mask {
		if keep {
			p = append(p, pred[r*c:(r+1)*c]...)
			t = append(t, y[r*yr:(r+1)*yr]...)
		}
	}
	return p, []int{len(p) / c, c}, t, nil
}

// compileOutputs reads the loss arguments of o: Loss, or Losses / LossByOutput, with their
// weights and per-output metrics.
func (t *trainState) compileOutputs(o CompileOptions) error {
	if (o.Loss != "") && (o.Losses != nil || o.LossByOutput != nil) || (o.Losses != nil && o.LossByOutput != nil) {
		return fmt.Errorf("%w: give one of Loss, Losses and LossByOutput", ErrFormat)
	}
	if o.LossWeights != nil && o.LossWeightsByOutput != nil {
		return fmt.Errorf("%w: give one of LossWeights and LossWeightsByOutput", ErrFormat)
	}
	if o.Metrics != nil && o.MetricsByOutput != nil {
		return fmt.Errorf("%w: give one of Metrics and MetricsByOutput", ErrFormat)
	}
	parse := func(name string) (*losses.Loss, error) {
		if name == "" {
			return nil, nil
		}
		return losses.Parse(name, o.FromLogits)
	}
	switch {
	case o.Losses != nil:
		t.losses.form = formList
		for _, n := range o.Losses {
			l, err := parse(n)
			if err != nil {
				return err
			}
			t.losses.list = append(t.losses.list, l)
		}
	case o.LossByOutput != nil:
		t.losses.form = formDict
		for _, k := range keysSorted(o.LossByOutput) {
			l, err := parse(o.LossByOutput[k])
			if err != nil {
				return err
			}
			t.losses.names, t.losses.list = append(t.losses.names, k), append(t.losses.list, l)
		}
	default:
		if o.Loss == "" {
			return fmt.Errorf("%w: no loss", ErrFormat)
		}
		l, err := parse(o.Loss)
		if err != nil {
			return err
		}
		t.loss = l
	}
	switch {
	case o.LossWeights != nil:
		t.weights = perOutput[float64]{form: formList, list: slices.Clone(o.LossWeights)}
	case o.LossWeightsByOutput != nil:
		t.weights.form = formDict
		for _, k := range keysSorted(o.LossWeightsByOutput) {
			t.weights.names, t.weights.list = append(t.weights.names, k), append(t.weights.list, o.LossWeightsByOutput[k])
		}
	}
	if o.MetricsByOutput != nil {
		t.outMetrics.form = formDict
		for _, k := range keysSorted(o.MetricsByOutput) {
			ms := []metrics.Metric{}
			for _, name := range o.MetricsByOutput[k] {
				s, err := metrics.Parse(name)
				if err != nil {
					return err
				}
				ms = append(ms, s)
			}
			t.outMetrics.names, t.outMetrics.list = append(t.outMetrics.names, k), append(t.outMetrics.list, ms)
		}
	}
	return nil
}

func keysSorted[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// layerLosses sums what the model's layers add to its loss in the last forward
// (layers.LossLayer: ActivityRegularization), nested models' layers included, and the weight
// regularizers' penalty; tf_keras and Keras 3 add them to the total loss, not to any output's.
func (m *Model) layerLosses() float32 {
	var sum float64
	for _, l := range leafLayers(m.layers) {
		if ll, ok := l.(layers.LossLayer); ok {
			sum += ll.Loss()
		}
	}
	sum += m.weightPenalty()
	return float32(sum)
}
