//go:build cgo

package h5

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixturesDir returns the third-party corpus folder ($KERASGO_FIXTURES or ../shared/fixtures
// next to the repository), or "" when absent.
func fixturesDir() string {
	if d := os.Getenv("KERASGO_FIXTURES"); d != "" {
		return d
	}
	d := filepath.Join("..", "..", "shared", "fixtures")
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return ""
}

// TestCorpus runs List and Load on every .h5/.hdf5/.keras file of the third-party corpus
// (Keras 1.1 to 3.15). List must work on every HDF5 file; Load must either succeed or fail
// with ErrUnsupported naming what is not handled.
func TestCorpus(t *testing.T) {
	dir := fixturesDir()
	if dir == "" {
		t.Skip("no fixtures corpus (set KERASGO_FIXTURES or provide ../shared/fixtures)")
	}
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			switch strings.ToLower(filepath.Ext(p)) {
			case ".h5", ".hdf5", ".keras":
				files = append(files, p)
			}
		}
		return nil
	})
	if len(files) == 0 {
		t.Skip("corpus has no HDF5 or .keras files")
	}
	listed, loaded := 0, 0
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		vars, err := List(f)
		if err != nil {
			t.Errorf("List %s: %v", rel, err)
		} else {
			listed++
		}
		m, err := Load(f)
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("Load %s: %v (want success or ErrUnsupported)", rel, err)
			}
			t.Logf("unsupported %s: %v", rel, err)
			continue
		}
		loaded++
		nw := 0
		for _, l := range m.Layers {
			nw += len(l.Weights)
		}
		opt := "-"
		if m.Optimizer != nil {
			opt = m.Optimizer.Class
		}
		t.Logf("ok %s: keras %q %v, %d layers, %d weights (%d datasets), optimizer %s", rel, m.KerasVersion, m.Dialect, len(m.Layers), nw, len(vars), opt)
	}
	t.Logf("corpus: %d files, List ok on %d, Load ok on %d", len(files), listed, loaded)
}
