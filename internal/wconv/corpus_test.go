//go:build cgo

package wconv

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/errcat"
)

// TestCorpus converts every HDF5, .keras and checkpoint file of the third-party corpus (Keras
// 1.1 to 3.15, TF 1.x to 2.14; ../shared/fixtures or $KERASGO_FIXTURES) to every weights format:
// no panic, every failure in one of the error categories, and every file written reads back
// with the variables it was written with.
func TestCorpus(t *testing.T) {
	root := os.Getenv("KERASGO_FIXTURES")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "fixtures")
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("third-party corpus not found at %s (set KERASGO_FIXTURES): %v", root, err)
	}
	var srcs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch ext := strings.ToLower(filepath.Ext(p)); ext {
		case ".h5", ".hdf5", ".keras":
			srcs = append(srcs, p)
		case ".index":
			srcs = append(srcs, strings.TrimSuffix(p, ".index"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	converted := 0
	for i, src := range srcs {
		kind := SourceHDF5
		if _, err := os.Stat(src + ".index"); err == nil {
			kind = SourceCheckpoint
		}
		for _, tg := range targets {
			dst := filepath.Join(out, "d"+strconv.Itoa(i), tg)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			rep, err := Convert(src, kind, dst, Options{})
			if err != nil {
				if !errors.Is(err, errcat.ErrUnsupported) && !errors.Is(err, errcat.ErrFormat) && !errors.Is(err, errcat.ErrMismatch) {
					t.Errorf("%s → %s: uncategorised error: %v", src, tg, err)
				}
				continue
			}
			converted++
			kind2 := SourceHDF5
			if tg == "ckpt/w" {
				kind2 = SourceCheckpoint
			}
			back, err := Convert(dst, kind2, filepath.Join(filepath.Dir(dst), "again_"+filepath.Base(tg)), Options{})
			if err != nil {
				t.Errorf("%s → %s: converting the result again: %v", src, tg, err)
			} else if back.Variables != rep.Variables {
				t.Errorf("%s → %s: %d variables written, %d read back", src, tg, rep.Variables, back.Variables)
			}
		}
	}
	if converted < 84 {
		t.Errorf("%d of %d corpus conversions succeeded, want at least 84", converted, 3*len(srcs))
	}
	t.Logf("%d of %d corpus conversions succeeded", converted, 3*len(srcs))
}
