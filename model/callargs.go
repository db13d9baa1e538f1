package model

import (
	"errors"
	"fmt"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// This file reads and writes the calls of a Functional config whose arguments are not all
// tensors: TF operations on a tensor and a constant (layers.TFOp), which tf_keras records as
// TFOpLambda layers (inbound node [layer, node, tensor, {"y": 3.0, "name": null}], not
// nested in a list) and Keras 3 as operation nodes ({"args": [<tensor>, 3.0], "kwargs": {}},
// the entry's module keras.src.ops.*).

// constantValue stands for a constant in the place of a layer name in tf_keras's calls.
const constantValue = "_CONSTANT_VALUE"

// operationFromEntry builds the layer of a Keras 3 operation entry (module keras.src.ops.*);
// ok is false for other entries. Keras 3's legacy .h5 configs drop the module: an entry
// there whose first call has a number among its positional arguments (x + 3.0 as class Add)
// is an operation too, as no layer is called on a constant.
func operationFromEntry(em, cfg map[string]any, class string, d saved.Dialect) (l layers.Layer, ws []string, ok bool, err error) {
	mod, _ := em["module"].(string)
	if !layers.IsKeras3Module(mod) && !(mod == "" && d == saved.Keras3 && callsOnConstant(em["inbound_nodes"])) {
		return nil, nil, false, nil
	}
	l, ws, err = layers.OperationFromConfig(class, mod, cfg)
	return l, ws, true, err
}

// callsOnConstant reports whether the first of Keras 3 inbound nodes has a number among its
// positional arguments.
func callsOnConstant(nodes any) bool {
	list, _ := nodes.([]any)
	if len(list) == 0 {
		return false
	}
	obj, _ := list[0].(map[string]any)
	args, _ := obj["args"].([]any)
	for _, a := range args {
		if _, isNum := a.(float64); isNum {
			return true
		}
	}
	return false
}

// parseLayerCall reads one inbound node of layer l: for a layer taking call arguments
// (layers.CallArgsSetter) its tensors and the other arguments, which it hands to the layer;
// parseCall for the others.
func parseLayerCall(l layers.Layer, v any, d saved.Dialect, warn func(string, ...any), who string) ([]tensorRef, bool, *bool, error) {
	cs, ok := l.(layers.CallArgsSetter)
	if !ok {
		if lk, ok := l.(layers.ListCallKwargs); ok {
			return parseCallTrainingKw(v, d, warn, who, lk.SetListCallKwarg)
		}
		return parseCallTraining(v, d, warn, who)
	}
	refs, args, kwargs, err := parseOpCall(v)
	if err != nil {
		return nil, false, nil, err
	}
	if err := cs.SetCallArgs(args, kwargs, d); err != nil {
		return nil, false, nil, err
	}
	return refs, false, nil, nil
}

// parseOpCall reads a call whose arguments may be constants: Keras 3's {"args", "kwargs"}, or
// tf_keras's [layer, node, tensor, kwargs] (or that reference in a list).
func parseOpCall(v any) ([]tensorRef, []layers.CallArg, map[string]any, error) {
	if obj, ok := v.(map[string]any); ok {
		list, ok := obj["args"].([]any)
		if !ok {
			return nil, nil, nil, fmt.Errorf("%w: inbound node %s: want args", ErrFormat, jsonValue(v))
		}
		var refs []tensorRef
		args := make([]layers.CallArg, len(list))
		for i, a := range list {
			if o, _ := a.(map[string]any); o != nil && o["class_name"] == "__keras_tensor__" {
				c, _ := o["config"].(map[string]any)
				r, err := parseTensorRef(c["keras_history"])
				if err != nil {
					return nil, nil, nil, err
				}
				refs = append(refs, r)
				args[i] = layers.CallArg{Tensor: true}
				continue
			}
			if _, isList := a.([]any); isList {
				return nil, nil, nil, fmt.Errorf("%w: inbound node: argument %d is a list %s (only a tensor and scalar constants are supported)", ErrUnsupported, i+1, jsonValue(a))
			}
			args[i] = layers.CallArg{Value: a}
		}
		kw, _ := obj["kwargs"].(map[string]any)
		if obj["kwargs"] != nil && kw == nil {
			return nil, nil, nil, fmt.Errorf("%w: inbound node %s: kwargs: want an object", ErrFormat, jsonValue(v))
		}
		return refs, args, kw, nil
	}
	list, ok := v.([]any)
	if ok && len(list) == 1 {
		if inner, isList := list[0].([]any); isList {
			list = inner
		}
	}
	if !ok || len(list) < 3 {
		return nil, nil, nil, fmt.Errorf("%w: inbound node %s: want [layer, node_index, tensor_index, kwargs]", ErrFormat, jsonValue(v))
	}
	if list[0] == constantValue && len(list) == 4 {
		// tf_keras's call on a constant first (2.0 - x): ["_CONSTANT_VALUE", -1, 2.0,
		// {"y": [layer, node, tensor], ...}]
		kw, _ := list[3].(map[string]any)
		r, err := parseTensorRef(kw["y"])
		if err != nil {
			return nil, nil, nil, err
		}
		rest := map[string]any{}
		for k, x := range kw {
			if k != "y" {
				rest[k] = x
			}
		}
		return []tensorRef{r}, []layers.CallArg{{Value: list[2]}, {Tensor: true}}, rest, nil
	}
	r, err := parseTensorRef(list)
	if err != nil {
		return nil, nil, nil, err
	}
	var kw map[string]any
	if len(list) > 3 {
		if kw, ok = list[3].(map[string]any); !ok {
			return nil, nil, nil, fmt.Errorf("%w: inbound node %s: kwargs: want an object", ErrFormat, jsonValue(v))
		}
	}
	if len(list) > 4 {
		return nil, nil, nil, fmt.Errorf("%w: inbound node %s: want [layer, node_index, tensor_index, kwargs]", ErrFormat, jsonValue(v))
	}
	if y, ok := kw["y"].([]any); ok && len(y) >= 3 {
		if _, named := y[0].(string); named {
			// tf_keras's op on two tensors: tf.math.add(a, b), a * b -> {"y": ["b", 0, 0]}
			r2, err := parseTensorRef(y)
			if err != nil {
				return nil, nil, nil, err
			}
			rest := map[string]any{}
			for k, x := range kw {
				if k != "y" {
					rest[k] = x
				}
			}
			return []tensorRef{r, r2}, []layers.CallArg{{Tensor: true}, {Tensor: true}}, rest, nil
		}
	}
	return []tensorRef{r}, []layers.CallArg{{Tensor: true}}, kw, nil
}

// opConfigEntry is the Functional config entry of a layer taking call arguments: its class,
// module and config as dialect d writes them (layers.TFOp.Entry) and each node's call with its
// constants. ref spells the reference of an input tensor.
func (m *Model) opConfigEntry(l layers.Layer, d saved.Dialect, form configForm, ref func(*KerasTensor) []any) (map[string]any, error) {
	if op2, ok := l.(*layers.TFOp2); ok {
		return m.op2ConfigEntry(op2, d, form, ref)
	}
	op, ok := l.(*layers.TFOp)
	if !ok {
		return nil, fmt.Errorf("%w: layer %q (%s): call arguments of this class cannot be written", ErrUnsupported, l.Name(), l.Class())
	}
	class, module, cfg, err := op.Entry(d)
	if err != nil {
		return nil, err
	}
	nodes := []any{}
	for _, n := range m.fn.layerNodes[l] {
		if n.isInput() {
			continue
		}
		if len(n.in) != 1 {
			return nil, fmt.Errorf("%w: layer %q (%s) is called on %d tensors", ErrUnsupported, l.Name(), l.Class(), len(n.in))
		}
		args, kwargs, err := op.CallArgs(d)
		if err != nil {
			return nil, err
		}
		x := n.in[0]
		if d == saved.Keras3 {
			list := make([]any, len(args))
			for i, a := range args {
				list[i] = a.Value
				if a.Tensor {
					list[i] = map[string]any{"class_name": "__keras_tensor__", "config": map[string]any{
						"shape": batchShapeJSON(x.batch, x.shape), "dtype": "float32", "keras_history": ref(x)}}
				}
			}
			nodes = append(nodes, map[string]any{"args": list, "kwargs": kwargs})
			continue
		}
		if len(args) == 2 && !args[0].Tensor && args[1].Tensor {
			kw := map[string]any{"y": ref(x)}
			for k, v := range kwargs {
				kw[k] = v
			}
			nodes = append(nodes, []any{constantValue, -1, args[0].Value, kw})
			continue
		}
		if len(args) != 1 || !args[0].Tensor {
			return nil, errors.New("kerasgo: internal error: tf_keras op call with positional constants")
		}
		nodes = append(nodes, append(ref(x), kwargs))
	}
	e := map[string]any{"class_name": class, "config": cfg, "name": l.Name(), "inbound_nodes": nodes}
	if d == saved.Keras3 {
		// also in legacy .h5 configs: without its module the entry would read as a layer
		e["module"], e["registered_name"] = module, class
	} else if form == formJSON {
		e["module"] = "tf_keras.src.layers.core.tf_op_layer"
		e["registered_name"] = class
		if bc := layers.BuildConfig(l, d); bc != nil {
			e["build_config"] = bc
		}
		if args, _, err := op.CallArgs(d); err == nil && len(args) > 0 && !args[0].Tensor {
			// tf_keras records the shape of the first argument: the scalar constant's
			e["build_config"] = map[string]any{"input_shape": []any{}}
		}
	}
	return e, nil
}

// op2ConfigEntry is opConfigEntry for an operation on two tensors (layers.TFOp2): Keras 3's
// node has both tensors as positional arguments; tf_keras's is [a, node, tensor, {"y": b}]
// (with "name": null for the functions that record it).
func (m *Model) op2ConfigEntry(op *layers.TFOp2, d saved.Dialect, form configForm, ref func(*KerasTensor) []any) (map[string]any, error) {
	class, module, cfg, err := op.Entry(d)
	if err != nil {
		return nil, err
	}
	nodes := []any{}
	var first *KerasTensor
	for _, n := range m.fn.layerNodes[op] {
		if n.isInput() {
			continue
		}
		if len(n.in) != 2 {
			return nil, fmt.Errorf("%w: layer %q (%s) is called on %d tensors", ErrUnsupported, op.Name(), op.Class(), len(n.in))
		}
		if first == nil {
			first = n.in[0]
		}
		if d == saved.Keras3 {
			list := make([]any, 2)
			for i, x := range n.in {
				list[i] = map[string]any{"class_name": "__keras_tensor__", "config": map[string]any{
					"shape": batchShapeJSON(x.batch, x.shape), "dtype": "float32", "keras_history": ref(x)}}
			}
			nodes = append(nodes, map[string]any{"args": list, "kwargs": map[string]any{}})
			continue
		}
		kw := map[string]any{"y": ref(n.in[1])}
		if op.NameKeyword() {
			kw["name"] = nil
		}
		nodes = append(nodes, append(ref(n.in[0]), kw))
	}
	e := map[string]any{"class_name": class, "config": cfg, "name": op.Name(), "inbound_nodes": nodes}
	if d == saved.Keras3 {
		e["module"], e["registered_name"] = module, class
	} else if form == formJSON {
		e["module"] = "tf_keras.src.layers.core.tf_op_layer"
		e["registered_name"] = class
		if first != nil {
			// tf_keras records the shape of the first argument
			e["build_config"] = map[string]any{"input_shape": batchShapeJSON(first.batch, first.shape)}
		}
	}
	return e, nil
}
