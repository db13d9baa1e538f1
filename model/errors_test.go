package model

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/savedmodel"
)

// widerSeed is the seed model with a 33-unit dense_1: every saved seed file is a valid file
// whose weights do not fit it.
func widerSeed() *Sequential {
	return NewSequential(
		conv2d(16, 3, 3, conv{Activation: "relu", InputShape: []int{32, 32, 3}, Name: "conv_1"}),
		maxPool(4, pool{Name: "pool_1"}),
		batchNorm(bn{}),
		flatten("flatten"),
		dense(33, dns{Activation: "relu", Name: "dense_1"}),
		dropout(0.5, ""),
		dense(10, dns{Activation: "softmax", Name: "dense_2"}),
	)
}

// editFile applies f to the bytes of path.
func editFile(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// renameZipMember rewrites the zip at path with member from renamed to to.
func renameZipMember(t *testing.T, path, from, to string) {
	t.Helper()
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	found := false
	for _, f := range r.File {
		name := f.Name
		if name == from {
			name, found = to, true
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		dst, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	r.Close()
	if !found {
		t.Fatalf("%s has no member %s", path, from)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestErrorCategories: for every codec, a corrupt file, an unsupported file, a checksum
// failure and weights that do not fit, read through Load or LoadWeights, match both model's
// category and the codec's own sentinel with errors.Is.
func TestErrorCategories(t *testing.T) {
	save := func(t *testing.T, name string, weightsOnly bool) string {
		t.Helper()
		p := filepath.Join(t.TempDir(), name)
		m := seedModel()
		var err error
		if weightsOnly {
			err = m.SaveWeights(p)
		} else {
			err = m.Save(p)
		}
		if err != nil {
			skipNoHDF5(t, err)
			t.Fatal(err)
		}
		return p
	}
	load := func(p string) error { _, err := Load(p); return err }
	loadWeights := func(p string) error { return seedModel().LoadWeights(p, LoadWeightsOptions{}) }
	loadWider := func(p string) error { return widerSeed().LoadWeights(p, LoadWeightsOptions{}) }
	truncate := func(n int) func([]byte) []byte { return func(b []byte) []byte { return b[:n] } }
	flip := func(off func([]byte) int) func([]byte) []byte {
		return func(b []byte) []byte { b[off(b)] ^= 0x55; return b }
	}
	middle := func(b []byte) int { return len(b) / 2 }

	cases := []struct {
		name string
		// file returns the path to read, made broken as the case wants.
		file        func(t *testing.T) string
		read        func(string) error
		cat, codec  error
		needsHDF5   bool
		wantInError string
	}{
		{"h5/corrupt", func(t *testing.T) string {
			p := save(t, "m.h5", false)
			editFile(t, p, truncate(2000))
			return p
		}, load, ErrFormat, h5.ErrFormat, true, "m.h5"},
		{"h5/unsupported", func(t *testing.T) string {
			p := save(t, "m.h5", false)
			editFile(t, p, func(b []byte) []byte { b[8] = 9; return b }) // superblock version 9
			return p
		}, load, ErrUnsupported, h5.ErrUnsupported, true, "superblock version 9"},
		{"h5/mismatch", func(t *testing.T) string { return save(t, "m.h5", false) },
			loadWider, ErrMismatch, nil, true, `layer "dense_1"`},
		{"keras/corrupt", func(t *testing.T) string {
			p := save(t, "m.keras", false)
			editFile(t, p, func(b []byte) []byte { return b[:len(b)-30] }) // no end of central directory
			return p
		}, load, ErrFormat, h5.ErrFormat, true, "m.keras"},
		{"keras/unsupported", func(t *testing.T) string {
			p := save(t, "m.keras", false)
			renameZipMember(t, p, "model.weights.h5", "model.weights.npz")
			return p
		}, load, ErrUnsupported, h5.ErrUnsupported, true, "model.weights.npz"},
		{"keras/checksum", func(t *testing.T) string {
			p := save(t, "m.keras", false)
			editFile(t, p, flip(func(b []byte) int { return bytes.Index(b, []byte(`"class_name"`)) + 1 }))
			return p
		}, load, ErrChecksum, h5.ErrChecksum, true, "checksum"},
		{"keras/mismatch", func(t *testing.T) string { return save(t, "m.keras", false) },
			loadWider, ErrMismatch, nil, true, `layer "dense_1"`},
		{"checkpoint/corrupt", func(t *testing.T) string {
			p := save(t, "w", true)
			editFile(t, p+".index", truncate(30))
			return p
		}, loadWeights, ErrFormat, checkpoint.ErrFormat, false, "w.index"},
		{"checkpoint/unsupported", func(t *testing.T) string {
			return "../checkpoint/testdata/sliced_tf2_21"
		}, loadWeights, ErrUnsupported, checkpoint.ErrUnsupported, false, "sliced_tf2_21"},
		{"checkpoint/checksum", func(t *testing.T) string {
			p := save(t, "w", true)
			editFile(t, p+".data-00000-of-00001", flip(middle))
			return p
		}, loadWeights, ErrChecksum, checkpoint.ErrChecksum, false, "crc32c"},
		{"checkpoint/mismatch", func(t *testing.T) string { return save(t, "w", true) },
			loadWider, ErrMismatch, nil, false, `layer "dense_1"`},
		{"savedmodel/corrupt", func(t *testing.T) string {
			p := save(t, "sm", false)
			editFile(t, filepath.Join(p, "saved_model.pb"), func([]byte) []byte { return []byte("\xff\xff\xff\xff garbage") })
			return p
		}, load, ErrFormat, savedmodel.ErrFormat, false, "saved_model.pb"},
		{"savedmodel/unsupported", func(t *testing.T) string {
			p := save(t, "sm", false)
			if err := os.Remove(filepath.Join(p, "keras_metadata.pb")); err != nil {
				t.Fatal(err)
			}
			return p
		}, load, ErrUnsupported, savedmodel.ErrUnsupported, false, "Keras"},
		{"savedmodel/checksum", func(t *testing.T) string {
			p := save(t, "sm", false)
			editFile(t, filepath.Join(p, "variables", "variables.data-00000-of-00001"), flip(middle))
			return p
		}, load, ErrChecksum, savedmodel.ErrChecksum, false, "variables/variables.data"},
		{"savedmodel/mismatch", func(t *testing.T) string { return save(t, "sm", false) },
			loadWider, ErrMismatch, nil, false, `layer "dense_1"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.needsHDF5 && !haveCgo {
				t.Skip("no HDF5 in this build")
			}
			err := c.read(c.file(t))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, c.cat) {
				t.Errorf("errors.Is(err, model %v) is false: %v", c.cat, err)
			}
			if c.codec != nil && !errors.Is(err, c.codec) {
				t.Errorf("errors.Is(err, %v) is false: %v", c.codec, err)
			}
			for _, other := range []error{ErrFormat, ErrUnsupported, ErrChecksum, ErrMismatch} {
				if other != c.cat && errors.Is(err, other) {
					t.Errorf("error also matches %v: %v", other, err)
				}
			}
			if !strings.Contains(err.Error(), c.wantInError) {
				t.Errorf("error does not name %q: %v", c.wantInError, err)
			}
			t.Log(err)
			checkMessage(t, err.Error())
		})
	}
}

// checkMessage fails when msg repeats a package prefix or prints a Go nil.
func checkMessage(t *testing.T, msg string) {
	t.Helper()
	for _, p := range []string{"model: ", "h5: ", "checkpoint: ", "savedmodel: ", "layers: ", "table: ", "tensor: ", "npy: ", "objgraph: ", "saved: "} {
		if strings.Count(msg, p) > 1 {
			t.Errorf("%q appears %d times in %q", p, strings.Count(msg, p), msg)
		}
	}
	if strings.Contains(msg, "<nil>") || strings.Contains(msg, "%!") {
		t.Errorf("message prints a Go value: %q", msg)
	}
}
