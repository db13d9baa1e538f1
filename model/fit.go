package model

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/kerasgo/kerasgo/callbacks"
	"github.com/kerasgo/kerasgo/internal/progbar"
	"github.com/kerasgo/kerasgo/tensor"
)

// Data is a pair of inputs and targets (Keras's validation_data=(x, y)). For a model with
// several inputs or outputs set Xs and Ys (one tensor per input and per output) instead.
type Data struct {
	X, Y   *tensor.Tensor
	Xs, Ys []*tensor.Tensor
}

// lists returns the data as lists of tensors.
func (d *Data) lists() ([]*tensor.Tensor, []*tensor.Tensor) {
	if d.Xs != nil || d.Ys != nil {
		return d.Xs, d.Ys
	}
	return []*tensor.Tensor{d.X}, []*tensor.Tensor{d.Y}
}

// FitOptions are the arguments of Fit. The zero value trains one epoch in batches of 32,
// shuffled as Keras's fit shuffles by default, silently.
type FitOptions struct {
	Epochs    int // number of the last epoch (Keras's epochs); 0 means 1
	BatchSize int // 0 means 32
	// NoShuffle keeps the training samples in order (Keras's shuffle=False). By default they
	// are reordered before each epoch, as Keras does, by a generator seeded by Seed.
	NoShuffle bool
	Seed      uint64
	// ValidationData is evaluated at the end of each epoch; its loss and metrics are logged
	// as val_loss, val_<metric>.
	ValidationData *Data
	// ValidationSplit, when ValidationData is nil, holds out this fraction of the samples
	// (the last ones, before shuffling) for validation, as Keras does.
	ValidationSplit float64
	// ValidationBatchSize is the batch size of validation (0: BatchSize).
	ValidationBatchSize int
	// InitialEpoch is the epoch to start from (for resuming: epochs are numbered from 0, so
	// training runs epochs InitialEpoch..Epochs-1).
	InitialEpoch int
	Callbacks    []Callback
	// Verbose is VerboseSilent (0), VerboseProgressBar (1), VerboseLine (2) or VerboseAuto.
	Verbose int
	// Output receives the progress output (default os.Stdout).
	Output io.Writer
}

// History is what Fit returns, as Keras's History callback records it.
type History struct {
	// Epoch lists the epochs run (numbered from 0).
	Epoch []int
	// History maps each log key ("loss", "accuracy", "val_loss", ...) to its value per epoch.
	History map[string][]float64
	// Keys lists History's keys in Keras's order.
	Keys []string
	// LearningRate is the optimizer's learning rate at the end of each epoch (what Keras's
	// TensorBoard callback logs as epoch_learning_rate).
	LearningRate []float64
	Params       HistoryParams
}

// HistoryParams are Keras's history.params.
type HistoryParams struct {
	Verbose, Epochs, Steps int
}

// Fit trains the model on (x, y) as Keras's model.fit: for each epoch, batches in order (or
// shuffled), one optimizer step per batch, then validation. Logs hold the running means of
// the loss and metrics over the epoch's batches (computed in training mode, before each
// update) and, at the end of an epoch, the validation values. opts may be omitted (one
// epoch, batches of 32, shuffled, silent).
func (m *Model) Fit(x, y *tensor.Tensor, opts ...FitOptions) (*History, error) {
	h, err := m.fit([]*tensor.Tensor{x}, []*tensor.Tensor{y}, optionsArg("Fit", opts))
	return h, apiErr("fit", err)
}

// FitN is Fit for a model with any number of inputs and outputs: xs holds one tensor per
// input (InputNames order), ys one per output (OutputNames order; nil for an output compiled
// without a loss). The loss minimised is the weighted sum of the outputs' losses; logs hold
// "loss", "<output>_loss" per output and "<output>_<metric>", as Keras logs them.
func (m *Model) FitN(xs, ys []*tensor.Tensor, opts ...FitOptions) (*History, error) {
	h, err := m.fit(xs, ys, optionsArg("FitN", opts))
	return h, apiErr("fit", err)
}

func (m *Model) fit(xs, ys []*tensor.Tensor, o FitOptions) (_ *History, ferr error) {
	defer func() {
		if ferr != nil {
			abortCallbacks(o.Callbacks)
		}
	}()
	xs, ys, err := m.prepareN(xs, ys)
	if err != nil {
		return nil, err
	}
	if o.Epochs <= 0 {
		o.Epochs = 1
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	out := o.Output
	if out == nil {
		out = os.Stdout
	}
	verbose := resolveVerbose(o.Verbose, out)
	val := o.ValidationData
	var valX, valY []*tensor.Tensor
	if val != nil {
		if valX, valY, err = m.prepareN(val.lists()); err != nil {
			return nil, within("validation data", err)
		}
	} else if o.ValidationSplit > 0 {
		if o.ValidationSplit >= 1 {
			return nil, fmt.Errorf("%w: validation split %v must be in (0, 1)", ErrShape, o.ValidationSplit)
		}
		n := xs[0].Shape[0]
		split := int(float64(n) * (1 - o.ValidationSplit))
		if split == 0 || split == n {
			return nil, fmt.Errorf("%w: validation split %v of %d samples leaves an empty set", ErrShape, o.ValidationSplit, n)
		}
		valX, valY = make([]*tensor.Tensor, len(xs)), make([]*tensor.Tensor, len(ys))
		batchesOf(xs, valX, split, n, nil, nil)
		batchesOf(ys, valY, split, n, nil, nil)
		batchesOf(xs, xs, 0, split, nil, nil)
		batchesOf(ys, ys, 0, split, nil, nil)
	}
	n := xs[0].Shape[0]
	if n == 0 {
		return nil, fmt.Errorf("%w: no training samples", ErrShape)
	}
	valBatch := o.ValidationBatchSize
	if valBatch <= 0 {
		valBatch = o.BatchSize
	}
	steps := (n + o.BatchSize - 1) / o.BatchSize
	t := m.train
	t.stop = false
	h := &History{History: map[string][]float64{}, Params: HistoryParams{Verbose: verbose, Epochs: o.Epochs, Steps: steps}}
	cbs := o.Callbacks
	logs := Logs{}
	for _, c := range cbs {
		if err := c.OnTrainBegin(m, logs); err != nil {
			return h, err
		}
	}
	var rng *rand.Rand
	if !o.NoShuffle {
		rng = rand.New(rand.NewPCG(o.Seed, 0x73687566))
	}
	xbufs, ybufs := make([][]float32, len(xs)), make([][]float32, len(ys))
	xb, yb := make([]*tensor.Tensor, len(xs)), make([]*tensor.Tensor, len(ys))
	names := t.logNames()
	for epoch := o.InitialEpoch; epoch < o.Epochs; epoch++ {
		logs = Logs{}
		for _, c := range cbs {
			if err := c.OnEpochBegin(m, epoch, logs); err != nil {
				return h, err
			}
		}
		var bar *progbar.Bar
		if verbose != VerboseSilent {
			if o.Epochs > 1 {
				fmt.Fprintf(out, "Epoch %d/%d\n", epoch+1, o.Epochs)
			}
			bar = progbar.New(out, steps, verbose)
		}
		var idx []int
		if rng != nil {
			idx = rng.Perm(n)
		}
		tr := make(trackers, len(names))
		var items []progbar.Item
		for s := 0; s < steps; s++ {
			lo, hi := s*o.BatchSize, min((s+1)*o.BatchSize, n)
			batchesOf(xs, xb, lo, hi, idx, xbufs)
			batchesOf(ys, yb, lo, hi, idx, ybufs)
			st, err := m.trainStep(xb, yb)
			if err != nil {
				return h, within(fmt.Sprintf("epoch %d, batch %d", epoch+1, s+1), err)
			}
			tr.add(st, t)
			items = logItems(names, tr, "")
			logs = itemsToLogs(items)
			if bar != nil && verbose == VerboseProgressBar {
				bar.Update(s+1, items, false)
			}
			for _, c := range cbs {
				if err := c.OnBatchEnd(m, s, logs); err != nil {
					return h, err
				}
			}
		}
		if valX != nil {
			vals, err := m.validate(cbs, valX, valY, valBatch, names)
			if err != nil {
				return h, err
			}
			for i, name := range names {
				items = append(items, progbar.Item{K: "val_" + name, V: vals[i]})
			}
		}
		logs = itemsToLogs(items)
		if bar != nil {
			bar.Update(steps, items, true)
		}
		for _, c := range cbs {
			if err := c.OnEpochEnd(m, epoch, logs); err != nil {
				return h, err
			}
		}
		h.Epoch = append(h.Epoch, epoch)
		h.LearningRate = append(h.LearningRate, float64(t.opt.LearningRate()))
		for _, it := range items {
			if _, ok := h.History[it.K]; !ok {
				h.Keys = append(h.Keys, it.K)
			}
			h.History[it.K] = append(h.History[it.K], logs[it.K])
		}
		if t.stop {
			break
		}
	}
	for _, c := range cbs {
		if err := c.OnTrainEnd(m, logs); err != nil {
			return h, err
		}
	}
	return h, nil
}

// logItems lists the tracked values (names in logNames order, with a prefix).
func logItems(names []string, tr trackers, prefix string) []progbar.Item {
	items := make([]progbar.Item, len(names))
	for i, name := range names {
		items[i] = progbar.Item{K: prefix + name, V: tr[i].Result()}
	}
	return items
}

func itemsToLogs(items []progbar.Item) Logs {
	l := make(Logs, len(items))
	for _, it := range items {
		l[it.K] = it.V
	}
	return l
}

// rowsOf returns a float32 view of rows [lo, hi) of t.
func rowsOf(t *tensor.Tensor, lo, hi int) *tensor.Tensor {
	v, _ := batchOf(t, lo, hi, nil, nil)
	return v
}

// EvaluateOptions are the arguments of Evaluate. The zero value uses batches of 32 and
// prints nothing.
type EvaluateOptions struct {
	BatchSize int
	Verbose   int // as FitOptions.Verbose
	Output    io.Writer
}

// Evaluate returns the loss and the metrics of the model on (x, y) in inference mode, as
// Keras's model.evaluate: means over all samples, weighted by batch size. opts may be
// omitted.
func (m *Model) Evaluate(x, y *tensor.Tensor, opts ...EvaluateOptions) (float64, map[string]float64, error) {
	return m.evaluateAPI("Evaluate", []*tensor.Tensor{x}, []*tensor.Tensor{y}, opts)
}

// EvaluateN is Evaluate for a model with any number of inputs and outputs (xs and ys as
// FitN takes them). It returns the total loss and the other values by their log names
// ("<output>_loss", "<output>_<metric>").
func (m *Model) EvaluateN(xs, ys []*tensor.Tensor, opts ...EvaluateOptions) (float64, map[string]float64, error) {
	return m.evaluateAPI("EvaluateN", xs, ys, opts)
}

func (m *Model) evaluateAPI(fn string, xs, ys []*tensor.Tensor, opts []EvaluateOptions) (float64, map[string]float64, error) {
	o := optionsArg(fn, opts)
	xs, ys, err := m.prepareN(xs, ys)
	if err != nil {
		return 0, nil, apiErr("evaluate", err)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	out := o.Output
	if out == nil {
		out = os.Stdout
	}
	verbose := resolveVerbose(o.Verbose, out)
	steps := (xs[0].Shape[0] + o.BatchSize - 1) / o.BatchSize
	var bar *progbar.Bar
	var onBatch func(int, int)
	if verbose != VerboseSilent && steps > 0 {
		bar = progbar.New(out, steps, verbose)
		if verbose == VerboseProgressBar {
			onBatch = func(done, _ int) { bar.Update(done, nil, false) }
		}
	}
	vals, err := m.evaluate(xs, ys, o.BatchSize, onBatch)
	if err != nil {
		return 0, nil, apiErr("evaluate", err)
	}
	mets := map[string]float64{}
	var items []progbar.Item
	for i, name := range m.train.logNames() {
		if i > 0 {
			mets[name] = vals[i]
		}
		items = append(items, progbar.Item{K: name, V: vals[i]})
	}
	if bar != nil {
		bar.Update(steps, items, true)
	}
	return vals[0], mets, nil
}

// Logs are the values Keras passes to callbacks: "loss", metric names, "val_" names.
type Logs = callbacks.Logs
