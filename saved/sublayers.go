package saved

import "strings"

// SubLayer is one sub-layer of a layer class that owns some of the layer's variables
// (MultiHeadAttention's EinsumDense "query"). Its variables are named "<Name>/<short>" in
// saved.Layer.Weights, as tf_keras's HDF5 weight names and the variables' full names have
// them ("mha/query/kernel"); Keras 3 weight files keep them in layers/<path>/<Keras3>/vars and
// TF checkpoints under the layer's child object <Checkpoint>.
type SubLayer struct {
	Name, Keras3, Checkpoint string
}

// SubLayersOf returns the registered SubLayers of a class (nil when none or unknown).
func SubLayersOf(class string) []SubLayer {
	f, _ := Facts(class)
	return f.SubLayers
}

// Keras3ChildrenOf returns the registered Keras3Children of a class.
func Keras3ChildrenOf(class string) []SubLayer {
	f, _ := Facts(class)
	return f.Keras3Children
}

// SubLayerOf returns the sub-layer of class that owns the variable named weight
// ("query/kernel") and the variable's short name ("kernel").
func SubLayerOf(class, weight string) (SubLayer, string, bool) {
	sub, short, ok := strings.Cut(weight, "/")
	if !ok {
		return SubLayer{}, "", false
	}
	for _, s := range SubLayersOf(class) {
		if s.Name == sub {
			return s, short, true
		}
	}
	return SubLayer{}, "", false
}

// TensorArgsOf returns the registered TensorArgs of a class.
func TensorArgsOf(class string) []string {
	f, _ := Facts(class)
	return f.TensorArgs
}
