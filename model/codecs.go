package model

import (
	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/saved"
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
	codecs.loadH5 = func(p string, n int64) (*saved.Model, error) { return h5.ReadOptions{MaxTensorBytes: n}.Load(p) }
	codecs.loadKeras = func(p string, n int64) (*saved.Model, error) {
		return h5.ReadOptions{MaxTensorBytes: n}.LoadKeras(p)
	}
	codecs.saveCheckpoint = checkpoint.SaveKerasWeights
	codecs.loadCheckpoint = func(p string, n int64) (*saved.Model, error) {
		return checkpoint.ReaderOptions{MaxTensorBytes: n}.LoadKerasWeights(p)
	}
	codecs.saveSavedModel = savedmodel.Save
	codecs.loadSavedModel = func(p string, n int64) (*saved.Model, error) {
		return savedmodel.ReaderOptions{MaxTensorBytes: n}.Load(p)
	}
}
