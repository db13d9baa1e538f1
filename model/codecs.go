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
	codecs.loadH5 = func(p string, o LoadOptions) (*saved.Model, error) { return h5Options(o).Load(p) }
	codecs.loadKeras = func(p string, o LoadOptions) (*saved.Model, error) { return h5Options(o).LoadKeras(p) }
	codecs.saveCheckpoint = checkpoint.SaveKerasWeights
	codecs.loadCheckpoint = func(p string, o LoadOptions) (*saved.Model, error) {
		return checkpoint.ReaderOptions{MaxTensorBytes: o.MaxTensorBytes, MaxTotalBytes: o.MaxTotalBytes}.LoadKerasWeights(p)
	}
	codecs.saveSavedModel = savedmodel.Save
	codecs.loadSavedModel = func(p string, o LoadOptions) (*saved.Model, error) {
		return savedmodel.ReaderOptions{MaxTensorBytes: o.MaxTensorBytes, MaxTotalBytes: o.MaxTotalBytes,
			MaxConfigBytes: o.maxConfigBytes()}.Load(p)
	}
}

// h5Options are the limits of o for the HDF5 and .keras readers.
func h5Options(o LoadOptions) h5.ReadOptions {
	return h5.ReadOptions{MaxTensorBytes: o.MaxTensorBytes, MaxTotalBytes: o.MaxTotalBytes, MaxConfigBytes: o.maxConfigBytes()}
}
