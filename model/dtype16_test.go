//go:build cgo

package model

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// bf16Tol bounds |kerasgo - Keras| per element of the mixed_bfloat16 CNN's softmax output (in
// [0, 1]): Keras computes every layer in bfloat16 (8 significant bits, unit roundoff 2^-8)
// and rounds after each op, kerasgo rounds each layer's inputs, weights and outputs to
// bfloat16 and computes in float32 (layers.Forward), so single roundings inside a layer (a
// Conv2D's sums) may differ by a bfloat16 unit; the softmax then differs by at most a few
// units of 2^-8 times its output.
const bf16Tol = 0x1p-7

// TestMixedBFloat16 loads the CNN tf_keras and Keras 3 saved under the mixed_bfloat16 policy
// (testdata/dtype16): predictions within bf16Tol of Keras's, and not those of the float32
// computation; every layer's policy as Keras set it; summaries and the layers' dtype configs
// as Keras writes them; saved in every format and read back with the same predictions.
func TestMixedBFloat16(t *testing.T) {
	dir := "../testdata/dtype16/mixed_bfloat16_cnn"
	x := readNpy(t, filepath.Join(dir, "x0.npy"))
	for _, f := range []struct{ file, want string }{{"tfkeras/model.h5", "y0.npy"}, {"keras3/model.keras", "y0_keras3.npy"}} {
		t.Run(f.file, func(t *testing.T) {
			m := appsLoad(t, dir, f.file, "")
			y, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(t, y, readNpy(t, filepath.Join(dir, f.want))); d > bf16Tol {
				t.Errorf("predictions differ from Keras's by %g > %g", d, bf16Tol)
			} else {
				t.Logf("max |diff| %.3g", d)
			}
			if maxAbsDiff(t, predictFloat32(t, dir, f.file, "", x), y) == 0 {
				t.Errorf("predictions equal those of the float32 computation: mixed_bfloat16 not applied")
			}
			for _, l := range m.Layers() {
				want := layers.PolicyMixedBFloat16
				if l.Name() == "image" || l.Name() == "probs" {
					want = layers.PolicyFloat32
				}
				if p := layers.PolicyOf(l); p != want {
					t.Errorf("layer %s: policy %s, want %s", l.Name(), p, want)
				}
			}
			for _, d := range []struct {
				dialect saved.Dialect
				file    string
			}{{saved.Keras2, "config_keras2.json"}, {saved.Keras3, "config_keras3.json"}} {
				got, err := m.Config(d.dialect)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := layerDTypes(t, got), layerDTypes(t, readFile(t, filepath.Join(dir, d.file))); g != w {
					t.Errorf("%s: layer dtypes\n got %s\nwant %s", d.file, g, w)
				}
			}
		})
	}
	m := appsLoad(t, dir, "tfkeras/model.h5", "")
	assertTextEqual(t, "tf_keras summary", m.Summary(), string(readFile(t, filepath.Join(dir, "summary_keras2.txt"))))
	m3 := appsLoad(t, dir, "keras3/model.keras", "")
	assertTextEqual(t, "Keras 3 summary", m3.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3.txt"))))
	appsRoundTrip(t, dir, 0)
}

// TestFloat16Weights loads the MLP whose Dense layers tf_keras and Keras 3 built with
// dtype="float16" (float16 variables and compute; testdata/dtype16/float16_mlp) from every
// file of both libraries (whole models; weights files into Keras's config): predictions within
// mixedTol of Keras's, summaries (float16 parameters counted as 2 bytes) and the layers' dtype
// configs as Keras writes them. Written back in every format (a SavedModel too: its graph
// reads float16 variables, compat/dtype16_savedmodel_test.go runs it in TF), the variables are
// float16 in the files (h5.List, checkpoint and SavedModel variables entries) and read back to
// the same predictions.
func TestFloat16Weights(t *testing.T) {
	dir := "../testdata/dtype16/float16_mlp"
	x := readNpy(t, filepath.Join(dir, "x0.npy"))
	for _, f := range mobileFiles {
		t.Run(f.file, func(t *testing.T) {
			m := appsLoad(t, dir, f.file, f.config)
			y, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(t, y, readNpy(t, filepath.Join(dir, f.want))); d > mixedTol {
				t.Errorf("predictions differ from Keras's by %g > %g", d, mixedTol)
			} else {
				t.Logf("max |diff| %.3g", d)
			}
			for _, l := range m.Layers() {
				want := layers.PolicyFloat16
				if l.Name() == "vec" || l.Name() == "probs" {
					want = layers.PolicyFloat32
				}
				if p := layers.PolicyOf(l); p != want {
					t.Errorf("layer %s: policy %s, want %s", l.Name(), p, want)
				}
			}
		})
	}
	m := appsLoad(t, dir, "tfkeras/model.h5", "")
	assertTextEqual(t, "tf_keras summary", m.Summary(), string(readFile(t, filepath.Join(dir, "summary_keras2.txt"))))
	m3 := appsLoad(t, dir, "keras3/model.keras", "")
	assertTextEqual(t, "Keras 3 summary", m3.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3.txt"))))
	for _, d := range []struct {
		dialect saved.Dialect
		file    string
	}{{saved.Keras2, "config_keras2.json"}, {saved.Keras3, "config_keras3.json"}} {
		got, err := m3.Config(d.dialect)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := layerDTypes(t, got), layerDTypes(t, readFile(t, filepath.Join(dir, d.file))); g != w {
			t.Errorf("%s: layer dtypes\n got %s\nwant %s", d.file, g, w)
		}
	}
	want, err := m3.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := m3.Config(saved.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, f := range []string{"m.h5", "m.keras", "m.weights.h5", "w.h5", "ckpt/w", "sm"} {
		path := filepath.Join(out, f)
		weightsOnly := f == "m.weights.h5" || f == "ckpt/w" || f == "w.h5"
		if weightsOnly {
			err = m3.SaveWeights(path)
		} else {
			err = m3.Save(path)
		}
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var n16, n32 int
		count := func(dt tensor.DType) {
			switch dt {
			case tensor.Float16:
				n16++
			case tensor.Float32:
				n32++
			}
		}
		if f == "ckpt/w" || f == "sm" {
			if f == "sm" {
				path = filepath.Join(path, "variables", "variables")
			}
			r, err := checkpoint.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range r.Entries() {
				if strings.Contains(e.Key, "layer_with_weights") {
					count(e.DType)
				}
			}
			r.Close()
		} else if f != "m.keras" {
			vs, err := h5.List(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				if strings.Contains(v.Path, "d1") || strings.Contains(v.Path, "d2") || strings.Contains(v.Path, "dense") {
					count(v.DType)
				}
			}
		}
		if f != "m.keras" && (n16 < 4 || n32 != 0) {
			t.Errorf("%s: %d float16 and %d float32 variables of d1 and d2 (and their optimizer slots), want all float16", f, n16, n32)
		} else {
			t.Logf("%s: %d float16 variables", f, n16)
		}
		if f == "sm" {
			path = filepath.Join(out, f)
		}
		var back *Model
		if weightsOnly {
			if back, err = FromJSON(cfg); err == nil {
				err = back.LoadWeights(path)
			}
		} else {
			back, err = Load(path)
		}
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, err := back.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(t, got, want); d != 0 {
			t.Errorf("%s: predictions differ by %g after the round trip", f, d)
		}
	}
}
