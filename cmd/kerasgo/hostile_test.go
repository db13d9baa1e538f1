//go:build cgo

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/h5test"
)

// TestHostileDeclaredSize: a real tf_keras model.h5 whose kernel is replaced by a gzip-chunked
// dataset that declares 4 GiB and stores nothing: every verb that reads the weights fails
// with a one-line error naming the dataset (exit 1, never Go's out-of-memory crash); ls,
// which reads no data, lists the declared shape.
func TestHostileDeclaredSize(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.h5")
	b, err := os.ReadFile(filepath.Join(seedFormats, "tfkeras", "model.h5"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, b, 0o644)
	kernel := "model_weights/dense_1/dense_1/kernel:0"
	if err := h5test.Replace(p, kernel, h5test.Dataset{Dims: []uint64{1 << 20, 1 << 10}, Chunk: []uint64{1 << 8, 1 << 10}, Deflate: 9}); err != nil {
		t.Fatal(err)
	}
	want := kernel + ": invalid format: declares 4294967296 bytes of data but the file stores 0 bytes of it"
	for _, args := range [][]string{
		{"summary", p}, {"verify", p}, {"convert", p, filepath.Join(dir, "out.keras")},
		{"predict", p, "--input", filepath.Join(models, "seed", "x.npy"), "--output", filepath.Join(dir, "y.npy")},
	} {
		code, out, errs := runCLI(t, args...)
		if code != 1 || out != "" || !strings.Contains(errs, want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("kerasgo %s: exit %d, stdout %q, stderr %q; want exit 1 and %q", args[0], code, out, errs, want)
		}
	}
	code, out, errs := runCLI(t, "ls", p)
	if code != 0 || !strings.Contains(out, kernel+"\tfloat32\t(1048576, 1024)") {
		t.Errorf("ls: exit %d, stderr %q\n%s", code, errs, out)
	}
}
