package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// formatsRoot holds the generator's testdata/formats: per variant, one trained model saved by
// real tf_keras 2.21 and Keras 3.15 in every format, with Keras's summaries, weights
// (weights.json + w/*.npy) and predictions on x.npy (testdata/gen/formats.py).
func formatsRoot(t *testing.T) string {
	t.Helper()
	root := os.Getenv("KERASGO_FORMATS")
	if root == "" {
		root = filepath.Join("..", "testdata", "formats")
	}
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("no format fixtures at %s (committed; regenerate with make fixtures): %v", root, err)
	}
	return root
}

func formatVariants(t *testing.T, root string) []string {
	t.Helper()
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(root, e.Name(), "config_keras2.json")); err == nil {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		t.Fatalf("no variants under %s", root)
	}
	return out
}

// TestFormatsLoad loads every whole-model file Keras wrote (tf_keras .h5, SavedModel and
// .keras; Keras 3 .keras and legacy .h5) with Load: tf_keras's summary byte for byte, Keras
// 3's summary (which counts the optimizer's variables: the optimizer state must be there),
// the weights exactly as Keras's, and the predictions within 1e-5 of Keras's.
func TestFormatsLoad(t *testing.T) {
	root := formatsRoot(t)
	for _, v := range formatVariants(t, root) {
		dir := filepath.Join(root, v)
		ws := readFixtureWeights(t, dir)
		x := readNpy(t, filepath.Join(dir, "x.npy"))
		y := readNpy(t, filepath.Join(dir, "y.npy"))
		sum2 := string(readFile(t, filepath.Join(dir, "summary_keras2.txt")))
		sum3 := string(readFile(t, filepath.Join(dir, "summary_keras3.txt")))
		for _, f := range []string{"tfkeras/model.h5", "tfkeras/savedmodel", "tfkeras/model.keras",
			"keras3/model.keras", "keras3/legacy.h5"} {
			t.Run(v+"/"+f, func(t *testing.T) {
				p := filepath.Join(dir, filepath.FromSlash(f))
				if _, err := os.Stat(p); err != nil {
					t.Fatalf("fixture missing: %v", err)
				}
				m, err := Load(p)
				if err != nil {
					skipNoHDF5(t, err)
					t.Fatal(err)
				}
				assertTextEqual(t, "Summary", m.Summary(), sum2)
				assertTextEqual(t, "SummaryKeras3", m.SummaryKeras3(), sum3)
				if !m.Compiled() {
					t.Errorf("not compiled; warnings %q", m.Warnings())
				}
				want := seedModelLike(t, dir, ws)
				if !sameWeights(snapshot(m), snapshot(want)) {
					t.Error("weights differ from Keras's")
				}
				got, err := m.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(t, got, y); d > 1e-5 {
					t.Errorf("max |y - Keras| = %g > 1e-5", d)
				}
			})
		}
	}
}

// TestFormatsLoadWeights loads every weights-only save Keras wrote (tf_keras weights .h5 and
// TF checkpoint, Keras 3 .weights.h5, a tf.train.Checkpoint) into a model built from the
// config: the weights must be Keras's exactly.
func TestFormatsLoadWeights(t *testing.T) {
	root := formatsRoot(t)
	for _, v := range formatVariants(t, root) {
		dir := filepath.Join(root, v)
		ws := readFixtureWeights(t, dir)
		for _, f := range []string{"tfkeras/weights.h5", "tfkeras/ckpt/weights", "tfkeras/ckpt",
			"keras3/model.weights.h5", "tfkeras/model.h5", "keras3/model.keras", "tfcheckpoint/plain"} {
			t.Run(v+"/"+f, func(t *testing.T) {
				p := filepath.Join(dir, filepath.FromSlash(f))
				if _, _, err := Detect(p); err != nil {
					t.Fatalf("fixture missing: %v", err)
				}
				m, err := FromConfig(readFile(t, filepath.Join(dir, "config_keras2.json")))
				if err != nil {
					t.Fatal(err)
				}
				if err := m.LoadWeights(p); err != nil {
					skipNoHDF5(t, err)
					t.Fatal(err)
				}
				if !sameWeights(snapshot(m), snapshot(seedModelLike(t, dir, ws))) {
					t.Error("weights differ from Keras's")
				}
			})
		}
	}
}

// seedModelLike returns the variant's model from its tf_keras config (in dir) with the
// weights ws.
func seedModelLike(t *testing.T, dir string, ws []fixtureLayerWeights) *Sequential {
	t.Helper()
	m, err := FromConfig(readFile(t, filepath.Join(dir, "config_keras2.json")))
	if err != nil {
		t.Fatal(err)
	}
	setFixtureWeights(t, m, ws)
	return m
}

// withDropoutRate returns a copy of m (weights, optimizer state and all) whose Dropout layers
// have the given rate, as the generator sets rate 0 for its deterministic extra step.
func withDropoutRate(t *testing.T, m *Sequential, rate float64) *Sequential {
	t.Helper()
	sm, err := m.ToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(sm.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, l := range cfg["config"].(map[string]any)["layers"].([]any) {
		lm := l.(map[string]any)
		if lm["class_name"] == "Dropout" {
			lm["config"].(map[string]any)["rate"] = rate
		}
	}
	if sm.Config, err = json.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	out, err := FromSaved(sm)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFormatsNextStep loads each whole-model file tf_keras wrote (with its optimizer state),
// runs one more training step on next/x.npy, next/y.npy and compares the loss, the weights
// and the optimizer's slots with tf_keras's own next step from its checkpoint, computed on
// this machine in this run (internal/testref). The loss and every value
// whose gradient is not rounding noise must agree within 1e-4 relative; values the
// optimizer moves by at most its learning rate whatever the gradient (Adam on a noise-level
// gradient) must agree within 2·lr.
func TestFormatsNextStep(t *testing.T) {
	root := formatsRoot(t)
	for _, v := range formatVariants(t, root) {
		dir := filepath.Join(root, v)
		next := filepath.Join(dir, "next")
		nx, ny := readNpy(t, filepath.Join(next, "x.npy")), readNpy(t, filepath.Join(next, "y.npy"))
		ref := filepath.Join(testref.Dir(t, testref.Formats), v, "next")
		wantLoss := readNpy(t, filepath.Join(ref, "loss.npy")).Float32s()[0]
		want := seedModelLike(t, dir, readFixtureWeights(t, ref))
		for _, f := range []string{"tfkeras/model.h5", "tfkeras/savedmodel", "tfkeras/model.keras", "keras3/model.keras"} {
			t.Run(v+"/"+f, func(t *testing.T) {
				m, err := Load(filepath.Join(dir, filepath.FromSlash(f)))
				if err != nil {
					skipNoHDF5(t, err)
					t.Fatal(err)
				}
				checkNextStep(t, m, nx, ny, wantLoss, want)
			})
		}
	}
}

// checkNextStep runs one training step on nx, ny (Dropout rates set to 0, as the generator
// does) and compares the loss and weights with tf_keras's next step (wantLoss, want): see
// TestFormatsNextStep for the tolerances. It returns the model after the step (a copy of m).
func checkNextStep(t *testing.T, m *Sequential, nx, ny *tensor.Tensor, wantLoss float32, want *Sequential) *Sequential {
	t.Helper()
	m = withDropoutRate(t, m, 0)
	before := snapshot(m)
	loss, _, err := m.TrainOnBatch(nx, ny)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(loss-float64(wantLoss)) / math.Abs(float64(wantLoss)); d > 1e-5 {
		t.Errorf("loss %v, tf_keras %v", loss, wantLoss)
	}
	lr := float64(m.Optimizer().LearningRate())
	got, exp := snapshot(m), snapshot(want)
	worst, noisy := 0.0, 0 // worst: largest |diff| among the strictly compared values
	for i, w := range m.Weights() {
		for j := range got[i] {
			d := math.Abs(float64(got[i][j]) - float64(exp[i][j]))
			moved := math.Abs(float64(exp[i][j]) - float64(before[i][j]))
			if d <= 1e-6+1e-4*moved {
				worst = max(worst, d)
				continue
			}
			if d > 2*lr {
				t.Fatalf("weight %d (%s)[%d]: %v, tf_keras %v (was %v)", i, w.Name, j, got[i][j], exp[i][j], before[i][j])
			}
			noisy++
		}
	}
	t.Logf("loss %v (tf_keras %v); max |diff| %.2g over strictly compared values; %d values within 2·lr only", loss, wantLoss, worst, noisy)
	return m
}
