package layers

import (
	"fmt"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// PolicyGraph returns the TF graph of l's call under its dtype policy, made from g (the
// float32 graph of l's Graph): for float32 it is g. Under mixed_float16, mixed_bfloat16,
// float16 and bfloat16 the graph computes what Forward does: each input is cast to the
// compute dtype and back to float32 (rounded), each float variable is read in its variable
// dtype (float16/bfloat16 variables: ReadVariableOp of that dtype) and rounded to the compute
// dtype the same way (not BatchNormalization's, which Keras keeps in float32), the layer's
// float32 ops run on those values, and the output is rounded through the compute dtype.
// Between layers tensors stay float32 holding 16-bit values, which changes no value: a cast
// back to float16 is exact. TF rounds float32 to float16 and bfloat16 to nearest even, as
// RoundFloat16 and RoundBFloat16 do.
func PolicyGraph(l Layer, g *saved.LayerGraph) (*saved.LayerGraph, error) {
	var c tensor.DType
	switch PolicyOf(l) {
	case PolicyMixedFloat16, PolicyFloat16:
		c = tensor.Float16
	case PolicyMixedBFloat16, PolicyBFloat16:
		c = tensor.BFloat16
	default:
		return g, nil
	}
	if g == nil {
		return nil, nil
	}
	vdt := VariableDTypeIn(l, saved.Keras2) // SavedModels are tf_keras's
	roundVars := l.Class() != "BatchNormalization"
	names := map[string]bool{}
	for _, op := range g.Ops {
		names[op.Name] = true
	}
	unique := func(n string) string {
		if !names[n] {
			names[n] = true
			return n
		}
		for i := 1; ; i++ {
			m := fmt.Sprintf("%s_%d", n, i)
			if !names[m] {
				names[m] = true
				return m
			}
		}
	}
	var ops []saved.Op
	cast := func(name, in string, from, to tensor.DType) string {
		name = unique(name)
		ops = append(ops, saved.Op{Name: name, Type: "Cast", Inputs: []string{in}, OutArg: opOutArg["Cast"],
			Attrs: map[string]saved.Attr{"SrcT": saved.TypeAttr(from), "DstT": saved.TypeAttr(to), "Truncate": saved.BoolAttr(false)}})
		return name
	}
	// round32 rounds a float32 tensor through c: Cast to c, Cast back.
	round32 := func(scope, in string) string {
		return cast(scope+"/Cast_1", cast(scope+"/Cast", in, tensor.Float32, c), c, tensor.Float32)
	}
	refs := map[string]string{} // "$in…" or an op's name -> what its readers read instead
	for i := range g.InputShapes {
		in := "$in"
		if i > 0 {
			in = fmt.Sprintf("$in%d", i)
		}
		refs[in] = round32(fmt.Sprintf("policy/input_%d", i), in)
	}
	mapRef := func(r string) string {
		if n, ok := refs[r]; ok {
			return n
		}
		return r
	}
	for _, op := range g.Ops {
		op.Inputs = append([]string(nil), op.Inputs...)
		for i, r := range op.Inputs {
			op.Inputs[i] = mapRef(r)
		}
		isVar := op.Type == "ReadVariableOp" && len(op.Inputs) == 1 && strings.HasPrefix(op.Inputs[0], "$var:") &&
			op.Attrs["dtype"].Kind == saved.AttrType && op.Attrs["dtype"].Type == tensor.Float32
		if !isVar {
			ops = append(ops, op)
			continue
		}
		switch {
		case vdt != tensor.Invalid: // a float16/bfloat16 variable: read it as such
			attrs := map[string]saved.Attr{}
			for k, v := range op.Attrs {
				attrs[k] = v
			}
			attrs["dtype"] = saved.TypeAttr(vdt)
			op.Attrs = attrs
			ops = append(ops, op)
			refs[op.Name] = cast(op.Name+"/Cast", op.Name, vdt, tensor.Float32)
		case roundVars:
			ops = append(ops, op)
			refs[op.Name] = round32(op.Name, op.Name)
		default:
			ops = append(ops, op)
		}
	}
	out := round32("policy/output", mapRef(g.Output))
	ng := *g
	ng.Ops = ops
	ng.Output = out
	return &ng, nil
}

// VariableDTypeIn is VariableDType as dialect d stores l's variables: tf_keras's
// BatchNormalization keeps float32 variables under the float16 and bfloat16 policies (its
// param dtype), Keras 3's makes them 16-bit like any layer's.
func VariableDTypeIn(l Layer, d saved.Dialect) tensor.DType {
	if d == saved.Keras2 && l.Class() == "BatchNormalization" {
		return tensor.Invalid
	}
	return VariableDType(l)
}
