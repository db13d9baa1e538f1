package layers

import (
	"fmt"
	"strings"

	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TFOp is a TensorFlow or Keras operation applied to a tensor inside a Functional model
// rather than a layer: tf_keras records `x + 3.0` as a TFOpLambda layer (config
// {"function": "__operators__.add"}, the constant in the call's keyword arguments:
// {"y": 3.0}), Keras 3 as an operation node (class Add of module keras.src.ops.numpy,
// config {"name"}, the constant a positional argument of the call). Both are the same TFOp:
// an elementwise op on one tensor and, for the binary ops, a constant.
//
// The constant is a per-call argument: the model hands it over with SetCallArgs before the
// layer is called (model/callargs.go). A binary op called on two tensors becomes a TFOp2.
type TFOp struct {
	ewise
	op       string // "add", "subtract", "multiply", "divide", "relu", "relu6", "hard_sigmoid", "hard_swish"
	function string // tf_keras's function ("__operators__.add", "math.multiply"); "" if read from Keras 3
	k3class  string // Keras 3's operation class ("Add"); "" if read from tf_keras
	k3module string // Keras 3's operation module ("keras.src.ops.numpy")
	// the constant operand of a binary op, as the config gave it (written back as given),
	// and whether it comes first (3.0 - x)
	c      float64
	cCfg   any
	cFirst bool
	hasC   bool
	// tf_keras's call keyword arguments besides the constant: whether it wrote "name": null
	// (tf.math.add and tf.nn.relu6 do not)
	noNameKw bool
	// the call passed two tensors (no constant): the model makes the layer a TFOp2
	twoTensors bool
}

// TFOpClass is the tf_keras class of an operation layer.
const TFOpClass = "TFOpLambda"

// tfOpFacts are the operations kerasgo runs: the tf_keras function it writes for each, the
// other tf_keras functions read as it, and Keras 3's class and module.
var tfOpFacts = []struct {
	op, function string
	aliases      []string
	k3class      string
	k3aliases    []string
	k3module     string
	binary       bool
}{
	{"add", "__operators__.add", []string{"math.add"}, "Add", nil, "keras.src.ops.numpy", true},
	{"subtract", "math.subtract", []string{"__operators__.sub"}, "Subtract", nil, "keras.src.ops.numpy", true},
	{"multiply", "math.multiply", []string{"__operators__.mul"}, "Multiply", nil, "keras.src.ops.numpy", true},
	{"divide", "math.truediv", []string{"math.divide", "__operators__.truediv"}, "TrueDivide", []string{"Divide"}, "keras.src.ops.numpy", true},
	{"relu", "nn.relu", []string{"math.relu"}, "Relu", nil, "keras.src.ops.nn", false},
	{"relu6", "nn.relu6", nil, "Relu6", nil, "keras.src.ops.nn", false},
	{"hard_sigmoid", "", nil, "HardSigmoid", nil, "keras.src.ops.nn", false},
	{"hard_swish", "", nil, "HardSilu", []string{"HardSwish"}, "keras.src.ops.nn", false},
}

func init() { register(Spec{Classes: []string{TFOpClass}, FromConfig: tfOpFromConfig}) }

func tfOpFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader(TFOpClass, cfg)
	l := &TFOp{ewise: ewise{class: TFOpClass}}
	r.readBase(&l.base)
	l.function = r.str("", "function")
	for _, f := range tfOpFacts {
		if f.function != "" && (f.function == l.function || containsStr(f.aliases, l.function)) {
			l.op = f.op
		}
	}
	if l.op == "" {
		r.fail(ErrUnsupported, "function %q (kerasgo runs %s)", l.function, tfOpList(false))
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// OperationFromConfig builds the TFOp of a Keras 3 operation node of a Functional config:
// its class ("Add"), module ("keras.src.ops.numpy"; "" when the config does not say, as in
// Keras 3's legacy .h5 files: the class alone then) and config ({"name": ...}). An operation
// kerasgo does not run is an *UnknownClassError naming it with its module.
func OperationFromConfig(class, module string, cfg map[string]any) (Layer, []string, error) {
	l := &TFOp{ewise: ewise{class: class}, k3class: class, k3module: module}
	for _, f := range tfOpFacts {
		if (f.k3module == module || module == "") && (f.k3class == class || containsStr(f.k3aliases, class)) {
			l.op, l.k3module = f.op, f.k3module
		}
	}
	if l.op == "" {
		return nil, nil, &UnknownClassError{Class: fmt.Sprintf("Keras 3 operation %s.%s", module, class)}
	}
	r := newCfgReader(class, cfg)
	l.name = r.str("", "name")
	l.trainable = true
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// IsKeras3Module reports whether a Functional config entry's module is that of a Keras 3
// operation rather than a layer.
func IsKeras3Module(module string) bool { return strings.HasPrefix(module, "keras.src.ops.") }

func tfOpList(k3 bool) string {
	var s []string
	for _, f := range tfOpFacts {
		if k3 {
			s = append(s, f.k3class)
		} else if f.function != "" {
			s = append(s, f.function)
		}
	}
	return strings.Join(s, ", ")
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// NewTFOp returns the operation op ("add", "subtract", "multiply", "divide" of the input and
// the constant c; "relu", "relu6" of the input, c ignored) as tf_keras records it (a
// TFOpLambda layer).
func NewTFOp(op string, c float64) (*TFOp, error) {
	for _, f := range tfOpFacts {
		if f.op == op && f.function != "" {
			l := &TFOp{ewise: ewise{base: newBase("", nil), class: TFOpClass}, op: op, function: f.function}
			if f.binary {
				l.c, l.cCfg, l.hasC = c, pyFloat(c), true
			}
			return l, nil
		}
	}
	return nil, fmt.Errorf("%w: TFOp %q (kerasgo runs add, subtract, multiply, divide, relu, relu6)", ErrUnsupported, op)
}

// Class returns "TFOpLambda" for an op read from tf_keras (or made by NewTFOp), the Keras 3
// operation class ("Add") for one read from Keras 3.
func (l *TFOp) Class() string {
	if l.k3class != "" {
		return l.k3class
	}
	return TFOpClass
}

// Op returns the operation ("add", "multiply", ...).
func (l *TFOp) Op() string { return l.op }

// binary reports whether the op takes a constant.
func (l *TFOp) binary() bool {
	for _, f := range tfOpFacts {
		if f.op == l.op {
			return f.binary
		}
	}
	return false
}

// CallArg is a non-tensor argument of one call in a Functional config: Tensor true for the
// place of the tensor the layer is called on, else the decoded JSON value.
type CallArg struct {
	Tensor bool
	Value  any
}

// CallArgsSetter is implemented by layers whose calls in a Functional config carry arguments
// other than tensors (TFOp's constant). SetCallArgs takes the call's positional arguments
// (the tensor's place marked) and keyword arguments, in the dialect they were read from;
// CallArgs returns them for writing dialect d.
type CallArgsSetter interface {
	SetCallArgs(args []CallArg, kwargs map[string]any, d saved.Dialect) error
	CallArgs(d saved.Dialect) ([]CallArg, map[string]any, error)
}

// SetCallArgs reads the constant of a binary op: Keras 3's second positional argument (or
// first, the tensor second), tf_keras's keyword argument "y" (its "name" must be null; a
// constant first arrives as the first positional argument, the tensor as "y": model/callargs.go).
func (l *TFOp) SetCallArgs(args []CallArg, kwargs map[string]any, d saved.Dialect) error {
	who := fmt.Sprintf("%s %q (%s)", l.Class(), l.name, l.op)
	var consts []any
	tensorAt := -1
	tensors := 0
	for i, a := range args {
		if a.Tensor {
			tensors++
			if tensorAt >= 0 && !l.binary() {
				return fmt.Errorf("%w: %s: called on two tensors", ErrUnsupported, who)
			}
			if tensorAt < 0 {
				tensorAt = i
			}
		} else {
			consts = append(consts, a.Value)
		}
	}
	if d == saved.Keras2 {
		_, named := kwargs["name"]
		l.noNameKw = !named
	}
	for k, v := range kwargs {
		switch {
		case k == "name" && v == nil:
		case k == "y" && l.binary():
			consts = append(consts, v)
		default:
			return fmt.Errorf("%w: %s: call argument %s=%s is not supported", ErrUnsupported, who, k, jsonValue(v))
		}
	}
	if tensorAt < 0 {
		return fmt.Errorf("%w: %s: the call has no tensor argument", ErrFormat, who)
	}
	if tensors > 1 {
		if tensors > 2 || len(consts) > 0 {
			return fmt.Errorf("%w: %s: called on %d tensors and %d constants", ErrUnsupported, who, tensors, len(consts))
		}
		l.twoTensors = true // the model makes it a TFOp2 (TwoTensors)
		return nil
	}
	if l.twoTensors {
		return fmt.Errorf("%w: %s: called on two tensors and on one", ErrUnsupported, who)
	}
	if !l.binary() {
		if len(consts) > 0 {
			return fmt.Errorf("%w: %s: extra call arguments %s", ErrUnsupported, who, jsonValue(consts))
		}
		return nil
	}
	if len(consts) != 1 {
		return fmt.Errorf("%w: %s: want one constant operand, have %d", ErrUnsupported, who, len(consts))
	}
	c, ok := consts[0].(float64)
	if !ok {
		return fmt.Errorf("%w: %s: operand %s is not a number (only scalar constants are supported)", ErrUnsupported, who, jsonValue(consts[0]))
	}
	l.c, l.cCfg, l.hasC = c, pyFloat(c), true
	l.cFirst = tensorAt > 0
	return nil
}

// CallArgs returns the call's arguments as dialect d writes them.
func (l *TFOp) CallArgs(d saved.Dialect) ([]CallArg, map[string]any, error) {
	kw := map[string]any{}
	if d == saved.Keras2 && !l.noNameKw {
		kw["name"] = nil
	}
	if !l.binary() {
		return []CallArg{{Tensor: true}}, kw, nil
	}
	if !l.hasC {
		return nil, nil, fmt.Errorf("%w: %s %q: no constant operand", ErrFormat, l.Class(), l.name)
	}
	if d == saved.Keras2 {
		if l.cFirst {
			return []CallArg{{Value: l.cCfg}, {Tensor: true}}, kw, nil
		}
		kw["y"] = l.cCfg
		return []CallArg{{Tensor: true}}, kw, nil
	}
	if l.cFirst {
		return []CallArg{{Value: l.cCfg}, {Tensor: true}}, map[string]any{}, nil
	}
	return []CallArg{{Tensor: true}, {Value: l.cCfg}}, map[string]any{}, nil
}

// Entry returns the class name, module and config the layer's entry in a Functional config
// of dialect d has: tf_keras TFOpLambda with its function, Keras 3 the operation class with
// {"name"}. An op one dialect lacks is ErrUnsupported.
func (l *TFOp) Entry(d saved.Dialect) (class, module string, cfg map[string]any, err error) {
	for _, f := range tfOpFacts {
		if f.op != l.op {
			continue
		}
		if d == saved.Keras3 {
			cl := f.k3class
			if l.k3class != "" {
				cl = l.k3class
			}
			return cl, f.k3module, map[string]any{"name": l.name}, nil
		}
		fn := l.function
		if fn == "" {
			fn = f.function
		}
		if fn == "" {
			return "", "", nil, fmt.Errorf("%w: %s %q: the operation %s exists only in Keras 3 (tf_keras has no TFOpLambda function for it; save in Keras 3's format, .keras)", ErrUnsupported, l.Class(), l.name, f.k3class)
		}
		c := l.baseConfig(d)
		c["function"] = fn
		return TFOpClass, "", c, nil
	}
	return "", "", nil, fmt.Errorf("%w: %s %q: unknown op %q", ErrUnsupported, l.Class(), l.name, l.op)
}

// pyFloat is a constant operand as Python writes it in JSON: a float (3.0, not 3), since
// tf_keras makes an int32 tensor of an integer constant that comes first (2 - x then fails).
type pyFloat float64

// MarshalJSON writes f as Python's repr of a float.
func (f pyFloat) MarshalJSON() ([]byte, error) { return pyfmt.JSON(float64(f)), nil }

func relu6f(v float32) float32 { return min(max(v, 0), 6) }

// Forward applies the op elementwise in float32 (the constant rounded to float32, as TF
// converts a Python float to the tensor's dtype).
func (l *TFOp) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if l.binary() && !l.hasC {
		return nil, layerErr(ErrShape, l.Class(), l.name, "called without its constant operand")
	}
	c := float32(l.c)
	var f func(v float32) float32
	switch l.op {
	case "add":
		f = func(v float32) float32 { return v + c }
	case "subtract":
		if l.cFirst {
			f = func(v float32) float32 { return c - v }
		} else {
			f = func(v float32) float32 { return v - c }
		}
	case "multiply":
		f = func(v float32) float32 { return v * c }
	case "divide":
		if l.cFirst {
			f = func(v float32) float32 { return c / v }
		} else {
			f = func(v float32) float32 { return v / c }
		}
	case "relu":
		f = func(v float32) float32 { return max(v, 0) }
	case "relu6":
		f = relu6f
	case "hard_sigmoid":
		f = func(v float32) float32 { return relu6f(v+3) / 6 }
	case "hard_swish":
		f = func(v float32) float32 { return v * (relu6f(v+3) / 6) }
	default:
		return nil, layerErr(ErrUnsupported, l.Class(), l.name, "op %q", l.op)
	}
	return l.forward(x, training, func(x, y []float32) {
		for i, v := range x {
			y[i] = f(v)
		}
	})
}

// Backward returns dL/dx of the op.
func (l *TFOp) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	c := float32(l.c)
	var g func(x, d float32) float32 // dL/dx from x and dL/dy
	switch l.op {
	case "add":
		g = func(_, d float32) float32 { return d }
	case "subtract":
		if l.cFirst {
			g = func(_, d float32) float32 { return -d }
		} else {
			g = func(_, d float32) float32 { return d }
		}
	case "multiply":
		g = func(_, d float32) float32 { return d * c }
	case "divide":
		if l.cFirst {
			g = func(x, d float32) float32 { return -d * c / (x * x) }
		} else {
			g = func(_, d float32) float32 { return d / c }
		}
	case "relu":
		g = func(x, d float32) float32 { return d * step(x > 0) }
	case "relu6":
		g = func(x, d float32) float32 { return d * step(x > 0 && x < 6) }
	case "hard_sigmoid":
		g = func(x, d float32) float32 { return d * step(x > -3 && x < 3) / 6 }
	case "hard_swish":
		g = func(x, d float32) float32 { return d * (relu6f(x+3)/6 + x*step(x > -3 && x < 3)/6) }
	default:
		return nil, layerErr(ErrUnsupported, l.Class(), l.name, "op %q", l.op)
	}
	return l.backward(dy, func(x, _, dy, dx []float32) {
		for i, d := range dy {
			dx[i] = g(x[i], d)
		}
	})
}

func step(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// Config returns the layer's config: tf_keras's TFOpLambda config in either dialect (the
// model writes a Keras 3 operation's entry from Entry).
func (l *TFOp) Config(d saved.Dialect) map[string]any {
	_, _, c, err := l.Entry(d)
	if err != nil {
		c = l.baseConfig(d)
		c["function"] = l.function
	}
	return c
}

// Graph returns the inference ops TF records for the op.
func (l *TFOp) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph(l.Class(), l.name)
	}
	g := newGraphBuilder(l.Class(), l.name)
	c := func() string { return g.scalar("y", float32(l.c)) }
	bin := func(name, typ string) {
		if l.cFirst {
			g.fop(name, typ, c(), "$in")
		} else {
			g.fop(name, typ, "$in", c())
		}
	}
	switch l.op {
	case "add":
		bin("add", "AddV2")
	case "subtract":
		bin("sub", "Sub")
	case "multiply":
		bin("mul", "Mul")
	case "divide":
		bin("truediv", "RealDiv")
	case "relu":
		g.fop("relu", "Relu", "$in")
	case "relu6":
		g.fop("relu6", "Relu6", "$in")
	case "hard_sigmoid", "hard_swish":
		a := g.fop("add", "AddV2", "$in", g.scalar("three", 3))
		r := g.fop("relu6", "Relu6", a)
		h := g.fop("truediv", "RealDiv", r, g.scalar("six", 6))
		if l.op == "hard_swish" {
			g.fop("mul", "Mul", "$in", h)
		}
	default:
		return nil, layerErr(ErrUnsupported, l.Class(), l.name, "op %q", l.op)
	}
	return g.graph(l, false)
}
