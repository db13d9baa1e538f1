package compat

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestKeras3ActivationsSavedModel loads every case of testdata/layers_activations (an
// Activation layer per Keras-3-only activation name, glu among them) from Keras 3's
// model.keras, saves it as a SavedModel and has real TensorFlow serve it (tf.saved_model.load,
// serving_default): every output must be Keras 3's prediction (y0_keras3.npy) within 1e-5.
// The activations tf_keras lacks (all but glu) are refused on SavedModel save, naming them: a
// SavedModel carries a tf_keras config, which cannot name them.
func TestKeras3ActivationsSavedModel(t *testing.T) {
	root := filepath.Join(repoRoot(), "testdata", "layers_activations")
	_, names := readManifest[json.RawMessage](t, root, 11)
	dir := t.TempDir()
	var spec []map[string]any
	keras3Only := map[string]bool{}
	for _, a := range []string{"celu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus",
		"sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink"} {
		keras3Only["layer_activation_"+a] = true
	}
	for _, name := range names {
		src := filepath.Join(root, name)
		m, err := model.Load(filepath.Join(src, "keras3", "model.keras"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sm := filepath.Join(dir, name)
		err = m.Save(sm)
		if keras3Only[name] {
			// A SavedModel carries a tf_keras config (keras_metadata.pb), which cannot name an
			// activation only Keras 3 has: the save is refused, naming it.
			act := strings.TrimPrefix(name, "layer_activation_")
			if !errors.Is(err, model.ErrUnsupported) || !strings.Contains(err.Error(), `activation "`+act+`" exists only in Keras 3`) {
				t.Errorf("%s: save SavedModel: %v, want ErrUnsupported naming %s", name, err, act)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: save SavedModel: %v", name, err)
			continue
		}
		spec = append(spec, map[string]any{"id": name, "how": "savedmodel", "path": sm, "x": filepath.Join(src, "x0.npy")})
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var results []struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	}
	runPythonJSON(t, &results, "apps_load.py", dir)
	if len(results) != len(spec) {
		t.Fatalf("python served %d models, want %d", len(results), len(spec))
	}
	for _, r := range results {
		if r.Error != "" {
			t.Errorf("%s: %s", r.ID, r.Error)
			continue
		}
		got, err := npy.ReadFile(filepath.Join(dir, r.ID+"_y.npy"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := npy.ReadFile(filepath.Join(root, r.ID, "y0_keras3.npy"))
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.SameShape(got.Shape, want.Shape) {
			t.Errorf("%s: TF's shape %v, Keras 3's %v", r.ID, got.Shape, want.Shape)
			continue
		}
		d := 0.0
		for i, v := range got.Float32s() {
			d = max(d, math.Abs(float64(v)-float64(want.Float32s()[i])))
		}
		if d > 1e-5 {
			t.Errorf("%s: TF serving kerasgo's SavedModel differs from Keras 3 by %g", r.ID, d)
		} else {
			t.Logf("%s: max |TF - Keras 3| = %.2g", r.ID, d)
		}
	}
}
