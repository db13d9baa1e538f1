package model

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadFinishesInterruptedSave: a save killed while it moved the new model into place
// leaves it under a temporary name (see DESIGN.md, "Errors and safety"); Load and LoadWeights
// put it back and read it.
func TestLoadFinishesInterruptedSave(t *testing.T) {
	dir := t.TempDir()
	m := seedModel()
	// A SavedModel whose save was killed between its two renames.
	sm := filepath.Join(dir, "sm")
	if err := m.Save(sm); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(sm, filepath.Join(dir, ".sm.tmp-0123456789ab.new")); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(sm); err != nil {
		t.Errorf("load after an interrupted SavedModel save: %v", err)
	}
	// A checkpoint whose save was killed after it removed the old index.
	w := filepath.Join(dir, "ckpt", "w")
	if err := m.SaveWeights(w); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "ckpt", ".w.tmp-0123456789ab")
	for _, s := range []string{".index", ".data-00000-of-00001"} {
		if err := os.Rename(w+s, tmp+s); err != nil {
			t.Fatal(err)
		}
	}
	if err := seedModel().LoadWeights(w); err != nil {
		t.Errorf("load weights after an interrupted checkpoint save: %v", err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "ckpt")} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if e.Name()[0] == '.' {
				t.Errorf("%s left in %s", e.Name(), d)
			}
		}
	}
}
