package model

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// The fixtures in testdata/functional/<case> were written by real tf_keras 2.21 and Keras
// 3.15 (testdata/gen/functional.py): Functional models with several inputs and outputs,
// shared layers and nested models, each in every format with both libraries' predictions;
// testdata/layers_<family>/ hold further per-layer cases in the same form.

const functionalRoot = "../testdata/functional"

type functionalCase struct {
	Name   string `json:"name"`
	Dir    string `json:"-"` // the case's directory
	Kind   string `json:"kind"`
	Inputs []struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
		File  string `json:"file"`
	} `json:"inputs"`
	Outputs []struct {
		Name       string `json:"name"`
		FileTF     string `json:"file_tf_keras"`
		FileKeras3 string `json:"file_keras3"`
	} `json:"outputs"`
	Supported struct {
		TFKeras bool `json:"tf_keras"`
		Keras3  bool `json:"keras3"`
	} `json:"supported"`
	LayerClasses []string `json:"layer_classes"`
	// LibrariesAgree is false where tf_keras and Keras 3 compute different things for the
	// same config (hard_sigmoid).
	LibrariesAgree *bool `json:"libraries_agree"`
}

// functionalCases lists the cases of testdata/functional and of every further per-layer
// fixture directory testdata/layers_<family>/ (same manifest form, written by
// testdata/gen/layers_<family>.py).
func functionalCases(t testing.TB) []functionalCase {
	t.Helper()
	roots := []string{functionalRoot}
	more, _ := filepath.Glob("../testdata/layers_*/manifest.json")
	more = append(more, "../testdata/nested/manifest.json")
	for _, m := range more {
		roots = append(roots, filepath.Dir(m))
	}
	var out []functionalCase
	for _, root := range roots {
		var man struct {
			Cases map[string]functionalCase `json:"cases"`
		}
		if err := json.Unmarshal(readFile(t, filepath.Join(root, "manifest.json")), &man); err != nil {
			t.Fatalf("%s manifest: %v", root, err)
		}
		if len(man.Cases) == 0 {
			t.Fatalf("no cases in %s/manifest.json", root)
		}
		for _, k := range sortedKeys(anyMap(man.Cases)) {
			c := man.Cases[k]
			c.Name = k
			c.Dir = filepath.Join(root, k)
			out = append(out, c)
		}
	}
	return out
}

func anyMap[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// dropKey returns a JSON object without one top-level key.
func dropKey(t testing.TB, data []byte, key string) []byte {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	delete(v, key)
	out, _ := json.Marshal(v)
	return out
}
