package model

import (
	"github.com/kerasgo/kerasgo/saved"
)

// saveKerasDir writes an unzipped Keras 3 model directory (codecs.go wires h5.SaveKerasDir).
var saveKerasDir func(dir string, m *saved.Model) error

// SaveKerasDir writes the whole model as Keras 3's model.save(dir, zipped=False) does: a
// directory holding config.json, metadata.json and model.weights.h5 (what a .keras zip
// holds, unzipped), which Load, LoadWeights and Keras 3's keras.saving.load_model(dir) read.
// As in Keras, dir must not end in ".keras" (Save(path.keras) writes the zip).
func (m *Model) SaveKerasDir(dir string) error {
	return m.saveWith(saveKerasDir, "unzipped Keras 3 directory", dir, saved.Keras3)
}
