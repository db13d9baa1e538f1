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
	initial, nOuts, err := m.graphInitialStates()
	if err != nil && strict {
		return err
	}
	mixed := m.graphMaskMixed(recv)
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
		if mixed[l] {
			g, err = nil, fmt.Errorf("%w: a Keras mask reaches some calls of the layer and not others: kerasgo's TF graphs give one layer's calls one mask", ErrUnsupported)
		} else if sg, ok := l.(layers.StateGrapher); ok && initial[l] != 0 {
			msg, maskedOK := l.(layers.MaskedStateGrapher)
			mg, _ := l.(layers.MaskedGrapher)
			// Keras 3 gives a call passing initial_state no mask (graphMaskUsers skips them):
			// recv then comes from the layer's calls without initial_state.
			k3 := m.fn.keras3Calls
			switch {
			case recvN[l] != nil || recv[l] && (mg == nil || !k3 && !maskedOK):
				g, err = nil, fmt.Errorf("%w: initial_state with a Keras mask has no TF graph in kerasgo for this layer class", ErrUnsupported)
			case recv[l] && k3: // masked calls without initial_state, unmasked ones with it
				if g, err = mg.GraphMasked(); err == nil {
					g.InitialState, err = sg.GraphInitialState()
				}
			case recv[l] && initial[l] == 1:
				// Masked steps keep the states, from the initial ones.
				g, err = msg.GraphMaskedInitialState()
			case recv[l]: // masked calls with and without initial_state: both graphs
				if g, err = mg.GraphMasked(); err == nil {
					g.InitialState, err = msg.GraphMaskedInitialState()
				}
			case initial[l] == 1:
				g, err = sg.GraphInitialState()
			default: // calls with and without initial_state: both graphs
				if g, err = gr.Graph(); err == nil {
					g.InitialState, err = sg.GraphInitialState()
				}
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
				if g.InitialState != nil {
					g.InitialState.PassesMask = true
				}
			}
		}
		if err == nil && nOuts[l] > 1+len(g.MoreOutputs) {
			// A call returning more tensors than the layer's TF graph gives.
			err = &MultiOutputGraphError{Layer: l.Name(), Class: l.Class(), Inputs: 1, Outputs: nOuts[l]}
		}
		if err == nil {
			g, err = layers.PolicyGraph(l, g) // 16-bit dtype policies: casts and variable dtypes
		}
		if err == nil && g.InitialState != nil {
			g.InitialState, err = layers.PolicyGraph(l, g.InitialState)
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

// graphMaskMixed returns the layers a Keras mask reaches (recv: their graphs read "$mask")
// that are also called on a main input no mask reaches, other than by Keras 3's calls given
// initial_state, which take no mask whatever reaches them (their graph is another one).
func (m *Model) graphMaskMixed(recv map[layers.Layer]bool) map[layers.Layer]bool {
	out := map[layers.Layer]bool{}
	if m.fn == nil {
		return out
	}
	for _, n := range m.fn.nodes {
		if recv[n.layer] && len(n.in) > 0 && n.in[0].mask.by == "" && !m.fn.unmaskedCall(n) {
			out[n.layer] = true
		}
	}
	return out
}

// graphInitialStates returns the recurrent layers (layers.StateGrapher) of a Functional
// model whose calls pass initial_state: 1 when all of them do, 2 when some do and some do not
// (the layer's graph then carries the second one, LayerGraph.InitialState). It also returns
// the most tensors a call of each layer returns (return_state: the layer's graph must give as
// many, LayerGraph.MoreOutputs). A call with tensors beside its main input of any other layer
// (Bidirectional's initial_state) is a MultiOutputGraphError.
func (m *Model) graphInitialStates() (map[layers.Layer]int, map[layers.Layer]int, error) {
	if m.fn == nil {
		return nil, nil, nil
	}
	out := map[layers.Layer]int{}
	nOuts := map[layers.Layer]int{}
	calls := map[layers.Layer]int{}
	for _, n := range m.fn.nodes {
		nOuts[n.layer] = max(nOuts[n.layer], len(n.outs))
		calls[n.layer]++
		sr, scores := n.layer.(layers.ScoresReturner)
		scores = scores && n.list && sr.ReturnScores()
		// one input, a merge layer's inputs, or an attention layer's inputs (its graph returns
		// the scores as LayerGraph.MoreOutputs)
		if !n.multi || len(n.in) < 2 || scores {
			continue
		}
		if _, ok := n.layer.(layers.StateGrapher); !ok {
			return nil, nil, &MultiOutputGraphError{Layer: n.layer.Name(), Class: n.layer.Class(), Inputs: len(n.in), Outputs: len(n.outs)}
		}
		out[n.layer]++
	}
	for l, k := range out {
		out[l] = 1
		if k < calls[l] {
			out[l] = 2
		}
	}
	return out, nOuts, nil
}

// MultiOutputGraphError refuses a SavedModel of a model with a layer call that returns several
// tensors or takes tensors beside its main input, of a layer whose TF graph in kerasgo does
// not give them (Bidirectional's initial_state). It wraps ErrUnsupported.
type MultiOutputGraphError struct {
	Layer, Class    string
	Inputs, Outputs int
}

func (e *MultiOutputGraphError) Error() string {
	return fmt.Sprintf("layer %q (%s) is called on %d tensors and returns %d: kerasgo writes no TF graph (SavedModel) of this layer for such a call",
		e.Layer, e.Class, e.Inputs, e.Outputs)
}

func (e *MultiOutputGraphError) Unwrap() error { return ErrUnsupported }
