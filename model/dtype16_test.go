package model

import (
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
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
