//go:build cgo

package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/savedmodel"
	"github.com/kerasgo/kerasgo/tensor"
)

// The fixtures in testdata/functional/<case> were written by real tf_keras 2.21 and Keras
// 3.15 (testdata/gen/functional.py): Functional models with several inputs and outputs,
// shared layers and nested models, each in every format with both libraries' predictions.

// TestFunctionalFixturesPredict loads every file of every model case and per-layer case
// that Keras wrote and compares the predictions with Keras's, every output.
func TestFunctionalFixturesPredict(t *testing.T) {
	for _, c := range functionalCases(t) {
		dir := c.Dir
		files := map[string]string{}
		if c.Supported.TFKeras {
			files["tfkeras/model.h5"] = "tf"
		}
		if c.Supported.Keras3 {
			files["keras3/model.keras"] = "k3"
		}
		if c.Kind == "model" {
			for _, f := range []string{"keras3/legacy.h5"} {
				files[f] = "k3"
			}
			// tf_keras's SavedModel: the config from keras_metadata.pb, the weights from
			// the variables bundle.
			files["tfkeras/savedmodel"] = "tf"
		}
		for f, who := range files {
			path := filepath.Join(dir, f)
			if _, err := os.Stat(path); err != nil {
				continue
			}
			t.Run(c.Name+"/"+f, func(t *testing.T) {
				m, err := Load(path)
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				xs := make([]*tensor.Tensor, len(c.Inputs))
				for i, in := range c.Inputs {
					xs[i] = readNpy(t, filepath.Join(dir, in.File))
				}
				ys, err := m.PredictN(xs)
				if err != nil {
					t.Fatalf("predict: %v", err)
				}
				if len(ys) != len(c.Outputs) {
					t.Fatalf("%d outputs, want %d", len(ys), len(c.Outputs))
				}
				for i, o := range c.Outputs {
					wf := o.FileTF
					if who == "k3" {
						wf = o.FileKeras3
					}
					want := readNpy(t, filepath.Join(dir, wf))
					if d := maxAbsDiff(t, ys[i], want); d > 1e-5 {
						t.Errorf("output %s: max abs diff %g from %s", o.Name, d, wf)
					}
				}
			})
		}
	}
}

// TestFunctionalFixturesConfig reads each model case's config in both dialects and
// writes it back equal to Keras's, and across dialects.
func TestFunctionalFixturesConfig(t *testing.T) {
	for _, c := range functionalCases(t) {
		if c.Kind != "model" {
			continue
		}
		dir := c.Dir
		t.Run(c.Name, func(t *testing.T) {
			for _, src := range []string{"config_keras2_to_json.json", "config_keras3.json", "config_keras2.json"} {
				m, err := FromConfig(readFile(t, filepath.Join(dir, src)))
				if err != nil {
					t.Fatalf("%s: %v", src, err)
				}
				if want := strings.Contains(strings.ToLower(string(readFile(t, filepath.Join(dir, src))[:45])), "functional"); m.Functional() != want {
					t.Fatalf("%s: not read as a Functional model", src)
				}
				for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
					want := "config_keras2_to_json.json"
					if d == saved.Keras3 {
						want = "config_keras3.json"
					}
					got, err := m.Config(d)
					if err != nil {
						t.Fatalf("%s -> %v: %v", src, d, err)
					}
					wantJSON := readFile(t, filepath.Join(dir, want))
					if d == saved.Keras3 && maskedCases[c.Name] {
						wantJSON = keras3WithoutMaskOps(t, wantJSON) // see wrap_fixture_test.go
					}
					if d == saved.Keras3 || src == "config_keras2.json" {
						// compile_config is compared where the compile settings come along.
						got = dropKey(t, got, "compile_config")
						wantJSON = dropKey(t, wantJSON, "compile_config")
					}
					assertJSONEqual(t, fmt.Sprintf("%s -> %s", src, want), got, wantJSON)
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

// TestFunctionalFixturesSummary compares both summaries of every model case (read from
// Keras 3's .keras, with its optimizer, as the generator printed them) with Keras's text.
func TestFunctionalFixturesSummary(t *testing.T) {
	for _, c := range functionalCases(t) {
		if c.Kind != "model" {
			continue
		}
		dir := c.Dir
		t.Run(c.Name, func(t *testing.T) {
			m, err := Load(filepath.Join(dir, "tfkeras", "model.h5"))
			if err != nil {
				t.Fatal(err)
			}
			assertTextEqual(t, "tf_keras summary", m.Summary(), string(readFile(t, filepath.Join(dir, "summary_keras2.txt"))))
			m3, err := Load(filepath.Join(dir, "keras3", "model.keras"))
			if err != nil {
				t.Fatal(err)
			}
			if !m.Compiled() || !m3.Compiled() {
				t.Errorf("compiled: tf_keras file %v, Keras 3 file %v (both were saved compiled); warnings %v %v", m.Compiled(), m3.Compiled(), m.Warnings(), m3.Warnings())
			}
			// The masked cases' Keras 3 summaries list Keras 3's mask operations, which its
			// config holds (model/summary_masks.go); the tf_keras file's has none.
			if maskedCases[c.Name] && strings.Contains(m.SummaryKeras3(), "(NotEqual)") {
				t.Errorf("Keras 3 summary of the tf_keras file lists mask operations")
			}
			assertTextEqual(t, "Keras 3 summary", m3.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3.txt"))))
		})
	}
}

// TestFunctionalSaveRoundTrip saves every model case in each format kerasgo writes and
// loads it back with the same predictions.
func TestFunctionalSaveRoundTrip(t *testing.T) {
	for _, c := range functionalCases(t) {
		if c.Kind != "model" {
			continue
		}
		dir := c.Dir
		t.Run(c.Name, func(t *testing.T) {
			m, err := Load(filepath.Join(dir, "tfkeras", "model.h5"))
			if err != nil {
				t.Fatal(err)
			}
			xs := make([]*tensor.Tensor, len(c.Inputs))
			for i, in := range c.Inputs {
				xs[i] = readNpy(t, filepath.Join(dir, in.File))
			}
			want, err := m.PredictN(xs)
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			for _, name := range []string{"m.h5", "m.keras", "m.weights.h5", "ckpt/w", "sm"} {
				path := filepath.Join(out, name)
				if name == "m.weights.h5" || name == "ckpt/w" {
					err = m.SaveWeights(path)
				} else {
					err = m.Save(path)
				}
				if name == "sm" && smMaskRefused[c.Name] { // masks in a TF graph: not for the attention layers
					if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "mask") {
						t.Errorf("save %s: %v, want ErrUnsupported", name, err)
					}
					continue
				}
				if name == "sm" && multiOutputCases[c.Name] { // several outputs of these layers in a TF graph: not yet
					var mo *MultiOutputGraphError
					if !errors.Is(err, ErrUnsupported) || !errors.As(err, &mo) {
						t.Errorf("save %s: %v, want a MultiOutputGraphError", name, err)
					}
					continue
				}
				if err != nil {
					t.Errorf("save %s: %v", name, err)
					continue
				}
				var back *Model
				if name == "m.weights.h5" || name == "ckpt/w" {
					back, err = Load(filepath.Join(dir, "tfkeras", "model.h5"))
					if err == nil {
						err = back.LoadWeights(path)
					}
				} else {
					back, err = Load(path)
				}
				if err != nil {
					t.Errorf("load %s: %v", name, err)
					continue
				}
				got, err := back.PredictN(xs)
				if err != nil {
					t.Errorf("predict %s: %v", name, err)
					continue
				}
				for i := range got {
					if d := maxAbsDiff(t, got[i], want[i]); d != 0 {
						t.Errorf("%s: output %d differs by %g", name, i, d)
					}
				}
			}
		})
	}
}

// smMaskRefused are the masked cases whose SavedModel kerasgo refuses (none: every layer using
// masks gets them in kerasgo's TF graphs).
var smMaskRefused = map[string]bool{}

// maskedCases are the model cases whose layers use Keras masks.
var maskedCases = map[string]bool{"mask_lstm": true, "mask_bigru_td": true, "masking_rnn": true,
	"attention_masked": true, "additive_self_masked_causal": true, "attention_concat_masked": true,
	"mha_keras_masks": true, "additive_scores_masked": true, "masked_metrics_attention": true,
	"masked_metrics_two_outputs": true}

// multiOutputCases are the model cases with layers returning several tensors or given
// initial states (testdata/layers_rnnstate) whose TF graphs kerasgo does not write: none
// now (LSTM, GRU, SimpleRNN, RNN(cell), RNN(StackedRNNCells) and Bidirectional states are
// written). Saving such a model as a SavedModel is refused (MultiOutputGraphError).
var multiOutputCases = map[string]bool{}

// TestFunctionalSavedModelLikeTFKeras saves each model case (loaded from tf_keras's .h5)
// as a SavedModel and compares it with the SavedModel tf_keras wrote of the same model: the
// serving_default signature (keys, graph tensor names, dtypes, shapes), the Keras class in the
// metadata, and the variables (checkpoint keys and variable names; the optimizer's too when
// the Go model kept its training state). Nested models included: their variables' keys
// (variables/<n>) and full names are tf_keras's.
func TestFunctionalSavedModelLikeTFKeras(t *testing.T) {
	n := 0
	for _, c := range functionalCases(t) {
		dir := c.Dir
		ref := filepath.Join(dir, "tfkeras", "savedmodel")
		if c.Kind != "model" || maskedCases[c.Name] || multiOutputCases[c.Name] {
			continue
		}
		if _, err := os.Stat(ref); err != nil {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			m, err := Load(filepath.Join(dir, "tfkeras", "model.h5"))
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "sm")
			if err := m.Save(out); err != nil {
				t.Fatal(err)
			}
			got, err := savedmodel.Inspect(out)
			if err != nil {
				t.Fatal(err)
			}
			want, err := savedmodel.Inspect(ref)
			if err != nil {
				t.Fatal(err)
			}
			sig := func(info *savedmodel.Info) string {
				for _, s := range info.Signatures {
					if s.Key == savedmodel.DefaultSignature {
						return fmt.Sprintf("%+v", s)
					}
				}
				return "none"
			}
			if g, w := sig(got), sig(want); g != w || g == "none" {
				t.Errorf("serving_default\n go:      %s\n tf_keras: %s", g, w)
			}
			if got.Keras == nil || want.Keras == nil || got.Keras.Class != want.Keras.Class || got.Keras.Name != want.Keras.Name {
				t.Errorf("Keras model %+v, tf_keras's %+v", got.Keras, want.Keras)
			}
			hasOpt := false
			for _, v := range got.Variables {
				hasOpt = hasOpt || strings.HasPrefix(v.Key, "optimizer/")
			}
			vars := func(info *savedmodel.Info) []string {
				var out []string
				for _, v := range info.Variables {
					if strings.HasPrefix(v.Key, "keras_api/") || (!hasOpt && strings.HasPrefix(v.Key, "optimizer/")) {
						continue
					}
					out = append(out, fmt.Sprintf("%s %s %v %v", v.Key, v.FullName, v.DType, v.Shape))
				}
				return out
			}
			if g, w := strings.Join(vars(got), "\n"), strings.Join(vars(want), "\n"); g != w || len(vars(got)) == 0 {
				t.Errorf("variables\n go:\n%s\n tf_keras:\n%s", g, w)
			}
		})
	}
	if n == 0 {
		t.Fatal("no model case has a tf_keras SavedModel")
	}
}

// TestFunctionalUnfittedResave loads each per-layer case's tf_keras file (compiled, never
// fitted: its optimizer holds only the iteration counter) and saves it again as .h5 and
// .keras: the files load back with the same predictions and an unbuilt optimizer.
func TestFunctionalUnfittedResave(t *testing.T) {
	n := 0
	for _, c := range functionalCases(t) {
		src := filepath.Join(c.Dir, "tfkeras", "model.h5")
		if c.Kind != "layer" || !c.Supported.TFKeras {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			m, err := Load(src)
			if err != nil {
				t.Fatal(err)
			}
			xs := make([]*tensor.Tensor, len(c.Inputs))
			for i, in := range c.Inputs {
				xs[i] = readNpy(t, filepath.Join(c.Dir, in.File))
			}
			want, err := m.PredictN(xs)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"m.h5", "m.keras"} {
				p := filepath.Join(t.TempDir(), name)
				if err := m.Save(p); err != nil {
					t.Fatalf("save %s: %v", name, err)
				}
				back, err := Load(p)
				if err != nil {
					t.Fatalf("load %s: %v", name, err)
				}
				if back.Iterations() != 0 {
					t.Errorf("%s: %d iterations", name, back.Iterations())
				}
				got, err := back.PredictN(xs)
				if err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if name == "m.keras" && c.LibrariesAgree != nil && !*c.LibrariesAgree {
						// The Keras 3 file means Keras 3's function: Keras 3's predictions.
						k3 := readNpy(t, filepath.Join(c.Dir, c.Outputs[i].FileKeras3))
						if d := maxAbsDiff(t, got[i], k3); d > 1e-5 {
							t.Errorf("%s: output %d differs from Keras 3's by %g", name, i, d)
						}
						continue
					}
					if d := maxAbsDiff(t, got[i], want[i]); d != 0 {
						t.Errorf("%s: output %d differs by %g", name, i, d)
					}
				}
			}
		})
	}
	if n < 40 {
		t.Errorf("%d per-layer cases, want at least 40", n)
	}
}
