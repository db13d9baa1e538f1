package model

import (
	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/savedmodel"
)

// This file wires the codec packages into Save and Load (see the codecs variable in save.go).
// Without cgo, the h5 functions return h5's clear "built without cgo" error.
func init() {
	codecs.saveH5 = h5.SaveModel
	codecs.saveH5Weights = h5.SaveWeights
	codecs.saveH5WeightsKeras3 = h5.SaveWeightsKeras3
	codecs.saveKeras = h5.SaveKeras
	saveKerasDir = h5.SaveKerasDir
	codecs.loadH5 = h5.Load
	codecs.loadKeras = h5.LoadKeras
	codecs.saveCheckpoint = checkpoint.SaveKerasWeights
	codecs.loadCheckpoint = checkpoint.LoadKerasWeights
	codecs.saveSavedModel = savedmodel.Save
	codecs.loadSavedModel = savedmodel.Load
}
