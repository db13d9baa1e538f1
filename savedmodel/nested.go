package savedmodel

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
)

// Nested models (a Sequential or Functional model used as a layer of another model) are
// written as tf_keras writes them: the nested model is an object of its own
// ("_tf_keras_sequential" / "_tf_keras_network") under the holder's layer-<i> and
// layer_with_weights-<j> edges, with its own layers below it by the same scheme (the
// variables belong to the leaf layers, named "<leaf layer>/<weight>" without the nested
// model's name); the root lists every variable of the model, in model.variables order, under
// "variables", so that a nested model's variables get the checkpoint keys tf_keras gives them
// (variables/<n>/.ATTRIBUTES/VARIABLE_VALUE: the breadth-first path through the root's list is
// shorter than the one through the layers). The serving function computes the nested model's
// layers inline, under "<model>/<nested model>/<layer>/".

// nestedModelClass reports whether a layer entry of a model config is a model used as a layer.
func nestedModelClass(class string, lc map[string]any) bool {
	switch class {
	case "Sequential", "Functional", "Model":
		_, ok := lc["layers"].([]any)
		return ok
	}
	return false
}

// parseNested reads the nested model of a config entry (class, its config lc) with the saved
// layer sl that holds its layers (sl.Children). It must have one input and one output.
func parseNested(class string, lc map[string]any, sl *saved.Layer, depth int) (*seqModel, error) {
	if depth >= maxNestedDepth {
		return nil, unsupported("models nested more than %d deep", maxNestedDepth)
	}
	if sl == nil || sl.Children == nil {
		return nil, formatErr("no layers for the nested model (write the model through package model)")
	}
	cj, err := json.Marshal(map[string]any{"class_name": class, "config": lc})
	if err != nil {
		return nil, formatErr("nested model config: %v", err)
	}
	sub, err := parseModel(&saved.Model{Config: cj, Dialect: saved.Keras2, Layers: sl.Children}, depth+1)
	if err != nil {
		return nil, err
	}
	if n, k := len(sub.inputs()), len(sub.outputs()); n != 1 || k != 1 {
		return nil, unsupported("a nested model with %d inputs and %d outputs (one of each is written)", n, k)
	}
	return sub, nil
}

// maxNestedDepth bounds how deep models may hold models as layers.
const maxNestedDepth = 16

// nestedGraph is the graph a nested model presents to the model holding it: its input and
// output shapes (its ops are its layers', lowered by lowerNested).
func nestedGraph(sub *seqModel) *saved.LayerGraph {
	return &saved.LayerGraph{InputShapes: [][]int{sub.inputs()[0].Shape}, OutputShape: sub.outputs()[0].Shape, Training: true}
}

// lowerNested emits the ops of the nested model l.Sub reading input x, under scope (which
// ends with "<nested model>/"), and returns its output.
func lowerNested(b *builder, scope string, l *layerSpec, inputs []string, handles map[string]string) (string, error) {
	sub := l.Sub
	if len(inputs) != 1 {
		return "", formatErr("nested model called on %d inputs", len(inputs))
	}
	sub.prefix = strings.TrimSuffix(scope, l.Name+"/")
	if !sub.Functional {
		return lowerSequential(b, sub, inputs[0], handles)
	}
	outs, err := lowerFunctional(b, sub, map[string]string{sub.Inputs[0].Name: inputs[0]}, handles)
	if err != nil {
		return "", err
	}
	return outs[0], nil
}

// hasWeights reports whether a layer (for a nested model: any of its layers) has variables.
func (l *layerSpec) hasWeights() bool {
	if l.Sub == nil {
		return len(l.Weights) > 0
	}
	for _, c := range l.Sub.Layers {
		if c.hasWeights() {
			return true
		}
	}
	return false
}

// hasNested reports whether sm holds a nested model.
func (sm *seqModel) hasNested() bool {
	for _, l := range sm.Layers {
		if l.Sub != nil {
			return true
		}
	}
	return false
}

// addLayerVariables adds the variables of sm's layers under their layer nodes (l.node, which
// must be set), recursing into nested models whose layer nodes it creates, and returns them
// in model.variables order. varNode collects each variable's node by [layer, weight].
func (t *tree) addLayerVariables(sm *seqModel, varNode map[[2]string]int) ([]*tvar, error) {
	var vars []*tvar
	for _, l := range sm.Layers {
		if l.Sub != nil {
			t.addLayerNodes(l.node, l.Sub)
			vs, err := t.addLayerVariables(l.Sub, varNode)
			if err != nil {
				return nil, err
			}
			vars = append(vars, vs...)
			continue
		}
		if l.Subs != nil {
			// A wrapper: its variables belong to its inner layers' objects (saved.SubObject).
			if err := subsObjects(t, l.node, l, &vars, varNode); err != nil {
				return nil, err
			}
			if len(l.Weights) > 0 {
				t.subVars = true
			}
			continue
		}
		wn := l.node // the node owning the layer's variables
		prefix := l.Name + "/"
		if obj := saved.WeightObjectOf(l.Class); obj != "" && len(l.Weights) > 0 {
			t.subVars = true // tf_keras keys them by the root "variables" list
			// The variables belong to a tracked sub-object (an RNN layer's cell), named
			// "<layer>/<scope>/<weight>" as tf_keras names them.
			wn = t.user(inBoth, genericObjectIdentifier)
			t.link(l.node, obj, wn, inBoth)
			if sc := saved.WeightScopeOf(l.Class); sc != "" {
				prefix += sc + "/"
			}
		}
		subNode := map[string]int{}
		for _, w := range l.Weights {
			v := &tvar{name: prefix + w.Name, value: w.Value, trainable: w.Trainable}
			if sub, short, ok := saved.SubLayerOf(l.Class, w.Name); ok {
				// A variable of a sub-layer (MultiHeadAttention's query EinsumDense), tracked
				// under the layer's child object for it ("_query_dense/kernel").
				n, seen := subNode[sub.Name]
				if !seen {
					id := genericObjectIdentifier
					if subLayerGraph(l, sub.Checkpoint) != nil {
						id = layerIdentifier
					}
					n = t.user(inBoth, id)
					t.link(l.node, sub.Checkpoint, n, inBoth)
					subNode[sub.Name] = n
				}
				vn := t.variable(inBoth, v)
				t.link(n, short, vn, inBoth)
				varNode[[2]string{l.Name, w.Name}] = vn
				vars = append(vars, v)
				t.subVars = true
				continue
			}
			// A trainable layer's non-trainable variables are state Keras creates with
			// synchronization ON_READ and aggregation MEAN (BatchNormalization's moving
			// statistics); in a frozen layer every variable is non-trainable.
			v.onRead = !w.Trainable && boolCfg(l.Cfg, "trainable", true)
			n := t.variable(inBoth, v)
			t.link(wn, w.Name, n, inBoth)
			key := [2]string{l.Name, w.Name}
			if _, dup := varNode[key]; dup {
				return nil, unsupported("two layers named %q hold weight %q (nested models must not repeat layer names)", l.Name, w.Name)
			}
			varNode[key] = n
			vars = append(vars, v)
		}
	}
	return vars, nil
}

// addLayerNodes creates the layer objects of sm under parent, linked as tf_keras's
// Sequential and Functional track them (layer_with_weights-<j> for layers with variables,
// layer-<i> for all; a Functional's layers include its InputLayers), and sets each l.node.
func (t *tree) addLayerNodes(parent int, sm *seqModel) {
	for _, l := range sm.Layers {
		id := layerIdentifier
		switch {
		case l.Input:
			id = inputLayerIdentifier
		case l.Sub != nil && l.Sub.Functional:
			id = networkIdentifier
		case l.Sub != nil:
			id = sequentialIdentifier
		}
		l.node = t.user(inBoth, id)
	}
	nw := 0
	for i, l := range sm.Layers {
		if l.hasWeights() {
			t.link(parent, fmt.Sprintf("layer_with_weights-%d", nw), l.node, inBoth)
			nw++
		}
		t.link(parent, fmt.Sprintf("layer-%d", i), l.node, inBoth)
	}
}
