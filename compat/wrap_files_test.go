package compat

import (
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestWrapperFilesInKeras saves Go-built models with the wrapper layers (Bidirectional over
// SimpleRNN, LSTM and GRU with every single-output merge mode, return_sequences on and off;
// TimeDistributed over Dense and Conv2D; masks from Embedding(mask_zero) and Masking through
// them into recurrent layers and GlobalAveragePooling1D on padded rows) as .h5, .keras and
// SavedModel (masks into recurrent layers, Bidirectional and GlobalAveragePooling1D):
// tf_keras 2.21 and
// Keras 3.15 load them with Go's summaries and predictions (the inner layers' variables where
// each library keeps them), tf_keras.models.load_model revives the SavedModels and
// tf.saved_model.load serves them with Go's predictions.
func TestWrapperFilesInKeras(t *testing.T) {
	python(t)
	const vocab, steps = 9, 6
	text := func() *model.Sequential {
		return model.NewSequential(
			model.Input(steps),
			layers.NewEmbedding(vocab, 4),
			layers.NewBidirectional(layers.NewLSTM(3, layers.LSTMOptions{ReturnSequences: true})),
			layers.NewTimeDistributed(layers.NewDense(4, layers.DenseOptions{Activation: "tanh"})),
			layers.NewBidirectional(layers.NewGRU(3, layers.GRUOptions{ReturnSequences: true, ResetBefore: true}),
				layers.BidirectionalOptions{MergeMode: "sum"}),
			layers.NewBidirectional(layers.NewSimpleRNN(2, layers.SimpleRNNOptions{ReturnSequences: true}),
				layers.BidirectionalOptions{MergeMode: "mul"}),
			layers.NewBidirectional(layers.NewLSTM(3, layers.LSTMOptions{GoBackwards: true}),
				layers.BidirectionalOptions{MergeMode: "ave"}),
			layers.NewDense(2, layers.DenseOptions{Activation: "softmax"}),
		)
	}
	// With masks from Embedding(mask_zero) and Masking (wrap_masked also as a SavedModel).
	masked := func() *model.Sequential {
		return model.NewSequential(
			model.Input(steps),
			layers.NewEmbedding(vocab, 4, layers.EmbeddingOptions{MaskZero: true}),
			layers.NewBidirectional(layers.NewLSTM(3, layers.LSTMOptions{ReturnSequences: true})),
			layers.NewTimeDistributed(layers.NewDense(3)),
			layers.NewGRU(3, layers.GRUOptions{ReturnSequences: true}),
			layers.NewGlobalAveragePooling1D(),
			layers.NewDense(2, layers.DenseOptions{Activation: "softmax"}),
		)
	}
	masking := func() *model.Sequential {
		return model.NewSequential(
			model.Input(steps),
			layers.NewEmbedding(vocab, 3),
			layers.NewMasking(0),
			layers.NewSimpleRNN(3, layers.SimpleRNNOptions{ReturnSequences: true, GoBackwards: true}),
			layers.NewBidirectional(layers.NewGRU(2), layers.BidirectionalOptions{MergeMode: "sum"}),
		)
	}
	// Masks into recurrent layers only: also as a SavedModel (the graphs give them the mask).
	maskedRNN := func() *model.Sequential {
		return model.NewSequential(
			model.Input(steps),
			layers.NewEmbedding(vocab, 4, layers.EmbeddingOptions{MaskZero: true}),
			layers.NewLSTM(3, layers.LSTMOptions{ReturnSequences: true}),
			layers.NewDropout(0.2),
			layers.NewSimpleRNN(3, layers.SimpleRNNOptions{ReturnSequences: true, GoBackwards: true}),
			layers.NewGRU(2),
			layers.NewDense(2, layers.DenseOptions{Activation: "softmax"}),
		)
	}
	maskedPool := func() *model.Sequential {
		return model.NewSequential(
			model.Input(steps),
			layers.NewEmbedding(vocab, 4, layers.EmbeddingOptions{MaskZero: true}),
			layers.NewTimeDistributed(layers.NewDense(3, layers.DenseOptions{Activation: "tanh"})),
			layers.NewGlobalAveragePooling1D(),
			layers.NewDense(2, layers.DenseOptions{Activation: "softmax"}),
		)
	}
	builds := map[string]func() *model.Sequential{"wrap_text": text, "wrap_masked": masked, "wrap_masking": masking,
		"wrap_masked_rnn": maskedRNN, "wrap_masked_pool": maskedPool}
	smBuilds := map[string]func() *model.Sequential{"wrap_text": text, "wrap_masked_rnn": maskedRNN,
		"wrap_masked_pool": maskedPool, "wrap_masked": masked}
	rng := layers.NewRand(21)
	xd := make([]float32, 3*steps)
	for i := range xd {
		xd[i] = float32(rng.IntN(vocab))
	}
	// Padding: row 1 ends with two zeros, row 2 with four and has one inside.
	xd[steps-1+steps], xd[steps-2+steps] = 0, 0
	for k := 1; k <= 4; k++ {
		xd[3*steps-k] = 0
	}
	xd[2*steps+1] = 0
	x := tensor.MustFromFloat32([]int{3, steps}, xd)
	filesInKerasX(t, builds, smBuilds, x)
}

// TestTimeDistributedConvFilesInKeras: TimeDistributed(Conv2D) and TimeDistributed(Dense)
// over a sequence of images, as TestWrapperFilesInKeras.
func TestTimeDistributedConvFilesInKeras(t *testing.T) {
	python(t)
	build := func() *model.Sequential {
		return model.NewSequential(
			model.Input(3, 5, 5, 2),
			layers.NewTimeDistributed(layers.NewConv2D(3, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu"})),
			layers.NewTimeDistributed(layers.NewFlatten()),
			layers.NewTimeDistributed(layers.NewDense(2)),
			layers.NewFlatten(),
			layers.NewDense(2),
		)
	}
	builds := map[string]func() *model.Sequential{"td_conv": build}
	rng := layers.NewRand(22)
	xd := make([]float32, 2*3*5*5*2)
	for i := range xd {
		xd[i] = rng.Uniform(-1, 1)
	}
	filesInKerasX(t, builds, builds, tensor.MustFromFloat32([]int{2, 3, 5, 5, 2}, xd))
}
