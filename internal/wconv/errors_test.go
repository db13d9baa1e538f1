//go:build cgo

package wconv

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConvertRefusals: what cannot be derived fails with ErrUnsupported naming the layer
// and what is missing, and a config that does not describe the file fails with
// ErrMismatch, before anything is written.
func TestConvertRefusals(t *testing.T) {
	fn := filepath.Join("..", "..", "testdata", "functional")
	wo := filepath.Join("..", "..", "testdata", "wonly")
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		src    string
		kind   Source
		config string
		dst    string
		want   error
		says   []string
	}{
		{"Keras 3 variables of a class kerasgo does not implement to checkpoint keys",
			filepath.Join(wo, "unknown_nested_first", "keras3", "model.keras"), SourceHDF5, "", "ck/w", ErrUnsupported,
			[]string{`layer "inner/s" (ScaleShift)`, `does not implement class "ScaleShift"`}},
		{"a nested model's HDF5 order when a custom class's variables may be non-trainable",
			filepath.Join(wo, "unknown_nested_first", "keras3", "model.keras"), SourceHDF5, "", "w.h5", ErrUnsupported,
			[]string{`nested model "inner"`, `which variables of layer "inner/s" (ScaleShift) are trainable`, `class "ScaleShift" creates trainable`}},
		{"an RNN cell's attribute from HDF5 names without the class",
			filepath.Join(wo, "lstm", "tfkeras", "weights.h5"), SourceHDF5, "", "ck/w", ErrUnsupported,
			[]string{`layer "lstm"`, `"lstm/lstm_cell/kernel:0"`, "sub-object", "--config"}},
		{"Keras 3 keys without classes",
			filepath.Join(fn, "two_branch_residual", "tfkeras", "weights.h5"), SourceHDF5, "", "w.weights.h5", ErrUnsupported,
			[]string{"class name", "--config"}},
		{"tf_keras order from a Keras 3 weights file",
			filepath.Join(fn, "two_branch_residual", "keras3", "model.weights.h5"), SourceHDF5, "", "w.h5", ErrUnsupported,
			[]string{"order", "--config"}},
		{"a nested model's group without its layers, to a checkpoint",
			filepath.Join(fn, "frozen_backbone", "tfkeras", "weights.h5"), SourceHDF5, "", "ck/w", ErrUnsupported,
			[]string{`layer "backbone"`, "nested model", "--config"}},
		{"a nested model's name from a checkpoint",
			filepath.Join(fn, "frozen_backbone", "tfkeras", "ckpt", "weights"), SourceCheckpoint, "", "w.h5", ErrUnsupported,
			[]string{"layer-0", "name", "--config"}},
		{"a .keras target", filepath.Join(fn, "shared_layer", "tfkeras", "model.h5"), SourceHDF5, "", "m.keras", ErrUnsupported,
			[]string{".keras", "architecture"}},
		{"a directory target", filepath.Join(fn, "shared_layer", "tfkeras", "model.h5"), SourceHDF5, "", ".", ErrUnsupported,
			[]string{"directory"}},
		{"the config of another model, HDF5", filepath.Join(fn, "two_branch_residual", "tfkeras", "weights.h5"), SourceHDF5,
			filepath.Join(fn, "shared_layer", "config_keras3.json"), "w.weights.h5", ErrMismatch, []string{`"conv_a"`, "not in the config"}},
		{"the config of another model, Keras 3", filepath.Join(fn, "shared_layer", "keras3", "model.weights.h5"), SourceHDF5,
			filepath.Join(fn, "two_in_two_out", "config_keras3.json"), "w.h5", ErrMismatch, []string{"layers/input_layer", `"left"`, `"img"`}},
		{"the config of another model, checkpoint", filepath.Join(fn, "shared_layer", "tfkeras", "ckpt", "weights"), SourceCheckpoint,
			filepath.Join(fn, "two_branch_residual", "config_keras2_to_json.json"), "w.h5", ErrMismatch, []string{"layers"}},
		{"a config that is no model config", filepath.Join(fn, "shared_layer", "tfkeras", "weights.h5"), SourceHDF5,
			filepath.Join(fn, "shared_layer", "x0.npy"), "w.h5", ErrFormat, []string{"--config", "model config"}},
	} {
		var o Options
		if c.config != "" {
			o.Config = readFile(t, c.config)
		}
		dst := c.dst
		if dst != "." {
			dst = filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"), c.dst)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
		} else {
			dst = dir
		}
		_, err := Convert(c.src, c.kind, dst, o)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error does not say %q: %v", c.name, s, err)
			}
		}
		if c.dst != "." {
			if _, serr := os.Stat(dst); serr == nil {
				t.Errorf("%s: %s written despite the error", c.name, dst)
			}
			if _, serr := os.Stat(dst + ".index"); serr == nil {
				t.Errorf("%s: %s.index written despite the error", c.name, dst)
			}
		}
	}
}

// TestConvertConfigOverridesDialect: a tf_keras file converts to Keras 3 with either
// library's config, and a Keras 3 file to tf_keras's HDF5 with either: only the layers list
// of a config is read.
func TestConvertConfigEitherDialect(t *testing.T) {
	fn := filepath.Join("..", "..", "testdata", "functional", "sequential_in_functional")
	dir := t.TempDir()
	for i, cfg := range []string{"config_keras2.json", "config_keras2_to_json.json", "config_keras3.json"} {
		o := Options{Config: readFile(t, filepath.Join(fn, cfg))}
		rep, err := Convert(filepath.Join(fn, "tfkeras", "weights.h5"), SourceHDF5, filepath.Join(dir, cfg+".weights.h5"), o)
		if err != nil {
			t.Fatalf("%s: %v", cfg, err)
		}
		if rep.Config != "--config" || rep.Layers != 5 || rep.Variables != 12 || rep.Target != targetKeras3 {
			t.Errorf("%s: report %+v", cfg, rep)
		}
		compareKeras3(t, cfg, filepath.Join(fn, "keras3", "model.weights.h5"), filepath.Join(dir, cfg+".weights.h5"))
		dst := filepath.Join(dir, cfg+"_"+string(rune('a'+i))+".h5")
		if _, err := Convert(filepath.Join(fn, "keras3", "model.weights.h5"), SourceHDF5, dst, o); err != nil {
			t.Fatalf("%s: %v", cfg, err)
		}
		compareLegacy(t, cfg, filepath.Join(fn, "tfkeras", "weights.h5"), dst, true)
	}
}
