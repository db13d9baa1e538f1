package savedmodel

import (
	"fmt"
	"sort"

	"github.com/kerasgo/kerasgo/saved"
)

// maxNodes bounds the inbound nodes of one layer a config may declare.
const maxNodes = 1 << 16

// parseFunctional reads a Keras2 (tf_keras) Functional config: its layers in model.layers
// order (InputLayers included), each layer's inbound nodes (tf_keras's inbound_nodes: per
// call, the [layer, node_index, tensor_index, kwargs] of each input), and input_layers /
// output_layers. Weights and graphs come from m by layer name; every call of a layer uses the
// layer's graph, so the calls of a shared layer must have the input shapes it was built for.
func parseFunctional(top map[string]any, m *saved.Model, depth int) (*seqModel, error) {
	cfg, _ := top["config"].(map[string]any)
	rawLayers, _ := cfg["layers"].([]any)
	if cfg == nil || len(rawLayers) == 0 {
		return nil, formatErr("Functional config has no layers")
	}
	sm := &seqModel{Config: cfg, InputDType: "float32", Functional: true}
	sm.Name, _ = cfg["name"].(string)
	if sm.Name == "" {
		sm.Name = "model"
	}
	byName := map[string]*saved.Layer{}
	for i := range m.Layers {
		byName[m.Layers[i].Name] = &m.Layers[i]
	}
	index := map[string]int{}
	var inbound [][]any
	for i, rl := range rawLayers {
		obj, ok := rl.(map[string]any)
		if !ok {
			return nil, formatErr("layer %d of the config is not an object", i)
		}
		class, _ := obj["class_name"].(string)
		lc, _ := obj["config"].(map[string]any)
		if lc == nil {
			return nil, formatErr("layer %d (%s) has no config", i, class)
		}
		name, _ := lc["name"].(string)
		if n, ok := obj["name"].(string); ok && n != "" {
			name = n
		}
		if _, dup := index[name]; dup || name == "" {
			return nil, formatErr("layer %d (%s): name %q is empty or repeated", i, class, name)
		}
		index[name] = i
		ls := &layerSpec{Class: class, Name: name, Cfg: lc, Raw: obj}
		if class == saved.InputLayerClass {
			shp, err := batchShape(lc)
			if err != nil || len(shp) == 0 {
				return nil, formatErr("InputLayer %q: no batch_input_shape", name)
			}
			if dt, ok := lc["dtype"].(string); ok && dt != "float32" {
				return nil, unsupported("input %q of dtype %s (only float32 graphs are written)", name, dt)
			}
			ls.Input, ls.Out = true, shp[1:]
		} else if nestedModelClass(class, lc) {
			sub, err := parseNested(class, lc, byName[name], depth)
			if err != nil {
				return nil, fmt.Errorf("layer %q (%s): %w", name, class, err)
			}
			ls.Sub, ls.Graph = sub, nestedGraph(sub)
		} else if l := byName[name]; l != nil {
			ls.Weights, ls.Graph, ls.Subs = l.Weights, l.Graph, l.Subs
		}
		nodes, _ := obj["inbound_nodes"].([]any)
		if len(nodes) > maxNodes {
			return nil, formatErr("layer %q has %d inbound nodes", name, len(nodes))
		}
		inbound = append(inbound, nodes)
		sm.Layers = append(sm.Layers, ls)
	}
	ref := func(v any) (nodeRef, error) {
		l, ok := v.([]any)
		if !ok || len(l) < 3 {
			return nodeRef{}, formatErr("tensor reference %v: want [layer, node_index, tensor_index]", v)
		}
		name, _ := l[0].(string)
		li, ok := index[name]
		if !ok {
			return nodeRef{}, formatErr("tensor reference names unknown layer %q", name)
		}
		node, err1 := toInt(l[1])
		ti, err2 := toInt(l[2])
		if err1 != nil || err2 != nil || node < 0 || ti < 0 {
			return nodeRef{}, formatErr("tensor reference %v: bad node or tensor index", v)
		}
		if ti != 0 && (sm.Layers[li].Sub != nil || sm.Layers[li].Input) {
			return nodeRef{}, unsupported("tensor reference %v (only the first output of an input or nested model)", v)
		}
		if sm.Layers[li].Sub != nil {
			// tf_keras numbers a nested model's calls from 1: its node 0 is its own graph.
			if node < 1 {
				return nodeRef{}, formatErr("tensor reference %v: node 0 of nested model %q is its own graph", v, name)
			}
			node--
		}
		return nodeRef{li, node, ti}, nil
	}
	for i, nodes := range inbound {
		ls := sm.Layers[i]
		if ls.Input {
			if len(nodes) != 0 {
				return nil, unsupported("InputLayer %q called on a tensor", ls.Name)
			}
			continue
		}
		if len(nodes) == 0 {
			return nil, formatErr("layer %q has no inbound node", ls.Name)
		}
		for j, n := range nodes {
			list, ok := n.([]any)
			if !ok || len(list) == 0 {
				return nil, formatErr("layer %q: inbound node %d is not a list of tensor references", ls.Name, j)
			}
			if _, flat := list[0].(string); flat {
				// a TFOpLambda call: [layer, node, tensor, {"y": 3.0, ...}], one reference;
				// with the constant first ["_CONSTANT_VALUE", -1, 2.0, {"y": reference}]
				// or on two tensors [layer, node, tensor, {"y": reference}]
				kw, _ := list[len(list)-1].(map[string]any)
				switch y, _ := kw["y"].([]any); {
				case list[0] == "_CONSTANT_VALUE" && kw != nil:
					list = []any{kw["y"]}
				case len(y) >= 3 && isString(y[0]):
					list = []any{list, y}
				default:
					list = []any{list}
				}
			}
			var call []nodeRef
			for _, e := range list {
				r, err := ref(e)
				if err != nil {
					return nil, fmt.Errorf("layer %q: inbound node %d: %w", ls.Name, j, err)
				}
				call = append(call, r)
			}
			call, err := kwargTensors(ls.Class, list, call, ref)
			if err != nil {
				return nil, fmt.Errorf("layer %q: inbound node %d: %w", ls.Name, j, err)
			}
			ls.Nodes = append(ls.Nodes, call)
		}
	}
	ends := func(key string) ([]nodeRef, error) {
		v, ok := cfg[key].([]any)
		if !ok || len(v) == 0 {
			return nil, formatErr("Functional config: no %s", key)
		}
		if _, single := v[0].(string); single {
			v = []any{v}
		}
		out := make([]nodeRef, len(v))
		for i, e := range v {
			var err error
			if out[i], err = ref(e); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
		}
		return out, nil
	}
	ins, err := ends("input_layers")
	if err != nil {
		return nil, err
	}
	outs, err := ends("output_layers")
	if err != nil {
		return nil, err
	}
	// Shapes: every call's inputs must be what the layer's graph was built for.
	if err := sm.checkFunctional(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, r := range ins {
		l := sm.Layers[r.Layer]
		if !l.Input || r.Node != 0 {
			return nil, formatErr("input_layers: %q is not an InputLayer", l.Name)
		}
		if seen[l.Name] {
			return nil, unsupported("input %q listed twice", l.Name)
		}
		seen[l.Name] = true
		sm.Inputs = append(sm.Inputs, endpoint{Name: l.Name, Shape: l.Out, Ref: r})
	}
	// The serving signature keys outputs by tf_keras's output_names: the layers' names, a
	// name already taken made unique with "_1", "_2", ... (counted per layer name), as
	// Functional._set_output_names does for a layer giving several outputs.
	seen = map[string]bool{}
	count := map[string]int{}
	for _, r := range outs {
		l := sm.Layers[r.Layer]
		if r.Node >= max(len(l.Nodes), 1) {
			return nil, formatErr("output_layers: layer %q has no node %d", l.Name, r.Node)
		}
		name := l.Name
		for seen[name] {
			k := max(count[l.Name], 1)
			name = fmt.Sprintf("%s_%d", l.Name, k)
			count[l.Name] = k + 1
		}
		seen[name] = true
		shp, err := outShape(l, r.Tensor)
		if err != nil {
			return nil, fmt.Errorf("output_layers: %w", err)
		}
		sm.Outputs = append(sm.Outputs, endpoint{Name: name, Shape: shp, Ref: r})
	}
	return sm, nil
}

// checkFunctional checks each call of each layer against the graph the layer declared (the
// shapes of the tensors the call reads), and sets In, InShapes and Out.
func (sm *seqModel) checkFunctional() error {
	for _, l := range sm.Layers {
		if l.Input {
			continue
		}
		if l.Graph == nil {
			return fmt.Errorf("layer %q (%s): %w", l.Name, l.Class, unsupported("no graph (write the model through package model)"))
		}
		if len(l.Graph.InputShapes) == 0 {
			return fmt.Errorf("layer %q (%s): %w", l.Name, l.Class, formatErr("graph declares no input"))
		}
		l.InShapes, l.Out = l.Graph.InputShapes, l.Graph.OutputShape
		l.In = l.InShapes[0]
	}
	for _, l := range sm.Layers {
		for j, call := range l.Nodes {
			shapes := make([][]int, len(call))
			for k, r := range call {
				p := sm.Layers[r.Layer]
				if r.Node >= max(len(p.Nodes), 1) {
					return formatErr("layer %q reads node %d of %q, which has %d", l.Name, r.Node, p.Name, len(p.Nodes))
				}
				var err error
				if shapes[k], err = outShape(p, r.Tensor); err != nil {
					return fmt.Errorf("layer %q (%s), call %d: %w", l.Name, l.Class, j, err)
				}
			}
			if err := checkCall(l, shapes); err != nil {
				return fmt.Errorf("layer %q (%s), call %d: %w", l.Name, l.Class, j, err)
			}
		}
	}
	return nil
}

// checkCall checks one call of a layer: a graph for as many inputs as the call passes, of
// the shapes it passes, and float32 weights with values.
func checkCall(l *layerSpec, in [][]int) error {
	g := callGraph(l, len(in))
	if g == nil {
		return unsupported("no graph (write the model through package model)")
	}
	if len(g.InputShapes) != len(in) {
		return formatErr("graph built for %d inputs, the call passes %d", len(g.InputShapes), len(in))
	}
	for i := range in {
		if !sameShape(g.InputShapes[i], in[i]) {
			return formatErr("graph built for input %d of shape %v, the call passes %v", i, g.InputShapes[i], in[i])
		}
	}
	for _, w := range l.Weights {
		if w.Value == nil {
			return formatErr("weight %q has no value", w.Name)
		}
		if dt := w.Value.DType.String(); dt != "float32" && dt != "int64" && dt != "float16" && dt != "bfloat16" {
			return unsupported("weight %q is %v (only float32, float16, bfloat16 and int64)", w.Name, w.Value.DType)
		}
	}
	return nil
}

// lowerFunctional emits the inference ops of a Functional model into b: ins maps each input
// layer's name to the reference of its argument. A layer call's ops are emitted when an
// output first needs them, under "<model>/<layer>/", so a shared layer's second call gets
// TF's unique names ("MatMul_1") and reads the same variable handles. It returns the
// references of the outputs, in sm.Outputs order.
func lowerFunctional(b *builder, sm *seqModel, ins map[string]string, handles map[string]string) ([]string, error) {
	done := map[nodeRef][]string{} // by call (Tensor 0): the references of all its outputs
	masks := map[nodeRef]string{}  // the reference of each output's Keras mask, if any
	busy := map[nodeRef]bool{}
	var lower func(r nodeRef) (string, error)
	lower = func(r nodeRef) (string, error) {
		ti := r.Tensor
		r.Tensor = 0
		if xs, ok := done[r]; ok {
			if ti >= len(xs) {
				return "", formatErr("layer %q: call %d has no output %d", sm.Layers[r.Layer].Name, r.Node, ti)
			}
			return xs[ti], nil
		}
		if busy[r] {
			return "", formatErr("layer %q: the graph has a cycle", sm.Layers[r.Layer].Name)
		}
		busy[r] = true
		l := sm.Layers[r.Layer]
		if l.Input {
			x, ok := ins[l.Name]
			if !ok {
				return "", formatErr("layer %q is an InputLayer but not a model input", l.Name)
			}
			done[r] = []string{x}
			return x, nil
		}
		call := l.Nodes[r.Node]
		xs := make([]string, len(call))
		for i, c := range call {
			var err error
			if xs[i], err = lower(c); err != nil {
				return "", err
			}
		}
		cm := make([]string, len(call))
		for i, c := range call {
			cm[i] = masks[c] // the outputs carrying a mask: Tensor 0, or up to MoreMasked
		}
		ys, ym, err := lowerLayerOuts(b, sm.prefix+sm.Name+"/"+l.Name+"/", l, xs, cm, handles)
		if err != nil {
			return "", fmt.Errorf("layer %q (%s): %w", l.Name, l.Class, err)
		}
		done[r] = ys
		if ym != "" {
			masks[r] = ym
			if g := callGraph(l, len(xs)); g != nil {
				for k := 1; k <= g.MoreMasked && k < len(ys); k++ {
					masks[nodeRef{Layer: r.Layer, Node: r.Node, Tensor: k}] = ym
				}
			}
		}
		if ti >= len(ys) {
			return "", formatErr("layer %q: call %d has no output %d", l.Name, r.Node, ti)
		}
		return ys[ti], nil
	}
	out := make([]string, len(sm.Outputs))
	for i, o := range sm.Outputs {
		var err error
		if out[i], err = lower(o.Ref); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sortedEndpoints returns the endpoints sorted by name, the order in which TF flattens the
// serving signature's keyword arguments and output dict.
func sortedEndpoints(e []endpoint) []endpoint {
	out := append([]endpoint(nil), e...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// kwargTensors appends to call the tensors a tf_keras inbound node passes in its kwargs by
// name, for a class whose call takes its tensors as separate arguments
// (saved.ClassFacts.TensorArgs: MultiHeadAttention's value and key), in the call's order.
func kwargTensors(class string, list []any, call []nodeRef, ref func(any) (nodeRef, error)) ([]nodeRef, error) {
	names := saved.TensorArgsOf(class)
	if names == nil || len(list) != 1 {
		return call, nil
	}
	e, _ := list[0].([]any)
	if len(e) < 4 {
		return call, nil
	}
	kw, _ := e[3].(map[string]any)
	for _, k := range names[1:] {
		v, ok := kw[k]
		if !ok || v == nil {
			continue // an optional argument not passed (MultiHeadAttention's key)
		}
		r, err := ref(v)
		if err != nil {
			return nil, fmt.Errorf("argument %s: %w", k, err)
		}
		call = append(call, r)
	}
	return call, nil
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// outShape is the shape of output ti of a layer's calls: its Out, or a state of a recurrent
// layer with return_state (LayerGraph.MoreOutputShapes).
func outShape(l *layerSpec, ti int) ([]int, error) {
	if ti == 0 {
		return l.Out, nil
	}
	if l.Graph == nil || ti > len(l.Graph.MoreOutputShapes) {
		return nil, formatErr("layer %q has no output %d", l.Name, ti)
	}
	return l.Graph.MoreOutputShapes[ti-1], nil
}

// callGraph is the graph of a call of the layer passing n inputs: the layer's Graph, or its
// InitialState graph when that one takes n inputs and Graph does not.
func callGraph(l *layerSpec, n int) *saved.LayerGraph {
	g := l.Graph
	if g != nil && g.InitialState != nil && len(g.InputShapes) != n && len(g.InitialState.InputShapes) == n {
		return g.InitialState
	}
	return g
}
