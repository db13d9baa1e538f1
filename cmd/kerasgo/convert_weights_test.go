//go:build cgo

package main

import (
	"path/filepath"
	"strings"
	"testing"
)

const wonly = "../../testdata/wonly"

// TestConvertWeightsOnlyUnknownClasses: `kerasgo convert --weights-only` moves the weights
// of a Functional model with a nested model and layer classes kerasgo does not implement
// (Conv1D, LayerNormalization, GlobalAveragePooling1D, a custom class) from tf_keras's .h5 to
// a TF checkpoint and to Keras 3's .weights.h5, and from Keras 3's .keras to tf_keras's .h5;
// `kerasgo ls` and `kerasgo verify` read what it wrote. (internal/wconv compares such files
// with Keras's own; compat loads them in Keras.)
func TestConvertWeightsOnlyUnknownClasses(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(wonly, "unknown_functional")
	ck := filepath.Join(dir, "ckpt", "weights")
	for _, c := range []struct{ src, dst, says string }{
		{filepath.Join(src, "tfkeras", "model.h5"), ck, "(weights: TF checkpoint, 16 variables of 7 layers; layers list: the source's)"},
		{filepath.Join(src, "tfkeras", "model.h5"), filepath.Join(dir, "w.weights.h5"), "Keras 3 weights"},
		{filepath.Join(src, "keras3", "model.keras"), filepath.Join(dir, "w.h5"), "tf_keras HDF5 weights"},
	} {
		code, out, errs := runCLI(t, "convert", "--weights-only", c.src, c.dst)
		if code != 0 || !strings.Contains(out, c.says) {
			t.Fatalf("convert %s %s: exit %d, stdout %q, stderr %q", c.src, c.dst, code, out, errs)
		}
	}
	code, out, errs := runCLI(t, "ls", ck)
	if code != 0 || !strings.Contains(out, "layer_with_weights-4/layer_with_weights-1/offset/.ATTRIBUTES/VARIABLE_VALUE\tfloat32\t()") {
		t.Fatalf("ls: exit %d %s\n%s", code, errs, out)
	}
	// verify judges each file as it judges the one Keras wrote in that format (its loader
	// does not read nested models' checkpoint variables yet, whoever wrote them).
	for p, keras := range map[string]string{
		ck:                                 filepath.Join(src, "tfkeras", "ckpt", "weights"),
		filepath.Join(dir, "w.weights.h5"): filepath.Join(src, "keras3", "model.weights.h5"),
		filepath.Join(dir, "w.h5"):         filepath.Join(src, "tfkeras", "weights.h5"),
	} {
		code, out, errs := runCLI(t, "verify", p)
		kcode, kout, kerrs := runCLI(t, "verify", keras)
		if code != kcode || strings.HasPrefix(out, "ok: ") != strings.HasPrefix(kout, "ok: ") {
			t.Errorf("verify %s: exit %d %s %s; of Keras's file: exit %d %s %s", p, code, out, errs, kcode, kout, kerrs)
		}
		if code != 0 && !strings.Contains(errs, "not read by kerasgo's loader") {
			t.Errorf("verify %s: %s", p, errs)
		}
	}
}

// TestConvertWeightsOnlyConfigFlag: without the layers list a Keras 3 weights file lacks, the
// conversion fails in one line saying --config helps; with --config (JSON, or a model file
// holding one) it succeeds; --config without --weights-only is a usage error.
func TestConvertWeightsOnlyConfigFlag(t *testing.T) {
	dir := t.TempDir()
	c := filepath.Join(wonly, "unknown_sequential")
	src := filepath.Join(c, "keras3", "model.weights.h5")
	code, _, errs := runCLI(t, "convert", "--weights-only", src, filepath.Join(dir, "a.h5"))
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "kerasgo: convert weights: ") || !strings.Contains(errs, "--config") {
		t.Fatalf("without --config: exit %d, stderr %q", code, errs)
	}
	for i, cfg := range []string{filepath.Join(c, "config_keras3.json"), filepath.Join(c, "keras3", "model.keras"), filepath.Join(c, "tfkeras", "model.h5")} {
		dst := filepath.Join(dir, string(rune('b'+i))+".h5")
		code, out, errs := runCLI(t, "convert", "--weights-only", "--config", cfg, src, dst)
		if code != 0 || !strings.Contains(out, "layers list: --config") {
			t.Fatalf("--config %s: exit %d, stdout %q, stderr %q", cfg, code, out, errs)
		}
	}
	if code, _, _ := runCLI(t, "convert", "--config", filepath.Join(c, "config_keras3.json"), src, filepath.Join(dir, "z.h5")); code != 2 {
		t.Errorf("--config without --weights-only: exit %d, want 2", code)
	}
}
