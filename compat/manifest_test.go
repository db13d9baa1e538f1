package compat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// manifestCase is the part of a testdata/<part>/manifest.json case most compat tests read: the
// input files of the case, relative to its folder.
type manifestCase struct {
	Inputs []struct {
		File string `json:"file"`
	} `json:"inputs"`
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
