package compat

import (
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
)

// TestNormalizationFilesInKeras saves Sequential models with the normalization and
// preprocessing layers from Go as .h5, .keras and SavedModel; tf_keras 2.21, Keras 3.15 and
// tf.saved_model load them with Go's summaries and predictions (Normalization's count is
// written int64, as Keras keeps it).
func TestNormalizationFilesInKeras(t *testing.T) {
	python(t)
	seed := 3
	builds := map[string]func() *model.Sequential{
		"norm_stack": func() *model.Sequential {
			bn := layers.NewBatchNormalization()
			bn.SetAxis(1)
			return model.NewSequential(
				model.Input(6, 7, 3),
				layers.NewRescaling(0.25, layers.RescalingOptions{Offset: 0.5}),
				layers.NewNormalization(),
				bn,
				layers.NewLayerNormalization(layers.LayerNormOptions{Axis: []int{1, 2}}),
				layers.NewGroupNormalization(3),
				layers.NewUnitNormalization(),
				layers.NewFlatten(),
				layers.NewDense(2),
			)
		},
		"preprocess_stack": func() *model.Sequential {
			return model.NewSequential(
				model.Input(6, 7, 3),
				layers.NewRandomFlip("horizontal", layers.AugmentationOptions{Seed: &seed}),
				layers.NewRandomRotation(0.1),
				layers.NewRandomZoom(0.2),
				layers.NewRandomContrast(0.3),
				layers.NewRandomTranslation(0.1, 0.2),
				layers.NewResizing(9, 5),
				layers.NewCenterCrop(7, 4),
				layers.NewResizing(4, 4, layers.ResizingOptions{Interpolation: "nearest", CropToAspectRatio: true}),
				layers.NewNormalization(layers.NormalizationOptions{Invert: true, Mean: []float64{1, -1, 0}, Variance: []float64{2, 0.5, 1}}),
				layers.NewFlatten(),
				layers.NewDense(3),
			)
		},
	}
	filesInKeras(t, builds, []int{3, 6, 7, 3})
}
