package model

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
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
		// A prefix starts the message or follows ": " (not "the model: ", not a path ".../model: ").
		if n := strings.Count(": "+msg, ": "+p); n > 1 {
			t.Errorf("prefix %q appears %d times in %q", p, n, msg)
		}
	}
	if strings.Contains(msg, "<nil>") || strings.Contains(msg, "%!") {
		t.Errorf("message prints a Go value: %q", msg)
	}
}

// TestErrorMessages pins the text of representative errors: the operation and the file once,
// then the object (layer, key, file inside a directory) and the reason, with no repeated
// package prefix.
func TestErrorMessages(t *testing.T) {
	dir := t.TempDir()
	notModel := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notModel, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "ckpt", "w")
	if err := seedModel().SaveWeights(ckpt); err != nil {
		t.Fatal(err)
	}
	editFile(t, ckpt+".data-00000-of-00001", func(b []byte) []byte { b[2048+10] ^= 1; return b })
	ok := filepath.Join(dir, "ok", "w")
	if err := seedModel().SaveWeights(ok); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	lstm := strings.Replace(string(readFile(t, filepath.Join(fixtureRoot, "seed", "config_keras2.json"))), `"Flatten"`, `"ConvLSTM3D"`, 1)
	bigBatch := strings.Replace(string(readFile(t, filepath.Join(fixtureRoot, "seed", "config_keras2.json"))), `"data_format": "channels_last"`, `"dim_ordering": "th"`, 1)

	for _, c := range []struct {
		name string
		err  error
		want string // the whole message, or its beginning when it ends in "…"
	}{
		{"missing file", load1(filepath.Join(dir, "missing.h5")),
			"model: load " + filepath.Join(dir, "missing.h5") + ": no such file or directory"},
		{"not a model", load1(notModel),
			"model: load " + notModel + ": unsupported: not an HDF5 file, a .keras zip, a SavedModel or a checkpoint"},
		{"empty directory", load1(empty),
			"model: load " + empty + ": unsupported: a directory with neither saved_model.pb, config.json nor a checkpoint file"},
		{"checkpoint checksum", seedModel().LoadWeights(ckpt, LoadWeightsOptions{}),
			"model: load weights " + ckpt + `: w.data-00000-of-00001: key "layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE" at offset 2048: checksum mismatch: crc32c of 100352 bytes is 0x…`},
		{"mismatch", widerSeed().LoadWeights(ok, LoadWeightsOptions{}),
			"model: load weights " + ok + `: layer "dense_1": weight kernel: expected shape (784, 33), found (784, 32)`},
		{"unknown layer class", fromJSON1(lstm),
			`model: from JSON: 1 layer of classes kerasgo does not implement: "flatten" (ConvLSTM3D)`},
		{"unsupported option", fromJSON1(bigBatch),
			`model: from JSON: layer "conv_1" (Conv2D): unsupported: dim_ordering "th" (only channels_last is implemented)`},
	} {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		got := c.err.Error()
		if w, ok := strings.CutSuffix(c.want, "…"); ok {
			if !strings.HasPrefix(got, w) {
				t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
			}
		} else if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
		checkMessage(t, got)
	}
}

func load1(p string) error { _, err := Load(p); return err }

func fromJSON1(s string) error { _, err := FromJSON([]byte(s)); return err }

// TestErrorMessagesWalk reads inputs kerasgo rejects (truncated saves of the seed model in
// every format, and the third-party corpus files it does not load) with Load and LoadWeights:
// every message names the file once, repeats no package prefix and prints no Go nil.
func TestErrorMessagesWalk(t *testing.T) {
	check := func(op, path string, err error) {
		t.Helper()
		if err == nil {
			return
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "model: "+op+" "+path+": ") {
			t.Errorf("%s: message does not start with %q: %q", path, "model: "+op+" "+path, msg)
		}
		if n := strings.Count(msg, path); n != 1 {
			t.Errorf("%s: the path appears %d times in %q", path, n, msg)
		}
		checkMessage(t, msg)
		// The old doubled form: a second operation, a category printed twice in a row, a
		// shape spelled as a Go slice.
		rest := strings.TrimPrefix(msg, "model: "+op+" "+path+": ")
		for _, again := range []string{"load ", "load weights "} {
			if strings.HasPrefix(rest, again) {
				t.Errorf("%s: the operation appears twice in %q", path, msg)
			}
		}
		for _, cat := range []error{ErrFormat, ErrUnsupported, ErrChecksum, ErrMismatch} {
			if c := cat.Error() + ": "; strings.Count(msg, c) > 1 {
				t.Errorf("%s: %q appears twice in %q", path, c, msg)
			}
		}
		if goShape.MatchString(msg) {
			t.Errorf("%s: a shape spelled as a Go slice in %q", path, msg)
		}
	}
	read := func(path string) {
		t.Helper()
		_, err := Load(path)
		check("load", path, err)
		check("load weights", path, seedModel().LoadWeights(path, LoadWeightsOptions{}))
	}

	// Truncated saves: every file of each format cut at a few places.
	rejected := 0
	for _, name := range []string{"m.h5", "m.keras", "sm", "ckpt/w"} {
		if !haveCgo && (name == "m.h5" || name == "m.keras") {
			continue
		}
		dir := t.TempDir()
		p := filepath.Join(dir, name)
		var err error
		if name == "ckpt/w" {
			err = seedModel().SaveWeights(p)
		} else {
			err = seedModel().Save(p)
		}
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		filepath.WalkDir(dir, func(f string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, f)
			}
			return err
		})
		for _, f := range files {
			orig, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{0, 7, 100, len(orig) / 2, len(orig) - 1} {
				if n < 0 || n >= len(orig) {
					continue
				}
				if err := os.WriteFile(f, orig[:n], 0o644); err != nil {
					t.Fatal(err)
				}
				if _, err := Load(p); err != nil {
					rejected++
				}
				read(p)
			}
			if err := os.WriteFile(f, orig, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if rejected < 20 {
		t.Errorf("only %d truncated files rejected", rejected)
	}

	// The third-party corpus.
	root := corpusRoot(t)
	filepath.WalkDir(root, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && fileExists(filepath.Join(f, "saved_model.pb")):
			read(f)
		case !d.IsDir() && strings.HasSuffix(f, ".index"):
			read(strings.TrimSuffix(f, ".index"))
		case !d.IsDir() && (strings.HasSuffix(f, ".h5") || strings.HasSuffix(f, ".hdf5") || strings.HasSuffix(f, ".keras")):
			if haveCgo {
				read(f)
			}
		}
		return nil
	})
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
