package compat

import (
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
)

// TestConvDilationGroupsFilesInKeras saves Sequential models with dilated and grouped Conv2D
// layers from Go as .h5, .keras and SavedModel; tf_keras 2.21, Keras 3.15 and
// tf.saved_model load them with Go's summaries and predictions.
func TestConvDilationGroupsFilesInKeras(t *testing.T) {
	python(t)
	builds := map[string]func() *model.Sequential{
		"conv_dil_groups": func() *model.Sequential {
			return model.NewSequential(
				model.Input(9, 8, 4),
				layers.NewConv2D(6, [2]int{3, 3}, layers.Conv2DOptions{DilationRate: [2]int{2, 2}, Activation: "relu"}),
				layers.NewConv2D(6, [2]int{3, 2}, layers.Conv2DOptions{Groups: 3, DilationRate: [2]int{2, 1}, Padding: "same", Activation: "tanh"}),
				layers.NewConv2D(4, [2]int{2, 2}, layers.Conv2DOptions{Groups: 2, Strides: [2]int{2, 2}, NoBias: true}),
				layers.NewFlatten(),
				layers.NewDense(2),
			)
		},
	}
	filesInKeras(t, builds, []int{3, 9, 8, 4})
}
