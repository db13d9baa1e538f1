package compat

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/data"
	"github.com/kerasgo/kerasgo/internal/demo"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestSeedWorkflow is the seed article end to end across the language boundary: Go builds
// the seed CNN, trains it (Adam), evaluates it, and saves it in every format (.h5, .keras,
// SavedModel, TF checkpoint, weights .h5, .weights.h5). Real Python then loads each file
// with the library a Keras user would use (tf_keras and Keras 3 load_model, load_weights into
// the architecture rebuilt from Go's config), evaluates on the same data and predicts.
// Every loaded copy must give Go's loss within 1e-5, Go's accuracy exactly, and Go's
// predictions within 1e-5.
func TestSeedWorkflow(t *testing.T) {
	python(t)
	dir := t.TempDir()
	train, test := data.Synthetic(data.SyntheticOptions{Train: 4096, Test: 256, Seed: 7})
	m := demo.SeedModel(11)
	if err := demo.Compile(m); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(train.X, train.Y, model.FitOptions{Epochs: 3, BatchSize: 128, Seed: 3, Verbose: model.VerboseSilent}); err != nil {
		t.Fatal(err)
	}
	loss, metrics, err := m.Evaluate(test.X, test.Y, model.EvaluateOptions{BatchSize: 64, Verbose: model.VerboseSilent})
	if err != nil {
		t.Fatal(err)
	}
	acc := metrics["accuracy"]
	if acc < 0.5 {
		t.Fatalf("Go's training did not learn: accuracy %.3f (want > 0.5 so that equal accuracies mean something)", acc)
	}
	y, err := m.Predict(test.X, model.PredictOptions{BatchSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]*tensor.Tensor{"x.npy": test.X, "y.npy": test.Y, "pred.npy": y} {
		if err := npy.WriteFile(filepath.Join(dir, name), tt); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := m.Config(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config_keras2.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"model.h5", "model.keras", "newmodel"} {
		if err := m.Save(filepath.Join(dir, p)); err != nil {
			t.Fatalf("Save %s: %v", p, err)
		}
	}
	for _, p := range []string{"weights_folder/my_weights", "weights.h5", "model.weights.h5"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := m.SaveWeights(filepath.Join(dir, p)); err != nil {
			t.Fatalf("SaveWeights %s: %v", p, err)
		}
	}
	t.Logf("Go: loss %.6f accuracy %.4f on %d test images", loss, acc, test.Len())

	var got map[string]struct {
		Loss, Accuracy, PredDiff float64
		Error                    string
	}
	runPythonJSON(t, &got, "seed_workflow.py", dir)
	want := []string{
		"tf_keras load_model model.h5", "keras3 load_model model.h5", "keras3 load_model model.keras",
		"tf_keras load_model newmodel", "tf_keras load_weights weights_folder/my_weights",
		"tf_keras load_weights weights.h5", "keras3 load_weights model.weights.h5",
	}
	for _, k := range want {
		r, ok := got[k]
		if !ok {
			t.Errorf("%s: no result from Python", k)
			continue
		}
		if r.Error != "" {
			t.Errorf("%s: %s", k, r.Error)
			continue
		}
		t.Logf("%-48s loss %.6f accuracy %.4f max |pred diff| %.2e", k, r.Loss, r.Accuracy, r.PredDiff)
		if math.Abs(r.Loss-loss) > 1e-5 {
			t.Errorf("%s: loss %.7f, Go %.7f", k, r.Loss, loss)
		}
		if math.Abs(r.Accuracy-acc) > 1e-6 {
			t.Errorf("%s: accuracy %.6f, Go %.6f", k, r.Accuracy, acc)
		}
		if r.PredDiff > 1e-5 {
			t.Errorf("%s: predictions differ from Go's by %.2e", k, r.PredDiff)
		}
	}
}
