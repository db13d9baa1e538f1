package layers

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

func mergeLayers() []MultiInput {
	return []MultiInput{NewAdd(), NewSubtract(), NewMultiply(), NewAverage(), NewMaximum(), NewMinimum(),
		NewConcatenate(-1), NewDot([]int{1})}
}

// TestMergeSingleInputRefused: the single-input methods of every merge layer fail with
// ErrShape saying the layer takes several inputs; the layers are registered under their
// Keras names and are MultiInput and Grapher.
func TestMergeSingleInputRefused(t *testing.T) {
	for _, l := range mergeLayers() {
		if c, ok := Canonical(l.Class()); !ok || c != l.Class() {
			t.Errorf("%s not registered", l.Class())
		}
		if _, ok := Layer(l).(Grapher); !ok {
			t.Errorf("%s is not a Grapher", l.Class())
		}
		x := tensor.Zeros(2, 3)
		errs := []error{l.Build([]int{3}, nil)}
		_, err := l.OutputShape([]int{3})
		errs = append(errs, err)
		_, err = l.Forward(x, false)
		errs = append(errs, err)
		_, err = l.Backward(x)
		errs = append(errs, err)
		for i, err := range errs {
			if !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "several inputs") || !strings.Contains(err.Error(), l.Class()) {
				t.Errorf("%s method %d: %v", l.Class(), i, err)
			}
		}
		if l.Built() || l.InputShapes() != nil || l.Weights() != nil {
			t.Errorf("%s: built before BuildN", l.Class())
		}
		if _, err := l.ForwardN([]*tensor.Tensor{x, x}, false); !errors.Is(err, ErrShape) {
			t.Errorf("%s: ForwardN before BuildN: %v", l.Class(), err)
		}
		if _, err := l.BackwardN(x); !errors.Is(err, ErrShape) {
			t.Errorf("%s: BackwardN before ForwardN: %v", l.Class(), err)
		}
		if _, err := Layer(l).(Grapher).Graph(); !errors.Is(err, ErrShape) {
			t.Errorf("%s: Graph before BuildN: %v", l.Class(), err)
		}
	}
}

// TestMergeShapes: output shapes and the shape errors, which name the shapes as Keras
// spells them.
func TestMergeShapes(t *testing.T) {
	ok := []struct {
		l      MultiInput
		shapes [][]int
		want   []int
	}{
		{NewAdd(), [][]int{{3, 4}, {3, 4}}, []int{3, 4}},
		{NewAdd(), [][]int{{3, 4}, {1, 4}, {4}}, []int{3, 4}},
		{NewMultiply(), [][]int{{2, 1, 3}, {2, 4, 1}}, []int{2, 4, 3}},
		{NewMaximum(), [][]int{{-1, 4}, {1, 4}}, []int{-1, 4}},
		{NewAverage(), [][]int{{5}}, []int{5}},
		{NewConcatenate(-1), [][]int{{3, 2}, {3, 5}}, []int{3, 7}},
		{NewConcatenate(1), [][]int{{2, 4}, {3, 4}}, []int{5, 4}},
		{NewConcatenate(-2), [][]int{{-1, 4}, {3, 4}}, []int{-1, 4}},
		{NewDot([]int{1}), [][]int{{5}, {5}}, []int{1}},
		{NewDot([]int{2, 2}), [][]int{{3, 4}, {5, 4}}, []int{3, 5}},
		{NewDot([]int{1, 2}), [][]int{{4, 3}, {2, 4}}, []int{3, 2}},
		{NewDot([]int{-1}), [][]int{{3, 4}, {4}}, []int{3}},
		{NewDot([]int{3, 1}), [][]int{{2, 3, 4}, {4, 5}}, []int{2, 3, 5}},
	}
	for _, c := range ok {
		got, err := c.l.OutputShapeN(c.shapes)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s %v: %v %v, want %v", c.l.Class(), c.shapes, got, err, c.want)
		}
	}
	bad := []struct {
		l        MultiInput
		shapes   [][]int
		sentinel error
		mention  string
	}{
		{NewAdd(), [][]int{{3, 4}, {2, 4}}, ErrShape, "(None, 3, 4), (None, 2, 4)"},
		{NewAdd(), nil, ErrShape, "at least 1"},
		{NewAdd(), [][]int{{3, 0}}, ErrShape, "(None, 3, 0)"},
		{NewSubtract(), [][]int{{3}, {3}, {3}}, ErrShape, "exactly 2"},
		{NewSubtract(), [][]int{{3}}, ErrShape, "exactly 2"},
		{NewConcatenate(-1), [][]int{{3, 2}, {4, 5}}, ErrShape, "(None, 3, 2), (None, 4, 5)"},
		{NewConcatenate(-1), [][]int{{3, 2}, {2}}, ErrShape, "different ranks"},
		{NewConcatenate(3), [][]int{{3, 2}, {3, 2}}, ErrShape, "axis 3"},
		{NewConcatenate(-3), [][]int{{3, 2}, {3, 2}}, ErrUnsupported, "batch axis"},
		{NewDot([]int{1}), [][]int{{5}, {4}}, ErrShape, "(None, 5), (None, 4)"},
		{NewDot([]int{1}), [][]int{{5}}, ErrShape, "exactly 2"},
		{NewDot([]int{2}), [][]int{{5}, {5}}, ErrShape, "axes 2"},
		{NewDot([]int{-2}), [][]int{{5}, {5}}, ErrShape, "batch axis"},
	}
	for _, c := range bad {
		_, err := c.l.OutputShapeN(c.shapes)
		if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s %v: %v, want %v mentioning %q", c.l.Class(), c.shapes, err, c.sentinel, c.mention)
		}
		if err := c.l.BuildN(c.shapes, nil); err == nil || c.l.Built() {
			t.Errorf("%s %v: BuildN accepted", c.l.Class(), c.shapes)
		}
	}

	// ForwardN checks the tensors against the built shapes and the batch sizes.
	l := NewAdd(MergeOptions{Name: "a"})
	if err := l.BuildN([][]int{{3}, {3}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, xs := range [][]*tensor.Tensor{
		{tensor.Zeros(2, 3)},
		{tensor.Zeros(2, 3), tensor.Zeros(2, 4)},
		{tensor.Zeros(2, 3), tensor.Zeros(1, 3)},
		{tensor.Zeros(2, 3), nil},
		{tensor.Zeros(2, 3), tensor.Scalar(int32(1))},
	} {
		if _, err := l.ForwardN(xs, true); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), `Add "a"`) {
			t.Errorf("ForwardN %d inputs: %v", len(xs), err)
		}
	}
	// dy of the wrong shape.
	if _, err := l.ForwardN([]*tensor.Tensor{tensor.Zeros(2, 3), tensor.Zeros(2, 3)}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := l.BackwardN(tensor.Zeros(2, 4)); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "(2, 3)") {
		t.Errorf("BackwardN with a wrong dy: %v", err)
	}
}

// TestMergeConfigs: Keras's defaults and both dialects' keys (the compat suite compares
// them with real Keras's get_config), and the config errors.
func TestMergeConfigs(t *testing.T) {
	k3dtype := policyConfig(saved.Keras3, "")
	for _, c := range []struct {
		class string
		in    map[string]any
		want  map[string]any // Keras2; Keras3 differs only in dtype
	}{
		{"Add", map[string]any{"name": "add"}, map[string]any{"name": "add", "trainable": true, "dtype": "float32"}},
		{"Minimum", map[string]any{"name": "m", "trainable": false, "dtype": k3dtype}, map[string]any{"name": "m", "trainable": false, "dtype": "float32"}},
		{"Concatenate", map[string]any{"name": "c"}, map[string]any{"name": "c", "trainable": true, "dtype": "float32", "axis": -1}},
		{"Concatenate", map[string]any{"name": "c", "axis": 2.0}, map[string]any{"name": "c", "trainable": true, "dtype": "float32", "axis": 2}},
		{"Dot", map[string]any{"name": "d", "axes": 1.0}, map[string]any{"name": "d", "trainable": true, "dtype": "float32", "axes": 1, "normalize": false}},
		{"Dot", map[string]any{"name": "d", "axes": []any{1.0, -1.0}, "normalize": true}, map[string]any{"name": "d", "trainable": true, "dtype": "float32", "axes": []any{1, -1}, "normalize": true}},
	} {
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			l, w, err := FromConfig(c.class, c.in, d)
			if err != nil || len(w) != 0 {
				t.Fatalf("%s %v: %v %q", c.class, c.in, err, w)
			}
			want := canon(t, c.want).(map[string]any)
			if d == saved.Keras3 {
				want["dtype"] = canon(t, k3dtype)
			}
			if got := canon(t, l.Config(d)); !reflect.DeepEqual(got, any(want)) {
				t.Errorf("%s %v %v:\n%s", c.class, c.in, d, jsonDiff(got, want))
			}
		}
	}
	for _, c := range []struct {
		class    string
		cfg      map[string]any
		sentinel error
		mention  string
	}{
		{"Dot", map[string]any{"name": "d"}, ErrFormat, "missing axes"},
		{"Dot", map[string]any{"axes": []any{1.0, 2.0, 3.0}}, ErrFormat, "axes"},
		{"Dot", map[string]any{"axes": "last"}, ErrFormat, "axes"},
		{"Dot", map[string]any{"axes": 1.5}, ErrFormat, "axes"},
		{"Dot", map[string]any{"axes": []any{0.0, 1.0}}, ErrUnsupported, "batch axis"},
		{"Dot", map[string]any{"axes": 1.0, "normalize": "yes"}, ErrFormat, "normalize"},
		{"Concatenate", map[string]any{"axis": 0.0}, ErrUnsupported, "batch axis"},
		{"Concatenate", map[string]any{"axis": "last"}, ErrFormat, "axis"},
		{"Add", map[string]any{"dtype": "float64"}, ErrUnsupported, "float64"},
	} {
		_, _, err := FromConfig(c.class, c.cfg, saved.Keras3)
		if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s %v: %v, want %v mentioning %q", c.class, c.cfg, err, c.sentinel, c.mention)
		}
	}
	_, w, err := FromConfig("Subtract", map[string]any{"name": "s", "mode": "sum"}, saved.Keras2)
	if err != nil || len(w) != 1 || !strings.Contains(w[0], `"mode"`) || !strings.Contains(w[0], `Subtract "s"`) {
		t.Errorf("unknown key: %q %v", w, err)
	}
}

// opSummary renders a graph as "Type(name: inputs)" lines and checks that every reference
// is an input or an earlier op.
func opSummary(t *testing.T, g *saved.LayerGraph, nIn int) []string {
	t.Helper()
	seen := map[string]bool{}
	for i := range nIn {
		seen[inputRef(i)] = true
	}
	var out []string
	for _, op := range g.Ops {
		for _, in := range op.Inputs {
			if !seen[strings.SplitN(in, ":", 2)[0]] {
				t.Errorf("op %s reads %q before it exists", op.Name, in)
			}
		}
		if seen[op.Name] {
			t.Errorf("op name %s used twice", op.Name)
		}
		seen[op.Name] = true
		if op.OutArg == "" {
			t.Errorf("op %s has no OutArg", op.Name)
		}
		out = append(out, op.Type+"("+op.Name+": "+strings.Join(op.Inputs, ", ")+")")
	}
	if !seen[g.Output] {
		t.Errorf("output %q is not an op", g.Output)
	}
	return out
}

// TestMergeGraph checks the TF op structure of each merge layer's Graph (the compat suite
// also compares the op types with tf_keras's traced call).
func TestMergeGraph(t *testing.T) {
	cases := []struct {
		l      MultiInput
		shapes [][]int
		ops    []string
		out    string
	}{
		{NewAdd(), [][]int{{3, 4}, {4}, {3, 4}}, []string{
			"Const(ExpandDims/dim: )", "ExpandDims(ExpandDims: $in1, ExpandDims/dim)",
			"AddV2(add: $in, ExpandDims)", "AddV2(add_1: add, $in2)"}, "add_1"},
		{NewSubtract(), [][]int{{3}, {3}}, []string{"Sub(sub: $in, $in1)"}, "sub"},
		{NewMultiply(), [][]int{{3}, {3}}, []string{"Mul(mul: $in, $in1)"}, "mul"},
		{NewMaximum(), [][]int{{3}, {3}, {3}}, []string{"Maximum(Maximum: $in, $in1)", "Maximum(Maximum_1: Maximum, $in2)"}, "Maximum_1"},
		{NewMinimum(), [][]int{{3}, {3}}, []string{"Minimum(Minimum: $in, $in1)"}, "Minimum"},
		{NewAverage(), [][]int{{3}, {3}, {3}}, []string{
			"AddV2(add: $in, $in1)", "AddV2(add_1: add, $in2)", "Const(truediv/y: )", "RealDiv(truediv: add_1, truediv/y)"}, "truediv"},
		{NewConcatenate(-2), [][]int{{2, 3}, {4, 3}}, []string{"Const(concat/axis: )", "ConcatV2(concat: $in, $in1, concat/axis)"}, "concat"},
		{NewDot([]int{1}), [][]int{{5}, {5}}, []string{
			"Const(ExpandDims/dim: )", "ExpandDims(ExpandDims: $in, ExpandDims/dim)",
			"Const(ExpandDims_1/dim: )", "ExpandDims(ExpandDims_1: $in1, ExpandDims_1/dim)",
			"BatchMatMulV2(MatMul: ExpandDims, ExpandDims_1)", "Squeeze(Squeeze: MatMul)"}, "Squeeze"},
		{NewDot([]int{1, 2}, DotOptions{Normalize: true}), [][]int{{4, 3}, {2, 4}}, []string{
			"Square(l2_normalize/Square: $in)", "Const(l2_normalize/Sum/reduction_indices: )",
			"Sum(l2_normalize/Sum: l2_normalize/Square, l2_normalize/Sum/reduction_indices)",
			"Const(l2_normalize/Maximum/y: )", "Maximum(l2_normalize/Maximum: l2_normalize/Sum, l2_normalize/Maximum/y)",
			"Rsqrt(l2_normalize/Rsqrt: l2_normalize/Maximum)", "Mul(l2_normalize: $in, l2_normalize/Rsqrt)",
			"Square(l2_normalize_1/Square: $in1)", "Const(l2_normalize_1/Sum/reduction_indices: )",
			"Sum(l2_normalize_1/Sum: l2_normalize_1/Square, l2_normalize_1/Sum/reduction_indices)",
			"Const(l2_normalize_1/Maximum/y: )", "Maximum(l2_normalize_1/Maximum: l2_normalize_1/Sum, l2_normalize_1/Maximum/y)",
			"Rsqrt(l2_normalize_1/Rsqrt: l2_normalize_1/Maximum)", "Mul(l2_normalize_1: $in1, l2_normalize_1/Rsqrt)",
			"Const(transpose/perm: )", "Transpose(transpose: l2_normalize, transpose/perm)",
			"Const(transpose_1/perm: )", "Transpose(transpose_1: l2_normalize_1, transpose_1/perm)",
			"BatchMatMulV2(MatMul: transpose, transpose_1)"}, "MatMul"},
		{NewDot([]int{3, 1}), [][]int{{2, 3, 4}, {4, 5}}, []string{
			"Const(Reshape/shape: )", "Reshape(Reshape: $in, Reshape/shape)",
			"BatchMatMulV2(MatMul: Reshape, $in1)", "Const(Reshape_1/shape: )", "Reshape(Reshape_1: MatMul, Reshape_1/shape)"}, "Reshape_1"},
	}
	for _, c := range cases {
		if err := c.l.BuildN(c.shapes, nil); err != nil {
			t.Fatal(err)
		}
		g, err := Layer(c.l).(Grapher).Graph()
		if err != nil {
			t.Fatal(err)
		}
		got := opSummary(t, g, len(c.shapes))
		if !slices.Equal(got, c.ops) || g.Output != c.out {
			t.Errorf("%s %v:\n got %q -> %s\nwant %q -> %s", c.l.Class(), c.shapes, got, g.Output, c.ops, c.out)
		}
		want, _ := c.l.OutputShapeN(c.shapes)
		if !slices.Equal(g.OutputShape, want) || !reflect.DeepEqual(g.InputShapes, c.shapes) || g.Training {
			t.Errorf("%s: graph shapes %v -> %v (training %v)", c.l.Class(), g.InputShapes, g.OutputShape, g.Training)
		}
	}
	// The constants and attributes that carry meaning.
	consts := func(g *saved.LayerGraph) map[string]*tensor.Tensor {
		m := map[string]*tensor.Tensor{}
		for _, op := range g.Ops {
			if op.Type == "Const" {
				m[op.Name] = op.Attrs["value"].Tensor
			}
		}
		return m
	}
	avg := NewAverage()
	avg.BuildN([][]int{{3}, {3}, {3}}, nil)
	g, _ := avg.Graph()
	if v := consts(g)["truediv/y"]; v == nil || v.DType != tensor.Float32 || v.Float32s()[0] != 3 {
		t.Errorf("Average divisor %v", v)
	}
	cat := NewConcatenate(-2)
	cat.BuildN([][]int{{2, 3}, {4, 3}}, nil)
	g, _ = cat.Graph()
	if v := consts(g)["concat/axis"]; v == nil || v.DType != tensor.Int32 || v.Data.([]int32)[0] != 1 || g.Ops[1].Attrs["N"].I != 2 {
		t.Errorf("Concatenate axis %v, N %v", v, g.Ops[1].Attrs["N"])
	}
	dot := NewDot([]int{1, 2}, DotOptions{Normalize: true})
	dot.BuildN([][]int{{4, 3}, {2, 4}}, nil)
	g, _ = dot.Graph()
	c := consts(g)
	if c["transpose/perm"].Data.([]int32)[1] != 2 || !slices.Equal(c["transpose_1/perm"].Data.([]int32), []int32{0, 2, 1}) ||
		c["l2_normalize/Sum/reduction_indices"].Data.([]int32)[0] != 1 || c["l2_normalize_1/Sum/reduction_indices"].Data.([]int32)[0] != 2 ||
		c["l2_normalize/Maximum/y"].Float32s()[0] != 1e-12 {
		t.Errorf("Dot constants: %v", c)
	}
	d4 := NewDot([]int{3, 1})
	d4.BuildN([][]int{{2, 3, 4}, {4, 5}}, nil)
	g, _ = d4.Graph()
	c = consts(g)
	if !slices.Equal(c["Reshape/shape"].Data.([]int32), []int32{-1, 6, 4}) || !slices.Equal(c["Reshape_1/shape"].Data.([]int32), []int32{-1, 2, 3, 5}) {
		t.Errorf("Dot reshapes: %v %v", c["Reshape/shape"], c["Reshape_1/shape"])
	}
}

// TestMergeGradients checks BackwardN against finite differences (the compat suite checks it
// against Keras), including broadcasting and Dot's normalisation.
func TestMergeGradients(t *testing.T) {
	for _, c := range []struct {
		l      MultiInput
		shapes [][]int
	}{
		{NewMultiply(), [][]int{{2, 3}, {3}, {1, 3}}},
		{NewAverage(), [][]int{{2, 1}, {2, 3}}},
		{NewSubtract(), [][]int{{3}, {2, 3}}},
		{NewConcatenate(1), [][]int{{2, 3}, {1, 3}}},
		{NewDot([]int{1, 2}, DotOptions{Normalize: true}), [][]int{{4, 3}, {2, 4}}},
		{NewDot([]int{-1}, DotOptions{Normalize: true}), [][]int{{2, 3, 4}, {4}}},
	} {
		if err := c.l.BuildN(c.shapes, nil); err != nil {
			t.Fatal(err)
		}
		rng := NewRand(5)
		var xs []*tensor.Tensor
		for _, s := range c.shapes {
			xs = append(xs, randTensor(rng, append([]int{3}, s...), -1, 1))
		}
		y, err := c.l.ForwardN(xs, true)
		if err != nil {
			t.Fatal(err)
		}
		r := randTensor(rng, y.Shape, -1, 1)
		dxs, err := c.l.BackwardN(r)
		if err != nil {
			t.Fatal(err)
		}
		loss := func() float64 {
			y, err := c.l.ForwardN(xs, false)
			if err != nil {
				t.Fatal(err)
			}
			return projLoss(y, r.Float32s())
		}
		const eps = 1e-2
		for i, x := range xs {
			v := x.Float32s()
			for j := range v {
				old := v[j]
				v[j] = old + eps
				lp := loss()
				v[j] = old - eps
				lm := loss()
				v[j] = old
				num := (lp - lm) / (2 * eps)
				if ana := float64(dxs[i].Float32s()[j]); abs(num-ana) > 2e-3+2e-2*abs(num) {
					t.Errorf("%s input %d [%d]: analytic %.6g, numerical %.6g", c.l.Class(), i, j, ana, num)
				}
			}
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// FuzzMergeConfig feeds arbitrary merge configs and input shapes: FromConfig, BuildN,
// ForwardN, BackwardN and Graph never panic, and what is accepted round-trips its config.
func FuzzMergeConfig(f *testing.F) {
	f.Add([]byte(`{"class_name":"Concatenate","config":{"name":"c","axis":-2}}`), []byte{2, 3, 2, 4, 2})
	f.Add([]byte(`{"class_name":"Dot","config":{"name":"d","axes":[1,2],"normalize":true}}`), []byte{2, 4, 3, 2, 2, 4})
	f.Add([]byte(`{"class_name":"Dot","config":{"axes":-1}}`), []byte{1, 5, 1, 5})
	f.Add([]byte(`{"class_name":"Add","config":{"name":"a"}}`), []byte{2, 3, 4, 1, 4, 0})
	f.Add([]byte(`{"class_name":"Subtract","config":{}}`), []byte{1, 3, 1, 3, 1, 3})
	f.Add([]byte(`{"class_name":"Maximum","config":{"trainable":false}}`), []byte{1, 1, 2, 2, 1})
	f.Fuzz(func(t *testing.T, data, dims []byte) {
		var obj struct {
			ClassName string         `json:"class_name"`
			Config    map[string]any `json:"config"`
		}
		if json.Unmarshal(data, &obj) != nil || len(dims) > 24 {
			return
		}
		l, _, err := FromConfig(obj.ClassName, obj.Config, saved.Keras3)
		if err != nil {
			return
		}
		m, ok := l.(MultiInput)
		if !ok {
			return
		}
		c1, _ := json.Marshal(l.Config(saved.Keras3))
		var back map[string]any
		json.Unmarshal(c1, &back)
		if l2, _, err := FromConfig(l.Class(), back, saved.Keras3); err != nil {
			t.Fatalf("own config %s: %v", c1, err)
		} else if c2, _ := json.Marshal(l2.Config(saved.Keras3)); string(c1) != string(c2) {
			t.Fatalf("config changed:\n%s\n%s", c1, c2)
		}
		// dims: rank, then the dimensions, for each input in turn (sizes 0..7).
		var shapes [][]int
		for i := 0; i < len(dims); {
			r := int(dims[i] % 4)
			i++
			s := []int{}
			for k := 0; k < r && i < len(dims); k++ {
				s = append(s, int(dims[i]%8))
				i++
			}
			shapes = append(shapes, s)
		}
		if m.BuildN(shapes, nil) != nil {
			return
		}
		xs := make([]*tensor.Tensor, len(shapes))
		for i, s := range shapes {
			xs[i] = tensor.Zeros(append([]int{2}, s...)...)
		}
		y, err := m.ForwardN(xs, true)
		if err != nil {
			return
		}
		if want, _ := m.OutputShapeN(shapes); !slices.Equal(want, y.Shape[1:]) {
			t.Fatalf("%s %v: output %v, OutputShapeN %v", l.Class(), shapes, y.Shape, want)
		}
		dxs, err := m.BackwardN(y)
		if err != nil || len(dxs) != len(xs) {
			t.Fatalf("BackwardN: %v", err)
		}
		if _, err := Layer(m).(Grapher).Graph(); err != nil {
			t.Fatalf("Graph: %v", err)
		}
	})
}
