package compat

import (
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
)

// TestLayers1DFilesInKeras saves Sequential models of the 1D family from Go as .h5, .keras
// and SavedModel; tf_keras 2.21, Keras 3.15 and tf.saved_model load them with Go's summaries
// and predictions ("all_1d": every class but SeparableConv1D's "causal" padding, which
// Keras 3 refuses). "sensor" is a small sensor-signal classifier (Conv1D, MaxPooling1D,
// GlobalAveragePooling1D, Dense) over 32 steps of 3 channels.
func TestLayers1DFilesInKeras(t *testing.T) {
	python(t)
	one := 1
	builds := map[string]func() *model.Sequential{
		"sensor": func() *model.Sequential {
			return model.NewSequential(
				model.Input(32, 3),
				layers.NewConv1D(8, 5, layers.Conv1DOptions{Activation: "relu"}),
				layers.NewMaxPooling1D(2),
				layers.NewConv1D(16, 3, layers.Conv1DOptions{Padding: "same", Activation: "relu"}),
				layers.NewGlobalAveragePooling1D(),
				layers.NewDense(4, layers.DenseOptions{Activation: "softmax"}),
			)
		},
		"all_1d": func() *model.Sequential {
			return model.NewSequential(
				model.Input(32, 3),
				layers.NewZeroPadding1D([2]int{2, 1}),
				layers.NewConv1D(6, 3, layers.Conv1DOptions{Padding: "causal", DilationRate: 2, Activation: "tanh"}),
				layers.NewConv1D(6, 3, layers.Conv1DOptions{Groups: 3, Strides: 2, Padding: "same"}),
				layers.NewCropping1D([2]int{1, 2}),
				layers.NewDepthwiseConv1D(3, layers.DepthwiseConv1DOptions{DepthMultiplier: 2, Padding: "same", Activation: "relu"}),
				layers.NewDepthwiseConv1D(2, layers.DepthwiseConv1DOptions{DilationRate: 2, NoBias: true}),
				layers.NewSeparableConv1D(4, 3, layers.SeparableConv1DOptions{DepthMultiplier: 2, Padding: "same", Activation: "tanh"}),
				layers.NewSeparableConv1D(3, 2, layers.SeparableConv1DOptions{DilationRate: 2}),
				layers.NewUpSampling1D(2),
				layers.NewAveragePooling1D(3, layers.Pooling1DOptions{Strides: 2, Padding: "same"}),
				layers.NewMaxPooling1D(2, layers.Pooling1DOptions{Strides: 1}),
				layers.NewConv1D(4, 2, layers.Conv1DOptions{Padding: "causal", Strides: 2, NoBias: true}),
				layers.NewConv1DTranspose(3, 3, layers.Conv1DTransposeOptions{Strides: 2, Padding: "same", Activation: "relu"}),
				layers.NewConv1DTranspose(2, 2, layers.Conv1DTransposeOptions{Strides: 3, OutputPadding: &one}),
				layers.NewGlobalMaxPooling1D(layers.GlobalPoolingOptions{Keepdims: true}),
				layers.NewFlatten(),
				layers.NewDense(2),
			)
		},
	}
	filesInKeras(t, builds, []int{3, 32, 3})
}
