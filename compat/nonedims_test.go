package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
)

// TestNoneDimsFiles reads each testdata/nonedims case (inputs with None besides the batch) in
// Go from one library's file and writes it for the other: tf_keras's model.h5 -> .keras, Keras
// 3's model.keras -> .h5. Real tf_keras loads Go's .h5 and Keras 3 Go's .keras with the input
// shape None where the fixture has it, and both predict on inputs of both sizes within 1e-5
// of the fixture's predictions of that library.
func TestNoneDimsFiles(t *testing.T) {
	python(t)
	root := filepath.Join(repoRoot(), "testdata", "nonedims")
	var man struct {
		Cases map[string]struct {
			Sizes map[string]struct {
				Shape   []int  `json:"shape"`
				X       string `json:"x"`
				YTF     string `json:"y_tf_keras"`
				YKeras3 string `json:"y_keras3"`
			} `json:"sizes"`
		} `json:"cases"`
	}
	b, err := os.ReadFile(filepath.Join(root, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var spec []map[string]any
	var ids []string
	for id := range man.Cases {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	declared := map[string][]int{}
	for _, id := range ids {
		dir := filepath.Join(root, id)
		h5 := filepath.Join(out, id+".h5")
		k3 := filepath.Join(out, id+".keras")
		for _, c := range [][2]string{{"keras3/model.keras", h5}, {"tfkeras/model.h5", k3}} {
			m, err := model.Load(filepath.Join(dir, c[0]))
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			declared[id] = append([]int{-1}, m.DeclaredInputShapes()[0]...)
			if err := m.Save(c[1]); err != nil {
				t.Fatalf("%s: save %s: %v", id, filepath.Base(c[1]), err)
			}
		}
		var ins []map[string]any
		for s, z := range man.Cases[id].Sizes {
			ins = append(ins, map[string]any{"size": s, "x": filepath.Join(dir, z.X)})
		}
		spec = append(spec, map[string]any{"id": id, "h5": h5, "keras": k3, "inputs": ins})
	}
	cf := filepath.Join(out, "cases.json")
	b, _ = json.Marshal(spec)
	if err := os.WriteFile(cf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var res []struct {
		ID      string `json:"id"`
		TFIn    []int  `json:"tfkeras_input"`
		Keras3I []int  `json:"keras3_input"`
	}
	runPythonJSON(t, &res, "nonedims_load.py", cf)
	if len(res) != len(ids) {
		t.Fatalf("%d results for %d cases", len(res), len(ids))
	}
	n := 0
	for _, r := range res {
		want := fmt.Sprint(declared[r.ID])
		if fmt.Sprint(r.TFIn) != want || fmt.Sprint(r.Keras3I) != want {
			t.Errorf("%s: input shape tf_keras %v, Keras 3 %v, want %s", r.ID, r.TFIn, r.Keras3I, want)
		}
		for s, z := range man.Cases[r.ID].Sizes {
			for _, l := range [][2]string{{"tfkeras", z.YTF}, {"keras3", z.YKeras3}} {
				got, err := npy.ReadFile(filepath.Join(out, r.ID+"."+s+"."+l[0]+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				want, err := npy.ReadFile(filepath.Join(root, r.ID, l[1]))
				if err != nil {
					t.Fatal(err)
				}
				g, w := got.Float32s(), want.Float32s()
				if len(g) != len(w) {
					t.Fatalf("%s %s %s: %d values, want %d", r.ID, s, l[0], len(g), len(w))
				}
				d := 0.0
				for i := range g {
					d = max(d, math.Abs(float64(g[i])-float64(w[i])))
				}
				if d > 1e-5 {
					t.Errorf("%s %s: %s on Go's file: max |diff| %g from %s", r.ID, s, l[0], d, l[1])
				}
				n++
			}
		}
	}
	t.Logf("%d predictions of tf_keras and Keras 3 on Go-written files of %d models with None input dimensions match the fixtures", n, len(res))
}
