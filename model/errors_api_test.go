package model

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/objgraph"
	"github.com/kerasgo/kerasgo/savedmodel"
	"github.com/kerasgo/kerasgo/tensor"
)

// goShape matches a shape printed as a Go slice ([784 32], [8 8 3]) rather than as Keras
// prints it.
var goShape = regexp.MustCompile(`\[-?[0-9]+( -?[0-9]+)*\]`)

// checkAPIMessage fails unless msg starts with "model: op: ", has no repeated prefix, no Go
// value and no Go-spelled shape.
func checkAPIMessage(t *testing.T, op, msg string) {
	t.Helper()
	if !strings.HasPrefix(msg, "model: "+op+": ") {
		t.Errorf("message does not start with %q: %q", "model: "+op+": ", msg)
	}
	if goShape.MatchString(msg) {
		t.Errorf("message spells a shape as a Go slice: %q", msg)
	}
	checkMessage(t, msg)
}

// TestErrorMessagesAPI: the errors of the model's operations other than loading and saving
// (Predict, Fit, Evaluate, TrainOnBatch, Compile, SetWeights, SetLayerWeights, Build, Add,
// FromJSON, FromConfig) read "model: op: reason", once, with Keras's spelling of shapes, and
// match their category.
func TestErrorMessagesAPI(t *testing.T) {
	compiled := func() *Sequential {
		m := seedModel()
		if err := m.Compile(CompileOptions{Optimizer: "adam", Loss: "sparse_categorical_crossentropy"}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	x := tensor.Zeros(2, 32, 32, 3)
	y := tensor.Zeros(2)
	small := tensor.Zeros(2, 8, 8, 3)
	lstm := strings.Replace(string(readFile(t, filepath.Join(fixtureRoot, "seed", "config_keras2.json"))), `"Flatten"`, `"ConvLSTM3D"`, 1)
	badInput := strings.Replace(string(readFile(t, filepath.Join(fixtureRoot, "seed", "config_keras2.json"))), `"batch_input_shape": [null, 32, 32, 3]`, `"batch_input_shape": [null, "a", 32, 3]`, 1)
	if badInput == string(readFile(t, filepath.Join(fixtureRoot, "seed", "config_keras2.json"))) {
		t.Fatal("the seed config has no batch_input_shape to break")
	}
	kernel := seedModel().Layer("dense_1").Weights()[0].Value.Shape

	for _, c := range []struct {
		name, op string
		err      error
		cat      error
		want     string // the whole message, or "" to check only its form
	}{
		{"predict shape", "predict", func() error { _, err := seedModel().Predict(small); return err }(), ErrShape,
			"model: predict: shape mismatch: input shape (2, 8, 8, 3), the model expects (None, 32, 32, 3)"},
		{"predict nil", "predict", func() error { _, err := seedModel().Predict(nil); return err }(), ErrShape, ""},
		{"predict no layers", "predict", func() error { _, err := NewSequential().Predict(x); return err }(), ErrNotBuilt, ""},
		{"predict unbuilt", "predict", func() error {
			_, err := NewSequential(dense(4, dns{Name: "d"})).Predict(tensor.Zeros(2))
			return err
		}(), ErrShape, ""},
		{"fit uncompiled", "fit", func() error { _, err := seedModel().Fit(x, y); return err }(), ErrNotBuilt,
			"model: fit: model not built: the model is not compiled (call Compile)"},
		{"fit shape", "fit", func() error { _, err := compiled().Fit(small, y); return err }(), ErrShape, ""},
		{"fit validation", "fit", func() error {
			_, err := compiled().Fit(x, y, FitOptions{ValidationData: &Data{X: small, Y: y}})
			return err
		}(), ErrShape, "model: fit: validation data: shape mismatch: input shape (2, 8, 8, 3), the model expects (None, 32, 32, 3)"},
		{"fit targets", "fit", func() error { _, err := compiled().Fit(x, tensor.Zeros(2, 3)); return err }(), ErrShape,
			"model: fit: shape mismatch: labels of shape (2, 3) for outputs (None, 10) (sparse_categorical_crossentropy wants one integer label per output row)"},
		{"evaluate samples", "evaluate", func() error { _, _, err := compiled().Evaluate(x, tensor.Zeros(3)); return err }(), ErrShape,
			"model: evaluate: shape mismatch: x has 2 samples, y has 3"},
		{"train on batch", "train on batch", func() error { _, _, err := compiled().TrainOnBatch(nil, y); return err }(), ErrShape, ""},
		{"compile optimizer", "compile", seedModel().Compile(CompileOptions{Optimizer: "lion", Loss: "mse"}), ErrUnsupported, ""},
		{"compile loss", "compile", seedModel().Compile(CompileOptions{Optimizer: "sgd", Loss: "hinge"}), ErrUnsupported, ""},
		{"set weights count", "set weights", seedModel().SetWeights(nil), ErrMismatch,
			"model: set weights: weights do not fit the model: 0 values for a model with 10 weights"},
		{"set layer weights shape", "set layer weights", seedModel().SetLayerWeights("dense_1", []*tensor.Tensor{tensor.Zeros(kernel[0], 33), tensor.Zeros(32)}), ErrMismatch,
			`model: set layer weights: layer "dense_1": weight kernel: expected shape (784, 32), found (784, 33)`},
		{"set layer weights name", "set layer weights", seedModel().SetLayerWeights("nope", nil), ErrFormat, ""},
		{"build", "build", seedModel().Build(8, 8, 3), ErrShape,
			"model: build: shape mismatch: input shape (None, 8, 8, 3), the model expects (None, 32, 32, 3)"},
		{"add twice", "add", seedModel().Add(dense(2, dns{Name: "dense_1"})), ErrFormat, ""},
		{"add misfit", "add", func() error {
			m := NewSequential(Input(4), dense(3, dns{Name: "d"}))
			l := dense(2, dns{Name: "e"})
			if err := NewSequential(Input(5), l); err != nil {
				_ = err
			}
			return m.Add(l)
		}(), ErrShape, `model: add: layer "e" (Dense), input (None, 3): shape mismatch: the layer is built for input shape (None, 5)`},
		{"from JSON", "from JSON", fromJSON1(lstm), ErrUnsupported, `model: from JSON: 1 layer of classes kerasgo does not implement: "flatten" (ConvLSTM3D)`},
		{"from config", "from config", func() error { _, err := FromConfig([]byte("[1]")); return err }(), ErrFormat,
			"model: from config: invalid format: model config: want a JSON object, have a list"},
		{"input layer", "from JSON", fromJSON1(badInput), ErrFormat, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.err == nil {
				t.Fatal("no error")
			}
			msg := c.err.Error()
			t.Log(msg)
			if !errors.Is(c.err, c.cat) {
				t.Errorf("errors.Is(err, %v) is false: %q", c.cat, msg)
			}
			if c.want != "" && msg != c.want {
				t.Errorf("\n got %s\nwant %s", msg, c.want)
			}
			checkAPIMessage(t, c.op, msg)
		})
	}
}

// TestLayerErrorShapes: an error of the layers package seen through Predict names the layer
// once and spells shapes as Keras does.
func TestLayerErrorShapes(t *testing.T) {
	m := NewSequential(Input(4), dense(3, dns{Name: "d"}))
	// A layer asked to run on an input it was not built for.
	_, err := m.Layer("d").Forward(tensor.Zeros(2, 5), false)
	if err == nil {
		t.Fatal("Dense ran on a (2, 5) input built for (None, 4)")
	}
	if goShape.MatchString(err.Error()) {
		t.Errorf("layers error spells a shape as a Go slice: %q", err)
	}
	err = NewSequential(dense(3, dns{Name: "d"})).Build(4, 4, 3, 2)
	if err != nil {
		checkAPIMessage(t, "build", err.Error())
	}
	err = NewSequential(Input(8, 8)).Add(conv2d(2, 3, 3, conv{Name: "c"}))
	if err == nil {
		t.Fatal("Conv2D built on a rank-2 input")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), `layer "c" (Conv2D)`) || strings.Count(err.Error(), `"c"`) != 1 || !errors.Is(err, ErrShape) {
		t.Errorf("message does not name the layer once, or is not ErrShape: %q", err)
	}
	checkAPIMessage(t, "add", err.Error())
}

// rewriteCheckpoint writes a copy of the checkpoint at src as dst, with edit applied to
// each key's tensor (returning nil drops the key).
func rewriteCheckpoint(t *testing.T, src, dst string, edit func(key string, v *tensor.Tensor) *tensor.Tensor) {
	t.Helper()
	r, err := checkpoint.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := checkpoint.NewWriter(dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range r.Keys() {
		v, err := r.Read(k)
		if err != nil {
			t.Fatal(err)
		}
		if v = edit(k, v); v != nil {
			if err := w.Add(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointErrorCategories: through LoadWeights, a checkpoint whose object graph tensor
// is corrupt, or names a tensor its index lacks, is ErrFormat (not fs.ErrNotExist); a
// missing data shard or prefix is fs.ErrNotExist and none of the four categories.
func TestCheckpointErrorCategories(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good", "w")
	if err := seedModel().SaveWeights(good); err != nil {
		t.Fatal(err)
	}
	graph := filepath.Join(dir, "graph", "w")
	rewriteCheckpoint(t, good, graph, func(k string, v *tensor.Tensor) *tensor.Tensor {
		if k == checkpoint.ObjectGraphKey {
			s := v.Data.([][]byte)
			return &tensor.Tensor{DType: v.DType, Shape: v.Shape, Data: [][]byte{append([]byte("\x0a\xff\xff\xff\xff\x0f"), s[0][:len(s[0])/2]...)}}
		}
		return v
	})
	missingKey := filepath.Join(dir, "key", "w")
	dropped := "layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE"
	rewriteCheckpoint(t, good, missingKey, func(k string, v *tensor.Tensor) *tensor.Tensor {
		if k == dropped {
			return nil
		}
		return v
	})
	noShard := filepath.Join(dir, "shard", "w")
	rewriteCheckpoint(t, good, noShard, func(_ string, v *tensor.Tensor) *tensor.Tensor { return v })
	if err := os.Remove(noShard + ".data-00000-of-00001"); err != nil {
		t.Fatal(err)
	}

	// The corrupt graph is what objgraph rejects.
	r, err := checkpoint.Open(graph)
	if err != nil {
		t.Fatal(err)
	}
	gt, err := r.Read(checkpoint.ObjectGraphKey)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := objgraph.ParseTrackable(gt); !errors.Is(err, objgraph.ErrFormat) {
		t.Fatalf("objgraph accepts the corrupt graph: %v", err)
	}

	for _, c := range []struct {
		name, path string
		cat        error
		want       string
	}{
		{"corrupt object graph", graph, ErrFormat, checkpoint.ObjectGraphKey},
		{"key missing from the index", missingKey, ErrFormat, dropped},
		{"missing data shard", noShard, fs.ErrNotExist, "w.data-00000-of-00001"},
		{"missing prefix", filepath.Join(dir, "none", "w"), fs.ErrNotExist, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := seedModel().LoadWeights(c.path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Log(msg)
			if !errors.Is(err, c.cat) {
				t.Errorf("errors.Is(err, %v) is false", c.cat)
			}
			for _, other := range []error{ErrFormat, ErrUnsupported, ErrChecksum, ErrMismatch, fs.ErrNotExist} {
				if other != c.cat && errors.Is(err, other) {
					t.Errorf("error also matches %v", other)
				}
			}
			if !strings.HasPrefix(msg, "model: load weights "+c.path+": ") || strings.Count(msg, c.path) != 1 {
				t.Errorf("message does not name the operation and the path once: %q", msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("message does not name %q", c.want)
			}
			checkMessage(t, msg)
		})
	}
}

// TestSaveErrors makes saves fail: a path whose parent is a file, an .h5 path that is a
// directory holding a user file, a SavedModel directory with user files under assets/ or
// beside the model. Each message names the operation and the path once with one prefix,
// matches its category, and what was at the path survives unchanged.
func TestSaveErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	h5dir := filepath.Join(dir, "m.h5")
	if err := os.MkdirAll(h5dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h5dir, "keep.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	sm := filepath.Join(dir, "sm")
	if err := seedModel().Save(sm); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sm, "assets", "vocab.txt"), []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sm2 := filepath.Join(dir, "sm2")
	if err := seedModel().Save(sm2); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sm2, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	snapshot := func(root string) map[string]string {
		out := map[string]string{}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				out[p] = string(b)
			}
			return err
		})
		return out
	}
	type saveCase struct {
		name, op, path string
		save           func(string) error
		cat            error
		survives       string // a file or directory that must be unchanged
		needsHDF5      bool
	}
	m := seedModel()
	cases := []saveCase{
		{"h5 under a file", "save", filepath.Join(file, "m.h5"), m.Save, syscall.ENOTDIR, file, true},
		{"keras under a file", "save", filepath.Join(file, "m.keras"), m.Save, syscall.ENOTDIR, file, true},
		{"savedmodel under a file", "save", filepath.Join(file, "sm"), m.Save, syscall.ENOTDIR, file, false},
		{"checkpoint under a file", "save weights", filepath.Join(file, "w"), m.SaveWeights, syscall.ENOTDIR, file, false},
		{"weights.h5 under a file", "save weights", filepath.Join(file, "m.weights.h5"), m.SaveWeights, syscall.ENOTDIR, file, true},
		{"h5 over a directory", "save", h5dir, m.Save, fs.ErrExist, h5dir, true},
		{"savedmodel with assets", "save", sm, m.Save, ErrUnsupported, sm, false},
		{"savedmodel with user file", "save", sm2, m.Save, ErrUnsupported, sm2, false},
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		if err := os.MkdirAll(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		cases = append(cases,
			saveCase{"unwritable directory", "save", filepath.Join(ro, "m.keras"), m.Save, fs.ErrPermission, ro, true},
			saveCase{"unwritable checkpoint", "save weights", filepath.Join(ro, "w"), m.SaveWeights, fs.ErrPermission, ro, false})
	} else {
		t.Log("running as root: directory permissions do not stop a save, the unwritable-directory cases are left out")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.needsHDF5 && !haveCgo {
				t.Skip("no HDF5 in this build")
			}
			before := snapshot(c.survives)
			err := c.save(c.path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, "model: "+c.op+" "+c.path+": ") {
				t.Errorf("message does not start with %q", "model: "+c.op+" "+c.path)
			}
			if n := strings.Count(msg, c.path); n != 1 {
				t.Errorf("the path appears %d times", n)
			}
			checkMessage(t, msg)
			if c.cat != nil && !errors.Is(err, c.cat) {
				t.Errorf("errors.Is(err, %v) is false", c.cat)
			}
			if c.cat == ErrUnsupported && !errors.Is(err, savedmodel.ErrUnsupported) {
				t.Errorf("errors.Is(err, savedmodel.ErrUnsupported) is false")
			}
			after := snapshot(c.survives)
			if len(after) != len(before) {
				t.Errorf("%s: %d files before, %d after", c.survives, len(before), len(after))
			}
			for p, b := range before {
				if after[p] != b {
					t.Errorf("%s changed", p)
				}
			}
			// No temporary file is left beside the target.
			ents, _ := os.ReadDir(filepath.Dir(c.path))
			for _, e := range ents {
				if strings.Contains(e.Name(), ".tmp") {
					t.Errorf("temporary %s left in %s", e.Name(), filepath.Dir(c.path))
				}
			}
		})
	}
	// The SavedModel that was refused still loads.
	if _, err := Load(sm); err != nil {
		t.Errorf("the refused SavedModel no longer loads: %v", err)
	}
}
