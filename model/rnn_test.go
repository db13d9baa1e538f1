package model

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// rnnModel is a Sequential text model of every recurrent class: Embedding over 6 indices,
// then SimpleRNN, GRU (reset_after false), LSTM (backwards) and Dense.
func rnnModel() *Sequential {
	return NewSequential(
		Input(6),
		layers.NewEmbedding(9, 4),
		layers.NewSimpleRNN(3, layers.SimpleRNNOptions{ReturnSequences: true}),
		layers.NewGRU(4, layers.GRUOptions{ReturnSequences: true, ResetBefore: true}),
		layers.NewGRU(3, layers.GRUOptions{ReturnSequences: true, GoBackwards: true}),
		layers.NewLSTM(5, layers.LSTMOptions{GoBackwards: true}),
		layers.NewDense(2, layers.DenseOptions{Activation: "softmax"}),
	)
}

func indexInput(b, n, vocab int) *tensor.Tensor {
	rng := layers.NewRand(4)
	d := make([]float32, b*n)
	for i := range d {
		d[i] = float32(rng.IntN(vocab))
	}
	return tensor.MustFromFloat32([]int{b, n}, d)
}

// TestRNNSaveLoad saves the recurrent model in every weights-capable format and loads it back
// with the same weights and predictions.
func TestRNNSaveLoad(t *testing.T) {
	src := rnnModel()
	if err := src.Compile(CompileOptions{Optimizer: "adam", Loss: "sparse_categorical_crossentropy"}); err != nil {
		t.Fatal(err)
	}
	x := indexInput(3, 6, 9)
	want, err := src.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"m.h5", "m.keras"} {
		t.Run(file, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), file)
			if err := src.Save(p); err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			m, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if m.Summary() != src.Summary() {
				t.Errorf("summary:\n%s\nwant:\n%s", m.Summary(), src.Summary())
			}
			if !sameWeights(snapshot(m), snapshot(src)) {
				t.Error("weights differ")
			}
			y, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(y.Float32s(), want.Float32s()) {
				t.Error("predictions differ")
			}
		})
	}
	for _, file := range []string{"w.h5", "w.weights.h5", "ckpt/w"} {
		t.Run(file, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), file)
			if err := src.SaveWeights(p); err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			m := rnnModel()
			if err := m.LoadWeights(p); err != nil {
				t.Fatal(err)
			}
			if !sameWeights(snapshot(m), snapshot(src)) {
				t.Error("weights differ")
			}
		})
	}
	// A SavedModel (the recurrent layers' graphs unrolled; compat serves it with TF) reads back
	// with the same weights.
	t.Run("sm", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "sm")
		if err := src.Save(p); err != nil {
			t.Fatal(err)
		}
		m, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if !sameWeights(snapshot(m), snapshot(src)) {
			t.Error("weights differ")
		}
		y, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(y.Float32s(), want.Float32s()) {
			t.Error("predictions differ")
		}
	})
}

// TestRNNMaskRefused: an Embedding with mask_zero feeding a recurrent layer through a layer
// kerasgo does not carry masks through (Dense) is refused, naming the three layers; directly
// or through TimeDistributed it is accepted; without a recurrent layer after it, the mask
// changes nothing and the model is accepted.
func TestRNNMaskRefused(t *testing.T) {
	emb := func() *layers.Embedding {
		return layers.NewEmbedding(5, 3, layers.EmbeddingOptions{Name: "emb", MaskZero: true})
	}
	m := NewSequential(Input(4), emb(), layers.NewDense(3, layers.DenseOptions{Name: "dense"}))
	err := m.Add(layers.NewLSTM(2, layers.LSTMOptions{Name: "rnn"}))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"rnn" (LSTM)`) || !strings.Contains(err.Error(), `"emb" (Embedding)`) ||
		!strings.Contains(err.Error(), `"dense" (Dense)`) {
		t.Errorf("Sequential: %v", err)
	}
	if err := NewSequential(Input(4), emb(), layers.NewTimeDistributed(layers.NewDense(3))).Add(layers.NewLSTM(2)); err != nil {
		t.Errorf("through TimeDistributed: %v", err)
	}
	in := Input(4)
	h, err := Apply(emb(), in.Output())
	if err != nil {
		t.Fatal(err)
	}
	h = MustApply(layers.NewDense(3), h)
	if _, err := Apply(layers.NewGRU(2), h); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "mask") {
		t.Errorf("Functional: %v", err)
	}
	if _, err := Apply(layers.NewFlatten(), h); err != nil {
		t.Errorf("Flatten after a masked Embedding: %v", err)
	}
}

// TestRNNTrainSaveResume fits the recurrent model one Adam step, saves it with its optimizer
// state (the slots of the cells' variables: tf_keras "Adam/m/lstm/lstm_cell/kernel:0", Keras 3
// optimizer/vars), loads it, and takes one more step from both: the weights stay equal.
func TestRNNTrainSaveResume(t *testing.T) {
	x := indexInput(4, 6, 9)
	yd := make([]float32, 4)
	for i := range yd {
		yd[i] = float32(i % 2)
	}
	y := tensor.MustFromFloat32([]int{4}, yd)
	fit := func(m *Model) {
		t.Helper()
		if _, err := m.Fit(x, y, FitOptions{BatchSize: 4, NoShuffle: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, file := range []string{"m.h5", "m.keras"} {
		t.Run(file, func(t *testing.T) {
			src := rnnModel()
			if err := src.Compile(CompileOptions{Optimizer: "adam", Loss: "sparse_categorical_crossentropy"}); err != nil {
				t.Fatal(err)
			}
			fit(src)
			p := filepath.Join(t.TempDir(), file)
			if err := src.Save(p); err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			m, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if m.Iterations() != 1 {
				t.Fatalf("%d iterations after load, want 1", m.Iterations())
			}
			fit(src)
			fit(m)
			if !sameWeights(snapshot(m), snapshot(src)) {
				t.Error("weights differ after a step from the loaded model")
			}
		})
	}
}
