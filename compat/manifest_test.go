package compat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/tensor"
)

// manifestCase is the part of a testdata/<part>/manifest.json case most compat tests read: the
// input files of the case, relative to its folder.
type manifestCase struct {
	Inputs []struct {
		File string `json:"file"`
	} `json:"inputs"`
}

// read reads the case's inputs from its folder dir and returns them with their paths.
func (c manifestCase) read(t *testing.T, dir string) ([]*tensor.Tensor, []string) {
	t.Helper()
	var xs []*tensor.Tensor
	var files []string
	for _, in := range c.Inputs {
		p := filepath.Join(dir, in.File)
		xs = append(xs, readNpyT(t, p))
		files = append(files, p)
	}
	return xs, files
}

// changeWeights changes every weight of m (by its index and the value's), so that files
// written from it cannot pass for the fixture's.
func changeWeights(m *model.Model) {
	for i, w := range m.Weights() {
		v := w.Value.Float32s()
		for j := range v {
			v[j] = v[j]*1.25 + 0.01*float32((i+j)%7-3)
		}
	}
}

// saveGoFiles writes m under dir in the formats of lib's file it was read from ("tf_keras":
// .h5, a TF checkpoint and save_weights .h5; "keras": .keras and .weights.h5) and returns
// their paths by kind (h5, ckpt, wh5; keras, k3w).
func saveGoFiles(t *testing.T, m *model.Model, lib, dir string) map[string]string {
	t.Helper()
	files := map[string]string{"h5": "go.h5", "ckpt": "go_ckpt/w", "wh5": "go_weights.h5"}
	save := map[string]func(string) error{"h5": m.Save, "ckpt": m.SaveWeights, "wh5": m.SaveWeights}
	if lib == "keras" {
		files = map[string]string{"keras": "go.keras", "k3w": "go.weights.h5"}
		save = map[string]func(string) error{"keras": m.Save, "k3w": m.SaveWeights}
	}
	paths := map[string]string{}
	for kind, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := save[kind](p); err != nil {
			t.Fatalf("%s %s: %v", filepath.Base(dir), f, err)
		}
		paths[kind] = p
	}
	return paths
}

// readManifest decodes root/manifest.json's "cases" into a map of case id → T and returns it
// with the ids sorted, failing the test when the file is unreadable or holds fewer than min
// cases.
func readManifest[T any](t *testing.T, root string, min int) (map[string]T, []string) {
	t.Helper()
	var man struct {
		Cases map[string]T `json:"cases"`
	}
	b, err := os.ReadFile(filepath.Join(root, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatalf("%s: %v", filepath.Join(root, "manifest.json"), err)
	}
	ids := make([]string, 0, len(man.Cases))
	for k := range man.Cases {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	if len(ids) < min {
		t.Fatalf("%d cases in %s, want at least %d", len(ids), root, min)
	}
	return man.Cases, ids
}
