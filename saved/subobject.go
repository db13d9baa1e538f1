package saved

import "fmt"

// SubObject is a tracked object inside a layer that owns some of the layer's variables: a
// wrapper's inner layer (Bidirectional's "forward_layer", TimeDistributed's "layer") and,
// inside an inner RNN layer, its "cell". A layer with Subs keeps all its variables in them, in
// the order of Subs, N consecutive Weights each; its Weights are then named by their path as
// tf_keras names the variables inside the layer ("forward_lstm/lstm_cell/kernel"), so that
// their last element is the short name under which checkpoints track them.
//
// Each codec takes what its format keeps: tf_keras HDF5 the weight names as they are
// ("bidirectional/forward_lstm/lstm_cell/kernel:0"); Keras 3 weight files the variables in
// layers/<layer path>/<Path...>/vars/<i> (each group on the path with a vars group named
// Names[k]); TF checkpoints and SavedModels the children Path[0]/Path[1]/.../<short name> of
// the layer's object with full names "<layer>/<weight name>".
type SubObject struct {
	// Path names the tracked children from the layer down to the object holding the
	// variables: {"forward_layer", "cell"}, {"layer"}.
	Path []string
	// Names are the Keras 3 names of the objects on Path (the "name" attribute of their vars
	// groups): {"forward_lstm", "lstm_cell"}, {"dense"}.
	Names []string
	// N is the number of the layer's Weights the object holds.
	N int
	// Keras3Path and Keras3Names, when set, are the groups Keras 3 weight files keep the
	// variables under where they differ from Path (a StackedRNNCells cell: Path {"cell",
	// "cells", "0"} as TF checkpoints track it, Keras3Path {"cell", "cells", "gru_cell"}); a
	// step whose name is "" has no vars group.
	Keras3Path, Keras3Names []string
}

// Keras3Groups returns the path and names Keras 3 weight files use for the sub-object.
func (so SubObject) Keras3Groups() ([]string, []string) {
	if so.Keras3Path != nil {
		return so.Keras3Path, so.Keras3Names
	}
	return so.Path, so.Names
}

// SubRange returns the index range [lo, hi) of l.Weights held by l.Subs[i].
func (l *Layer) SubRange(i int) (lo, hi int) {
	for k := 0; k < i; k++ {
		lo += l.Subs[k].N
	}
	return lo, lo + l.Subs[i].N
}

// CheckSubs reports whether l.Subs are well formed: each with a path, a name per step, and
// together exactly the layer's weights.
func CheckSubs(l *Layer) error {
	n := 0
	for _, so := range l.Subs {
		if len(so.Path) == 0 || len(so.Names) != len(so.Path) || so.N < 0 || len(so.Keras3Path) != len(so.Keras3Names) {
			return fmt.Errorf("sub-object %v: want a path with one name per step", so.Path)
		}
		n += so.N
	}
	if n != len(l.Weights) {
		return fmt.Errorf("sub-objects hold %d variables, the layer has %d", n, len(l.Weights))
	}
	return nil
}
