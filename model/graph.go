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
	recv, recvN, err := m.graphMaskUsers()
	if err != nil && strict {
		return err
	}
	if m.fn != nil && strict {
		for _, n := range m.fn.nodes {
			if n.multi {
				return &MultiOutputGraphError{Layer: n.layer.Name(), Class: n.layer.Class(), Inputs: len(n.in), Outputs: len(n.outs)}
			}
		}
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
		var g *saved.LayerGraph
		var err error
		if mg, ok := l.(layers.MaskedGrapher); ok && recv[l] {
			g, err = mg.GraphMasked()
		} else if mg, ok := l.(layers.MaskedGrapherN); ok && recvN[l] != nil {
			g, err = mg.GraphMaskedN(recvN[l])
		} else {
			g, err = gr.Graph()
		}
		if err == nil && len(recv)+len(recvN) > 0 {
			// Masks reach layers: the producers compute them, the passers carry them.
			layers.AddMaskOps(l, g)
			if mp, ok := l.(layers.MaskPasser); ok && mp.PassesMask() {
				g.PassesMask = true
			}
		}
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

// MultiOutputGraphError refuses a SavedModel of a model with a layer call that returns several
// tensors (return_state) or takes tensors beside its main input (initial_state): kerasgo's TF
// graphs give each layer call one input and one output. It wraps ErrUnsupported.
type MultiOutputGraphError struct {
	Layer, Class    string
	Inputs, Outputs int
}

func (e *MultiOutputGraphError) Error() string {
	return fmt.Sprintf("layer %q (%s) is called on %d tensors and returns %d: kerasgo's TF graphs (SavedModel) take one tensor in and one out per layer call (return_state, initial_state are not written)",
		e.Layer, e.Class, e.Inputs, e.Outputs)
}

func (e *MultiOutputGraphError) Unwrap() error { return ErrUnsupported }
