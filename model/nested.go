package model

import (
	"fmt"
	"slices"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// maxNesting bounds how deep models read from a config may hold models as layers.
const maxNesting = 16

// Nested is a model used as a layer of another model (Keras's nested models: a Sequential
// or Functional model added to a Sequential, or called on a tensor in a Functional model).
// Its weights are the nested model's own; its class is the nested model's ("Sequential",
// "Functional"). Make one with Model.AsLayer.
type Nested struct {
	m         *Model
	trainable bool
}

// AsLayer returns m as a layer of another model, as Keras lets a model be a layer. The layer
// and m share everything (weights, name); a model must be a layer of one model at most.
func (m *Model) AsLayer() *Nested { return &Nested{m: m, trainable: true} }

// Model returns the nested model.
func (n *Nested) Model() *Model { return n.m }

// Name is the nested model's name.
func (n *Nested) Name() string { return n.m.name }

// SetName renames the nested model.
func (n *Nested) SetName(s string) { n.m.name = s }

// Class is "Functional" or "Sequential".
func (n *Nested) Class() string {
	if n.m.fn != nil {
		return "Functional"
	}
	return "Sequential"
}

// Trainable reports the nested model's trainable flag.
func (n *Nested) Trainable() bool { return n.trainable }

// SetTrainable sets the trainable flag of the nested model and, as Keras does, of every
// layer inside it.
func (n *Nested) SetTrainable(t bool) {
	n.trainable = t
	for _, l := range n.m.layers {
		if s, ok := l.(interface{ SetTrainable(bool) }); ok {
			s.SetTrainable(t)
		}
	}
}

// Build builds the nested model for an input shape (without the batch); a built model must
// have been built for that shape.
func (n *Nested) Build(inputShape []int, _ *layers.Rand) error {
	if n.m.Built() {
		if !slices.Equal(n.m.in.shape, inputShape) {
			return fmt.Errorf("%w: model %q was built for input %s, called on %s", ErrShape, n.m.name,
				shapeString(-1, n.m.in.shape), shapeString(-1, inputShape))
		}
		return nil
	}
	return n.m.Build(inputShape...)
}

// Built reports whether the nested model is built.
func (n *Nested) Built() bool { return n.m.Built() }

// InputShape is the nested model's input shape.
func (n *Nested) InputShape() []int {
	if !n.m.Built() {
		return nil
	}
	return slices.Clone(n.m.in.shape)
}

// OutputShape is the nested model's output shape for its input shape.
func (n *Nested) OutputShape(inputShape []int) ([]int, error) {
	if n.m.Built() {
		if !slices.Equal(n.m.in.shape, inputShape) {
			return nil, fmt.Errorf("%w: model %q takes input %s, not %s", ErrShape, n.m.name,
				shapeString(-1, n.m.in.shape), shapeString(-1, inputShape))
		}
		return slices.Clone(n.m.outShape), nil
	}
	// Unbuilt Sequential: run the shapes through the layers.
	s := inputShape
	for _, l := range n.m.layers {
		o, err := l.OutputShape(s)
		if err != nil {
			return nil, layerErr(-1, l.Name(), l.Class(), err)
		}
		s = o
	}
	return s, nil
}

// Weights returns the nested model's weights in Keras's order for a model used as a layer:
// the trainable weights of all its layers, then the non-trainable ones (all in layer order
// when the model is frozen).
func (n *Nested) Weights() []*layers.Weight {
	all := n.m.Weights()
	out := make([]*layers.Weight, 0, len(all))
	for _, w := range all {
		if w.Trainable {
			out = append(out, w)
		}
	}
	for _, w := range all {
		if !w.Trainable {
			out = append(out, w)
		}
	}
	return out
}

// Forward runs the nested model.
func (n *Nested) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	return n.m.forward(x, training)
}

// ForwardWS runs the nested model in inference with the buffers of ws (see
// layers.Workspace), writing nothing in it.
func (n *Nested) ForwardWS(ws *layers.Workspace, x *tensor.Tensor) (*tensor.Tensor, error) {
	y, _, err := n.m.forwardMaskWS(ws, x, false)
	return y, err
}

// Backward propagates dL/dy through the nested model (one input and output).
func (n *Nested) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if g := n.m.fn; g != nil {
		if len(g.inputs) != 1 || len(g.outputs) != 1 {
			return nil, fmt.Errorf("%w: training through nested model %q with %d inputs and %d outputs", ErrUnsupported, n.m.name, len(g.inputs), len(g.outputs))
		}
		dxs, err := g.backwardGrads([]*tensor.Tensor{dy}, nil, n.m.fnVals, true)
		if err != nil {
			return nil, err
		}
		if dxs[0] == nil { // no path from the input: zero gradient
			return tensor.New(tensor.Float32, append([]int{dy.Shape[0]}, n.m.in.shape...))
		}
		return dxs[0], nil
	}
	for i := len(n.m.layers) - 1; i >= 0; i-- {
		l := n.m.layers[i]
		dx, err := l.Backward(dy)
		if err != nil {
			return nil, layerErr(-1, l.Name(), l.Class(), err)
		}
		dy = dx
	}
	return dy, nil
}

// Config returns the nested model's config (the value of "config" of its config object).
func (n *Nested) Config(d saved.Dialect) map[string]any {
	obj, err := n.entry(d, formJSON, false)
	if err != nil {
		return nil
	}
	c, _ := obj["config"].(map[string]any)
	return c
}

// entry is the nested model's entry in the layer list of the model holding it, without the
// keys that the holder adds (Functional: name, inbound_nodes).
func (n *Nested) entry(d saved.Dialect, form configForm, inFunctional bool) (map[string]any, error) {
	// tf_keras writes the layers of a model nested in a Sequential in the full form also in
	// .h5 files, those of a model nested in a Functional in the short form also in to_json.
	inner := formJSON
	if d == saved.Keras2 && inFunctional {
		inner = formH5
	}
	obj, err := n.m.configObject(d, inner)
	if err != nil {
		return nil, err
	}
	delete(obj, "keras_version")
	delete(obj, "backend")
	if c, ok := obj["config"].(map[string]any); ok {
		if _, has := c["trainable"]; has || !n.trainable {
			c["trainable"] = n.trainable
		}
	}
	if form == formH5 {
		return map[string]any{"class_name": obj["class_name"], "config": obj["config"]}, nil
	}
	if d == saved.Keras2 {
		obj["module"] = "keras"
		obj["registered_name"] = nil
		if n.m.fn != nil {
			obj["module"] = "tf_keras.src.engine.functional"
			obj["registered_name"] = "Functional"
		}
		obj["build_config"] = map[string]any{"input_shape": batchShapeJSON(n.m.in.batch, n.m.in.shape)}
	}
	return obj, nil
}

// nestedFromConfig builds a model used as a layer from its entry in a layer list.
func nestedFromConfig(em map[string]any, noData bool, maxParams int64, depth int) (*Nested, []string, error) {
	if depth >= maxNesting {
		return nil, nil, fmt.Errorf("%w: models nested more than %d deep", ErrUnsupported, maxNesting)
	}
	top := make(map[string]any, len(em))
	for k, v := range em {
		switch k {
		case "name", "inbound_nodes", "shared_object_id":
		default:
			top[k] = v
		}
	}
	inner, err := fromConfigObjectDepth(top, noData, maxParams, depth+1)
	if err != nil {
		return nil, nil, err
	}
	ws := inner.warnings
	inner.warnings = nil
	n := inner.AsLayer()
	if c, ok := em["config"].(map[string]any); ok {
		if t, ok := c["trainable"].(bool); ok && !t {
			n.SetTrainable(false)
		}
	}
	return n, ws, nil
}

var _ layers.Layer = (*Nested)(nil)

// nodeOffset is what tf_keras adds to the node index of a call of l in a config: a nested
// model with its own inputs has a node of its own (node 0, its inner graph) before the nodes
// of the model holding it. Keras 3 numbers the calls from 0.
func nodeOffset(l layers.Layer, d saved.Dialect) int {
	if n, ok := l.(*Nested); ok && d == saved.Keras2 && n.m.Built() {
		return 1
	}
	return 0
}

// leafLayers lists ls with every nested model replaced by its own layers (recursively):
// the layers that own the weights, in the order of model.trainable_variables.
func leafLayers(ls []layers.Layer) []layers.Layer {
	var out []layers.Layer
	for _, l := range ls {
		if n, ok := l.(*Nested); ok {
			out = append(out, leafLayers(n.m.layers)...)
			continue
		}
		out = append(out, l)
	}
	return out
}

// toSaved is the saved form of the nested model: its layers as Children, all their weights
// (qualified by their layers' names) as Weights.
func (n *Nested) toSaved(d saved.Dialect) saved.Layer {
	inner := n.m.weightsToSaved(d)
	return saved.Layer{Name: n.Name(), Class: n.Class(), Children: inner.Layers, Weights: saved.NestedWeights(inner.Layers)}
}
