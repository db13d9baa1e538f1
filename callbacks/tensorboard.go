package callbacks

import (
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kerasgo/kerasgo/internal/tfevents"
	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/optimizers"
	"github.com/kerasgo/kerasgo/saved"
)

// TestHooks is implemented by callbacks that Fit should also call around each validation
// pass, as Keras calls on_test_begin, on_test_batch_end and on_test_end; logs of OnTestEnd
// hold the validation values under their plain names ("loss", not "val_loss").
type TestHooks[M any] interface {
	OnTestBegin(m M, logs Logs) error
	OnTestBatchEnd(m M, batch int, logs Logs) error
	OnTestEnd(m M, logs Logs) error
}

// Aborter is implemented by callbacks that hold files open during Fit: Fit calls Abort when
// it fails (it does not call OnTrainEnd then, as Keras does not call on_train_end), so that
// what was written is closed.
type Aborter interface {
	Abort() error
}

// TensorBoard writes TensorBoard event files during training, as Keras's TensorBoard
// callback does with its default options (histograms, images, profiling and embeddings are
// not written): under LogDir/train the model's JSON (tag "keras", the Graphs page's
// conceptual graph) and per epoch epoch_<key> for the loss, the metrics and the learning
// rate; under LogDir/validation evaluation_<key>_vs_iterations (step: the optimizer's
// iterations) and epoch_<key> for the validation values. Keras writes no op graph for a
// Keras model's train function, and neither does this.
//
// By default the layout is Keras 3.15's (keys sorted, epoch_learning_rate, batch-level
// batch_<key> every UpdateFreq batches with Keras 3's rule that, while UpdateFreq is set,
// the epoch summaries are kept only at epochs ending on a training step that is a multiple of
// it, and evaluation_* only when the validation batches run so far are). The model's JSON is
// kerasgo's (Model.Config): equal to Keras's model.to_json() as a value, with sorted keys.
// Keras2 writes tf_keras 2.21's: keys in the model's metrics order, no learning rate (tf_keras
// logs it only for a schedule), no batch-level scalars (tf_keras's callback writes none of its
// own) and every epoch summary.
type TensorBoard[M any] struct {
	Base[M]
	// LogDir is the run's directory (default "logs").
	LogDir string
	// UpdateFreq is 0 for Keras's update_freq="epoch", or N to write batch-level scalars
	// every N batches (Keras's "batch" is 1).
	UpdateFreq int
	// NoGraph skips the model's JSON summary (Keras's write_graph=False).
	NoGraph bool
	// Keras2 writes tf_keras's layout.
	Keras2 bool
	// Now is the clock of the events' wall times (default time.Now).
	Now func() time.Time

	train, val              *tfevents.Writer
	globalTrain, globalTest int64
}

// OnTrainBegin opens a new event file under LogDir/train and writes the model's JSON.
func (c *TensorBoard[M]) OnTrainBegin(m M, _ Logs) error {
	if err := c.closeWriters(); err != nil {
		return err
	}
	c.globalTrain = 0
	w, err := c.writer("train")
	if err != nil {
		return err
	}
	c.train = w
	if c.NoGraph {
		return nil
	}
	cm, ok := any(m).(interface {
		Config(saved.Dialect) ([]byte, error)
	})
	if !ok {
		return nil
	}
	d := saved.Keras3
	if c.Keras2 {
		d = saved.Keras2
	}
	js, err := cm.Config(d)
	if err != nil {
		return within("TensorBoard", err)
	}
	return c.write(c.train, 0, tfevents.KerasModelValue(js))
}

func (c *TensorBoard[M]) logDir() string {
	if c.LogDir == "" {
		return "logs"
	}
	return c.LogDir
}

func (c *TensorBoard[M]) writer(sub string) (*tfevents.Writer, error) {
	w, err := tfevents.NewWriter(filepath.Join(c.logDir(), sub), c.Now)
	if err != nil {
		return nil, within("TensorBoard", err)
	}
	return w, nil
}

func (c *TensorBoard[M]) write(w *tfevents.Writer, step int64, v ...*tfpb.Summary_Value) error {
	if err := w.WriteSummary(step, v...); err != nil {
		return within("TensorBoard", err)
	}
	return nil
}

// OnBatchEnd writes batch_<key> every UpdateFreq batches (Keras 3 layout).
func (c *TensorBoard[M]) OnBatchEnd(m M, _ int, logs Logs) error {
	c.globalTrain++
	if c.Keras2 || c.UpdateFreq <= 0 || c.globalTrain%int64(c.UpdateFreq) != 0 || c.train == nil {
		return nil
	}
	for _, k := range c.order(m, logs, false) {
		if err := c.write(c.train, c.globalTrain, tfevents.ScalarValue("batch_"+k, float32(logs[k]))); err != nil {
			return err
		}
	}
	return nil
}

// OnTestBegin opens LogDir/validation's event file.
func (c *TensorBoard[M]) OnTestBegin(M, Logs) error {
	if c.val != nil {
		return nil
	}
	w, err := c.writer("validation")
	if err != nil {
		return err
	}
	c.val = w
	return nil
}

// OnTestBatchEnd counts validation batches (Keras 3's record rule).
func (c *TensorBoard[M]) OnTestBatchEnd(M, int, Logs) error {
	c.globalTest++
	return nil
}

// OnTestEnd writes evaluation_<key>_vs_iterations at the optimizer's iterations.
func (c *TensorBoard[M]) OnTestEnd(m M, logs Logs) error {
	it, ok := any(m).(interface{ Iterations() int64 })
	if !ok || c.val == nil {
		return nil
	}
	if !c.Keras2 && c.UpdateFreq > 0 && c.globalTest%int64(c.UpdateFreq) != 0 {
		return nil
	}
	for _, k := range c.order(m, logs, false) {
		if err := c.write(c.val, it.Iterations(), tfevents.ScalarValue("evaluation_"+k+"_vs_iterations", float32(logs[k]))); err != nil {
			return err
		}
	}
	return nil
}

// OnEpochEnd writes epoch_<key> to the train and validation files.
func (c *TensorBoard[M]) OnEpochEnd(m M, epoch int, logs Logs) error {
	if len(logs) == 0 || c.train == nil {
		return nil
	}
	if !c.Keras2 && c.UpdateFreq > 0 && c.globalTrain%int64(c.UpdateFreq) != 0 {
		return nil
	}
	var vals []string
	for _, k := range c.order(m, logs, true) {
		if strings.HasPrefix(k, "val_") {
			vals = append(vals, k)
			continue
		}
		if err := c.write(c.train, int64(epoch), tfevents.ScalarValue("epoch_"+k, float32(logs[k]))); err != nil {
			return err
		}
	}
	if !c.Keras2 {
		if om, ok := any(m).(interface{ Optimizer() optimizers.Optimizer }); ok && om.Optimizer() != nil {
			if err := c.write(c.train, int64(epoch), tfevents.ScalarValue("epoch_learning_rate", om.Optimizer().LearningRate())); err != nil {
				return err
			}
		}
	}
	if len(vals) == 0 {
		return nil
	}
	if c.val == nil {
		if err := c.OnTestBegin(m, nil); err != nil {
			return err
		}
	}
	for _, k := range vals {
		if err := c.write(c.val, int64(epoch), tfevents.ScalarValue("epoch_"+k[4:], float32(logs[k]))); err != nil {
			return err
		}
	}
	return nil
}

// OnTrainEnd closes the event files.
func (c *TensorBoard[M]) OnTrainEnd(M, Logs) error { return c.closeWriters() }

// Abort closes the event files after a failed Fit.
func (c *TensorBoard[M]) Abort() error { return c.closeWriters() }

func (c *TensorBoard[M]) closeWriters() error {
	var err error
	for _, w := range []*tfevents.Writer{c.train, c.val} {
		if w != nil {
			if cerr := w.Close(); cerr != nil && err == nil {
				err = within("TensorBoard", cerr)
			}
		}
	}
	c.train, c.val = nil, nil
	return err
}

// order lists the keys of logs as the layout orders them: Keras 3 sorted; tf_keras in the
// model's metrics order (MetricsNames, then their "val_" forms), other keys sorted after.
func (c *TensorBoard[M]) order(m M, logs Logs, withVal bool) []string {
	keys := make([]string, 0, len(logs))
	for k := range logs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mn, ok := any(m).(interface{ MetricsNames() []string })
	if !c.Keras2 || !ok {
		return keys
	}
	var out []string
	seen := map[string]bool{}
	add := func(k string) {
		if _, in := logs[k]; in && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	names := mn.MetricsNames()
	for _, k := range names {
		add(k)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "val_") {
			add(k)
		}
	}
	if withVal {
		for _, k := range names {
			add("val_" + k)
		}
	}
	for _, k := range keys {
		add(k)
	}
	return out
}
