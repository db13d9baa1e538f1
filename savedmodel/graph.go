package savedmodel

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	pb "github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Attribute constructors.

func aType(t pb.DataType) *pb.AttrValue { return &pb.AttrValue{Value: &pb.AttrValue_Type{Type: t}} }
func aS(s string) *pb.AttrValue         { return &pb.AttrValue{Value: &pb.AttrValue_S{S: []byte(s)}} }
func aB(b bool) *pb.AttrValue           { return &pb.AttrValue{Value: &pb.AttrValue_B{B: b}} }
func aF(f float32) *pb.AttrValue        { return &pb.AttrValue{Value: &pb.AttrValue_F{F: f}} }
func aInts(v ...int64) *pb.AttrValue {
	return &pb.AttrValue{Value: &pb.AttrValue_List{List: &pb.AttrValue_ListValue{I: v}}}
}
func aShape(dims []int) *pb.AttrValue {
	return &pb.AttrValue{Value: &pb.AttrValue_Shape{Shape: shapeProto(dims)}}
}
func aShapes(s ...*pb.TensorShapeProto) *pb.AttrValue {
	return &pb.AttrValue{Value: &pb.AttrValue_List{List: &pb.AttrValue_ListValue{Shape: s}}}
}
func aTypes(t ...pb.DataType) *pb.AttrValue {
	if t == nil {
		t = []pb.DataType{}
	}
	return &pb.AttrValue{Value: &pb.AttrValue_List{List: &pb.AttrValue_ListValue{Type: t}}}
}
func aFunc(name string) *pb.AttrValue {
	return &pb.AttrValue{Value: &pb.AttrValue_Func{Func: &pb.NameAttrList{Name: name}}}
}
func aTensor(t *pb.TensorProto) *pb.AttrValue {
	return &pb.AttrValue{Value: &pb.AttrValue_Tensor{Tensor: t}}
}

// shapeProto converts dims (-1 unknown) to a TensorShapeProto; nil dims mean a scalar.
func shapeProto(dims []int) *pb.TensorShapeProto {
	s := &pb.TensorShapeProto{}
	for _, d := range dims {
		s.Dim = append(s.Dim, &pb.TensorShapeProto_Dim{Size: int64(d)})
	}
	return s
}

func batchDims(shape []int) []int { return append([]int{-1}, shape...) }

func stringConst(v []string, scalar bool) *pb.TensorProto {
	t := &pb.TensorProto{Dtype: pb.DataType_DT_STRING, TensorShape: shapeProto([]int{len(v)})}
	if scalar {
		t.TensorShape = shapeProto(nil)
	}
	for _, s := range v {
		t.StringVal = append(t.StringVal, []byte(s))
	}
	return t
}

// outArg is the name of output 0 of the ops the writer itself emits, used in FunctionDef
// input references ("node:outarg:index"); a layer's ops carry their own (saved.Op.OutArg).
var outArg = map[string]string{"Identity": "output"}

// builder collects the nodes of a graph or of a function body.
type builder struct {
	nodes    []*pb.NodeDef
	function bool // inside a FunctionDef: references are "node:outarg:i"
	names    map[string]bool
}

func newBuilder(function bool) *builder {
	return &builder{function: function, names: map[string]bool{}}
}

// unique returns name, or name_N if taken, as TF does.
func (b *builder) unique(name string) string {
	if !b.names[name] {
		b.names[name] = true
		return name
	}
	for i := 1; ; i++ {
		n := fmt.Sprintf("%s_%d", name, i)
		if !b.names[n] {
			b.names[n] = true
			return n
		}
	}
}

// add appends a node and returns a reference to its output 0.
func (b *builder) add(name, op string, inputs []string, attr map[string]*pb.AttrValue) string {
	return b.addOut(name, op, outArg[op], inputs, attr)
}

// addOut is add for an op whose first output argument is named arg.
func (b *builder) addOut(name, op, arg string, inputs []string, attr map[string]*pb.AttrValue) string {
	name = b.unique(name)
	b.nodes = append(b.nodes, &pb.NodeDef{Name: name, Op: op, Input: inputs, Attr: attr})
	return b.refArg(name, arg, 0)
}

func (b *builder) ref(name, op string, i int) string { return b.refArg(name, outArg[op], i) }

// refArg references output i of node name: in a FunctionDef "name:arg:i" (i counts within the
// output argument arg), in a graph "name" or "name:i".
func (b *builder) refArg(name, arg string, i int) string {
	if b.function {
		return fmt.Sprintf("%s:%s:%d", name, arg, i)
	}
	if i == 0 {
		return name
	}
	return fmt.Sprintf("%s:%d", name, i)
}

var argNameRE = regexp.MustCompile(`[^a-z0-9_]`)

// argName turns a name into a valid FunctionDef argument name ([a-z][a-z0-9_]*).
func argName(s string) string {
	s = argNameRE.ReplaceAllString(strings.ToLower(s), "_")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "arg_" + s
	}
	return s
}

// lowerSequential emits the inference ops of sm into b, reading input x and the variables
// through handles (variable name "conv_1/kernel" -> resource reference). Each layer's ops are
// its graph (saved.LayerGraph), named "<model>/<layer>/<op>". It returns the output reference.
func lowerSequential(b *builder, sm *seqModel, x string, handles map[string]string) (string, error) {
	mask := ""
	for _, l := range sm.Layers {
		var err error
		if x, mask, err = lowerLayerMask(b, sm.prefix+sm.Name+"/"+l.Name+"/", l, []string{x}, []string{mask}, handles); err != nil {
			return "", fmt.Errorf("layer %q (%s): %w", l.Name, l.Class, err)
		}
	}
	return x, nil
}

// lowerLayer emits the ops of one layer's graph under scope, with inputs the references of
// the layer's inputs, and returns the reference of its output.
func lowerLayer(b *builder, scope string, l *layerSpec, inputs []string, handles map[string]string) (string, error) {
	y, _, err := lowerLayerMask(b, scope, l, inputs, nil, handles)
	return y, err
}

// lowerLayerMask is lowerLayer with the references of the Keras masks reaching the layer's
// inputs (masks, "" or missing when none), which its ops read as "$mask", "$mask1", ...; it
// also returns the reference of its output's mask ("" when none): its MaskOps' result, or
// the first input's mask when the layer passes it on.
func lowerLayerMask(b *builder, scope string, l *layerSpec, inputs []string, masks []string, handles map[string]string) (string, string, error) {
	ys, m, err := lowerLayerOuts(b, scope, l, inputs, masks, handles)
	if err != nil {
		return "", "", err
	}
	return ys[0], m, nil
}

// lowerLayerOuts is lowerLayerMask returning the references of all the call's outputs (the
// graph's Output, then its MoreOutputs).
func lowerLayerOuts(b *builder, scope string, l *layerSpec, inputs []string, masks []string, handles map[string]string) ([]string, string, error) {
	mask := ""
	if len(masks) > 0 {
		mask = masks[0]
	}
	if l.Sub != nil {
		y, err := lowerNested(b, scope, l, inputs, handles)
		return []string{y}, "", err
	}
	g := callGraph(l, len(inputs))
	has := map[string]bool{}
	for _, w := range l.Weights {
		has[w.Name] = true
	}
	refs := map[string]string{} // op name in the layer -> node name
	args := map[string]string{} // op name in the layer -> its first output argument
	resolve := func(r string) (string, error) {
		switch {
		case strings.HasPrefix(r, "$mask"):
			n := 0
			if r != "$mask" {
				var err error
				if n, err = strconv.Atoi(r[5:]); err != nil || n < 1 {
					return "", formatErr("graph reference %q", r)
				}
			}
			if n >= len(masks) || masks[n] == "" {
				return "", formatErr("graph reads %s; no Keras mask reaches that input of the layer", r)
			}
			return masks[n], nil
		case r == "$in":
			if len(inputs) < 1 {
				return "", formatErr("graph reads $in; the layer has no input")
			}
			return inputs[0], nil
		case strings.HasPrefix(r, "$var:"):
			w := strings.TrimPrefix(r, "$var:")
			key := l.Name + "/" + w
			if sc := saved.WeightScopeOf(l.Class); sc != "" && saved.WeightObjectOf(l.Class) != "" {
				key = l.Name + "/" + sc + "/" + w // the variable's full name (see build)
			}
			h, ok := handles[key]
			if !has[w] || !ok {
				return "", formatErr("graph reads weight %q, which the layer does not have", w)
			}
			return h, nil
		case strings.HasPrefix(r, "$in"):
			n, err := strconv.Atoi(r[3:])
			if err != nil || n < 1 || n >= len(inputs) {
				return "", formatErr("graph reads %s; the layer has %d inputs", r, len(inputs))
			}
			return inputs[n], nil
		}
		name, idx := r, 0
		if i := strings.LastIndexByte(r, ':'); i >= 0 {
			n, err := strconv.Atoi(r[i+1:])
			if err != nil || n < 0 {
				return "", formatErr("graph reference %q", r)
			}
			name, idx = r[:i], n
		}
		node, ok := refs[name]
		if !ok {
			return "", formatErr("graph reference %q names no earlier op", r)
		}
		return b.refArg(node, args[name], idx), nil
	}
	for _, op := range append(slices.Clip(g.Ops), g.MaskOps...) {
		if op.Name == "" || op.Type == "" {
			return nil, "", formatErr("graph op %q of type %q", op.Name, op.Type)
		}
		if _, dup := refs[op.Name]; dup {
			return nil, "", formatErr("graph has two ops named %q", op.Name)
		}
		if op.OutArg == "" && b.function {
			return nil, "", formatErr("graph op %q (%s) has no output argument name", op.Name, op.Type)
		}
		in := make([]string, len(op.Inputs))
		for i, r := range op.Inputs {
			var err error
			if in[i], err = resolve(r); err != nil {
				return nil, "", fmt.Errorf("op %q: %w", op.Name, err)
			}
		}
		attrs, err := attrValues(op.Attrs)
		if err != nil {
			return nil, "", fmt.Errorf("op %q: %w", op.Name, err)
		}
		b.addOut(scope+op.Name, op.Type, op.OutArg, in, attrs)
		refs[op.Name] = b.nodes[len(b.nodes)-1].Name
		args[op.Name] = op.OutArg
	}
	out, err := resolve(g.Output)
	if err != nil {
		return nil, "", fmt.Errorf("output: %w", err)
	}
	outs := []string{out}
	for k, o := range g.MoreOutputs {
		r, err := resolve(o)
		if err != nil {
			return nil, "", fmt.Errorf("output %d: %w", k+1, err)
		}
		outs = append(outs, r)
	}
	outMask := ""
	switch {
	case g.MaskOutput != "":
		if outMask, err = resolve(g.MaskOutput); err != nil {
			return nil, "", fmt.Errorf("mask output: %w", err)
		}
	case g.PassesMask:
		outMask = mask
	}
	return outs, outMask, nil
}

// attrValues converts a layer op's attributes to TF AttrValues.
func attrValues(attrs map[string]saved.Attr) (map[string]*pb.AttrValue, error) {
	out := make(map[string]*pb.AttrValue, len(attrs))
	for k, a := range attrs {
		var v *pb.AttrValue
		switch a.Kind {
		case saved.AttrType:
			v = aType(pb.DataType(a.Type))
		case saved.AttrString:
			v = aS(a.S)
		case saved.AttrBool:
			v = aB(a.B)
		case saved.AttrFloat:
			v = aF(a.F)
		case saved.AttrInt:
			v = &pb.AttrValue{Value: &pb.AttrValue_I{I: a.I}}
		case saved.AttrInts:
			v = aInts(a.Ints...)
		case saved.AttrShape:
			dims := make([]int, len(a.Ints))
			for i, d := range a.Ints {
				dims[i] = int(d)
			}
			v = aShape(dims)
		case saved.AttrTensor:
			t, err := constProto(a.Tensor)
			if err != nil {
				return nil, fmt.Errorf("attr %s: %w", k, err)
			}
			v = aTensor(t)
		default:
			return nil, formatErr("attr %s has kind %d", k, a.Kind)
		}
		out[k] = v
	}
	return out, nil
}

// constProto converts a float32, int32 or int64 tensor to a TensorProto.
func constProto(t *tensor.Tensor) (*pb.TensorProto, error) {
	if t == nil {
		return nil, formatErr("constant without a value")
	}
	switch t.DType {
	case tensor.Float32, tensor.Int32, tensor.Int64:
	default:
		return nil, unsupported("constant of dtype %v", t.DType)
	}
	b, err := t.AppendBytes(nil)
	if err != nil {
		return nil, formatErr("constant: %v", err)
	}
	return &pb.TensorProto{Dtype: pb.DataType(t.DType), TensorShape: shapeProto(t.Shape), TensorContent: b}, nil
}
