package savedmodel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMissingVariables: a SavedModel without its variables/ directory, or (TF2) without the
// bundle index TensorFlow writes there even for a model without variables, is broken: Audit
// (kerasgo verify) and Load fail naming what is missing.
func TestMissingVariables(t *testing.T) {
	src := filepath.Join("..", "testdata", "formats", "seed", "tfkeras", "savedmodel")
	for _, c := range []struct {
		remove, want string
	}{
		{"variables", "no variables directory"},
		{filepath.Join("variables", "variables.index"), "there is no variables/variables.index"},
	} {
		dir := filepath.Join(t.TempDir(), "sm")
		copyDir(t, src, dir)
		if _, err := Audit(dir); err != nil {
			t.Fatalf("intact copy: %v", err)
		}
		if err := os.RemoveAll(filepath.Join(dir, c.remove)); err != nil {
			t.Fatal(err)
		}
		for name, fn := range map[string]func() error{
			"Audit": func() error { _, err := Audit(dir); return err },
			"Load":  func() error { _, err := Load(dir); return err },
		} {
			if err := fn(); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), dir) {
				t.Errorf("%s without %s: %v, want ErrFormat naming %s and saying %q", name, c.remove, err, dir, c.want)
			}
		}
	}
}
