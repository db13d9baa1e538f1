//go:build cgo

package model

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/layouts (Keras 3.15.1, testdata/gen/layouts.py) and testdata/keras2x (Keras
// 2.13-2.15, testdata/gen/keras215.py): save layouts besides the .keras zip and .h5.

const layoutsRoot = "../testdata/layouts"

// TestKerasDirModel: Keras 3's model.save(dir, zipped=False) is detected, loads as a whole
// model (predictions within 1e-5 of Keras's, the optimizer compiled in) and as weights.
func TestKerasDirModel(t *testing.T) {
	dir := filepath.Join(layoutsRoot, "unzipped")
	dump := filepath.Join(layoutsRoot, "unzipped_dump")
	f, p, err := Detect(dir)
	if err != nil || f != FormatKeras || p != dir {
		t.Fatalf("Detect = %v %q %v, want FormatKeras", f, p, err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Compiled() {
		t.Error("the directory's compile_config did not compile the model")
	}
	x, y := readNpy(t, filepath.Join(dump, "x.npy")), readNpy(t, filepath.Join(dump, "y.npy"))
	got, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, got, y); d > 1e-5 {
		t.Errorf("predictions differ from Keras's by %g", d)
	}
	fresh, err := FromJSON(readFile(t, filepath.Join(dir, "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.LoadWeights(dir, LoadWeightsOptions{}); err != nil {
		t.Fatal(err)
	}
	got2, err := fresh.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, got2, y); d > 1e-5 {
		t.Errorf("LoadWeights(dir): predictions differ from Keras's by %g", d)
	}
}

// TestSaveKerasDir writes an unzipped directory from Go and reads it back; with
// KERASGO_PYTHON, Keras 3 loads it and predicts what Keras predicted for the original.
func TestSaveKerasDir(t *testing.T) {
	m, err := Load(filepath.Join(layoutsRoot, "unzipped"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "go_model")
	if err := m.SaveKerasDir(out); err != nil {
		t.Fatal(err)
	}
	if f, _, err := Detect(out); err != nil || f != FormatKeras {
		t.Fatalf("Detect(saved dir) = %v, %v", f, err)
	}
	back, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	x := readNpy(t, filepath.Join(layoutsRoot, "unzipped_dump", "x.npy"))
	y := readNpy(t, filepath.Join(layoutsRoot, "unzipped_dump", "y.npy"))
	got, err := back.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, got, y); d > 1e-5 {
		t.Errorf("reloaded predictions differ by %g", d)
	}
	if err := m.SaveKerasDir(filepath.Join(t.TempDir(), "m.keras")); err == nil || !strings.Contains(err.Error(), ".keras") {
		t.Errorf("SaveKerasDir(m.keras) = %v, want a refusal (Keras refuses zipped=False with .keras)", err)
	}
	if os.Getenv("KERASGO_PYTHON") == "" && os.Getenv("KERASGO_COMPAT") != "1" {
		return
	}
	py := pythonOrSkip(t)
	script := `
import sys, numpy as np, keras
m = keras.saving.load_model(sys.argv[1])
assert m.optimizer.iterations.numpy() == 1, m.optimizer.iterations.numpy()
y = m.predict(np.load(sys.argv[2]), verbose=0)
d = float(np.max(np.abs(y - np.load(sys.argv[3]))))
assert d <= 1e-5, d
print("ok", d)
`
	cmd := exec.Command(py, "-c", script, out, filepath.Join(layoutsRoot, "unzipped_dump", "x.npy"), filepath.Join(layoutsRoot, "unzipped_dump", "y.npy"))
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=3", "CUDA_VISIBLE_DEVICES=", "KERAS_BACKEND=tensorflow")
	res, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(res), "ok ") {
		t.Fatalf("Keras 3 loading Go's directory: %v\n%s", err, res)
	}
}

// TestKeras2xModels: the tf_keras 2.13-2.15 .keras archives load as whole models whose
// predictions are within 1e-5 of Keras's.
func TestKeras2xModels(t *testing.T) {
	files, _ := filepath.Glob("../testdata/keras2x/2.1[345].*/*.keras")
	if len(files) != 6 {
		t.Fatalf("want 6 committed Keras 2.13-2.15 .keras fixtures, found %v", files)
	}
	for _, f := range files {
		base := strings.TrimSuffix(f, ".keras")
		m, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		got, err := m.Predict(readNpy(t, filepath.Join(base, "x.npy")))
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(t, got, readNpy(t, filepath.Join(base, "y.npy"))); d > 1e-5 {
			t.Errorf("%s: predictions differ from Keras's by %g", f, d)
		}
	}
}
