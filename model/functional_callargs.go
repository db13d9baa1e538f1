package model

import (
	"fmt"
	"slices"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// This file reads and writes the inbound nodes of layers whose call takes its tensors as
// separate arguments (layers.TensorArgs: MultiHeadAttention(query, value, key)). tf_keras
// records the first tensor as the node's one reference and the others in its kwargs by name
// ([["q", 0, 0, {"value": ["v", 0, 0], "use_causal_mask": true}]]); Keras 3 records them as
// positional args (or keyword args by name) with the other keyword arguments in kwargs.

// tensorArgsNode is the inbound node of one call of l on in.
func tensorArgsNode(l layers.TensorArgs, in []*KerasTensor, ref func(*KerasTensor) []any, d saved.Dialect) any {
	kw := l.CallKwargs()
	names := l.CallArgs()
	if d == saved.Keras3 {
		var args []any
		for i, x := range in {
			a := map[string]any{"class_name": "__keras_tensor__", "config": map[string]any{
				"shape": batchShapeJSON(x.batch, x.shape), "dtype": "float32", "keras_history": ref(x)}}
			// Optional tensor arguments after the positional three (attention_mask) are
			// keyword arguments.
			if oa, ok := l.(layers.OptionalTensorArgs); ok && i < len(names) && slices.Index(oa.AllCallArgs(), names[i]) >= 3 {
				kw[names[i]] = a
				continue
			}
			args = append(args, a)
		}
		return map[string]any{"args": args, "kwargs": kw}
	}
	for i, x := range in[1:] {
		kw[names[i+1]] = ref(x)
	}
	return []any{append(ref(in[0]), kw)}
}

// parseTensorArgsCall reads one inbound node of l: the references of its tensors in input
// order; the other keyword arguments go to l.SetCallKwarg.
func parseTensorArgsCall(l layers.TensorArgs, v any, first bool) ([]tensorRef, error) {
	names := l.CallArgs()
	oa, optional := l.(layers.OptionalTensorArgs)
	if optional {
		names = oa.AllCallArgs()
	}
	refs := make([]*tensorRef, len(names))
	set := func(i int, r tensorRef) error {
		if refs[i] != nil {
			return fmt.Errorf("%w: inbound node: argument %s given twice", ErrFormat, names[i])
		}
		refs[i] = &r
		return nil
	}
	var kw map[string]any
	if obj, ok := v.(map[string]any); ok { // Keras 3
		args, _ := obj["args"].([]any)
		if len(args) > len(names) {
			return nil, fmt.Errorf("%w: inbound node: %d positional arguments, the call takes %d tensors", ErrFormat, len(args), len(names))
		}
		for i, a := range args {
			r, err := keras3TensorRef(a)
			if err != nil {
				return nil, err
			}
			if err := set(i, r); err != nil {
				return nil, err
			}
		}
		kw, _ = obj["kwargs"].(map[string]any)
		for k, a := range kw {
			if i := slices.Index(names, k); i >= 0 && a != nil {
				r, err := keras3TensorRef(a)
				if err != nil {
					return nil, err
				}
				if err := set(i, r); err != nil {
					return nil, err
				}
			}
		}
	} else {
		list, ok := v.([]any)
		if !ok || len(list) != 1 {
			return nil, fmt.Errorf("%w: inbound node %s: want one tensor reference with keyword arguments", ErrFormat, jsonValue(v))
		}
		r, err := parseTensorRef(list[0])
		if err != nil {
			return nil, err
		}
		refs[0] = &r
		if e := list[0].([]any); len(e) > 3 {
			kw, _ = e[3].(map[string]any)
		}
		for k, a := range kw {
			if i := slices.Index(names, k); i > 0 && a != nil {
				r, err := parseTensorRef(a)
				if err != nil {
					return nil, fmt.Errorf("inbound node: argument %s: %w", k, err)
				}
				if err := set(i, r); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, k := range sortedKeys(kw) {
		if slices.Contains(names, k) {
			continue
		}
		if k == "mask" && kw[k] == nil {
			continue
		}
		if err := l.SetCallKwarg(k, kw[k], first); err != nil {
			return nil, err
		}
	}
	var out []tensorRef
	if optional {
		// Tensor arguments after the first two may each be absent (MultiHeadAttention's key
		// and attention_mask): the present ones in order, named to the layer.
		var present []string
		for i, r := range refs {
			if r == nil {
				if i < 2 {
					return nil, fmt.Errorf("%w: inbound node: no %s tensor", ErrFormat, names[i])
				}
				continue
			}
			present = append(present, names[i])
			out = append(out, *r)
		}
		if err := oa.SetPresentArgs(present, first); err != nil {
			return nil, err
		}
		return out, nil
	}
	for i, r := range refs {
		if r == nil {
			if i < 2 {
				return nil, fmt.Errorf("%w: inbound node: no %s tensor", ErrFormat, names[i])
			}
			break
		}
		if len(out) != i {
			return nil, fmt.Errorf("%w: inbound node: %s given without %s", ErrFormat, names[i], names[len(out)])
		}
		out = append(out, *r)
	}
	return out, nil
}

// keras3TensorRef reads a "__keras_tensor__" argument's keras_history.
func keras3TensorRef(e any) (tensorRef, error) {
	o, _ := e.(map[string]any)
	if o == nil || o["class_name"] != "__keras_tensor__" {
		return tensorRef{}, fmt.Errorf("%w: inbound node argument %s is not a Keras tensor", ErrUnsupported, jsonValue(e))
	}
	c, _ := o["config"].(map[string]any)
	return parseTensorRef(c["keras_history"])
}
