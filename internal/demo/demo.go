// Package demo runs the seed workflow of kerasgo end to end (the `kerasgo demo` command):
// build the seed article's CNN, train it, evaluate it, save it in every format kerasgo
// writes, load each file back and check that it gives the same accuracy and summary.
package demo

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kerasgo/kerasgo/data"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
)

// Options configure Run. The zero value trains on the embedded synthetic dataset and writes
// into a new temporary directory.
type Options struct {
	// DataDir holds the CIFAR-10 binary files (data_batch_1.bin ... test_batch.bin); empty
	// means the embedded synthetic dataset.
	DataDir string
	// OutDir receives the saved files; empty means a new temporary directory.
	OutDir string
	// Epochs and BatchSize default to the seed's 5 and 512.
	Epochs, BatchSize int
	// Verbose is the Fit verbosity (default model.VerboseAuto).
	Verbose int
	// Seed seeds weight initialisation and shuffling (default 1).
	Seed uint64
	// TrainSize and TestSize size the synthetic dataset (0: data.Synthetic's defaults).
	TrainSize, TestSize int
}

// SeedModel builds the seed article's CNN for 32x32x3 images and 10 classes:
// Conv2D(16, 3x3, relu) → MaxPooling2D(4x4) → BatchNormalization → Flatten → Dense(32, relu)
// → Dropout(0.5) → Dense(10, softmax).
func SeedModel(seed uint64) *model.Sequential {
	m := model.NewSequential()
	m.SetSeed(seed)
	for _, l := range []layers.Layer{
		layers.NewConv2D(16, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu", InputShape: []int{32, 32, 3}, Name: "conv_1"}),
		layers.NewMaxPooling2D([2]int{4, 4}, layers.MaxPoolingOptions{Name: "pool_1"}),
		layers.NewBatchNormalization(),
		layers.NewFlatten(layers.FlattenOptions{Name: "flatten"}),
		layers.NewDense(32, layers.DenseOptions{Activation: "relu", Name: "dense_1"}),
		layers.NewDropout(0.5),
		layers.NewDense(10, layers.DenseOptions{Activation: "softmax", Name: "dense_2"}),
	} {
		if err := m.Add(l); err != nil {
			panic(err) // the seed model is fixed: an error here is a bug
		}
	}
	return m
}

// Compile compiles m as the seed does: Adam, sparse categorical crossentropy, accuracy.
func Compile(m *model.Sequential) error {
	return m.Compile(model.CompileOptions{Optimizer: "adam", Loss: model.LossSparseCategoricalCrossentropy, Metrics: []string{"accuracy"}})
}

// Result is one row of the final table.
type Result struct {
	Format, Path string
	// Status is "ok", "not available yet" or "failed: ...".
	Status   string
	Accuracy float64
	// SameSummary reports whether the reloaded model's summary equals the trained one's.
	SameSummary bool
}

type format struct {
	name, rel string
	weights   bool // SaveWeights / LoadWeights into a fresh seed model
}

var formats = []format{
	{"HDF5 (.h5)", "model.h5", false},
	{"SavedModel", "newmodel", false},
	{"Keras 3 (.keras)", "model.keras", false},
	{"TF checkpoint (weights)", filepath.Join("weights_folder", "my_weights"), true},
	{"HDF5 weights (.h5)", "weights.h5", true},
}

// Run executes the workflow, writing progress and the final table to w. It returns an error
// if a step fails; formats whose codec is not available yet are reported as such.
func Run(w io.Writer, o Options) error {
	_, err := RunResults(w, o)
	return err
}

// RunResults is Run returning the table's rows.
func RunResults(w io.Writer, o Options) ([]Result, error) {
	if o.Epochs <= 0 {
		o.Epochs = 5
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 512
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Verbose == 0 {
		o.Verbose = model.VerboseAuto
	}
	var train, test *data.Dataset
	if o.DataDir != "" {
		var err error
		if train, test, err = data.LoadCIFAR10(o.DataDir); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "CIFAR-10 from %s: %d training and %d test images\n", o.DataDir, train.Len(), test.Len())
	} else {
		train, test = data.Synthetic(data.SyntheticOptions{Train: o.TrainSize, Test: o.TestSize, Seed: o.Seed})
		fmt.Fprintf(w, "Synthetic CIFAR-shaped dataset (no --data given): %d training and %d test images\n", train.Len(), test.Len())
	}
	out := o.OutDir
	if out == "" {
		var err error
		if out, err = os.MkdirTemp("", "kerasgo-demo-"); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}

	m := SeedModel(o.Seed)
	summary := m.Summary()
	fmt.Fprintln(w, summary)
	if err := Compile(m); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	start := time.Now()
	// The training pictures: Keras's CSVLogger and TensorBoard callbacks, and the History's
	// curves, beside the saved models.
	csvPath, logDir, plotPath := filepath.Join(out, "training.csv"), filepath.Join(out, "logs"), filepath.Join(out, "history.png")
	cbs := []model.Callback{&model.CSVLogger{Filename: csvPath}, &model.TensorBoard{LogDir: logDir}}
	h, err := m.Fit(train.X, train.Y, model.FitOptions{Epochs: o.Epochs, BatchSize: o.BatchSize, Seed: o.Seed, Verbose: o.Verbose, Output: w,
		ValidationData: &model.Data{X: test.X, Y: test.Y}, Callbacks: cbs})
	if err != nil {
		return nil, fmt.Errorf("demo: fit: %w", err)
	}
	fmt.Fprintf(w, "Training took %.1fs\n", time.Since(start).Seconds())
	if err := h.SavePlot(plotPath); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(w, "Training curves: %s, per-epoch CSV: %s, TensorBoard logs: %s (tensorboard --logdir %s)\n", plotPath, csvPath, logDir, logDir)
	loss, mets, err := m.Evaluate(test.X, test.Y, model.EvaluateOptions{BatchSize: o.BatchSize})
	if err != nil {
		return nil, fmt.Errorf("demo: evaluate: %w", err)
	}
	acc := mets["accuracy"]
	fmt.Fprintf(w, "Test loss: %.4f - test accuracy: %.4f\n", loss, acc)
	summary = m.Summary()

	results := []Result{{Format: "in memory", Path: "-", Status: "ok", Accuracy: acc, SameSummary: true}}
	var failed []string
	for _, f := range formats {
		path := filepath.Join(out, f.rel)
		r := Result{Format: f.name, Path: path}
		got, err := saveAndLoad(m, f, path, o.Seed)
		switch {
		case errors.Is(err, model.ErrUnsupported):
			r.Status = "not available yet"
		case err != nil:
			r.Status = "failed: " + err.Error()
			failed = append(failed, f.name)
		default:
			_, gm, err := got.Evaluate(test.X, test.Y, model.EvaluateOptions{BatchSize: o.BatchSize})
			if err != nil {
				r.Status = "failed: evaluate: " + err.Error()
				failed = append(failed, f.name)
				break
			}
			r.Status, r.Accuracy, r.SameSummary = "ok", gm["accuracy"], got.Summary() == summary
			if r.Accuracy != acc || !r.SameSummary {
				failed = append(failed, f.name)
			}
		}
		results = append(results, r)
	}
	printTable(w, results)
	if len(failed) > 0 {
		return results, fmt.Errorf("demo: %s did not reload identically", strings.Join(failed, ", "))
	}
	return results, nil
}

// saveAndLoad writes m in format f at path and reads it back into a compiled model.
func saveAndLoad(m *model.Sequential, f format, path string, seed uint64) (*model.Sequential, error) {
	if f.weights {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := m.SaveWeights(path); err != nil {
			return nil, err
		}
		got := SeedModel(seed + 1) // different initial weights: the file must replace them
		if err := got.LoadWeights(path); err != nil {
			return nil, err
		}
		return got, Compile(got)
	}
	if err := m.Save(path); err != nil {
		return nil, err
	}
	got, err := model.Load(path)
	if err != nil {
		return nil, err
	}
	if !got.Compiled() {
		if err := Compile(got); err != nil {
			return nil, err
		}
	}
	return got, nil
}

func printTable(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "format\tpath\taccuracy\tsummary identical")
	for _, r := range rs {
		acc, same := "-", "-"
		if r.Status == "ok" {
			acc = fmt.Sprintf("%.4f", r.Accuracy)
			same = "no"
			if r.SameSummary {
				same = "yes"
			}
		} else {
			acc = r.Status
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Format, r.Path, acc, same)
	}
	tw.Flush()
}
