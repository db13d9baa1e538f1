package compat

import (
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
)

// TestConv2DFamilyFilesInKeras saves Sequential models with DepthwiseConv2D, SeparableConv2D
// and Conv2DTranspose layers (strides, both paddings, dilation, depth multipliers, output
// padding) from Go as .h5, .keras and SavedModel; tf_keras 2.21, Keras 3.15 and
// tf.saved_model load them with Go's summaries and predictions.
func TestConv2DFamilyFilesInKeras(t *testing.T) {
	python(t)
	op := [2]int{1, 1}
	builds := map[string]func() *model.Sequential{
		"conv2d_family": func() *model.Sequential {
			return model.NewSequential(
				model.Input(9, 8, 3),
				layers.NewDepthwiseConv2D([2]int{3, 3}, layers.DepthwiseConv2DOptions{DepthMultiplier: 2, Padding: "same", Activation: "relu"}),
				layers.NewSeparableConv2D(4, [2]int{3, 3}, layers.SeparableConv2DOptions{Strides: [2]int{2, 2}, Padding: "same"}),
				layers.NewConv2DTranspose(3, [2]int{3, 3}, layers.Conv2DTransposeOptions{Strides: [2]int{2, 2}, Activation: "tanh"}),
				layers.NewDepthwiseConv2D([2]int{3, 3}, layers.DepthwiseConv2DOptions{DilationRate: [2]int{2, 2}, NoBias: true}),
				layers.NewSeparableConv2D(2, [2]int{2, 2}, layers.SeparableConv2DOptions{DepthMultiplier: 2, DilationRate: [2]int{2, 1}, Padding: "same", Activation: "sigmoid"}),
				layers.NewConv2DTranspose(2, [2]int{3, 3}, layers.Conv2DTransposeOptions{Strides: [2]int{2, 2}, Padding: "same", OutputPadding: &op}),
				layers.NewFlatten(),
				layers.NewDense(2),
			)
		},
	}
	filesInKeras(t, builds, []int{3, 9, 8, 3})
}
