package model

import "github.com/kerasgo/kerasgo/losses"

// The losses kerasgo trains with (package losses). Names are Keras's function names.
const (
	LossSparseCategoricalCrossentropy = losses.SparseCategoricalCrossentropy
	LossCategoricalCrossentropy       = losses.CategoricalCrossentropy
	LossBinaryCrossentropy            = losses.BinaryCrossentropy
	LossMeanSquaredError              = losses.MeanSquaredError
)
