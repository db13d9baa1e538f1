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
	initial, err := m.graphInitialStates()
	if err != nil && strict {
		return err
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
		if sg, ok := l.(layers.StateGrapher); ok && initial[l] {
			if recv[l] || recvN[l] != nil {
				g, err = nil, fmt.Errorf("%w: initial_state with a Keras mask has no TF graph in kerasgo", ErrUnsupported)
			} else {
				g, err = sg.GraphInitialState()
			}
		} else if mg, ok := l.(layers.MaskedGrapher); ok && recv[l] {
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

// graphInitialStates returns the recurrent layers (layers.StateGrapher) of a Functional
// model whose calls pass initial_state: every call of such a layer must pass it (one graph per
// layer). A call with several tensors in or out of any other layer (Bidirectional's
// return_state or initial_state) is a MultiOutputGraphError.
func (m *Model) graphInitialStates() (map[layers.Layer]bool, error) {
	if m.fn == nil {
		return nil, nil
	}
	calls := map[layers.Layer][]bool{}
	for _, n := range m.fn.nodes {
		if sr, ok := n.layer.(layers.ScoresReturner); !n.multi || (ok && n.list && sr.ReturnScores()) {
			// (an attention layer's graph returns its scores as LayerGraph.MoreOutputs)
			calls[n.layer] = append(calls[n.layer], false)
			continue
		}
		if _, ok := n.layer.(layers.StateGrapher); !ok {
			return nil, &MultiOutputGraphError{Layer: n.layer.Name(), Class: n.layer.Class(), Inputs: len(n.in), Outputs: len(n.outs)}
		}
		calls[n.layer] = append(calls[n.layer], len(n.in) > 1)
	}
	out := map[layers.Layer]bool{}
	for l, cs := range calls {
		for _, c := range cs {
			if c != cs[0] {
				return nil, &MultiOutputGraphError{Layer: l.Name(), Class: l.Class(), Inputs: 0, Outputs: 0}
			}
		}
		if cs[0] {
			out[l] = true
		}
	}
	return out, nil
}

// MultiOutputGraphError refuses a SavedModel of a model with a layer call that returns several
// tensors or takes tensors beside its main input, of a layer whose TF graph in kerasgo has
// one input and one output (Bidirectional's return_state, initial_state), or a recurrent
// layer called both with and without initial_state. It wraps ErrUnsupported.
type MultiOutputGraphError struct {
	Layer, Class    string
	Inputs, Outputs int
}

func (e *MultiOutputGraphError) Error() string {
	return fmt.Sprintf("layer %q (%s) is called on %d tensors and returns %d: kerasgo writes this layer's TF graph (SavedModel) for one tensor in and one out per call, or a recurrent layer's calls all with or all without initial_state",
		e.Layer, e.Class, e.Inputs, e.Outputs)
}

func (e *MultiOutputGraphError) Unwrap() error { return ErrUnsupported }
