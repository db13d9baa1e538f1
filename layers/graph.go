package layers

import (
	"fmt"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds the helpers the layer files use to write their Graph (layers.Grapher):
// a builder of saved.Op lists with TF's op registrations' first output argument names, and
// the TF ops of the activation functions.
//
// Conventions (for every layer's Graph):
//   - Op names are relative to the layer's scope and are what TF's Keras call writes under
//     "model/layer/": "MatMul", "BiasAdd", "Conv2D", "Relu", "batchnorm/add".
//   - A weight is read with a ReadVariableOp named "<scope>/ReadVariableOp" on "$var:NAME",
//     where <scope> is the op that consumes it ("MatMul/ReadVariableOp" for Dense's kernel,
//     "BiasAdd/ReadVariableOp" for a bias): graphBuilder.read.
//   - Every op has the dtype attrs TF registers ("T", "dtype", ...) and OutArg set from
//     opOutArg (graphBuilder.op fails the graph for an op type missing there).
//   - The layer's input is "$in"; the result is the last op unless said otherwise.

// opOutArg is the name of output 0 of an op type in its TF op registration (FunctionDef
// references are "node:outarg:index"). Add the op types new layers emit.
var opOutArg = map[string]string{
	"Conv2D": "output", "BiasAdd": "output", "MaxPool": "output", "AvgPool": "output",
	"Reshape": "output", "Identity": "output", "Const": "output", "MatMul": "product",
	"Relu": "activations", "Relu6": "activations", "Elu": "activations", "Selu": "activations",
	"Softplus": "activations", "Softsign": "activations", "LeakyRelu": "activations",
	"Softmax": "softmax", "LogSoftmax": "logsoftmax",
	"Sigmoid": "y", "Tanh": "y", "Exp": "y", "Rsqrt": "y", "Sqrt": "y", "Neg": "y", "Abs": "y",
	"FusedBatchNormV3": "y", "ReadVariableOp": "value",
	"Mul": "z", "AddV2": "z", "Sub": "z", "RealDiv": "z", "Maximum": "z", "Minimum": "z",
	"Pad": "output", "Transpose": "y", "Mean": "output", "Max": "output", "Sum": "output",
	"ConcatV2": "output", "Slice": "output", "StridedSlice": "output", "Tile": "output",
	"ResizeNearestNeighbor": "resized_images", "ResizeBilinear": "resized_images",
	"ExpandDims": "output", "Squeeze": "output", "BatchMatMulV2": "output",
	"DepthwiseConv2dNative": "output", "Square": "y", "SquaredDifference": "z",
	"AddN": "sum", "Pow": "z", "Erf": "y", "Log": "y", "Log1p": "y",
	"Cast": "y", "Greater": "z", "GreaterEqual": "z", "Less": "z", "SelectV2": "output", "SpaceToBatchND": "output", "BatchToSpaceND": "output", "ZerosLike": "y", "Sign": "y", "LessEqual": "z",
	"GatherV2": "output", "Pack": "output", "Einsum": "output", "ReverseV2": "output", "NotEqual": "z", "Any": "output",
}

// graphBuilder collects the ops of one layer's Graph.
type graphBuilder struct {
	class, name string
	ops         []saved.Op
	err         error
	names       map[string]bool
}

func newGraphBuilder(class, name string) *graphBuilder {
	return &graphBuilder{class: class, name: name, names: map[string]bool{}}
}

// unique returns name, or name_N if taken, as TF names ops.
func (g *graphBuilder) unique(name string) string {
	if !g.names[name] {
		g.names[name] = true
		return name
	}
	for i := 1; ; i++ {
		n := fmt.Sprintf("%s_%d", name, i)
		if !g.names[n] {
			g.names[n] = true
			return n
		}
	}
}

// fop appends an op with attribute T float32 (most elementwise ops).
func (g *graphBuilder) fop(name, typ string, inputs ...string) string {
	return g.op(name, typ, inputs, tAttrs(nil))
}

// constant appends a Const op holding t.
func (g *graphBuilder) constant(name string, t *tensor.Tensor) string {
	return g.op(name, "Const", nil, map[string]saved.Attr{"dtype": saved.TypeAttr(t.DType), "value": saved.TensorAttr(t)})
}

// scalar appends a float32 scalar Const.
func (g *graphBuilder) scalar(name string, v float32) string {
	return g.constant(name, tensor.Scalar(v))
}

// int32s appends an int32 Const of the given shape.
func (g *graphBuilder) int32s(name string, shape []int, v ...int32) string {
	return g.constant(name, &tensor.Tensor{DType: tensor.Int32, Shape: slices.Clone(shape), Data: v})
}

// readAs appends a ReadVariableOp named name of the layer's weight w.
func (g *graphBuilder) readAs(name, w string) string {
	return g.op(name, "ReadVariableOp", []string{"$var:" + w}, map[string]saved.Attr{"dtype": saved.TypeAttr(tensor.Float32)})
}

// graphOut returns the LayerGraph of a single-input layer whose result is out ("$in" for the
// identity, which gets an Identity op).
func (g *graphBuilder) graphOut(in, outShape []int, training bool, out string) (*saved.LayerGraph, error) {
	if out == "$in" {
		out = g.fop("Identity", "Identity", "$in")
	}
	if g.err != nil {
		return nil, g.err
	}
	return &saved.LayerGraph{InputShapes: [][]int{slices.Clone(in)}, OutputShape: slices.Clone(outShape),
		Training: training, Ops: g.ops, Output: out}, nil
}

// tAttrs returns attrs with "T": float32 added.
func tAttrs(attrs map[string]saved.Attr) map[string]saved.Attr {
	out := map[string]saved.Attr{"T": saved.TypeAttr(tensor.Float32)}
	for k, v := range attrs {
		out[k] = v
	}
	return out
}

// op appends an op and returns its name (a reference to its output 0).
func (g *graphBuilder) op(name, typ string, inputs []string, attrs map[string]saved.Attr) string {
	arg, ok := opOutArg[typ]
	if !ok && g.err == nil {
		g.err = layerErr(ErrUnsupported, g.class, g.name, "graph op type %s has no output argument name", typ)
	}
	name = g.unique(name)
	g.ops = append(g.ops, saved.Op{Name: name, Type: typ, Inputs: inputs, Attrs: attrs, OutArg: arg})
	return name
}

// read appends a ReadVariableOp "<scope>/ReadVariableOp" of the layer's weight.
func (g *graphBuilder) read(weight, scope string) string {
	return g.op(scope+"/ReadVariableOp", "ReadVariableOp", []string{"$var:" + weight},
		map[string]saved.Attr{"dtype": saved.TypeAttr(tensor.Float32)})
}

// floatConst appends a float32 Const of the given shape (nil: a scalar).
func (g *graphBuilder) floatConst(name string, shape []int, v []float32) string {
	if shape == nil {
		shape = []int{}
	}
	t := tensor.MustFromFloat32(shape, v)
	return g.op(name, "Const", nil, map[string]saved.Attr{"dtype": saved.TypeAttr(tensor.Float32), "value": saved.TensorAttr(t)})
}

// int32Const appends a 1-D int32 Const.
func (g *graphBuilder) int32Const(name string, v []int32) string {
	t := &tensor.Tensor{DType: tensor.Int32, Shape: []int{len(v)}, Data: v}
	return g.op(name, "Const", nil, map[string]saved.Attr{"dtype": saved.TypeAttr(tensor.Int32), "value": saved.TensorAttr(t)})
}

// activation appends the ops of an activation function on x (none for linear) and returns
// the result.
func (g *graphBuilder) activation(a *activationFunc, x string) string {
	if a == nil || a.identity {
		return x
	}
	out, err := a.ops(g, x)
	if err != nil {
		if g.err == nil {
			g.err = layerErr(ErrUnsupported, g.class, g.name, "activation %q in a TF graph", a.name)
		}
		return x
	}
	return out
}

// activationOps maps the activations that are one TF op to it.
var activationOps = map[string]string{
	"relu": "Relu", "softmax": "Softmax", "sigmoid": "Sigmoid", "tanh": "Tanh", "elu": "Elu",
	"selu": "Selu", "softplus": "Softplus", "softsign": "Softsign", "relu6": "Relu6",
}

// graph returns the LayerGraph of a built single-input layer l with the ops built so far;
// the result is the last op (or the input when there is none).
func (g *graphBuilder) graph(l Layer, training bool) (*saved.LayerGraph, error) {
	if g.err != nil {
		return nil, g.err
	}
	in := l.InputShape()
	if in == nil {
		return nil, errNotBuiltGraph(g.class, g.name)
	}
	out, err := l.OutputShape(in)
	if err != nil {
		return nil, err
	}
	res := "$in"
	if len(g.ops) > 0 {
		res = g.ops[len(g.ops)-1].Name
	}
	return &saved.LayerGraph{InputShapes: [][]int{in}, OutputShape: out, Training: training, Ops: g.ops, Output: res}, nil
}

func errNotBuiltGraph(class, name string) error {
	return layerErr(ErrShape, class, name, "Graph of a layer that is not built")
}
