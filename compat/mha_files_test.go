package compat

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestMHAFilesInKeras takes every testdata/layers_mha case (MultiHeadAttention models and the
// Transformer encoder block), loads it in Go from tf_keras's .h5 and Keras 3's .keras, changes
// every weight, and writes each format: .h5 and a TF checkpoint and save_weights .h5 from the
// tf_keras model, .keras and .weights.h5 from the Keras 3 one. tf_keras loads the .h5
// (load_model) and the checkpoint and weights .h5 (load_weights into the fixture's model), Keras
// 3 the .keras (load_model) and the .weights.h5 (load_weights into the fixture's model): every
// prediction must be Go's within 1e-5.
func TestMHAFilesInKeras(t *testing.T) {
	python(t)
	root := filepath.Join(repoRoot(), "testdata", "layers_mha")
	man, names := readManifest[manifestCase](t, root, 6)
	out := t.TempDir()
	var spec []map[string]any
	want := map[string]*tensor.Tensor{}
	for _, name := range names {
		dir := filepath.Join(root, name)
		xs, xfiles := man[name].read(t, dir)
		for _, src := range []struct{ file, lib string }{{"tfkeras/model.h5", "tf_keras"}, {"keras3/model.keras", "keras"}} {
			m, err := model.Load(filepath.Join(dir, src.file))
			if err != nil {
				t.Fatalf("%s/%s: %v", name, src.file, err)
			}
			changeWeights(m)
			ys, err := m.PredictN(xs)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for kind, p := range saveGoFiles(t, m, src.lib, filepath.Join(out, name)) {
				id := name + "_" + kind
				want[id] = ys[0]
				spec = append(spec, map[string]any{"id": id, "kind": kind, "file": p,
					"fixture": filepath.Join(dir, src.file), "xs": xfiles, "out": filepath.Join(out, id+".npy")})
			}
		}
	}
	b, _ := json.Marshal(spec)
	cases := filepath.Join(out, "cases.json")
	if err := os.WriteFile(cases, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var done []string
	runPythonJSON(t, &done, "mha_files.py", cases)
	if len(done) != len(spec) {
		t.Fatalf("python loaded %d files, want %d", len(done), len(spec))
	}
	worst := 0.0
	for _, s := range spec {
		id := s["id"].(string)
		got, err := npy.ReadFile(s["out"].(string))
		if err != nil {
			t.Fatal(err)
		}
		g, w := got.Float32s(), want[id].Float32s()
		if len(g) != len(w) {
			t.Fatalf("%s: %d values, go %d", id, len(g), len(w))
		}
		for j := range w {
			d := math.Abs(float64(g[j]) - float64(w[j]))
			worst = max(worst, d)
			if d > 1e-5 {
				t.Errorf("%s[%d]: keras %v, go %v", id, j, g[j], w[j])
				break
			}
		}
	}
	t.Logf("%d Go-written files loaded by tf_keras and Keras 3: worst max |diff| vs Go %.2g", len(spec), worst)
}
