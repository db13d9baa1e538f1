package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// firstDiff describes where two bundles first differ: the byte offset and, for the data
// file, the tensor key holding it.
func firstDiff(t *testing.T, wantPrefix, gotPrefix, suffix string) string {
	a, err := os.ReadFile(wantPrefix + suffix)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(gotPrefix + suffix)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		return ""
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	where := ""
	if strings.Contains(suffix, ".data-") {
		if r, err := Open(wantPrefix); err == nil {
			for _, e := range r.Entries() {
				if int64(i) >= e.Offset && int64(i) < e.Offset+e.Size {
					where = fmt.Sprintf(" in tensor %q", e.Key)
				}
			}
			r.Close()
		}
	}
	return fmt.Sprintf("%s: %d vs %d bytes, first difference at offset %d%s", suffix, len(a), len(b), i, where)
}

// TestKerasByteIdentity writes, from the generator's expectations (weights.json and
// optimizer.json, not from the checkpoint), the weights checkpoint of each variant and
// compares it byte for byte with the one tf_keras' model.save_weights wrote.
func TestKerasByteIdentity(t *testing.T) {
	root := formatsDir(t)
	variants, _ := filepath.Glob(filepath.Join(root, "*", "tfkeras", "ckpt", "checkpoint"))
	if len(variants) == 0 {
		t.Fatalf("no tfkeras/ckpt fixtures under %s (committed; run the generator)", root)
	}
	for _, sf := range variants {
		ckptDir := filepath.Dir(sf)
		vdir := filepath.Dir(filepath.Dir(ckptDir))
		t.Run(filepath.Base(vdir), func(t *testing.T) {
			want, err := Latest(ckptDir)
			if err != nil {
				t.Fatal(err)
			}
			m := loadState(t, vdir)
			// The object graph records which Keras functions the model ran (fit, predict,
			// ...) in that order: take it from tf_keras' file.
			r, err := Open(want)
			if err != nil {
				t.Fatal(err)
			}
			fns, err := r.KerasFunctions()
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			outDir := t.TempDir()
			got := filepath.Join(outDir, filepath.Base(want))
			if err := (KerasOptions{Functions: fns}).Save(got, m); err != nil {
				t.Fatal(err)
			}
			for _, suf := range []string{".index", ".data-00000-of-00001"} {
				if d := firstDiff(t, want, got, suf); d != "" {
					t.Errorf("Go's checkpoint differs from tf_keras': %s", d)
				}
			}
			a, _ := os.ReadFile(sf)
			b, _ := os.ReadFile(filepath.Join(outDir, StateFile))
			if !bytes.Equal(a, b) {
				t.Errorf("state file:\n%s\nwant (tf_keras):\n%s", b, a)
			}
		})
	}
}

// TestKerasLoadFixtures loads tf_keras' save_weights checkpoints and the tf.train.Checkpoint
// ones and compares weights, names and optimizer state with the generator's expectations.
func TestKerasLoadFixtures(t *testing.T) {
	root := formatsDir(t)
	vdirs, _ := filepath.Glob(filepath.Join(root, "*"))
	n := 0
	for _, vdir := range vdirs {
		if _, err := os.Stat(filepath.Join(vdir, "weights.json")); err != nil {
			continue
		}
		want := loadState(t, vdir)
		var prefixes []string
		if p, err := Latest(filepath.Join(vdir, "tfkeras", "ckpt")); err == nil {
			prefixes = append(prefixes, p)
		}
		if p, err := Latest(filepath.Join(vdir, "tfcheckpoint", "plain")); err == nil {
			prefixes = append(prefixes, p)
		}
		if p, err := Latest(filepath.Join(vdir, "tfcheckpoint", "managed")); err == nil {
			prefixes = append(prefixes, p)
		}
		for _, p := range prefixes {
			got, err := LoadKerasWeights(p)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			compareModels(t, p, got, want, true)
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no checkpoint fixtures loaded from %s", root)
	}
	t.Logf("%d fixture checkpoints loaded and compared", n)
}

// TestKerasRoundTripTrainCases saves and reloads the optimizer states of testdata/train
// (Adam, AMSGrad, SGD, RMSprop, centered RMSprop, ...).
func TestKerasRoundTripTrainCases(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(repoRoot(), "testdata", "train", "*", "state"))
	if len(dirs) == 0 {
		t.Fatal("no testdata/train fixtures (committed; run the generator)")
	}
	for _, d := range dirs {
		name := filepath.Base(filepath.Dir(d))
		t.Run(name, func(t *testing.T) {
			m := loadState(t, d)
			prefix := filepath.Join(t.TempDir(), "w")
			if err := SaveKerasWeights(prefix, m); err != nil {
				t.Fatal(err)
			}
			got, err := LoadKerasWeights(prefix)
			if err != nil {
				t.Fatal(err)
			}
			compareModels(t, name, got, m, true)
		})
	}
}

// TestKerasModelsRoundTrip saves every testdata/models variant without optimizer.
func TestKerasModelsRoundTrip(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(repoRoot(), "testdata", "models", "*"))
	if len(dirs) == 0 {
		t.Fatal("no testdata/models fixtures (committed; run the generator)")
	}
	for _, d := range dirs {
		m := loadWeightsJSON(t, d)
		prefix := filepath.Join(t.TempDir(), "w")
		if err := SaveKerasWeights(prefix, m); err != nil {
			t.Fatal(err)
		}
		got, err := LoadKerasWeights(prefix)
		if err != nil {
			t.Fatal(err)
		}
		compareModels(t, d, got, m, true)
		if got.Optimizer != nil {
			t.Errorf("%s: optimizer appeared", d)
		}
	}
}

func TestKerasGraphShape(t *testing.T) {
	m := &saved.Model{Layers: []saved.Layer{{Name: "flatten", Class: "Flatten"}}}
	prefix := filepath.Join(t.TempDir(), "w")
	if err := SaveKerasWeights(prefix, m); err != nil {
		t.Fatal(err)
	}
	r, err := Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if keys := r.Keys(); len(keys) != 1 || keys[0] != ObjectGraphKey {
		t.Errorf("keys %v, want only the object graph", keys)
	}
}

func TestKerasDuplicateNames(t *testing.T) {
	w := saved.Variable{Name: "kernel", Trainable: true, Value: tensor.MustFromFloat32([]int{1}, []float32{1})}
	m := &saved.Model{Layers: []saved.Layer{{Name: "d", Class: "Dense", Weights: []saved.Variable{w}},
		{Name: "d", Class: "Dense", Weights: []saved.Variable{w}}}}
	if err := SaveKerasWeights(filepath.Join(t.TempDir(), "w"), m); err == nil {
		t.Error("two layers with the same name and weight saved without error")
	}
}

// TestObjectGraphWrongDType: a bundle whose _CHECKPOINTABLE_OBJECT_GRAPH is a float32 tensor
// is reported as ErrFormat naming the key and the file, by LoadKerasWeights and by Verify.
func TestObjectGraphWrongDType(t *testing.T) {
	for name, g := range map[string]*tensor.Tensor{
		"float32": tensor.MustFromFloat32([]int{2}, []float32{1, 2}),
		"garbage": {DType: tensor.String, Shape: []int{}, Data: [][]byte{{0xff, 0xff, 0xff}}},
		"two":     {DType: tensor.String, Shape: []int{2}, Data: [][]byte{nil, nil}},
	} {
		t.Run(name, func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "bad")
			w, err := NewWriter(prefix)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Add(ObjectGraphKey, g); err != nil {
				t.Fatal(err)
			}
			if err := w.Add("x", tensor.MustFromFloat32([]int{1}, []float32{3})); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			check := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("%s: error %v, want ErrFormat", what, err)
				}
				if msg := err.Error(); !strings.Contains(msg, ObjectGraphKey) || !strings.Contains(msg, "bad.index") {
					t.Errorf("%s: error %q does not name the key and the file", what, msg)
				}
			}
			_, err = LoadKerasWeights(prefix)
			check("LoadKerasWeights", err)
			_, err = Verify(prefix)
			check("Verify", err)
		})
	}
}
