package savedmodel

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strings"

	pb "github.com/kerasgo/kerasgo/internal/tfpb"
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

func float32Const(shape []int, v []float32) *pb.TensorProto {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return &pb.TensorProto{Dtype: pb.DataType_DT_FLOAT, TensorShape: shapeProto(shape), TensorContent: b}
}

func int32Const(v []int32) *pb.TensorProto {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return &pb.TensorProto{Dtype: pb.DataType_DT_INT32, TensorShape: shapeProto([]int{len(v)}), TensorContent: b}
}

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

// outArg is the name of output 0 of each op, used in FunctionDef input references
// ("node:outarg:index"). Facts from the op registrations.
var outArg = map[string]string{
	"Conv2D": "output", "BiasAdd": "output", "MaxPool": "output", "AvgPool": "output",
	"Reshape": "output", "Identity": "output", "Const": "output", "MatMul": "product",
	"Relu": "activations", "Relu6": "activations", "Elu": "activations", "Selu": "activations",
	"Softplus": "activations", "Softsign": "activations", "Softmax": "softmax",
	"Sigmoid": "y", "Tanh": "y", "FusedBatchNormV3": "y", "ReadVariableOp": "value",
	"Mul": "z", "AddV2": "z", "Sub": "z", "Rsqrt": "y", "StatefulPartitionedCall": "output",
}

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
	name = b.unique(name)
	b.nodes = append(b.nodes, &pb.NodeDef{Name: name, Op: op, Input: inputs, Attr: attr})
	return b.ref(name, op, 0)
}

func (b *builder) ref(name, op string, i int) string {
	if b.function {
		return fmt.Sprintf("%s:%s:%d", name, outArg[op], i)
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
// through handles (variable name "conv_1/kernel" -> resource reference). It returns the output
// reference.
func lowerSequential(b *builder, sm *seqModel, x string, handles map[string]string) (string, error) {
	f := aType(pb.DataType_DT_FLOAT)
	scope := sm.Name + "/"
	read := func(l *layerSpec, w, opScope string) string {
		return b.add(scope+l.Name+"/"+opScope+"/ReadVariableOp", "ReadVariableOp",
			[]string{handles[l.Name+"/"+w]}, map[string]*pb.AttrValue{"dtype": f})
	}
	has := func(l *layerSpec, w string) bool {
		for _, v := range l.Weights {
			if v.Name == w {
				return true
			}
		}
		return false
	}
	act := func(l *layerSpec, x string) (string, error) {
		op, err := activationOp(activationName(l.Cfg))
		if err != nil || op == "" {
			return x, err
		}
		return b.add(scope+l.Name+"/"+op, op, []string{x}, map[string]*pb.AttrValue{"T": f}), nil
	}
	for _, l := range sm.Layers {
		p := scope + l.Name + "/"
		c := l.Cfg
		var err error
		switch l.Class {
		case "Conv2D":
			st, _ := pair(c, "strides", [2]int{1, 1})
			dl, _ := pair(c, "dilation_rate", [2]int{1, 1})
			k := read(l, "kernel", "Conv2D")
			x = b.add(p+"Conv2D", "Conv2D", []string{x, k}, map[string]*pb.AttrValue{
				"T": f, "strides": aInts(1, int64(st[0]), int64(st[1]), 1),
				"padding":     aS(strings.ToUpper(strCfg(c, "padding", "valid"))),
				"dilations":   aInts(1, int64(dl[0]), int64(dl[1]), 1),
				"data_format": aS("NHWC"),
			})
			if has(l, "bias") {
				bias := read(l, "bias", "BiasAdd")
				x = b.add(p+"BiasAdd", "BiasAdd", []string{x, bias}, map[string]*pb.AttrValue{"T": f, "data_format": aS("NHWC")})
			}
			if x, err = act(l, x); err != nil {
				return "", err
			}
		case "Dense":
			k := read(l, "kernel", "MatMul")
			x = b.add(p+"MatMul", "MatMul", []string{x, k}, map[string]*pb.AttrValue{"T": f})
			if has(l, "bias") {
				bias := read(l, "bias", "BiasAdd")
				x = b.add(p+"BiasAdd", "BiasAdd", []string{x, bias}, map[string]*pb.AttrValue{"T": f})
			}
			if x, err = act(l, x); err != nil {
				return "", err
			}
		case "MaxPooling2D", "AveragePooling2D":
			ps, _ := pair(c, "pool_size", [2]int{2, 2})
			st, _ := pair(c, "strides", ps)
			op := "MaxPool"
			if l.Class == "AveragePooling2D" {
				op = "AvgPool"
			}
			x = b.add(p+op, op, []string{x}, map[string]*pb.AttrValue{
				"T": f, "ksize": aInts(1, int64(ps[0]), int64(ps[1]), 1),
				"strides":     aInts(1, int64(st[0]), int64(st[1]), 1),
				"padding":     aS(strings.ToUpper(strCfg(c, "padding", "valid"))),
				"data_format": aS("NHWC"),
			})
		case "BatchNormalization":
			eps := 1e-3
			if e, ok := toFloat(c["epsilon"]); ok {
				eps = e
			}
			ch := l.In[len(l.In)-1]
			ones := make([]float32, ch)
			for i := range ones {
				ones[i] = 1
			}
			var gamma, beta string
			if has(l, "gamma") {
				gamma = read(l, "gamma", "gamma")
			}
			if has(l, "beta") {
				beta = read(l, "beta", "beta")
			}
			mean := read(l, "moving_mean", "moving_mean")
			variance := read(l, "moving_variance", "moving_variance")
			if len(l.In) == 3 {
				if gamma == "" {
					gamma = b.add(p+"ones", "Const", nil, map[string]*pb.AttrValue{"dtype": f, "value": aTensor(float32Const([]int{ch}, ones))})
				}
				if beta == "" {
					beta = b.add(p+"zeros", "Const", nil, map[string]*pb.AttrValue{"dtype": f, "value": aTensor(float32Const([]int{ch}, make([]float32, ch)))})
				}
				x = b.add(p+"FusedBatchNormV3", "FusedBatchNormV3", []string{x, gamma, beta, mean, variance}, map[string]*pb.AttrValue{
					"T": f, "U": f, "epsilon": aF(float32(eps)), "is_training": aB(false),
					"data_format": aS("NHWC"), "exponential_avg_factor": aF(1),
				})
			} else {
				e := b.add(p+"batchnorm/add/y", "Const", nil, map[string]*pb.AttrValue{"dtype": f, "value": aTensor(float32Const(nil, []float32{float32(eps)}))})
				v := b.add(p+"batchnorm/add", "AddV2", []string{variance, e}, map[string]*pb.AttrValue{"T": f})
				inv := b.add(p+"batchnorm/Rsqrt", "Rsqrt", []string{v}, map[string]*pb.AttrValue{"T": f})
				if gamma != "" {
					inv = b.add(p+"batchnorm/mul", "Mul", []string{inv, gamma}, map[string]*pb.AttrValue{"T": f})
				}
				xs := b.add(p+"batchnorm/mul_1", "Mul", []string{x, inv}, map[string]*pb.AttrValue{"T": f})
				ms := b.add(p+"batchnorm/mul_2", "Mul", []string{mean, inv}, map[string]*pb.AttrValue{"T": f})
				if beta == "" {
					beta = b.add(p+"zeros", "Const", nil, map[string]*pb.AttrValue{"dtype": f, "value": aTensor(float32Const([]int{ch}, make([]float32, ch)))})
				}
				sh := b.add(p+"batchnorm/sub", "Sub", []string{beta, ms}, map[string]*pb.AttrValue{"T": f})
				x = b.add(p+"batchnorm/add_1", "AddV2", []string{xs, sh}, map[string]*pb.AttrValue{"T": f})
			}
		case "Flatten":
			s := b.add(p+"Const", "Const", nil, map[string]*pb.AttrValue{"dtype": aType(pb.DataType_DT_INT32), "value": aTensor(int32Const([]int32{-1, int32(l.Out[0])}))})
			x = b.add(p+"Reshape", "Reshape", []string{x, s}, map[string]*pb.AttrValue{"T": f, "Tshape": aType(pb.DataType_DT_INT32)})
		case "Dropout":
			x = b.add(p+"Identity", "Identity", []string{x}, map[string]*pb.AttrValue{"T": f})
		case "Activation":
			if x, err = act(l, x); err != nil {
				return "", err
			}
		default:
			return "", unsupported("layer class %q", l.Class)
		}
	}
	return x, nil
}
