// Package saved is kerasgo's neutral saved form: everything a Keras save holds (architecture
// config, per-layer weights in Keras order, optimizer config and state, training config,
// versions) as one plain Go struct with no behaviour.
//
// The codecs (h5, checkpoint, savedmodel) translate between this struct and their on-disk
// layouts; model converts between it and live layers. Codecs never import model or layers.
package saved

import (
	"encoding/json"

	"github.com/kerasgo/kerasgo/tensor"
)

// Dialect names the Keras JSON config dialect of Model.Config and Optimizer.Config.
type Dialect int

const (
	// Keras2 is the tf_keras dialect: objects are {"class_name", "config"}; InputLayer uses
	// batch_input_shape; dtype is a string.
	Keras2 Dialect = iota
	// Keras3 is the Keras 3 dialect: objects are {"module", "class_name", "config",
	// "registered_name"} with build_config; InputLayer uses batch_shape; dtype a DTypePolicy.
	Keras3
)

func (d Dialect) String() string {
	if d == Keras3 {
		return "keras3"
	}
	return "keras2"
}

// InputLayerClass is the Keras class name of a model's input placeholder ("InputLayer"):
// structure, not a computation, so the codecs that walk a model config may recognise it.
const InputLayerClass = "InputLayer"

// Model is one saved Keras model (or, with Config nil, a weights-only save).
type Model struct {
	// Config is the model's architecture as Keras JSON, e.g. {"class_name":"Sequential",
	// "config":{...}}, in Dialect. Nil for a weights-only save.
	Config  json.RawMessage
	Dialect Dialect
	// KerasVersion and Backend as the writer recorded them ("2.21.0", "tensorflow").
	KerasVersion string
	Backend      string
	// Layers in model.layers order (Sequential: without the InputLayer), including layers that
	// have no weights.
	Layers []Layer
	// TrainingConfig is the compile information: tf_keras "training_config" JSON (Keras2) or
	// Keras 3 "compile_config" JSON (Keras3). Nil when the model was not compiled.
	TrainingConfig json.RawMessage
	// Optimizer is the optimizer's state, nil when absent.
	Optimizer *Optimizer
}

// Layer is one layer's weights.
type Layer struct {
	Name  string // the layer's name, "conv_1"
	Class string // Keras class name, "Conv2D"
	// Weights in Keras order: trainable weights first, then non-trainable
	// (BatchNormalization: gamma, beta, moving_mean, moving_variance).
	Weights []Variable
	// Graph holds what the layer's implementation declares about it (shapes, training
	// argument, TF graph ops); nil when a codec read the layer from a file. See LayerGraph.
	Graph *LayerGraph
	// Path is where the file keeps the layer when the file names layers by path rather than
	// by layer name (a Keras 3 weights file without config: "max_pooling2d_1"); "" otherwise.
	Path string
	// Tracked names the layer's tracked child objects that hold no variable, which tf_keras
	// checkpoints list before the layer's weights (BatchNormalization's "axis" list). The
	// model fills it from the layer; the checkpoint reader from the file.
	Tracked []string
	// Children are the layers of a nested model (a Sequential or Functional model used as a
	// layer) in its model.layers order, nil for other layers. Weights then holds all of
	// their weights (see NestedWeights), sharing the tensors.
	Children []Layer
	// Subs, when not nil, are the tracked sub-objects that hold the layer's variables (a
	// wrapper's inner layers; see SubObject).
	Subs []SubObject
}

// Variable is one weight of a layer.
type Variable struct {
	// Name is the short weight name as Keras names the variable inside its layer:
	// "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance".
	Name      string
	Trainable bool
	Value     *tensor.Tensor
}

// Optimizer is an optimizer's configuration and state.
type Optimizer struct {
	// Class is the Keras class name without registration prefix: "Adam", "SGD", "RMSprop".
	Class string
	// Config is the optimizer's get_config() JSON object (the "config" part only), in the
	// Model's Dialect.
	Config json.RawMessage
	// Iterations is the optimizer's step counter.
	Iterations int64
	// LearningRate is the current learning rate (Keras 3 stores it as a variable).
	LearningRate float32
	// Slots holds the per-variable state in Keras 3's order: for each trainable variable of the
	// model (in model.trainable_variables order) its slots in the optimizer's order.
	Slots []Slot
	// Name is the optimizer object's name as the file records it ("adam", "adam_1"), or "".
	// It is not an identifier: Keras 3 numbers the names of further optimizers of a class.
	Name string
	// Variables, when not nil, are the optimizer's variables exactly as a Keras 3 weights
	// file stores them (optimizer/vars/0, 1, ...): the iteration counter, the learning rate
	// (absent when it is a schedule), then the slot variables in the optimizer's order.
	// Keras 3 assigns them by position to the variables of the optimizer it loads into, so
	// they can be restored without knowing the layout; Iterations and LearningRate are read
	// from them, and Slots is filled only when the codec could tell which model variable
	// each slot belongs to (a .keras config gives the layers and the optimizer's settings).
	// A Keras 3 writer writes Variables as they are when Slots is empty.
	Variables []*tensor.Tensor
}

// Slot is one optimizer slot variable.
type Slot struct {
	// Layer and Weight name the model variable the slot belongs to ("conv_1", "kernel").
	Layer, Weight string
	// Name is the slot's name in Keras 3 terms: Adam "momentum", "velocity" (and
	// "velocity_hat" with amsgrad); Adamax "momentum", "norm"; SGD "momentum"; RMSprop
	// "velocity", "momentum", "average_gradient". Codecs translate to their own dialect
	// (Keras2SlotName: tf_keras Adam "m", "v", "vhat"; Adamax "m", "u"; SGD "m"; RMSprop
	// unchanged).
	Name  string
	Value *tensor.Tensor
}

// slotNames pairs, per optimizer class, tf_keras's slot names (2.11+ optimizers) with Keras
// 3's, as both libraries name their optimizer variables. Slots not listed have the same name
// in both (RMSprop "velocity", "momentum", "average_gradient"; Adagrad "accumulator"; ...).
var slotNames = map[string][][2]string{
	"Adam":   {{"m", "momentum"}, {"v", "velocity"}, {"vhat", "velocity_hat"}},
	"AdamW":  {{"m", "momentum"}, {"v", "velocity"}, {"vhat", "velocity_hat"}},
	"Nadam":  {{"m", "momentum"}, {"v", "velocity"}},
	"Adamax": {{"m", "momentum"}, {"u", "norm"}},
	"SGD":    {{"m", "momentum"}},
	"Lion":   {{"m", "momentum"}},
}

// Keras2SlotName returns the tf_keras (new optimizer, 2.11+) name of a Keras 3 slot name for
// the given optimizer class.
func Keras2SlotName(class, keras3 string) string {
	for _, p := range slotNames[class] {
		if p[1] == keras3 {
			return p[0]
		}
	}
	return keras3
}

// Keras3SlotName is the inverse of Keras2SlotName.
func Keras3SlotName(class, keras2 string) string {
	for _, p := range slotNames[class] {
		if p[0] == keras2 {
			return p[1]
		}
	}
	return keras2
}

// TrainableVariables lists (layer, weight) pairs of trainable weights in model order.
func (m *Model) TrainableVariables() [][2]string {
	var out [][2]string
	for i := range m.Layers {
		l := &m.Layers[i]
		for _, w := range l.Weights {
			if w.Trainable {
				out = append(out, l.VarKey(w))
			}
		}
	}
	return out
}
