// Package callbacks holds the Keras callbacks a model's Fit calls (ModelCheckpoint,
// EarlyStopping, CSVLogger, TensorBoard) and the Callback interface for writing others.
//
// The callbacks are generic in the model type M so that this package does not import the
// model package (which imports it): they need of a model only what Model declares, and
// package model instantiates them with *model.Model (model.ModelCheckpoint is
// ModelCheckpoint[*model.Model]), so that callbacks written against model's names keep
// their *model.Model arguments.
package callbacks

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// Logs are the values Fit passes to callbacks: "loss", metric names, "val_" names.
type Logs = map[string]float64

// Model is what the callbacks of this package use of the model being trained; *model.Model
// implements it.
type Model interface {
	// Save writes the whole model, the format chosen from the path (ModelCheckpoint).
	Save(path string) error
	// SaveWeights writes the weights, the format chosen from the path (ModelCheckpoint with
	// SaveWeightsOnly).
	SaveWeights(path string) error
	// StopTraining asks Fit to stop after the current epoch (EarlyStopping).
	StopTraining()
	// Weights and SetWeights read and restore the weights (EarlyStopping's
	// RestoreBestWeights).
	Weights() []*layers.Weight
	SetWeights(values []*tensor.Tensor) error
}

// Callback is called by Fit at the points Keras calls its callbacks; M is the model type
// (*model.Model, whose model.Callback is Callback[*model.Model]). Epochs and batches are
// numbered from 0, as in Keras. logs holds the values so far: "loss" and the metrics
// (running means over the epoch), plus "val_loss" and the "val_" metrics at the end of an
// epoch. A callback returning an error stops Fit with that error; to stop training normally,
// call m.StopTraining.
//
// Embed Base to implement only some of the methods.
type Callback[M any] interface {
	OnTrainBegin(m M, logs Logs) error
	OnTrainEnd(m M, logs Logs) error
	OnEpochBegin(m M, epoch int, logs Logs) error
	OnEpochEnd(m M, epoch int, logs Logs) error
	OnBatchEnd(m M, batch int, logs Logs) error
}

// Base implements every Callback method as a no-op.
type Base[M any] struct{}

// OnTrainBegin does nothing.
func (Base[M]) OnTrainBegin(M, Logs) error { return nil }

// OnTrainEnd does nothing.
func (Base[M]) OnTrainEnd(M, Logs) error { return nil }

// OnEpochBegin does nothing.
func (Base[M]) OnEpochBegin(M, int, Logs) error { return nil }

// OnEpochEnd does nothing.
func (Base[M]) OnEpochEnd(M, int, Logs) error { return nil }

// OnBatchEnd does nothing.
func (Base[M]) OnBatchEnd(M, int, Logs) error { return nil }

// monitorMode resolves Keras's mode "auto"/"min"/"max" for a monitored key: true when a
// larger value is better. auto means max for keys containing "acc" (ModelCheckpoint) or
// ending in acc/accuracy/auc (EarlyStopping, endsOnly).
func monitorMax(mode, monitor string, endsOnly bool) (bool, error) {
	switch mode {
	case "min":
		return false, nil
	case "max":
		return true, nil
	case "", "auto":
		if endsOnly {
			return strings.HasSuffix(monitor, "acc") || strings.HasSuffix(monitor, "accuracy") || strings.HasSuffix(monitor, "auc"), nil
		}
		return strings.Contains(monitor, "acc") || strings.HasPrefix(monitor, "fmeasure"), nil
	}
	return false, fmt.Errorf("%w: callback mode %q (auto, min or max)", errcat.ErrFormat, mode)
}

// ModelCheckpoint saves the model (or its weights) during training, as Keras's
// ModelCheckpoint: after every epoch, or every SaveFreq batches. Saving goes through
// m.Save / m.SaveWeights, so the path's extension picks the format.
type ModelCheckpoint[M Model] struct {
	Base[M]
	// Filepath is a Python format template: "{epoch:02d}" (from 1), "{batch}" (from 1, when
	// saving every N batches) and any log key ("{val_loss:.2f}").
	Filepath string
	// Monitor is the log key compared with SaveBestOnly (default "val_loss").
	Monitor string
	// Mode is "auto" (default), "min" or "max".
	Mode            string
	SaveBestOnly    bool
	SaveWeightsOnly bool
	// SaveFreq is 0 for every epoch (Keras's "epoch"), or N to save every N batches.
	SaveFreq int
	// Verbose prints a line for each save, as Keras's verbose=1.
	Verbose bool
	Output  io.Writer

	best          float64
	started       bool
	max           bool
	epoch         int
	batchesSince  int
	lastBatchSeen int
	// Saved lists the paths written, in order.
	Saved []string
}

// OnTrainBegin resets the callback's state.
func (c *ModelCheckpoint[M]) OnTrainBegin(M, Logs) error {
	if c.Monitor == "" {
		c.Monitor = "val_loss"
	}
	var err error
	if c.max, err = monitorMax(c.Mode, c.Monitor, false); err != nil {
		return err
	}
	if !c.started {
		// Like Keras's callback object, the best value carries over to later Fit calls.
		c.started = true
		c.best = math.Inf(1)
		if c.max {
			c.best = math.Inf(-1)
		}
	}
	c.lastBatchSeen = -1
	c.batchesSince = 0
	return nil
}

// OnEpochBegin records the epoch.
func (c *ModelCheckpoint[M]) OnEpochBegin(_ M, epoch int, _ Logs) error {
	c.epoch = epoch
	return nil
}

// OnBatchEnd saves every SaveFreq batches (counted across epochs, as Keras counts them).
func (c *ModelCheckpoint[M]) OnBatchEnd(m M, batch int, logs Logs) error {
	if c.SaveFreq <= 0 {
		return nil
	}
	if batch <= c.lastBatchSeen {
		c.batchesSince += batch + 1
	} else {
		c.batchesSince += batch - c.lastBatchSeen
	}
	c.lastBatchSeen = batch
	if c.batchesSince < c.SaveFreq {
		return nil
	}
	c.batchesSince = 0
	return c.save(m, c.epoch, batch, true, logs)
}

// OnEpochEnd saves after the epoch when SaveFreq is 0.
func (c *ModelCheckpoint[M]) OnEpochEnd(m M, epoch int, logs Logs) error {
	if c.SaveFreq > 0 {
		return nil
	}
	return c.save(m, epoch, 0, false, logs)
}

func (c *ModelCheckpoint[M]) out() io.Writer {
	if c.Output != nil {
		return c.Output
	}
	return os.Stdout
}

func (c *ModelCheckpoint[M]) save(m M, epoch, batch int, withBatch bool, logs Logs) error {
	ints := map[string]int{"epoch": epoch + 1}
	if _, ok := logs["batch"]; withBatch && !ok {
		ints["batch"] = batch + 1
	}
	path, err := pyfmt.Format(c.Filepath, ints, logs)
	if err != nil {
		return fmt.Errorf("%w: ModelCheckpoint: failed to format the file path %q: %v", errcat.ErrFormat, c.Filepath, err)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return within("ModelCheckpoint", err)
		}
	}
	if c.SaveBestOnly {
		cur, ok := logs[c.Monitor]
		if !ok {
			return nil // Keras warns and skips
		}
		better := cur < c.best
		if c.max {
			better = cur > c.best
		}
		if !better {
			if c.Verbose {
				fmt.Fprintf(c.out(), "\nEpoch %d: %s did not improve from %.5f\n", epoch+1, c.Monitor, c.best)
			}
			return nil
		}
		if c.Verbose {
			fmt.Fprintf(c.out(), "\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s\n", epoch+1, c.Monitor, c.best, cur, path)
		}
		c.best = cur
	} else if c.Verbose {
		fmt.Fprintf(c.out(), "\nEpoch %d: saving model to %s\n", epoch+1, path)
	}
	if c.SaveWeightsOnly {
		err = m.SaveWeights(path)
	} else {
		err = m.Save(path)
	}
	if err != nil {
		return within("ModelCheckpoint", err)
	}
	c.Saved = append(c.Saved, path)
	return nil
}

// EarlyStopping stops training when a monitored value stops improving, as Keras's
// EarlyStopping.
type EarlyStopping[M Model] struct {
	Base[M]
	Monitor string // default "val_loss"
	// MinDelta is the smallest change that counts as an improvement.
	MinDelta float64
	// Patience is the number of epochs without improvement after which training stops.
	Patience int
	Mode     string // "auto" (default), "min", "max"
	// Baseline, when non-nil, must be beaten for an improvement to reset the patience.
	Baseline *float64
	// RestoreBestWeights sets the weights of the best epoch back at the end of training.
	RestoreBestWeights bool
	// StartFromEpoch ignores epochs before it.
	StartFromEpoch int
	Verbose        bool
	Output         io.Writer

	// StoppedEpoch is the epoch (from 0) at which training stopped, or 0.
	StoppedEpoch int
	// BestEpoch is the epoch (from 0) with the best monitored value.
	BestEpoch int
	Best      float64

	wait     int
	max      bool
	delta    float64
	bestVals []*tensor.Tensor
}

// OnTrainBegin resets the state.
func (e *EarlyStopping[M]) OnTrainBegin(M, Logs) error {
	if e.Monitor == "" {
		e.Monitor = "val_loss"
	}
	var err error
	if e.max, err = monitorMax(e.Mode, e.Monitor, true); err != nil {
		return err
	}
	e.delta = math.Abs(e.MinDelta)
	if !e.max {
		e.delta = -e.delta
	}
	e.wait, e.StoppedEpoch, e.BestEpoch, e.bestVals = 0, 0, 0, nil
	e.Best = math.Inf(1)
	if e.max {
		e.Best = math.Inf(-1)
	}
	return nil
}

func (e *EarlyStopping[M]) improved(v, ref float64) bool {
	if e.max {
		return v-e.delta > ref
	}
	return v-e.delta < ref
}

// OnEpochEnd checks the monitored value.
func (e *EarlyStopping[M]) OnEpochEnd(m M, epoch int, logs Logs) error {
	cur, ok := logs[e.Monitor]
	if !ok || epoch < e.StartFromEpoch {
		return nil
	}
	if e.RestoreBestWeights && e.bestVals == nil {
		e.bestVals = snapshotWeights(m)
		e.BestEpoch = epoch
	}
	e.wait++
	if e.improved(cur, e.Best) {
		e.Best = cur
		e.BestEpoch = epoch
		if e.RestoreBestWeights {
			e.bestVals = snapshotWeights(m)
		}
		if e.Baseline == nil || e.improved(cur, *e.Baseline) {
			e.wait = 0
		}
		return nil
	}
	if e.wait >= e.Patience && epoch > 0 {
		e.StoppedEpoch = epoch
		m.StopTraining()
	}
	return nil
}

// OnTrainEnd restores the best weights when asked to.
func (e *EarlyStopping[M]) OnTrainEnd(m M, _ Logs) error {
	w := e.Output
	if w == nil {
		w = os.Stdout
	}
	if e.StoppedEpoch > 0 && e.Verbose {
		fmt.Fprintf(w, "Epoch %d: early stopping\n", e.StoppedEpoch+1)
	}
	if e.RestoreBestWeights && e.bestVals != nil {
		if e.Verbose {
			fmt.Fprintf(w, "Restoring model weights from the end of the best epoch: %d.\n", e.BestEpoch+1)
		}
		if err := m.SetWeights(e.bestVals); err != nil {
			return within("EarlyStopping", err)
		}
	}
	return nil
}

// within prefixes err's message with what (without the "model: " the model's errors start
// with) and wraps err.
func within(what string, err error) error {
	return &wrapped{msg: what + ": " + strings.TrimPrefix(err.Error(), "model: "), err: err}
}

// wrapped prints msg and unwraps to err.
type wrapped struct {
	msg string
	err error
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.err }

// snapshotWeights copies every weight of the model (Keras's get_weights()).
func snapshotWeights(m Model) []*tensor.Tensor {
	ws := m.Weights()
	out := make([]*tensor.Tensor, len(ws))
	for i, w := range ws {
		out[i] = w.Value.Clone()
	}
	return out
}
