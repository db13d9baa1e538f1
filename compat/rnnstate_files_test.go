package compat

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestRNNStateFilesInKeras takes the testdata/layers_rnnstate cases (recurrent layers with
// return_state and initial_state: layers with several outputs), loads each in Go from
// tf_keras's .h5 and Keras 3's .keras, changes every weight and writes each format: .h5, a TF
// checkpoint and save_weights .h5 from the tf_keras model, .keras and .weights.h5 from the
// Keras 3 one. tf_keras and Keras 3 load them (load_model, or load_weights into the
// fixture's model): every output must be Go's within 1e-5 and the summaries of the loaded
// .h5 and .keras Go's text. A SavedModel of the models in rnnStateSMRefused is refused
// (model.MultiOutputGraphError); the others' are written (TestRNNStateSavedModelServing
// serves them).
func TestRNNStateFilesInKeras(t *testing.T) {
	multiOutputFilesInKeras(t, "layers_rnnstate", rnnStateSMRefused)
}

// multiOutputFilesInKeras is TestRNNStateFilesInKeras for the cases of testdata/<part>: a
// SavedModel of the cases in smRefused is refused (model.MultiOutputGraphError).
func multiOutputFilesInKeras(t *testing.T, part string, smRefused map[string]bool) {
	python(t)
	root := filepath.Join(repoRoot(), "testdata", part)
	man, names := readManifest[manifestCase](t, root, 2)
	out := t.TempDir()
	var spec []map[string]any
	want := map[string][]*tensor.Tensor{}
	wantSummary := map[string]string{}
	for _, name := range names {
		dir := filepath.Join(root, name)
		xs, xfiles := man[name].read(t, dir)
		for _, src := range []struct{ file, lib string }{{"tfkeras/model.h5", "tf_keras"}, {"keras3/model.keras", "keras"}} {
			m, err := model.Load(filepath.Join(dir, src.file))
			if err != nil {
				t.Fatalf("%s/%s: %v", name, src.file, err)
			}
			changeWeights(m)
			ys, err := m.PredictN(xs)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var mo *model.MultiOutputGraphError
			err = m.Save(filepath.Join(out, name+"_sm"))
			switch {
			case smRefused[name] && (!errors.Is(err, model.ErrUnsupported) || !errors.As(err, &mo)):
				t.Errorf("%s: SavedModel: %v, want a MultiOutputGraphError", name, err)
			case !smRefused[name] && err != nil:
				t.Errorf("%s: SavedModel: %v", name, err) // served by TestRNNStateSavedModelServing
			}
			for kind, p := range saveGoFiles(t, m, src.lib, filepath.Join(out, name)) {
				id := name + "_" + kind
				want[id] = ys
				switch kind {
				case "h5":
					wantSummary[id] = m.Summary()
				case "keras":
					// Go's .keras records no mask operations, so Keras 3 lists none: the
					// summary of the file read back (model.SummaryKeras3).
					back, err := model.Load(p)
					if err != nil {
						t.Fatalf("%s %s: read back: %v", name, filepath.Base(p), err)
					}
					wantSummary[id] = back.SummaryKeras3()
				}
				spec = append(spec, map[string]any{"id": id, "kind": kind, "file": p,
					"fixture": filepath.Join(dir, src.file), "xs": xfiles, "out": filepath.Join(out, id)})
			}
		}
	}
	b, _ := json.Marshal(spec)
	cases := filepath.Join(out, "cases.json")
	if err := os.WriteFile(cases, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var done []struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	}
	runPythonJSON(t, &done, "rnnstate_files.py", cases)
	if len(done) != len(spec) {
		t.Fatalf("python loaded %d files, want %d", len(done), len(spec))
	}
	worst := 0.0
	for _, r := range done {
		if s, ok := wantSummary[r.ID]; ok && s != r.Summary {
			t.Errorf("%s: Keras's summary:\n%s\nGo's:\n%s", r.ID, r.Summary, s)
		}
		for i, w := range want[r.ID] {
			got, err := npy.ReadFile(filepath.Join(out, fmt.Sprintf("%s_%d.npy", r.ID, i)))
			if err != nil {
				t.Fatal(err)
			}
			g, wv := got.Float32s(), w.Float32s()
			if len(g) != len(wv) {
				t.Fatalf("%s output %d: %d values, go %d", r.ID, i, len(g), len(wv))
			}
			for j := range wv {
				d := math.Abs(float64(g[j]) - float64(wv[j]))
				worst = max(worst, d)
				if d > 1e-5 {
					t.Errorf("%s output %d [%d]: keras %v, go %v", r.ID, i, j, g[j], wv[j])
					break
				}
			}
		}
	}
	t.Logf("%d Go-written files loaded by tf_keras and Keras 3: worst max |diff| vs Go %.2g", len(spec), worst)
}

// TestRNNCellFilesInKeras saves a Go-built Sequential model of RNN layers over LSTMCell,
// GRUCell and SimpleRNNCell as .h5, .keras and SavedModel: tf_keras and Keras 3 load them with
// Go's summaries and predictions, tf_keras revives the SavedModel and tf.saved_model.load
// serves it with Go's predictions.
func TestRNNCellFilesInKeras(t *testing.T) {
	python(t)
	build := func() *model.Sequential {
		return model.NewSequential(
			model.Input(5, 3),
			layers.NewRNN(layers.NewLSTM(4, layers.LSTMOptions{ReturnSequences: true}), ""),
			layers.NewRNN(layers.NewGRU(3, layers.GRUOptions{ReturnSequences: true, ResetBefore: true, GoBackwards: true}), "my_gru_cell"),
			layers.NewRNN(layers.NewSimpleRNN(2, layers.SimpleRNNOptions{Activation: "relu"}), ""),
			layers.NewDense(2, layers.DenseOptions{Activation: "softmax"}),
		)
	}
	builds := map[string]func() *model.Sequential{"rnn_cells": build}
	rng := layers.NewRand(23)
	xd := make([]float32, 3*5*3)
	for i := range xd {
		xd[i] = rng.Uniform(-1, 1)
	}
	filesInKerasX(t, builds, builds, tensor.MustFromFloat32([]int{3, 5, 3}, xd))
}

// rnnStateSMRefused are the layers_rnnstate cases kerasgo does not write as a SavedModel
// (none now: RNN(StackedRNNCells) with initial states and Bidirectional's states are written).
var rnnStateSMRefused = map[string]bool{}
