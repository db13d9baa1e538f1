package saved

import (
	"sort"
	"sync"
)

// ClassFacts are the facts about one Keras layer class that a codec may need when it reads a
// file without a model: Keras 3 weight files name a layer's variables only by index and,
// without a config, name the layer only by its path ("max_pooling2d_1").
//
// The layer implementations register them (package layers does so from each class's file),
// the way image formats register with image.RegisterFormat: a program that imports a codec
// without the layers gets no facts, and the codec keeps what the file holds (positional
// variable names "0", "1", ... and no class).
type ClassFacts struct {
	// Class is the canonical Keras class name ("Conv2D").
	Class string
	// Aliases are other class names the facts also apply to ("Convolution2D").
	Aliases []string
	// BaseName is the class's snake-case base of Keras's automatic layer names and of Keras 3
	// weight-file paths ("conv2d", "max_pooling2d"); "" when it has none.
	BaseName string
	// WeightNames returns the short Keras names of a layer's n variables in Keras order,
	// given the layer's inner config (nil when the file holds none). An entry it cannot
	// determine is the variable's index ("0"); it returns nil when n variables do not fit
	// the class. Nil WeightNames: the class has no variables.
	WeightNames func(cfg map[string]any, n int) []string
	// NonTrainable are the names of the variables Keras creates non-trainable
	// ("moving_mean").
	NonTrainable []string
	// WeightObject, when not "", is the tracked sub-object of the layer that owns its
	// variables: Keras 3 weight files keep them in layers/<path>/<WeightObject>/vars and TF
	// checkpoints under <layer>/<WeightObject>/<name> (RNN layers: "cell").
	WeightObject string
	// WeightScope, when not "", is the name scope tf_keras puts between the layer's name and
	// a variable's short name in HDF5 weight names ("lstm_cell": "lstm/lstm_cell/kernel:0").
	WeightScope string
	// SubLayers, when not nil, are the layer's sub-layers that own its variables, each
	// variable named "<sub-layer>/<short name>" (MultiHeadAttention's "query/kernel"); see
	// SubLayer.
	SubLayers []SubLayer
	// Keras3Children are the layer's other tracked sub-objects, without variables, whose
	// empty vars groups Keras 3 weight files hold (SubLayer{Name: "softmax", Keras3:
	// "_softmax"}).
	Keras3Children []SubLayer
	// TensorArgs, when not nil, name the tensor arguments of the class's call in input order
	// ("query", "value", "key"): a tf_keras inbound node passes the first as its reference
	// and the others in its kwargs by name.
	TensorArgs []string
}

// WeightObjectOf returns the registered WeightObject of a class ("" when none or unknown).
func WeightObjectOf(class string) string {
	f, _ := Facts(class)
	return f.WeightObject
}

// WeightScopeOf returns the registered WeightScope of a class ("" when none or unknown).
func WeightScopeOf(class string) string {
	f, _ := Facts(class)
	return f.WeightScope
}

var (
	classMu     sync.RWMutex
	classByName = map[string]ClassFacts{}
	classByBase = map[string]ClassFacts{}
)

// RegisterClass makes a layer class's facts available to Facts and ClassFor. Registering a
// class name or base name twice, or facts without a class, is a programming error (it
// panics), as with database/sql.Register.
func RegisterClass(f ClassFacts) {
	if f.Class == "" {
		panic("saved: RegisterClass: facts without a class name")
	}
	classMu.Lock()
	defer classMu.Unlock()
	names := append([]string{f.Class}, f.Aliases...)
	for _, c := range names {
		if _, dup := classByName[c]; dup {
			panic("saved: RegisterClass: class " + c + " registered twice")
		}
	}
	if _, dup := classByBase[f.BaseName]; dup && f.BaseName != "" {
		panic("saved: RegisterClass: base name " + f.BaseName + " registered twice")
	}
	for _, c := range names {
		classByName[c] = f
	}
	if f.BaseName != "" {
		classByBase[f.BaseName] = f
	}
}

// Facts returns the registered facts of a class (canonical name or alias).
func Facts(class string) (ClassFacts, bool) {
	classMu.RLock()
	defer classMu.RUnlock()
	f, ok := classByName[class]
	return f, ok
}

// ClassFor returns the registered facts of the class whose base name is baseName
// ("max_pooling2d": MaxPooling2D's); strip a path's "_1" suffix first.
func ClassFor(baseName string) (ClassFacts, bool) {
	classMu.RLock()
	defer classMu.RUnlock()
	f, ok := classByBase[baseName]
	return f, ok
}

// RegisteredClasses returns the canonical names of the registered classes, sorted.
func RegisteredClasses() []string {
	classMu.RLock()
	defer classMu.RUnlock()
	var out []string
	for n, f := range classByName {
		if n == f.Class {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// The input placeholder is structure, not a layer implementation: its facts are here.
func init() { RegisterClass(ClassFacts{Class: InputLayerClass, BaseName: "input_layer"}) }
