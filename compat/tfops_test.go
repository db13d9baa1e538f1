package compat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestTFOpsInKeras writes the operation chain of testdata/tfops (layers.TFOp) with kerasgo:
// tf_keras's model (TFOpLambda layers) as .h5 and a SavedModel, Keras 3's (keras.src.ops
// operations) as .keras, and the float16 MLP of testdata/dtype16 as .h5 and .keras; tf_keras,
// Keras 3 and tf.saved_model load them and predict within 1e-4 relative of kerasgo, with
// Keras's summaries equal to kerasgo's.
func TestTFOpsInKeras(t *testing.T) {
	dir := t.TempDir()
	type goCase struct {
		summary string
		y       *tensor.Tensor
	}
	goCases := map[string]goCase{}
	var spec []map[string]any
	var sms []string
	var smX string
	for _, c := range []struct{ id, src, lib, file string }{
		{"tfops_tf_keras", "../testdata/tfops/chain/tfkeras/model.h5", "tf_keras", "tfops.h5"},
		{"tfops_keras", "../testdata/tfops/chain/keras3/model.keras", "keras", "tfops.keras"},
		{"tfops_sm", "../testdata/tfops/chain/tfkeras/model.h5", "savedmodel", "sm_tfops"},
		{"f16_tf_keras", "../testdata/dtype16/float16_mlp/keras3/model.keras", "tf_keras", "f16.h5"},
		{"f16_keras", "../testdata/dtype16/float16_mlp/keras3/model.keras", "keras", "f16.keras"},
	} {
		m, err := model.Load(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		xPath, _ := filepath.Abs(filepath.Join(filepath.Dir(filepath.Dir(c.src)), "x0.npy"))
		x, err := npy.ReadFile(xPath)
		if err != nil {
			t.Fatal(err)
		}
		y, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Save(filepath.Join(dir, c.file)); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if c.lib == "savedmodel" {
			sms, smX = append(sms, filepath.Join(dir, c.file)), xPath
			goCases[filepath.Join(dir, c.file)] = goCase{"", y}
			continue
		}
		sum := m.Summary()
		if c.lib == "keras" {
			sum = summaryTable(m.SummaryKeras3())
		}
		goCases[c.id] = goCase{sum, y}
		spec = append(spec, map[string]any{"id": c.id, "lib": c.lib, "file": c.file, "xs": []string{xPath}})
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var results []struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	}
	runPythonJSON(t, &results, "functional_load.py", dir)
	if len(results) != len(spec) {
		t.Fatalf("python loaded %d files, want %d", len(results), len(spec))
	}
	for _, r := range results {
		c := goCases[r.ID]
		if r.ID == "tfops_keras" || r.ID == "f16_keras" {
			r.Summary = summaryTable(r.Summary)
		}
		if r.Summary != c.summary {
			t.Errorf("%s: Keras's summary:\n%s\nGo's:\n%s", r.ID, r.Summary, c.summary)
		}
		appsCompare(t, r.ID, filepath.Join(dir, r.ID+"_y0.npy"), c.y, 0)
	}
	var keys []string
	runPythonJSON(t, &keys, "savedmodel_predict.py", append([]string{smX}, sms...)...)
	for _, d := range sms {
		appsCompare(t, filepath.Base(d), filepath.Join(d, "y.npy"), goCases[d].y, 0)
	}
}
