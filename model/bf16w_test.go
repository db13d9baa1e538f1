//go:build cgo

package model

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestBFloat16Weights loads the MLP Keras 3 built with dtype="bfloat16" layers (bfloat16
// variables and compute, Adam slots in bfloat16 after two fitted steps; testdata/bf16w, which
// tf_keras 2.21 cannot write: it cannot reload its own bfloat16 file) from model.keras and
// from model.weights.h5 into Keras's config: every variable equal to Keras's (a bfloat16 value
// is exact in float32), the optimizer's iterations and slots, predictions within bf16Tol of
// Keras's (and not those of the float32 computation), the policies, Keras 3's summary (2 bytes
// per bfloat16 parameter). Written back as .keras and .weights.h5, the variables and slots are
// bfloat16 in the file and read back to the same predictions; compat.TestBFloat16WeightsInKeras
// has Keras 3 load them.
func TestBFloat16Weights(t *testing.T) {
	dir := "../testdata/bf16w/bfloat16_mlp"
	x := readNpy(t, filepath.Join(dir, "x0.npy"))
	want := readNpy(t, filepath.Join(dir, "y0_keras3.npy"))
	ws := readFixtureWeights(t, dir)
	for _, f := range []struct{ file, config string }{{"keras3/model.keras", ""}, {"keras3/model.weights.h5", "config_keras3.json"}} {
		t.Run(f.file, func(t *testing.T) {
			m := appsLoad(t, dir, f.file, f.config)
			for _, fl := range ws {
				l := m.Layer(fl.Name)
				if l == nil {
					t.Fatalf("no layer %s", fl.Name)
				}
				got := l.Weights()
				if len(got) != len(fl.values) {
					t.Fatalf("layer %s: %d weights, Keras %d", fl.Name, len(got), len(fl.values))
				}
				for j, w := range fl.values {
					if d := maxAbsDiff(t, got[j].Value, w); d != 0 {
						t.Errorf("layer %s weight %d differs from Keras's by %g", fl.Name, j, d)
					}
				}
				wantP := layers.PolicyBFloat16
				if fl.Name == "vec" || fl.Name == "probs" {
					wantP = layers.PolicyFloat32
				}
				if p := layers.PolicyOf(l); p != wantP {
					t.Errorf("layer %s: policy %s, want %s", fl.Name, p, wantP)
				}
			}
			y, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(t, y, want); d > bf16Tol {
				t.Errorf("predictions differ from Keras's by %g > %g", d, bf16Tol)
			} else {
				t.Logf("max |diff| %.3g (allowed %.3g)", d, bf16Tol)
			}
			if maxAbsDiff(t, predictFloat32(t, dir, f.file, f.config, x), y) == 0 {
				t.Errorf("predictions equal those of the float32 computation: bfloat16 not applied")
			}
			if f.config != "" {
				return
			}
			if m.Iterations() != 2 {
				t.Errorf("iterations %d, want 2", m.Iterations())
			}
			_, so, err := m.trainingToSaved(saved.Keras3)
			if err != nil || so == nil {
				t.Fatalf("optimizer state: %v", err)
			}
			if len(so.Slots) != 12 { // momentum and velocity of d1's, bn's and d2's 6 trainable variables
				t.Errorf("%d slots, want 12", len(so.Slots))
			}
			for _, sl := range so.Slots {
				k := sl.Layer + "/" + sl.Weight + "/" + sl.Name
				if sl.Value.DType != tensor.BFloat16 {
					t.Errorf("slot %s is %v, want bfloat16 as Keras keeps it", k, sl.Value.DType)
					continue
				}
				nonzero := false
				for _, u := range sl.Value.Data.([]uint16) {
					nonzero = nonzero || u&0x7fff != 0
				}
				if !nonzero {
					t.Errorf("slot %s is all zero after two steps", k)
				}
			}
			assertTextEqual(t, "Keras 3 summary", m.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3.txt"))))
			out := t.TempDir()
			for _, g := range []string{"m.keras", "m.weights.h5"} {
				path := filepath.Join(out, g)
				var back *Model
				if g == "m.keras" {
					if err := m.Save(path); err != nil {
						t.Fatal(err)
					}
					if back, err = Load(path); err != nil {
						t.Fatal(err)
					}
				} else {
					if err := m.SaveWeights(path); err != nil {
						t.Fatal(err)
					}
					n16, n32 := 0, 0
					vs, err := h5.List(path)
					if err != nil {
						t.Fatal(err)
					}
					for _, v := range vs {
						switch v.DType {
						case tensor.BFloat16:
							n16++
						case tensor.Float32:
							n32++
						}
					}
					// d1 (2), bn (4), d2 (2) and 12 slots in bfloat16; Adam's learning rate float32
					if n16 != 20 || n32 != 1 {
						t.Errorf("%s: %d bfloat16 and %d float32 variables, want 20 and 1", g, n16, n32)
					}
					back = appsLoad(t, dir, "keras3/model.keras", "")
					if err := back.LoadWeights(path); err != nil {
						t.Fatal(err)
					}
				}
				yb, err := back.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(t, yb, y); d != 0 {
					t.Errorf("%s: predictions differ by %g after the round trip", g, d)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "m.keras")); err != nil {
				t.Fatal(err)
			}
		})
	}
}
