package compat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
)

// TestAppsMobileWeightsInKeras writes the weights of each model of the applications_mobile
// cache (read from Keras 3's model.keras) with kerasgo in the three weights formats it writes
// (legacy .h5, Keras 3 .weights.h5, a TF checkpoint); tf_keras and Keras 3 rebuild the model
// from the config kerasgo writes in their dialect, load_weights the file (a checkpoint must be
// consumed whole) and predict on the cache's inputs: within 1e-5 of kerasgo's predictions
// (softmax outputs in [0, 1]; the mixed_float16 CNN: within 2^-11, float16 compute in Keras).
// With TestAppsMobileFilesInKeras this covers every format kerasgo writes.
func TestAppsMobileWeightsInKeras(t *testing.T) {
	root := testref.AppsMobileDir(t)
	dir := t.TempDir()
	type pyCase struct {
		ID      string   `json:"id"`
		Lib     string   `json:"lib"`
		Config  string   `json:"config"`
		Weights string   `json:"weights"`
		X       []string `json:"x"`
		Y       []string `json:"y"`
	}
	var cases []pyCase
	tols := map[string]float64{}
	for _, name := range []string{"mobilenetv2_035", "efficientnetb0", "xception", "nasnetmobile", "unet_small", "mixed_float16_cnn"} {
		src := filepath.Join(root, name)
		m, err := model.Load(filepath.Join(src, "keras3", "model.keras"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		xPath := filepath.Join(src, "x0.npy")
		x, err := npy.ReadFile(xPath)
		if err != nil {
			t.Fatal(err)
		}
		y, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		yPath := filepath.Join(d, "y_go.npy")
		if err := npy.WriteFile(yPath, y); err != nil {
			t.Fatal(err)
		}
		cfgs := map[string]string{}
		for lib, dialect := range map[string]saved.Dialect{"tf_keras": saved.Keras2, "keras3": saved.Keras3} {
			cfg, err := m.Config(dialect)
			if err != nil {
				t.Fatalf("%s: %s config: %v", name, lib, err)
			}
			cfgs[lib] = filepath.Join(d, "config_"+lib+".json")
			if err := os.WriteFile(cfgs[lib], cfg, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		tol := 1e-5
		if name == "mixed_float16_cnn" {
			tol = 0x1p-11
		}
		// tf_keras reads the legacy .h5 and the checkpoint; Keras 3 the legacy .h5 and .weights.h5.
		for _, f := range []struct{ file, libs string }{{"w.h5", "both"}, {"w.weights.h5", "keras3"}, {"ckpt/w", "tf_keras"}} {
			path := filepath.Join(d, f.file)
			w := m
			if f.file == "ckpt/w" {
				// m is compiled: its checkpoint holds the optimizer too, as tf_keras's does, and a
				// model rebuilt from the config would not consume it. Write it from an
				// uncompiled model (tf_keras's model config has no compile settings; Keras 3's
				// compile_config would compile it) that read the .weights.h5 above.
				if w, err = model.FromJSON(readBytes(t, cfgs["tf_keras"])); err == nil {
					err = w.LoadWeights(filepath.Join(d, "w.weights.h5"))
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			if err := w.SaveWeights(path); err != nil {
				t.Fatalf("%s: %s: %v", name, f.file, err)
			}
			for _, lib := range []string{"tf_keras", "keras3"} {
				if f.libs != "both" && f.libs != lib {
					continue
				}
				id := name + "/" + f.file + "/" + lib
				tols[id] = tol
				cases = append(cases, pyCase{ID: id, Lib: lib, Config: cfgs[lib], Weights: path, X: []string{xPath}, Y: []string{yPath}})
			}
		}
	}
	b, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var results []struct {
		ID         string   `json:"id"`
		MaxAbsDiff *float64 `json:"max_abs_diff"`
		Error      *string  `json:"error"`
	}
	runPythonJSON(t, &results, "wonly_load.py", dir)
	if len(results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(results), len(cases))
	}
	for _, r := range results {
		switch {
		case r.Error != nil:
			t.Errorf("%s: %s", r.ID, *r.Error)
		case r.MaxAbsDiff == nil || *r.MaxAbsDiff > tols[r.ID]:
			t.Errorf("%s: max |Keras's y - kerasgo's y| = %s > %g", r.ID, fmtDiff(r.MaxAbsDiff), tols[r.ID])
		default:
			t.Logf("%s: max |Keras's y - kerasgo's y| = %.2g", r.ID, *r.MaxAbsDiff)
		}
	}
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
