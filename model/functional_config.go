package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// This file reads and writes a Functional model's config in both dialects: tf_keras's
// inbound_nodes ([[layer, node_index, tensor_index, kwargs], ...] per call) and Keras 3's
// ({"args": [...], "kwargs": {...}} per call, tensors as "__keras_tensor__" objects with a
// keras_history [layer, node_index, tensor_index]).

// functionalConfigObject is configObject for a Functional model.
func (m *Model) functionalConfigObject(d saved.Dialect, form configForm) (map[string]any, error) {
	g := m.fn
	ref := func(t *KerasTensor) []any {
		return []any{t.node.layer.Name(), g.nodeIndex(t.node) + nodeOffset(t.node.layer, d), t.index}
	}
	list := make([]any, 0, len(m.layers))
	for _, l := range m.layers {
		if _, ok := l.(layers.CallArgsSetter); ok {
			e, err := m.opConfigEntry(l, d, form, ref)
			if err != nil {
				return nil, within(fmt.Sprintf("layer %q", l.Name()), err)
			}
			list = append(list, e)
			continue
		}
		if err := layers.CheckDialect(l, d); err != nil {
			return nil, err
		}
		cfg := maps.Clone(l.Config(d))
		if cfg == nil {
			return nil, fmt.Errorf("%w: layer %q (%s) has no config", ErrFormat, l.Name(), l.Class())
		}
		_, isInput := l.(*InputLayer)
		nodes := []any{}
		for _, n := range g.layerNodes[l] {
			if n.isInput() {
				continue
			}
			if ta, ok := l.(layers.TensorArgs); ok {
				nodes = append(nodes, tensorArgsNode(ta, n.in, ref, d))
				continue
			}
			if d == saved.Keras3 {
				args := make([]any, len(n.in))
				for i, x := range n.in {
					args[i] = map[string]any{"class_name": "__keras_tensor__", "config": map[string]any{
						"shape": batchShapeJSON(x.batch, x.shape), "dtype": "float32", "keras_history": ref(x)}}
				}
				var a0 any = args[0]
				if n.list {
					a0 = args
				}
				if n.multi && !n.list && len(args) > 1 {
					// Keras 3 records a recurrent call's initial states as a keyword argument
					// (and then no mask or training).
					nodes = append(nodes, map[string]any{"args": []any{a0}, "kwargs": map[string]any{"initial_state": args[1:]}})
					continue
				}
				kw := layers.Keras3CallKwargs(l)
				if _, ok := l.(*Nested); ok {
					kw = map[string]any{"mask": nil}
				}
				if lk, ok := l.(layers.ListCallKwargs); ok && len(lk.ListCallKwargs()) > 0 {
					kw = maps.Clone(kw)
					if kw == nil {
						kw = map[string]any{}
					}
					maps.Copy(kw, lk.ListCallKwargs())
				}
				if n.training != nil {
					kw = maps.Clone(kw)
					if kw == nil {
						kw = map[string]any{}
					}
					kw["training"] = *n.training
				}
				nodes = append(nodes, map[string]any{"args": []any{a0}, "kwargs": kw})
				continue
			}
			call := make([]any, len(n.in))
			for i, x := range n.in {
				kw := map[string]any{}
				if n.training != nil {
					kw["training"] = *n.training
				}
				if lk, ok := l.(layers.ListCallKwargs); ok {
					maps.Copy(kw, lk.ListCallKwargs())
				}
				if sk, ok := l.(layers.StateCallKwargs); ok && n.multi && len(n.in) > 1 {
					maps.Copy(kw, sk.StateCallKwargs())
				}
				call[i] = append(ref(x), kw)
			}
			nodes = append(nodes, call)
		}
		e := map[string]any{"class_name": l.Class(), "config": cfg, "name": l.Name(), "inbound_nodes": nodes}
		if n, ok := l.(*Nested); ok {
			ne, err := n.entry(d, form, true)
			if err != nil {
				return nil, within(fmt.Sprintf("layer %q", l.Name()), err)
			}
			ne["name"], ne["inbound_nodes"] = l.Name(), nodes
			e = ne
		} else if form == formJSON {
			e["module"] = "keras.layers"
			e["registered_name"] = nil
			if !isInput {
				if bc := layers.BuildConfig(l, d); bc != nil {
					e["build_config"] = bc
					if bs := stateBuildConfig(g, l, d); bs != nil {
						e["build_config"] = bs
					}
				}
			}
		}
		list = append(list, e)
	}
	ends := func(ts []*KerasTensor) any {
		out := make([]any, len(ts))
		for i, t := range ts {
			out[i] = ref(t)
		}
		if d == saved.Keras3 && len(out) == 1 {
			return out[0]
		}
		return out
	}
	inner := map[string]any{"name": m.name, "trainable": true, "layers": list,
		"input_layers": ends(g.inputs), "output_layers": ends(g.outputs)}
	if d == saved.Keras3 {
		top := map[string]any{"module": "keras.src.models.functional", "class_name": "Functional",
			"config": inner, "registered_name": "Functional", "build_config": map[string]any{"input_shape": nil}}
		cc, err := m.keras3CompileConfig()
		if err != nil {
			return nil, err
		}
		top["compile_config"] = cc
		return top, nil
	}
	top := map[string]any{"class_name": "Functional", "config": inner}
	if form == formJSON {
		top["keras_version"] = Keras2Version
		top["backend"] = Backend
	}
	return top, nil
}

// keras3CompileConfig returns the Keras 3 compile_config of the model ({} when not compiled).
func (m *Model) keras3CompileConfig() (any, error) {
	var cc any = map[string]any{}
	if m.train != nil {
		tc, _, err := m.trainingToSaved(saved.Keras3)
		if err != nil {
			return nil, within("compile config", err)
		}
		if len(tc) > 0 {
			var v any
			if err := json.Unmarshal(tc, &v); err != nil {
				return nil, fmt.Errorf("%w: compile config: %v", ErrFormat, err)
			}
			cc = v
		}
	}
	return cc, nil
}

// isFunctionalClass reports whether a model config's class_name is a Functional model
// (tf_keras 2.4+ writes "Functional", older Keras "Model").
func isFunctionalClass(class string) bool { return class == "Functional" || class == "Model" }

// tensorRef is a [layer, node_index, tensor_index] reference of a config.
type tensorRef struct {
	layer       string
	node, index int
}

func parseTensorRef(v any) (tensorRef, error) {
	l, ok := v.([]any)
	if !ok || len(l) < 3 {
		return tensorRef{}, fmt.Errorf("%w: tensor reference %s: want [layer, node_index, tensor_index]", ErrFormat, jsonValue(v))
	}
	name, ok1 := l[0].(string)
	ni, ok2 := l[1].(float64)
	ti, ok3 := l[2].(float64)
	if !ok1 || !ok2 || !ok3 || ni < 0 || ti < 0 || ni != float64(int(ni)) || ti != float64(int(ti)) || ni > maxGraphNodes {
		return tensorRef{}, fmt.Errorf("%w: tensor reference %s: want [layer, node_index, tensor_index]", ErrFormat, jsonValue(v))
	}
	return tensorRef{layer: name, node: int(ni), index: int(ti)}, nil
}

// parseEnds reads input_layers / output_layers: one reference or a list of them (Keras 3
// writes one reference bare; a dict of them for named inputs).
func parseEnds(v any) ([]tensorRef, error) {
	if l, ok := v.([]any); ok && len(l) >= 1 {
		if _, isName := l[0].(string); isName {
			r, err := parseTensorRef(v)
			return []tensorRef{r}, err
		}
		out := make([]tensorRef, 0, len(l))
		for _, e := range l {
			r, err := parseTensorRef(e)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	if mp, ok := v.(map[string]any); ok {
		var out []tensorRef
		for _, k := range sortedKeys(mp) {
			r, err := parseTensorRef(mp[k])
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: want a tensor reference or a list of them, have %s", ErrFormat, jsonKind(v))
}

// parseCall reads one inbound node of a layer: the references of the tensors it was called
// on and whether they were passed as a list.
func parseCall(v any, d saved.Dialect, warn func(string, ...any), who string) ([]tensorRef, bool, error) {
	refs, list, _, err := parseCallTraining(v, d, warn, who)
	return refs, list, err
}

// parseCallTraining is parseCall that also returns the call's training argument (nil when
// the call does not set it).
func parseCallTraining(v any, d saved.Dialect, warn func(string, ...any), who string) ([]tensorRef, bool, *bool, error) {
	return parseCallTrainingKw(v, d, warn, who, nil)
}

// parseCallTrainingKw is parseCallTraining that first offers each other keyword argument to
// take (nil: none), which reports whether it took it.
func parseCallTrainingKw(v any, d saved.Dialect, warn func(string, ...any), who string, take func(string, any) (bool, error)) ([]tensorRef, bool, *bool, error) {
	offer := func(k string, v any) (bool, error) {
		if take == nil {
			return false, nil
		}
		return take(k, v)
	}
	var training *bool
	setTraining := func(x any) {
		if b, ok := x.(bool); ok && training == nil {
			training = &b
		}
	}
	refs, list, err := func() ([]tensorRef, bool, error) {
		if obj, ok := v.(map[string]any); ok { // Keras 3
			args, _ := obj["args"].([]any)
			if len(args) != 1 {
				for i, a := range args {
					if _, isNum := a.(float64); isNum {
						// Keras 3 operations on a tensor and a constant (x + 3.0, written by
						// legacy .h5 files without their keras.src.ops module).
						return nil, false, fmt.Errorf("%w: inbound node: argument %d is the constant %s, not a tensor (operations on a tensor and a constant are not supported)",
							ErrUnsupported, i+1, jsonValue(a))
					}
				}
				return nil, false, fmt.Errorf("%w: inbound node: want one positional argument, have %d", ErrUnsupported, len(args))
			}
			if kw, ok := obj["kwargs"].(map[string]any); ok {
				for _, k := range sortedKeys(kw) {
					if k == "mask" && (kw[k] == nil || isMaskTensor(kw[k])) {
						continue // a mask is recomputed from the layers (model/masks.go)
					}
					if k == "training" {
						setTraining(kw[k])
						continue
					}
					if ok, err := offer(k, kw[k]); ok || err != nil {
						if err != nil {
							return nil, false, fmt.Errorf("inbound node: %w", err)
						}
						continue
					}
					if k == "initial_state" && kw[k] != nil {
						continue // read below, after the positional argument
					}
					if err := refusedCallArg(k, kw[k]); err != nil {
						return nil, false, err
					}
					warn("layer %s: call argument %s=%s ignored", who, k, jsonValue(kw[k]))
				}
			}
			kt := func(e any) (tensorRef, error) {
				o, _ := e.(map[string]any)
				if o == nil || o["class_name"] != "__keras_tensor__" {
					return tensorRef{}, fmt.Errorf("%w: inbound node argument %s is not a Keras tensor", ErrUnsupported, jsonValue(e))
				}
				c, _ := o["config"].(map[string]any)
				return parseTensorRef(c["keras_history"])
			}
			if list, ok := args[0].([]any); ok {
				out := make([]tensorRef, 0, len(list))
				for _, e := range list {
					r, err := kt(e)
					if err != nil {
						return nil, false, err
					}
					out = append(out, r)
				}
				return out, true, nil
			}
			r, err := kt(args[0])
			if err != nil {
				return nil, false, err
			}
			refs := []tensorRef{r}
			if kw, ok := obj["kwargs"].(map[string]any); ok && kw["initial_state"] != nil {
				// A recurrent layer's initial states: tensors after the main input.
				states, ok := kw["initial_state"].([]any)
				if !ok {
					states = []any{kw["initial_state"]}
				}
				for _, e := range states {
					r, err := kt(e)
					if err != nil {
						return nil, false, fmt.Errorf("initial_state: %w", err)
					}
					refs = append(refs, r)
				}
			}
			return refs, false, nil
		}
		list, ok := v.([]any) // tf_keras: [[layer, node, tensor, kwargs], ...]
		if !ok || len(list) == 0 {
			return nil, false, fmt.Errorf("%w: inbound node %s: want a list of tensor references", ErrFormat, jsonValue(v))
		}
		out := make([]tensorRef, 0, len(list))
		for _, e := range list {
			r, err := parseTensorRef(e)
			if err != nil {
				return nil, false, err
			}
			if l := e.([]any); len(l) > 3 {
				if kw, ok := l[3].(map[string]any); ok {
					for _, k := range sortedKeys(kw) {
						if k == "training" {
							setTraining(kw[k])
							continue
						}
						if (k == "mask" || k == "initial_state" || k == "constants") && kw[k] == nil {
							continue // tf_keras writes Bidirectional's unset call arguments
						}
						if ok, err := offer(k, kw[k]); ok || err != nil {
							if err != nil {
								return nil, false, fmt.Errorf("inbound node: %w", err)
							}
							continue
						}
						if err := refusedCallArg(k, kw[k]); err != nil {
							return nil, false, err
						}
						warn("layer %s: call argument %s=%s ignored", who, k, jsonValue(kw[k]))
					}
				}
			}
			out = append(out, r)
		}
		return out, len(out) > 1, nil
	}()
	return refs, list, training, err
}

// fromFunctionalConfig builds a Functional model from the inner config of a model config
// ({"name", "layers", "input_layers", "output_layers"}): it creates every layer, then calls
// the layers on their inputs in the order the config's inbound nodes allow (a call waits
// until the tensors it needs exist), as Keras's from_config does.
func (m *Model) fromFunctionalConfig(c map[string]any, d saved.Dialect, warn func(string, ...any)) error {
	if n, ok := c["name"].(string); ok && n != "" {
		m.name = n
	}
	list, ok := c["layers"].([]any)
	if !ok {
		return fmt.Errorf("%w: Functional config: layers: want a list, have %s", ErrFormat, jsonKind(c["layers"]))
	}
	if kept := dropMaskOps(list); len(kept) != len(list) {
		list, m.maskOpsRead = kept, true
	}
	for _, k := range sortedKeys(c) {
		switch k {
		case "name", "layers", "input_layers", "output_layers", "trainable", "dtype":
		default:
			warn("Functional: unknown config key %q ignored", k)
		}
	}
	type pending struct {
		layer layers.Layer
		calls []any
		done  int
		who   string
	}
	var all []*pending
	byName := map[string]*pending{}
	var unknown []string
	var firstErr error
	for i, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("layer %d: %w: want an object, have %s", i, ErrFormat, jsonKind(e))
		}
		lc, _ := em["class_name"].(string)
		cfg, _ := em["config"].(map[string]any)
		if lc == "" || cfg == nil {
			return fmt.Errorf("layer %d: %w: want class_name and config", i, ErrFormat)
		}
		name, _ := em["name"].(string)
		if name == "" {
			name, _ = cfg["name"].(string)
		}
		if name == "" {
			return fmt.Errorf("layer %d (%s): %w: no name (a Functional config refers to layers by name)", i, lc, ErrFormat)
		}
		if byName[name] != nil {
			return fmt.Errorf("layer %d (%s): %w: the name %q is used twice", i, lc, ErrFormat, name)
		}
		if rn, ok := em["registered_name"].(string); ok && rn != "" && rn != lc {
			return layerErr(i, name, lc, fmt.Errorf("%w: registered as %q (custom layers are not supported)", ErrUnsupported, rn))
		}
		calls, _ := em["inbound_nodes"].([]any)
		if em["inbound_nodes"] != nil && calls == nil {
			return layerErr(i, name, lc, fmt.Errorf("%w: inbound_nodes: want a list, have %s", ErrFormat, jsonKind(em["inbound_nodes"])))
		}
		var l layers.Layer
		if lc == saved.InputLayerClass {
			in, batch, err := parseInputLayer(cfg, warn)
			if err != nil {
				return layerErr(i, name, lc, err)
			}
			in.batch = batch
			in.name = name
			l = in
		} else {
			var built layers.Layer
			var ws []string
			var err error
			// A Keras 3 operation called on a KerasTensor (x + 3.0 in MobileNetV3's
			// hard-sigmoid is keras.src.ops.numpy.Add), not a layer: its class name may be a
			// layer's, so it is read (or reported) with its module.
			if op, ows, isOp, oerr := operationFromEntry(em, cfg, lc, d); isOp {
				built, ws, err = op, ows, oerr
			} else if isModelClass(lc) {
				built, ws, err = nestedFromConfig(em, m.noData, m.maxParams, m.depth)
			} else {
				built, ws, err = layers.FromConfig(lc, cfg, d)
			}
			if err != nil {
				var uc *layers.UnknownClassError
				var ul *UnsupportedLayersError
				if errors.As(err, &ul) {
					for _, u := range ul.Layers {
						unknown = append(unknown, fmt.Sprintf("%q in %s", name, u))
					}
					continue
				}
				if errors.As(err, &uc) {
					unknown = append(unknown, fmt.Sprintf("%q (%s)", name, lc))
					continue
				}
				if firstErr == nil {
					firstErr = layerErr(i, name, lc, err)
				}
				continue
			}
			m.warnings = append(m.warnings, ws...)
			built.SetName(name)
			l = built
		}
		p := &pending{layer: l, calls: calls, who: fmt.Sprintf("%q (%s)", name, lc)}
		all = append(all, p)
		byName[name] = p
	}
	if len(unknown) > 0 {
		return &UnsupportedLayersError{Layers: unknown}
	}
	if firstErr != nil {
		return firstErr
	}
	// Call layers until every inbound node is made.
	outputsOf := map[string][]*KerasTensor{} // layer name -> output tensor of each node
	for _, p := range all {
		if in, ok := p.layer.(*InputLayer); ok {
			outputsOf[p.layer.Name()] = []*KerasTensor{in.Output()}
		}
	}
	for progress := true; progress; {
		progress = false
		for _, p := range all {
			for p.done < len(p.calls) {
				var refs []tensorRef
				var isList bool
				var training *bool
				var err error
				if ta, ok := p.layer.(layers.TensorArgs); ok {
					refs, err = parseTensorArgsCall(ta, p.calls[p.done], p.done == 0)
					isList = true
				} else {
					refs, isList, training, err = parseLayerCall(p.layer, p.calls[p.done], d, warn, p.who)
					if op, ok := p.layer.(*layers.TFOp); ok && err == nil {
						if op2 := op.TwoTensors(); op2 != nil {
							if p.done > 0 {
								err = fmt.Errorf("%w: an operation called on one tensor, then on two", ErrUnsupported)
							}
							p.layer = op2 // an operation on two tensors (layers.TFOp2)
						}
					}
				}
				if err != nil {
					return within("layer "+p.who, err)
				}
				xs := make([]*KerasTensor, len(refs))
				ready := true
				for i, r := range refs {
					if byName[r.layer] == nil {
						return fmt.Errorf("%w: layer %s is called on layer %q, which the config does not have", ErrFormat, p.who, r.layer)
					}
					outs := outputsOf[r.layer]
					r.node -= nodeOffset(byName[r.layer].layer, d)
					if r.node < 0 {
						return fmt.Errorf("%w: layer %s is called on node %d of model %q, its inner graph", ErrUnsupported, p.who, r.node+1, r.layer)
					}
					if r.node >= len(outs) {
						ready = false
						break
					}
					t, err := outputOf(outs[r.node], r)
					if err != nil {
						return fmt.Errorf("layer %s: %w", p.who, err)
					}
					xs[i] = t
				}
				if !ready {
					break
				}
				mo, io := p.layer.(layers.MultiIO)
				io = io && mo.MultiIO(len(xs))
				if _, multi := p.layer.(layers.MultiInput); !io && multi != isList && !(multi && len(xs) > 1) {
					return fmt.Errorf("%w: layer %s is called on %d tensors", ErrFormat, p.who, len(xs))
				}
				out, err := applyLayer(p.layer, xs)
				if err != nil {
					return err
				}
				if training != nil && d == saved.Keras3 {
					// Keras 3 records some classes' default (Dropout: training=False) in
					// every call; only a value the user gave is kept.
					if v, ok := layers.Keras3CallKwargs(p.layer)["training"]; ok && v == *training {
						training = nil
					}
				}
				out.node.training = training
				outputsOf[p.layer.Name()] = append(outputsOf[p.layer.Name()], out)
				p.done++
				progress = true
			}
		}
	}
	for _, p := range all {
		if p.done < len(p.calls) {
			return fmt.Errorf("%w: layer %s: inbound node %d needs a tensor the config never computes", ErrFormat, p.who, p.done)
		}
	}
	ends := func(key string) ([]*KerasTensor, error) {
		refs, err := parseEnds(c[key])
		if err != nil {
			return nil, within("Functional config: "+key, err)
		}
		out := make([]*KerasTensor, len(refs))
		for i, r := range refs {
			outs := outputsOf[r.layer]
			if byName[r.layer] != nil {
				r.node -= nodeOffset(byName[r.layer].layer, d)
			}
			if r.node < 0 || r.node >= len(outs) || r.index >= len(outs[r.node].node.outs) {
				return nil, fmt.Errorf("%w: Functional config: %s refers to %s, which the config does not compute", ErrFormat, key, jsonValue([]any{r.layer, r.node, r.index}))
			}
			out[i] = outs[r.node].node.outs[r.index]
		}
		return out, nil
	}
	ins, err := ends("input_layers")
	if err != nil {
		return err
	}
	outs, err := ends("output_layers")
	if err != nil {
		return err
	}
	return m.setGraph(ins, outs)
}

// stateBuildConfig is the build_config of a layer whose first call was given initial states
// (nil for any other): tf_keras lists every input's shape, Keras 3 names the sequence's and the
// states' shapes.
func stateBuildConfig(g *graph, l layers.Layer, d saved.Dialect) map[string]any {
	ns := g.layerNodes[l]
	if len(ns) == 0 || !ns[0].multi || ns[0].list || len(ns[0].in) < 2 {
		return nil
	}
	in := ns[0].in
	if d == saved.Keras3 {
		states := make([]any, len(in)-1)
		for i, x := range in[1:] {
			states[i] = batchShapeJSON(x.batch, x.shape)
		}
		return map[string]any{"shapes_dict": map[string]any{"sequences_shape": batchShapeJSON(in[0].batch, in[0].shape), "initial_state_shape": states}}
	}
	shapes := make([]any, len(in))
	for i, x := range in {
		shapes[i] = batchShapeJSON(x.batch, x.shape)
	}
	return map[string]any{"input_shape": shapes}
}

// outputOf returns output r.index of the call whose first output is t.
func outputOf(t *KerasTensor, r tensorRef) (*KerasTensor, error) {
	if r.index >= len(t.node.outs) {
		if r.index > 0 && len(t.node.outs) == 1 {
			return nil, fmt.Errorf("%w: called on output %d of layer %q, which returns one tensor (layers with several outputs: the recurrent layers with return_state, the attention layers with return_attention_scores)", ErrUnsupported, r.index, r.layer)
		}
		return nil, fmt.Errorf("%w: called on output %d of layer %q, which returns %d tensors", ErrFormat, r.index, r.layer, len(t.node.outs))
	}
	return t.node.outs[r.index], nil
}

// isModelClass reports whether a layer class is a model (a nested model).
func isModelClass(class string) bool { return class == "Sequential" || isFunctionalClass(class) }

// UnsupportedLayersError lists every layer of a model whose class kerasgo does not implement,
// by name and class, so that one error shows all that a model lacks. It wraps ErrUnsupported.
type UnsupportedLayersError struct {
	Layers []string // `"name" (Class)`
}

func (e *UnsupportedLayersError) Error() string {
	s := "layer"
	if len(e.Layers) > 1 {
		s = "layers"
	}
	return fmt.Sprintf("%d %s of classes kerasgo does not implement: %s", len(e.Layers), s, strings.Join(e.Layers, ", "))
}

func (e *UnsupportedLayersError) Unwrap() error { return ErrUnsupported }

// unsupportedClasses returns the entries an UnsupportedLayersError lists for layer name of
// class when err says its class (or a class inside it, for a nested model) is unknown; nil
// for any other error.
func unsupportedClasses(name, class string, err error) []string {
	var ul *UnsupportedLayersError
	if errors.As(err, &ul) {
		out := make([]string, 0, len(ul.Layers))
		for _, u := range ul.Layers {
			out = append(out, fmt.Sprintf("%q in %s", name, u))
		}
		return out
	}
	var uc *layers.UnknownClassError
	if errors.As(err, &uc) {
		return []string{fmt.Sprintf("%q (%s)", name, class)}
	}
	return nil
}

var _ = slices.Clone[[]int]

// jsonValue spells a decoded JSON value for an error message, cut to 80 bytes.
func jsonValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

// refusedCallArg fails for a call argument that changes what a layer computes in a way
// kerasgo does not run (attention masks, the causal mask, returning the attention scores),
// rather than ignoring it with a warning.
func refusedCallArg(k string, v any) error {
	switch k {
	case "use_causal_mask", "return_attention_scores":
		if b, _ := v.(bool); b {
			return fmt.Errorf("%w: inbound node: call argument %s=true is not supported", ErrUnsupported, k)
		}
	case "attention_mask", "query_mask", "value_mask", "key_mask":
		if v != nil {
			return fmt.Errorf("%w: inbound node: call argument %s (a mask) is not supported", ErrUnsupported, k)
		}
	}
	return nil
}
