//go:build cgo

package model

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// The fixtures in testdata/nonedims/<case> (testdata/gen/nonedims.py) are models whose inputs
// have None in dimensions besides the batch, written by real tf_keras 2.21 and Keras 3.15 with
// both libraries' predictions on inputs of two sizes.

type noneDimsCase struct {
	Name  string
	Sizes map[string]struct {
		Shape   []int  `json:"shape"`
		X       string `json:"x"`
		YTF     string `json:"y_tf_keras"`
		YKeras3 string `json:"y_keras3"`
		YShape  []int  `json:"y_shape"`
	} `json:"sizes"`
}

func noneDimsCases(t *testing.T) []noneDimsCase {
	t.Helper()
	var man struct {
		Cases map[string]noneDimsCase `json:"cases"`
	}
	if err := json.Unmarshal(readFile(t, "../testdata/nonedims/manifest.json"), &man); err != nil {
		t.Fatal(err)
	}
	var out []noneDimsCase
	for _, k := range sortedKeys(anyMap(man.Cases)) {
		c := man.Cases[k]
		c.Name = k
		out = append(out, c)
	}
	if len(out) < 4 {
		t.Fatalf("%d cases", len(out))
	}
	return out
}

// TestNoneDimsPredict loads each case from tf_keras's model.h5 and Keras 3's model.keras and
// predicts on inputs of both sizes (in both orders, so that each size runs on the model built
// for the other's first): within 1e-5 of that library's predictions. The summaries print
// None where Keras does, equal to Keras's text; DeclaredInputShapes has -1 for None.
func TestNoneDimsPredict(t *testing.T) {
	for _, c := range noneDimsCases(t) {
		dir := filepath.Join("..", "testdata", "nonedims", c.Name)
		for _, f := range []string{"tfkeras/model.h5", "keras3/model.keras"} {
			t.Run(c.Name+"/"+f, func(t *testing.T) {
				m, err := Load(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if d := m.DeclaredInputShapes(); len(d) != 1 || !slices.Contains(d[0], -1) || !slices.Equal(m.InputShape(), d[0]) {
					t.Errorf("declared input shapes %v, InputShape %v, want -1 for None", d, m.InputShape())
				}
				for _, z := range c.Sizes { // the output's dims that follow the input's are -1
					out := m.OutputShape()
					if len(out) != len(z.YShape) {
						t.Errorf("OutputShape %v for outputs %v", out, z.YShape)
					}
					for i := range out {
						if out[i] >= 0 && out[i] != z.YShape[i] {
							t.Errorf("OutputShape %v for outputs %v", out, z.YShape)
						}
					}
				}
				keras3 := strings.HasPrefix(f, "keras3")
				if keras3 {
					assertTextEqual(t, "Keras 3 summary", m.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3.txt"))))
				} else {
					assertTextEqual(t, "tf_keras summary", m.Summary(), string(readFile(t, filepath.Join(dir, "summary_keras2.txt"))))
				}
				sizes := sortedKeys(anyMap(c.Sizes))
				for _, order := range [][]string{sizes, {sizes[1], sizes[0], sizes[1]}} {
					for _, s := range order {
						z := c.Sizes[s]
						want := z.YTF
						if keras3 {
							want = z.YKeras3
						}
						y, err := m.Predict(readNpy(t, filepath.Join(dir, z.X)))
						if err != nil {
							t.Fatalf("%s: %v", s, err)
						}
						if !slices.Equal(y.Shape[1:], z.YShape) {
							t.Fatalf("%s: output shape %v, want %v", s, y.Shape, z.YShape)
						}
						if d := maxAbsDiff(t, y, readNpy(t, filepath.Join(dir, want))); d > 1e-5 {
							t.Errorf("%s: max abs diff %g from %s", s, d, want)
						}
					}
				}
			})
		}
	}
}

// TestNoneDimsSave: an input whose known dimensions are not the model's is a shape error
// naming the declared shape; the model saves as .h5, .keras and weights and loads back with
// the same predictions on both sizes; a SavedModel is refused as unsupported (its graph would
// need fixed shapes).
func TestNoneDimsSave(t *testing.T) {
	for _, c := range noneDimsCases(t) {
		dir := filepath.Join("..", "testdata", "nonedims", c.Name)
		t.Run(c.Name, func(t *testing.T) {
			m, err := Load(filepath.Join(dir, "tfkeras", "model.h5"))
			if err != nil {
				t.Fatal(err)
			}
			decl := m.DeclaredInputShapes()[0]
			bad := append([]int{1}, decl...)
			for i := range bad {
				if bad[i] < 0 {
					bad[i] = 7
				}
			}
			bad[len(bad)-1]++
			x := tensor.MustFromFloat32(bad, make([]float32, rowLen(bad)))
			if _, err := m.Predict(x); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), shapeString(-1, decl)) {
				t.Errorf("input %v: %v, want a shape error naming %s", bad, err, shapeString(-1, decl))
			}
			out := t.TempDir()
			if err := m.Save(filepath.Join(out, "sm")); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "unknown size (None)") {
				t.Errorf("save SavedModel: %v, want ErrUnsupported naming the None dimensions", err)
			}
			for _, f := range []string{"m.h5", "m.keras", "w.weights.h5"} {
				p := filepath.Join(out, f)
				var back *Model
				if f == "w.weights.h5" {
					if err = m.SaveWeights(p); err == nil {
						if back, err = Load(filepath.Join(dir, "keras3", "model.keras")); err == nil {
							for _, bw := range back.Weights() {
								clear(bw.Value.Float32s())
							}
							err = back.LoadWeights(p)
						}
					}
				} else if err = m.Save(p); err == nil {
					back, err = Load(p)
				}
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if got, want := back.Summary(), m.Summary(); got != want {
					t.Errorf("%s: summary\n%s\nwant\n%s", f, got, want)
				}
				for s, z := range c.Sizes {
					x := readNpy(t, filepath.Join(dir, z.X))
					y1, err := m.Predict(x)
					if err != nil {
						t.Fatal(err)
					}
					y2, err := back.Predict(x)
					if err != nil {
						t.Fatalf("%s %s: %v", f, s, err)
					}
					if d := maxAbsDiff(t, y1, y2); d != 0 {
						t.Errorf("%s %s: predictions differ by %g", f, s, d)
					}
				}
			}
		})
	}
}

// TestNoneDimsConfig reads each case's configs (tf_keras's .h5 model_config and to_json,
// Keras 3's to_json) and writes them back in both dialects equal to Keras's, None dimensions
// included.
func TestNoneDimsConfig(t *testing.T) {
	for _, c := range noneDimsCases(t) {
		dir := filepath.Join("..", "testdata", "nonedims", c.Name)
		t.Run(c.Name, func(t *testing.T) {
			for _, src := range []string{"config_keras2.json", "config_keras2_to_json.json", "config_keras3.json"} {
				m, err := FromConfig(readFile(t, filepath.Join(dir, src)))
				if err != nil {
					t.Fatalf("%s: %v", src, err)
				}
				for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
					want := "config_keras2_to_json.json"
					if d == saved.Keras3 {
						want = "config_keras3.json"
					}
					got, err := m.Config(d)
					if err != nil {
						t.Fatal(err)
					}
					assertJSONEqual(t, src+" -> "+want, got, readFile(t, filepath.Join(dir, want)))
				}
				h5, err := m.h5Config(saved.Keras2)
				if err != nil {
					t.Fatal(err)
				}
				assertJSONEqual(t, src+" -> config_keras2.json", h5, readFile(t, filepath.Join(dir, "config_keras2.json")))
			}
		})
	}
}

// TestNoneDimsTrainRefused: Fit and Evaluate refuse a model with None input dimensions as
// unsupported, naming its input shape (not the probe size it is built for).
func TestNoneDimsTrainRefused(t *testing.T) {
	dir := filepath.Join("..", "testdata", "nonedims", "lstm_seq")
	m, err := Load(filepath.Join(dir, "tfkeras", "model.h5"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(CompileOptions{Optimizer: "adam", Loss: "mse"}); err != nil {
		t.Fatal(err)
	}
	x := readNpy(t, filepath.Join(dir, "x_t5.npy"))
	y := readNpy(t, filepath.Join(dir, "y_t5.npy"))
	if _, err := m.Fit(x, y, FitOptions{Epochs: 1}); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "(None, None, 8)") {
		t.Errorf("fit: %v", err)
	}
	if _, _, err := m.Evaluate(x, y); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "(None, None, 8)") {
		t.Errorf("evaluate: %v", err)
	}
}
