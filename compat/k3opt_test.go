package compat

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
)

// testdata/k3opt (testdata/gen/k3opt.py): Keras 3 files whose optimizer is the second of its
// class (adam_1, sgd_1, rm_sprop_1) on layers with fewer variables than the defaults, and
// files with one optimizer hyper-parameter at 0.

var k3optCases = []string{"adam", "adam_amsgrad", "sgd", "sgd_momentum", "rmsprop", "rmsprop_momentum",
	"rmsprop_centered", "rmsprop_momentum_centered"}

type k3optCheck struct {
	Variables  int      `json:"variables"`
	Mismatches []string `json:"mismatches"`
	Name       string   `json:"name"`
	Class      string   `json:"class"`
}

// TestK3OptGoFilesLoadInKeras: Go loads each Keras 3 model (.keras) and its weights file
// (.weights.h5, by LoadWeights) and writes them again; Keras 3 loads Go's .keras
// (load_model) and .weights.h5 (load_weights) with every optimizer variable identical to
// the original's, and Go's tf_keras-dialect .h5 loads in Keras 3 and tf_keras (its optimizer
// named by class, not "adam_1").
func TestK3OptGoFilesLoadInKeras(t *testing.T) {
	python(t)
	for _, name := range k3optCases {
		t.Run(name, func(t *testing.T) {
			dir, err := filepath.Abs(filepath.Join(repoRoot(), "testdata", "k3opt", name))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "optimizer.json")); err != nil {
				t.Fatalf("fixture missing: %v", err)
			}
			m, err := model.Load(filepath.Join(dir, "model.keras"))
			if err != nil {
				t.Fatal(err)
			}
			// LoadWeights restores the state from the weights file (by position).
			if err := m.LoadWeights(filepath.Join(dir, "model.weights.h5"), model.LoadWeightsOptions{}); err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			keras := filepath.Join(tmp, "go.keras")
			weights := filepath.Join(tmp, "go.weights.h5")
			legacy := filepath.Join(tmp, "go.h5")
			if err := m.Save(keras); err != nil {
				t.Fatal(err)
			}
			if err := m.SaveWeights(weights); err != nil {
				t.Fatal(err)
			}
			if err := m.Save(legacy); err != nil {
				t.Fatal(err)
			}
			for _, c := range [][2]string{{"load_model", keras}, {"load_weights", weights}} {
				var got k3optCheck
				runPythonJSON(t, &got, "k3opt.py", "optvars", c[0], c[1], dir)
				if len(got.Mismatches) > 0 || got.Variables < 2 {
					t.Errorf("Keras 3 %s(%s): %d variables, mismatches %v", c[0], filepath.Base(c[1]), got.Variables, got.Mismatches)
				}
			}
			for _, lib := range []string{"keras", "tf_keras"} {
				var got struct {
					Class  string         `json:"class"`
					Config map[string]any `json:"config"`
				}
				runPythonJSON(t, &got, "k3opt.py", "load", lib, legacy)
				if got.Class != m.Optimizer().ClassName() {
					t.Errorf("%s load_model(go.h5): optimizer %s, want %s", lib, got.Class, m.Optimizer().ClassName())
				}
			}
		})
	}
}

// TestZeroHyperParametersMatchKeras: for each file with a hyper-parameter at 0, one training
// step in Go gives the weights the same step gives in Keras (computed now, from the same
// file), and the file Go saves in the same dialect loads in Keras with the value 0.
func TestZeroHyperParametersMatchKeras(t *testing.T) {
	python(t)
	root := filepath.Join(repoRoot(), "testdata", "k3opt", "zero")
	var names []string
	b, err := os.ReadFile(filepath.Join(root, "cases.json"))
	if err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	if err := json.Unmarshal(b, &names); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			libName, rest, _ := strings.Cut(name, "_")
			_, key, _ := strings.Cut(rest, "_")
			lib, file := "keras", "model.keras"
			if libName == "tfkeras" {
				lib, file = "tf_keras", "model.h5"
			}
			m, err := model.Load(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			// Go's file, saved before the step, in the same dialect.
			goFile := filepath.Join(tmp, "go"+filepath.Ext(file))
			if err := m.Save(goFile); err != nil {
				t.Fatal(err)
			}
			xs, err := npy.ReadFile(filepath.Join(dir, "x.npy"))
			if err != nil {
				t.Fatal(err)
			}
			ys, err := npy.ReadFile(filepath.Join(dir, "y.npy"))
			if err != nil {
				t.Fatal(err)
			}
			loss, _, err := m.TrainOnBatch(xs, ys)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Value      any     `json:"value"`
				Loss       float64 `json:"loss"`
				Iterations int64   `json:"iterations"`
			}
			runPythonJSON(t, &got, "k3opt.py", "zero", lib, filepath.Join(dir, file), key,
				filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy"), filepath.Join(tmp, "keras"))
			if v, ok := got.Value.(float64); !ok || v != 0 {
				t.Fatalf("Keras reads %s = %v from the fixture", key, got.Value)
			}
			if math.Abs(got.Loss-loss) > 1e-5*math.Abs(loss)+1e-7 || got.Iterations != m.Iterations() {
				t.Errorf("step: Keras loss %v at iteration %d, Go %v at %d", got.Loss, got.Iterations, loss, m.Iterations())
			}
			compareWeights(t, m, filepath.Join(tmp, "keras"), "w")

			var back struct {
				Value any `json:"value"`
			}
			runPythonJSON(t, &back, "k3opt.py", "zero", lib, goFile, key,
				filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy"), filepath.Join(tmp, "keras_go"))
			if v, ok := back.Value.(float64); !ok || v != 0 {
				t.Errorf("Keras reads %s = %v from Go's %s", key, back.Value, filepath.Base(goFile))
			}
			compareWeights(t, m, filepath.Join(tmp, "keras_go"), "w")
		})
	}
}
