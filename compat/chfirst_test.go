package compat

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
)

// TestChannelsFirstFiles reads each testdata/chfirst case (channels_first Conv2D and pooling
// layers) in Go and writes it as a tf_keras .h5 (from Keras 3's file), a Keras 3 .keras and a
// SavedModel (from tf_keras's): tf_keras loads the .h5 and the SavedModel, Keras 3 the .keras,
// TensorFlow serves the SavedModel (its Transpose ops around the layers' own), all within
// 1e-5 of the fixture's tf_keras predictions.
func TestChannelsFirstFiles(t *testing.T) {
	python(t)
	root := filepath.Join(repoRoot(), "testdata", "chfirst")
	_, ids := readManifest[json.RawMessage](t, root, 1)
	out := t.TempDir()
	var spec []map[string]any
	for _, id := range ids {
		dir := filepath.Join(root, id)
		c := map[string]any{"id": id, "x": filepath.Join(dir, "x.npy")}
		for _, w := range [][3]string{{"keras3/model.keras", ".h5", "h5"}, {"tfkeras/model.h5", ".keras", "keras"}, {"tfkeras/model.h5", "_sm", "savedmodel"}} {
			m, err := model.Load(filepath.Join(dir, w[0]))
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			p := filepath.Join(out, id+w[1])
			if err := m.Save(p); err != nil {
				t.Fatalf("%s: save %s: %v", id, p, err)
			}
			c[w[2]] = p
		}
		spec = append(spec, c)
	}
	cf := filepath.Join(out, "cases.json")
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(cf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var done []string
	runPythonJSON(t, &done, "chfirst_load.py", cf)
	if len(done) != len(ids) {
		t.Fatalf("python did %v of %v", done, ids)
	}
	for _, id := range ids {
		want, err := npy.ReadFile(filepath.Join(root, id, "y.npy"))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{"tfkeras", "keras3", "tfkeras_sm", "serve"} {
			got, err := npy.ReadFile(filepath.Join(out, id+"."+l+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			g, w := got.Float32s(), want.Float32s()
			if len(g) != len(w) {
				t.Fatalf("%s %s: %d values, want %d", id, l, len(g), len(w))
			}
			d := 0.0
			for i := range g {
				d = max(d, math.Abs(float64(g[i])-float64(w[i])))
			}
			if d > 1e-5 {
				t.Errorf("%s: %s on Go's file: max |diff| %g", id, l, d)
			}
			t.Logf("%s %s: max |diff| %.2g", id, l, d)
		}
	}
}
