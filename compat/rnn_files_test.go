package compat

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestRNNFilesInKeras saves Go-built models with Embedding, SimpleRNN, LSTM and GRU layers
// (return_sequences, go_backwards, GRU reset_after false) as .h5 and .keras; tf_keras 2.21 and
// Keras 3.15 load them with Go's summaries and predictions; saved as SavedModels (recurrent
// layers as graphs unrolled over the known number of steps, their variables in the layer's
// "cell" object) tf_keras.models.load_model loads them and tf.saved_model.load serves them
// with Go's predictions.
func TestRNNFilesInKeras(t *testing.T) {
	python(t)
	const vocab, steps = 11, 7
	builds := map[string]func() *model.Sequential{
		"text_all": func() *model.Sequential {
			return model.NewSequential(
				model.Input(steps),
				layers.NewEmbedding(vocab, 4),
				layers.NewSimpleRNN(3, layers.SimpleRNNOptions{ReturnSequences: true, GoBackwards: true}),
				layers.NewGRU(4, layers.GRUOptions{ReturnSequences: true, ResetBefore: true}),
				layers.NewGRU(3, layers.GRUOptions{ReturnSequences: true, GoBackwards: true}),
				layers.NewLSTM(5, layers.LSTMOptions{ReturnSequences: true}),
				layers.NewLSTM(4, layers.LSTMOptions{GoBackwards: true, RecurrentActivation: "tanh"}),
				layers.NewDense(2, layers.DenseOptions{Activation: "softmax"}),
			)
		},
		"embedding_declared": func() *model.Sequential {
			return model.NewSequential(
				layers.NewEmbedding(vocab, 3, layers.EmbeddingOptions{InputShape: []int{steps}}),
				layers.NewGRU(2),
			)
		},
	}
	smBuilds := map[string]func() *model.Sequential{
		"embedding_flat": func() *model.Sequential {
			return model.NewSequential(model.Input(steps), layers.NewEmbedding(vocab, 3), layers.NewFlatten(), layers.NewDense(2))
		},
		"text_all":           builds["text_all"],
		"embedding_declared": builds["embedding_declared"],
		"nobias_relu": func() *model.Sequential {
			return model.NewSequential(
				model.Input(steps),
				layers.NewEmbedding(vocab, 3),
				layers.NewSimpleRNN(3, layers.SimpleRNNOptions{ReturnSequences: true, NoBias: true, Activation: "relu"}),
				layers.NewGRU(2, layers.GRUOptions{ReturnSequences: true, NoBias: true, ResetBefore: true}),
				layers.NewGRU(3, layers.GRUOptions{ReturnSequences: true, NoBias: true}),
				layers.NewLSTM(2, layers.LSTMOptions{NoBias: true, GoBackwards: true}),
			)
		},
	}
	rng := layers.NewRand(12)
	xd := make([]float32, 3*steps)
	for i := range xd {
		// Indices as float32, some with fractions (Keras truncates them).
		xd[i] = float32(rng.IntN(vocab)) + float32(rng.IntN(2))*0.5
	}
	x := tensor.MustFromFloat32([]int{3, steps}, xd)
	filesInKerasX(t, builds, smBuilds, x)
}

// filesInKerasX is filesInKeras with a given input and separate SavedModel builds (a build
// missing from smBuilds is saved as .h5 and .keras only).
func filesInKerasX(t *testing.T, builds, smBuilds map[string]func() *model.Sequential, x *tensor.Tensor) {
	t.Helper()
	dir := t.TempDir()
	rng := layers.NewRand(13)
	writeNpy(t, filepath.Join(dir, "x.npy"), x)
	randomize := func(m *model.Sequential) {
		for _, w := range m.Weights() {
			v := w.Value.Float32s()
			for j := range v {
				v[j] = rng.Uniform(-0.5, 0.5)
			}
		}
	}
	type goCase struct {
		summary string
		y       *tensor.Tensor
	}
	goCases := map[string]goCase{}
	var spec []map[string]any
	for name, build := range builds {
		// The SavedModel directory is loaded by tf_keras.models.load_model here (and served by
		// tf.saved_model.load below).
		for _, c := range []struct{ file, lib string }{{name + ".h5", "tf_keras"}, {name + ".keras", "keras"}, {name + "_savedmodel", "tf_keras"}} {
			if strings.HasSuffix(c.file, "_savedmodel") && smBuilds[name] == nil {
				continue // a model kerasgo writes no SavedModel of (masks)
			}
			m := build()
			randomize(m)
			y, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Save(filepath.Join(dir, c.file)); err != nil {
				t.Fatalf("%s: %v", c.file, err)
			}
			sum := m.Summary()
			if c.lib == "keras" {
				sum = m.SummaryKeras3()
			}
			id := name + "_" + c.lib
			if strings.HasSuffix(c.file, "_savedmodel") {
				id = name + "_savedmodel_tf_keras"
			}
			goCases[id] = goCase{sum, y}
			spec = append(spec, map[string]any{"id": id, "lib": c.lib, "file": c.file, "x": filepath.Join(dir, "x.npy")})
		}
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var results []struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	}
	runPythonJSON(t, &results, "model_convert.py", dir)
	if len(results) != len(goCases) {
		t.Fatalf("python loaded %d files, want %d", len(results), len(goCases))
	}
	for _, r := range results {
		c := goCases[r.ID]
		if r.Summary != c.summary {
			t.Errorf("%s: Keras's summary:\n%s\nGo's:\n%s", r.ID, r.Summary, c.summary)
		}
		got, err := npy.ReadFile(filepath.Join(dir, r.ID+"_y.npy"))
		if err != nil {
			t.Fatal(err)
		}
		if d := tensorDiff(got, c.y); d > 1e-5 || math.IsNaN(d) {
			t.Errorf("%s: max |keras - go| = %g", r.ID, d)
		} else {
			t.Logf("%s: max |keras - go| = %.2g", r.ID, d)
		}
	}
	smArgs := []string{filepath.Join(dir, "x.npy")}
	smWant := map[string]*tensor.Tensor{}
	for name, build := range smBuilds {
		m := build()
		randomize(m)
		y, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "sm_"+name)
		if err := m.Save(p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		smArgs = append(smArgs, p)
		smWant[p] = y
	}
	var keys []string
	runPythonJSON(t, &keys, "savedmodel_predict.py", smArgs...)
	if len(keys) != len(smWant) {
		t.Fatalf("python served %d SavedModels, want %d", len(keys), len(smWant))
	}
	for p, want := range smWant {
		got, err := npy.ReadFile(filepath.Join(p, "y.npy"))
		if err != nil {
			t.Fatal(err)
		}
		if d := tensorDiff(got, want); d > 1e-5 || math.IsNaN(d) {
			t.Errorf("%s: max |tf - go| = %g", filepath.Base(p), d)
		} else {
			t.Logf("%s: max |tf - go| = %.2g", filepath.Base(p), d)
		}
	}
}

// tensorDiff is the largest absolute difference, +Inf when the shapes differ.
func tensorDiff(got, want *tensor.Tensor) float64 {
	if !tensor.SameShape(got.Shape, want.Shape) {
		return math.Inf(1)
	}
	worst := 0.0
	w := want.Float32s()
	for i, v := range got.Float32s() {
		worst = max(worst, math.Abs(float64(v)-float64(w[i])))
	}
	return worst
}
