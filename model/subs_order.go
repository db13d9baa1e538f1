package model

import (
	"slices"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// keras3SubsOrder returns the variables of a layer read from a Keras 3 weight file in the
// order of the layer's own sub-objects when the file names them differently from their order
// (StackedRNNCells: Keras 3 keeps the cells under class-based group names, which a reader
// without the model takes in name order). It matches each sub-object of the file by the
// last group of its path; sl.Weights unchanged when anything does not match.
func keras3SubsOrder(l layers.Layer, sl *saved.Layer) []saved.Variable {
	so, ok := l.(layers.SubObjectLayer)
	if !ok || len(sl.Subs) == 0 {
		return sl.Weights
	}
	mine := so.SubObjects()
	if len(mine) != len(sl.Subs) || !slices.ContainsFunc(mine, func(s saved.SubObject) bool { return s.Keras3Path != nil }) {
		return sl.Weights
	}
	if saved.CheckSubs(sl) != nil {
		return sl.Weights
	}
	var out []saved.Variable
	for _, m := range mine {
		path, _ := m.Keras3Groups()
		j := slices.IndexFunc(sl.Subs, func(s saved.SubObject) bool {
			return len(s.Path) > 0 && s.Path[len(s.Path)-1] == path[len(path)-1]
		})
		if j < 0 || sl.Subs[j].N != m.N {
			return sl.Weights
		}
		lo, hi := sl.SubRange(j)
		out = append(out, sl.Weights[lo:hi]...)
	}
	return out
}
