package model

import (
	"fmt"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// layerGraphs fills sm.Layers[i].Graph from the model's layers (layers.Grapher): what each
// layer class declares about its TF graph, which the SavedModel writer needs. sm.Layers must
// be the model's layers in order (weightsToSaved); a Functional model's InputLayers get no graph
// (the SavedModel writer wires the layers' calls from the model config, every call of a shared
// layer with the layer's one graph). With strict a layer without a graph (its
// class does not implement one, or Graph fails: an option with no TF lowering) is an error
// naming it; otherwise its Graph stays nil, and only a SavedModel writer will fail on it.
func (m *Model) layerGraphs(sm *saved.Model, strict bool) error {
	if len(sm.Layers) != len(m.layers) {
		return fmt.Errorf("%w: %d saved layers for %d model layers", ErrFormat, len(sm.Layers), len(m.layers))
	}
	if l, by := m.maskUser(); l != nil && strict {
		return fmt.Errorf("%w: layer %s uses the Keras mask of layer %s: kerasgo's TF graphs (SavedModel) compute no masks",
			ErrUnsupported, layerWho(l), by)
	}
	for i, l := range m.layers {
		sm.Layers[i].Graph = nil
		if _, ok := l.(*InputLayer); ok {
			continue
		}
		if n, ok := l.(*Nested); ok {
			// A nested model: the graphs of its own layers (the writer lowers it from them).
			inner := &saved.Model{Layers: sm.Layers[i].Children}
			if err := n.m.layerGraphs(inner, strict); err != nil {
				return layerErr(i, l.Name(), l.Class(), err)
			}
			continue
		}
		gr, ok := l.(layers.Grapher)
		if !ok {
			if strict {
				return layerErr(i, l.Name(), l.Class(), fmt.Errorf("%w: no TF graph for this layer class", ErrUnsupported))
			}
			continue
		}
		g, err := gr.Graph()
		if err == nil {
			g, err = layers.PolicyGraph(l, g) // 16-bit dtype policies: casts and variable dtypes
		}
		if err != nil {
			if strict {
				return layerErr(i, l.Name(), l.Class(), err)
			}
			continue
		}
		sm.Layers[i].Graph = g
	}
	return nil
}
