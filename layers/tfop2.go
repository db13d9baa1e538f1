package layers

import (
	"fmt"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TFOp2 is a binary TFOp (add, subtract, multiply, divide) called on two tensors rather than
// a tensor and a constant: tf_keras records tf.math.add(a, b) and a * b between two Keras
// tensors as a TFOpLambda layer whose call passes the second tensor as the keyword argument
// "y" ([["a", 0, 0, {"y": ["b", 0, 0]}]]), Keras 3 as an operation node with two tensor
// arguments. The config is the same as TFOp's; the model reads it as a TFOp and makes it a
// TFOp2 when the call has two tensors (TFOp.TwoTensors). The inputs have the same rank;
// axes of size 1 broadcast, as TF broadcasts them.
type TFOp2 struct {
	multiBase
	op *TFOp

	// cached by a training ForwardN
	a, b    []float32 // the inputs broadcast to the output shape
	xShapes [][]int
	yShape  []int
}

// TwoTensors reports whether the call read by SetCallArgs passed two tensors (a binary op
// without a constant), and then returns the TFOp2 of the op (nil otherwise).
func (l *TFOp) TwoTensors() *TFOp2 {
	if !l.twoTensors {
		return nil
	}
	t := &TFOp2{op: l}
	t.base = l.base
	return t
}

// NewTFOp2 returns the binary operation op ("add", "subtract", "multiply", "divide") of two
// tensors, as tf_keras records it (a TFOpLambda layer of tf.math.add, ...).
func NewTFOp2(op string) (*TFOp2, error) {
	l, err := NewTFOp(op, 0)
	if err != nil || !l.binary() {
		return nil, fmt.Errorf("%w: TFOp %q on two tensors (kerasgo runs add, subtract, multiply, divide)", ErrUnsupported, op)
	}
	l.hasC, l.cCfg, l.twoTensors = false, nil, true
	if op == "add" {
		l.function = "math.add" // tf.math.add: "+" of two Keras tensors is recorded as this too
	}
	return l.TwoTensors(), nil
}

// sync gives the op the layer's base (name, trainable, policy), which its config writes.
func (l *TFOp2) sync() *TFOp {
	l.op.base = l.base
	return l.op
}

// Class returns the class of the op (TFOpLambda, or Keras 3's operation class).
func (l *TFOp2) Class() string { return l.op.Class() }

// Op returns the operation ("add", "subtract", "multiply", "divide").
func (l *TFOp2) Op() string { return l.op.op }

// Config returns the op's config (see TFOp.Config).
func (l *TFOp2) Config(d saved.Dialect) map[string]any { return l.sync().Config(d) }

// Entry returns the class, module and config of the op's entry in dialect d (TFOp.Entry).
func (l *TFOp2) Entry(d saved.Dialect) (class, module string, cfg map[string]any, err error) {
	return l.sync().Entry(d)
}

// NameKeyword reports whether tf_keras's call writes "name": null beside "y" (tf.math.add
// does not; the other functions and operators do).
func (l *TFOp2) NameKeyword() bool { return !l.op.noNameKw }

// SetCallArgs checks a call: two tensors, no constants, at most "name": null.
func (l *TFOp2) SetCallArgs(args []CallArg, kwargs map[string]any, d saved.Dialect) error {
	n := 0
	for _, a := range args {
		if !a.Tensor {
			return fmt.Errorf("%w: %s %q: a constant operand in a call of an operation on two tensors", ErrUnsupported, l.Class(), l.name)
		}
		n++
	}
	for k, v := range kwargs {
		if k != "name" || v != nil {
			return fmt.Errorf("%w: %s %q: call argument %s=%s is not supported", ErrUnsupported, l.Class(), l.name, k, jsonValue(v))
		}
	}
	if n != 2 {
		return fmt.Errorf("%w: %s %q: called on %d tensors, the layer on two", ErrUnsupported, l.Class(), l.name, n)
	}
	return nil
}

// CallArgs returns the call's two tensor arguments.
func (l *TFOp2) CallArgs(d saved.Dialect) ([]CallArg, map[string]any, error) {
	return []CallArg{{Tensor: true}, {Tensor: true}}, map[string]any{}, nil
}

// Build refuses one input.
func (l *TFOp2) Build([]int, *Rand) error { return severalInputs(l.Class(), l.name, "Build") }

// OutputShape refuses one input.
func (l *TFOp2) OutputShape([]int) ([]int, error) {
	return nil, severalInputs(l.Class(), l.name, "OutputShape")
}

// Forward refuses one input.
func (l *TFOp2) Forward(*tensor.Tensor, bool) (*tensor.Tensor, error) {
	return nil, severalInputs(l.Class(), l.name, "Forward")
}

// Backward refuses one input.
func (l *TFOp2) Backward(*tensor.Tensor) (*tensor.Tensor, error) {
	return nil, severalInputs(l.Class(), l.name, "Backward")
}

// OutputShapeN is the two shapes broadcast: equal ranks, each axis equal or 1 in one of them.
func (l *TFOp2) OutputShapeN(shapes [][]int) ([]int, error) {
	if err := checkShapesIn(l.Class(), l.name, shapes, 2, 2); err != nil {
		return nil, err
	}
	if len(shapes[0]) != len(shapes[1]) {
		return nil, layerErr(ErrUnsupported, l.Class(), l.name, "operands of shapes %s and %s: only equal ranks are implemented",
			batchShapeString(shapes[0]), batchShapeString(shapes[1]))
	}
	out, ok := broadcastPair(shapes[0], shapes[1])
	if !ok {
		return nil, layerErr(ErrShape, l.Class(), l.name, "operands of shapes %s and %s do not broadcast",
			batchShapeString(shapes[0]), batchShapeString(shapes[1]))
	}
	return out, nil
}

// BuildN records the input shapes.
func (l *TFOp2) BuildN(shapes [][]int, _ *Rand) error {
	if _, err := l.OutputShapeN(shapes); err != nil {
		return err
	}
	l.inShapes = make([][]int, len(shapes))
	for i, s := range shapes {
		l.inShapes[i] = slices.Clone(s)
	}
	return nil
}

// ForwardN applies the op elementwise (broadcast) in float32.
func (l *TFOp2) ForwardN(xs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInputsN(l.Class(), l.name, xs, l.inShapes); err != nil {
		return nil, err
	}
	if len(xs) != 2 || len(xs[0].Shape) != len(xs[1].Shape) || xs[0].Shape[0] != xs[1].Shape[0] {
		return nil, layerErr(ErrShape, l.Class(), l.name, "want two inputs of one rank and batch")
	}
	o, ok := broadcastPair(xs[0].Shape[1:], xs[1].Shape[1:])
	if !ok {
		return nil, layerErr(ErrShape, l.Class(), l.name, "inputs %s and %s do not broadcast", tensor.ShapeString(xs[0].Shape), tensor.ShapeString(xs[1].Shape))
	}
	out := append([]int{xs[0].Shape[0]}, o...)
	if _, err := tensor.CheckShape(tensor.Float32, out, 0); err != nil {
		return nil, layerErr(ErrShape, l.Class(), l.name, "output shape %s: %v", tensor.ShapeString(out), err)
	}
	a, b := expand(xs[0].Float32s(), xs[0].Shape, out), expand(xs[1].Float32s(), xs[1].Shape, out)
	y := make([]float32, len(a))
	switch l.op.op {
	case "add":
		for i := range y {
			y[i] = a[i] + b[i]
		}
	case "subtract":
		for i := range y {
			y[i] = a[i] - b[i]
		}
	case "multiply":
		for i := range y {
			y[i] = a[i] * b[i]
		}
	case "divide":
		for i := range y {
			y[i] = a[i] / b[i]
		}
	default:
		return nil, layerErr(ErrUnsupported, l.Class(), l.name, "op %q on two tensors", l.op.op)
	}
	if training {
		l.a, l.b, l.yShape = a, b, out
		l.xShapes = [][]int{slices.Clone(xs[0].Shape), slices.Clone(xs[1].Shape)}
	} else {
		l.a, l.b, l.yShape, l.xShapes = nil, nil, nil, nil
	}
	return tensor.MustFromFloat32(out, y), nil
}

// BackwardN returns dL/da and dL/db of the last training ForwardN, summed over the axes an
// input was broadcast along.
func (l *TFOp2) BackwardN(dy *tensor.Tensor) ([]*tensor.Tensor, error) {
	if l.yShape == nil {
		return nil, layerErr(ErrShape, l.Class(), l.name, "BackwardN without a training ForwardN")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, l.yShape) || dy.Len() != len(dy.Float32s()) {
		return nil, layerErr(ErrShape, l.Class(), l.name, "dy does not match the output %s", tensor.ShapeString(l.yShape))
	}
	g := dy.Float32s()
	da, db := make([]float32, len(g)), make([]float32, len(g))
	for i, d := range g {
		switch l.op.op {
		case "add":
			da[i], db[i] = d, d
		case "subtract":
			da[i], db[i] = d, -d
		case "multiply":
			da[i], db[i] = d*l.b[i], d*l.a[i]
		case "divide":
			da[i] = d / l.b[i]
			db[i] = -d * l.a[i] / (l.b[i] * l.b[i])
		}
	}
	return []*tensor.Tensor{
		tensor.MustFromFloat32(l.xShapes[0], reduceTo(da, l.xShapes[0], l.yShape)),
		tensor.MustFromFloat32(l.xShapes[1], reduceTo(db, l.xShapes[1], l.yShape)),
	}, nil
}

// Graph returns the op on the two inputs: AddV2, Sub, Mul or RealDiv.
func (l *TFOp2) Graph() (*saved.LayerGraph, error) {
	if l.inShapes == nil {
		return nil, errNotBuiltGraph(l.Class(), l.name)
	}
	out, err := l.OutputShapeN(l.inShapes)
	if err != nil {
		return nil, err
	}
	t := map[string][2]string{"add": {"add", "AddV2"}, "subtract": {"sub", "Sub"}, "multiply": {"mul", "Mul"}, "divide": {"truediv", "RealDiv"}}[l.op.op]
	g := newGraphBuilder(l.Class(), l.name)
	r := g.fop(t[0], t[1], "$in", "$in1")
	if g.err != nil {
		return nil, g.err
	}
	return &saved.LayerGraph{InputShapes: l.InputShapes(), OutputShape: out, Ops: g.ops, Output: r}, nil
}

// dialectClasser is implemented by layers whose class name differs between the dialects
// (an operation: tf_keras's TFOpLambda, Keras 3's operation class).
type dialectClasser interface{ ClassIn(d saved.Dialect) string }

// ClassIn returns l's class name as dialect d names it (in a summary): l.Class() but for
// the operations (TFOp, TFOp2), which tf_keras calls TFOpLambda and Keras 3 by their class.
func ClassIn(l Layer, d saved.Dialect) string {
	if c, ok := l.(dialectClasser); ok {
		return c.ClassIn(d)
	}
	return l.Class()
}

// ClassIn returns the op's class in dialect d (its Entry's), Class() when d cannot write it.
func (l *TFOp) ClassIn(d saved.Dialect) string {
	if c, _, _, err := l.Entry(d); err == nil {
		return c
	}
	return l.Class()
}

// ClassIn returns the op's class in dialect d (see TFOp.ClassIn).
func (l *TFOp2) ClassIn(d saved.Dialect) string { return l.op.ClassIn(d) }
