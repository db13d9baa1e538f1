package compat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestTFOps2InKeras writes the operations on two tensors of testdata/tfops2 (layers.TFOp2),
// read from tf_keras's .h5 and from Keras 3's .keras, with kerasgo as .h5, .keras and a
// SavedModel, each from both (so each library's ops also in the other's dialect); tf_keras,
// Keras 3 and tf.saved_model load them and predict within 1e-4 relative of kerasgo, with
// Keras's summaries equal to kerasgo's.
func TestTFOps2InKeras(t *testing.T) {
	python(t)
	dir := t.TempDir()
	type goCase struct {
		summary string
		y       *tensor.Tensor
	}
	goCases := map[string]goCase{}
	var spec []map[string]any
	var sms []string
	xPath, _ := filepath.Abs("../testdata/tfops2/binary/x0.npy")
	x, err := npy.ReadFile(xPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"tfkeras/model.h5", "keras3/model.keras"} {
		m, err := model.Load(filepath.Join("../testdata/tfops2/binary", filepath.FromSlash(src)))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		y, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		from := strings.Split(src, "/")[0]
		for _, c := range []struct{ lib, file string }{{"tf_keras", from + ".h5"}, {"keras", from + ".keras"}, {"savedmodel", "sm_" + from}} {
			path := filepath.Join(dir, c.file)
			if err := m.Save(path); err != nil {
				t.Fatalf("%s from %s: %v", c.file, src, err)
			}
			if c.lib == "savedmodel" {
				sms = append(sms, path)
				goCases[path] = goCase{"", y}
				continue
			}
			id := from + "_" + c.lib
			sum := m.Summary()
			if c.lib == "keras" {
				sum = summaryTable(m.SummaryKeras3())
			}
			goCases[id] = goCase{sum, y}
			spec = append(spec, map[string]any{"id": id, "lib": c.lib, "file": c.file, "xs": []string{xPath}})
		}
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
		if strings.HasSuffix(r.ID, "_keras") && !strings.HasSuffix(r.ID, "_tf_keras") {
			r.Summary = summaryTable(r.Summary)
		}
		if r.Summary != c.summary {
			t.Errorf("%s: Keras's summary:\n%s\nGo's:\n%s", r.ID, r.Summary, c.summary)
		}
		appsCompare(t, r.ID, filepath.Join(dir, r.ID+"_y0.npy"), c.y, 0)
	}
	var keys []string
	runPythonJSON(t, &keys, "savedmodel_predict.py", append([]string{xPath}, sms...)...)
	for _, d := range sms {
		appsCompare(t, filepath.Base(d), filepath.Join(d, "y.npy"), goCases[d].y, 0)
	}
}
