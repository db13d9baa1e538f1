//go:build unix

package main

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// unzipTo extracts a .keras archive into dir (an unzipped Keras 3 model).
func unzipTo(t *testing.T, src, dir string) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	os.MkdirAll(dir, 0o755)
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// special replaces the file p with a named pipe (kind "fifo") or a symlink to /dev/zero.
func special(t *testing.T, p, kind string) {
	t.Helper()
	os.Remove(p)
	var err error
	if kind == "fifo" {
		err = syscall.Mkfifo(p, 0o644)
	} else {
		err = os.Symlink("/dev/zero", p)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestSpecialFilesRefused: every verb refuses, at once and naming the file, a model file (or
// a file inside a model directory or beside a checkpoint prefix) that is a named pipe (which
// would block the reader forever) or a symlink to /dev/zero (which would never end).
func TestSpecialFilesRefused(t *testing.T) {
	seed := "../../testdata/formats/seed"
	x := filepath.Join(models, "seed", "x.npy")
	type tc struct {
		name string
		path func(dir string) string // builds the case in dir and returns the PATH argument
		file string                  // the special file, named in the error
	}
	var cases []tc
	for _, kind := range []string{"fifo", "zero"} {
		kind := kind
		cases = append(cases,
			tc{kind + " .h5", func(dir string) string {
				p := filepath.Join(dir, "model.h5")
				special(t, p, kind)
				return p
			}, "model.h5"},
			tc{kind + " npy input", func(dir string) string {
				p := filepath.Join(dir, "x.npy")
				special(t, p, kind)
				return "input:" + p
			}, "x.npy"},
		)
		for _, f := range []string{"saved_model.pb", "keras_metadata.pb", "variables/variables.index", "variables/variables.data-00000-of-00001"} {
			f := f
			cases = append(cases, tc{kind + " savedmodel " + f, func(dir string) string {
				copyTree(t, filepath.Join(seed, "tfkeras", "savedmodel"), dir)
				special(t, filepath.Join(dir, f), kind)
				return dir
			}, filepath.Base(f)})
		}
		for _, f := range []string{"checkpoint", "weights.index", "weights.data-00000-of-00001"} {
			f := f
			cases = append(cases, tc{kind + " checkpoint " + f, func(dir string) string {
				copyTree(t, filepath.Join(seed, "tfkeras", "ckpt"), dir)
				special(t, filepath.Join(dir, f), kind)
				if f == "checkpoint" {
					return dir
				}
				return filepath.Join(dir, "weights")
			}, f})
		}
		for _, f := range []string{"config.json", "metadata.json", "model.weights.h5"} {
			f := f
			cases = append(cases, tc{kind + " unzipped keras " + f, func(dir string) string {
				unzipTo(t, filepath.Join(seed, "keras3", "model.keras"), dir)
				special(t, filepath.Join(dir, f), kind)
				return dir
			}, f})
		}
	}
	for _, c := range cases {
		dir := filepath.Join(t.TempDir(), "m")
		os.MkdirAll(dir, 0o755)
		path := c.path(dir)
		verbs := [][]string{{"verify", path}, {"ls", path}, {"summary", path}, {"convert", path, filepath.Join(t.TempDir(), "out.h5")},
			{"predict", path, "--input", x, "--output", filepath.Join(t.TempDir(), "y.npy")}}
		if in, ok := strings.CutPrefix(path, "input:"); ok {
			verbs = [][]string{{"predict", filepath.Join(models, "seed", "config_keras2.json"), "--input", in, "--output", filepath.Join(t.TempDir(), "y.npy")}}
		}
		failed := 0
		for _, args := range verbs {
			done := make(chan struct{})
			var code int
			var errs string
			go func() {
				defer close(done)
				code, _, errs = runCLI(t, args...)
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("%s: kerasgo %s still running after 20 s", c.name, args[0])
			}
			if code == 0 {
				// ls lists a checkpoint or SavedModel without reading tensor data.
				if args[0] == "ls" && strings.Contains(c.file, ".data-") {
					continue
				}
				t.Errorf("%s: kerasgo %s succeeded", c.name, args[0])
				continue
			}
			failed++
			if !strings.Contains(errs, "not a regular file") || !strings.Contains(errs, c.file) {
				t.Errorf("%s: kerasgo %s: %q does not say that %s is not a regular file", c.name, args[0], errs, c.file)
			}
		}
		if failed == 0 {
			t.Errorf("%s: no verb failed", c.name)
		}
	}
}
