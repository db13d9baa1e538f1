package model

// This file wires the codec packages into Save and Load (see the codecs variable in save.go).
// Only codecs whose packages build are wired; the rest fail with ErrUnsupported until the
// lead wires them at integration:
//
//	codecs.saveH5 = h5.SaveModel
//	codecs.saveH5Weights = h5.SaveWeights
//	codecs.saveH5WeightsKeras3 = h5.SaveWeightsKeras3
//	codecs.saveKeras = h5.SaveKeras
//	codecs.loadH5 = h5.Load
//	codecs.loadKeras = h5.LoadKeras
//	codecs.saveCheckpoint = checkpoint.SaveKerasWeights
//	codecs.loadCheckpoint = checkpoint.LoadKerasWeights
//	codecs.saveSavedModel = savedmodel.Save
//	codecs.loadSavedModel = savedmodel.Load
