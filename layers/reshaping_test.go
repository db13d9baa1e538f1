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

// reshapingCases are one layer of each class added with the reshaping family, with an input
// shape.
func reshapingCases() []struct {
	l  Layer
	in []int
} {
	return []struct {
		l  Layer
		in []int
	}{
		{NewZeroPadding2D([2][2]int{{2, 0}, {1, 3}}), []int{3, 4, 2}},
		{NewCropping2D([2][2]int{{1, 2}, {0, 1}}), []int{6, 5, 2}},
		{NewUpSampling2D([2]int{2, 3}), []int{3, 2, 2}},
		{NewUpSampling2D([2]int{3, 2}, UpSampling2DOptions{Interpolation: "bilinear"}), []int{3, 4, 2}},
		{NewReshape([]int{-1, 4}), []int{3, 2, 4}},
		{NewPermute([]int{3, 1, 2}), []int{2, 3, 4}},
		{NewRepeatVector(3), []int{5}},
		{NewGlobalAveragePooling2D(), []int{4, 3, 2}},
		{NewGlobalAveragePooling2D(GlobalPoolingOptions{Keepdims: true}), []int{4, 3, 2}},
		{NewGlobalMaxPooling2D(), []int{4, 3, 2}},
		{NewGlobalMaxPooling2D(GlobalPoolingOptions{Keepdims: true}), []int{4, 3, 2}},
	}
}

// TestGradReshaping checks every Backward of the family by finite differences, and that
// ParamCount is 0 without building.
func TestGradReshaping(t *testing.T) {
	for _, c := range reshapingCases() {
		if n, err := ParamCount(c.l, c.in); n != 0 || err != nil || c.l.Built() {
			t.Errorf("%s: ParamCount %d, %v", c.l.Class(), n, err)
		}
		build(t, c.l, c.in)
		x := randTensor(NewRand(3), append([]int{2}, c.in...), -2, 2)
		gradCheck(t, c.l, x, 1e-2)
		if c.l.Weights() != nil {
			t.Errorf("%s has weights", c.l.Class())
		}
	}
}

// TestReshapingForward checks small cases worked by hand from Keras's definitions.
func TestReshapingForward(t *testing.T) {
	run := func(l Layer, in []int, x []float32) *tensor.Tensor {
		t.Helper()
		if err := l.Build(in, nil); err != nil {
			t.Fatal(err)
		}
		y, err := l.Forward(tensor.MustFromFloat32(append([]int{1}, in...), x), false)
		if err != nil {
			t.Fatal(err)
		}
		return y
	}
	check := func(what string, y *tensor.Tensor, shape []int, want []float32) {
		t.Helper()
		if !slices.Equal(y.Shape, shape) || !slices.Equal(y.Float32s(), want) {
			t.Errorf("%s: %v %v, want %v %v", what, y.Shape, y.Float32s(), shape, want)
		}
	}
	check("pad", run(NewZeroPadding2D([2][2]int{{1, 0}, {0, 1}}), []int{1, 2, 1}, []float32{1, 2}), []int{1, 2, 3, 1}, []float32{0, 0, 0, 1, 2, 0})
	check("crop", run(NewCropping2D([2][2]int{{0, 1}, {1, 0}}), []int{2, 2, 1}, []float32{1, 2, 3, 4}), []int{1, 1, 1, 1}, []float32{2})
	check("nearest", run(NewUpSampling2D([2]int{1, 2}), []int{1, 2, 1}, []float32{1, 2}), []int{1, 1, 4, 1}, []float32{1, 1, 2, 2})
	// Half-pixel centers: output column j samples (j+0.5)/2-0.5 = -0.25, 0.25, 0.75, 1.25,
	// clamped to the edges.
	check("bilinear", run(NewUpSampling2D([2]int{1, 2}, UpSampling2DOptions{Interpolation: "bilinear"}), []int{1, 2, 1}, []float32{0, 4}), []int{1, 1, 4, 1}, []float32{0, 1, 3, 4})
	check("reshape", run(NewReshape([]int{3, -1}), []int{6}, []float32{1, 2, 3, 4, 5, 6}), []int{1, 3, 2}, []float32{1, 2, 3, 4, 5, 6})
	check("permute", run(NewPermute([]int{2, 1}), []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}), []int{1, 3, 2}, []float32{1, 4, 2, 5, 3, 6})
	check("repeat", run(NewRepeatVector(2), []int{2}, []float32{1, 2}), []int{1, 2, 2}, []float32{1, 2, 1, 2})
	check("gap", run(NewGlobalAveragePooling2D(), []int{2, 1, 2}, []float32{1, 2, 3, 6}), []int{1, 2}, []float32{2, 4})
	check("gmp", run(NewGlobalMaxPooling2D(GlobalPoolingOptions{Keepdims: true}), []int{2, 1, 2}, []float32{1, 7, 3, 6}), []int{1, 1, 1, 2}, []float32{3, 7})

	// Ties share the gradient equally, as TF's reduce_max gradient does.
	l := NewGlobalMaxPooling2D()
	l.Build([]int{2, 2, 1}, nil)
	if _, err := l.Forward(tensor.MustFromFloat32([]int{1, 2, 2, 1}, []float32{5, 5, 1, 5}), true); err != nil {
		t.Fatal(err)
	}
	dx, err := l.Backward(tensor.MustFromFloat32([]int{1, 1}, []float32{3}))
	if err != nil || !slices.Equal(dx.Float32s(), []float32{1, 1, 0, 1}) {
		t.Errorf("GlobalMaxPooling2D ties: dx %v, %v", dx, err)
	}
}

// TestReshapingShapeErrors: shapes a layer cannot take are ErrShape errors, also in
// Forward and Backward.
func TestReshapingShapeErrors(t *testing.T) {
	bad := []struct {
		l  Layer
		in []int
	}{
		{NewZeroPadding2D([2][2]int{{1, 1}, {1, 1}}), []int{3, 3}},
		{NewCropping2D([2][2]int{{2, 1}, {0, 0}}), []int{3, 3, 1}},
		{NewUpSampling2D([2]int{2, 2}), []int{4}},
		{NewUpSampling2D([2]int{4096, 4096}), []int{1 << 20, 1 << 20, 1}},
		{NewReshape([]int{-1, 4}), []int{3, 3}},
		{NewReshape([]int{5}), []int{2, 2}},
		{NewPermute([]int{2, 1}), []int{2, 3, 4}},
		{NewRepeatVector(2), []int{2, 2}},
		{NewGlobalAveragePooling2D(), []int{4, 4}},
		{NewGlobalMaxPooling2D(), []int{0, 4, 1}},
	}
	for _, c := range bad {
		if _, err := c.l.OutputShape(c.in); !errors.Is(err, ErrShape) {
			t.Errorf("%s %v: OutputShape error %v, want ErrShape", c.l.Class(), c.in, err)
		}
		if err := c.l.Build(c.in, nil); !errors.Is(err, ErrShape) {
			t.Errorf("%s %v: Build error %v, want ErrShape", c.l.Class(), c.in, err)
		}
		if _, err := c.l.(Grapher).Graph(); !errors.Is(err, ErrShape) {
			t.Errorf("%s: Graph before Build: %v", c.l.Class(), err)
		}
	}
	for _, c := range reshapingCases() {
		if _, err := c.l.Backward(tensor.Zeros(1)); !errors.Is(err, ErrShape) {
			t.Errorf("%s: Backward before Forward: %v", c.l.Class(), err)
		}
		build(t, c.l, c.in)
		if _, err := c.l.Forward(tensor.Zeros(2, 7), false); !errors.Is(err, ErrShape) {
			t.Errorf("%s: Forward of a wrong shape: %v", c.l.Class(), err)
		}
		x := tensor.Zeros(append([]int{2}, c.in...)...)
		if _, err := c.l.Forward(x, true); err != nil {
			t.Fatal(err)
		}
		if _, err := c.l.Backward(tensor.Zeros(3, 1)); !errors.Is(err, ErrShape) {
			t.Errorf("%s: Backward of a wrong shape: %v", c.l.Class(), err)
		}
	}
}

// TestReshapingConfigErrors: channels_first and unimplemented interpolations are
// ErrUnsupported errors naming the key; malformed values are ErrFormat errors.
func TestReshapingConfigErrors(t *testing.T) {
	cases := []struct {
		class    string
		cfg      map[string]any
		sentinel error
		mention  string
	}{
		{"ZeroPadding2D", map[string]any{"data_format": "channels_first"}, ErrUnsupported, "data_format"},
		{"Cropping2D", map[string]any{"data_format": "channels_first"}, ErrUnsupported, "data_format"},
		{"UpSampling2D", map[string]any{"data_format": "channels_first"}, ErrUnsupported, "data_format"},
		{"GlobalAveragePooling2D", map[string]any{"dim_ordering": "th"}, ErrUnsupported, "dim_ordering"},
		{"GlobalMaxPool2D", map[string]any{"dim_ordering": "th"}, ErrUnsupported, "dim_ordering"},
		{"UpSampling2D", map[string]any{"interpolation": "bicubic"}, ErrUnsupported, "bicubic"},
		{"UpSampling2D", map[string]any{"size": []any{0.0, 2.0}}, ErrFormat, "size"},
		{"ZeroPadding2D", map[string]any{"padding": -1.0}, ErrFormat, "padding"},
		{"ZeroPadding2D", map[string]any{"padding": []any{[]any{1.0}, []any{1.0, 2.0}}}, ErrFormat, "padding"},
		{"Cropping2D", map[string]any{"cropping": "all"}, ErrFormat, "cropping"},
		{"Reshape", map[string]any{}, ErrFormat, "target_shape"},
		{"Reshape", map[string]any{"target_shape": []any{-1.0, -1.0}}, ErrFormat, "target_shape"},
		{"Reshape", map[string]any{"target_shape": []any{0.0}}, ErrFormat, "target_shape"},
		{"Permute", map[string]any{"dims": []any{1.0, 1.0}}, ErrFormat, "dims"},
		{"Permute", map[string]any{"dims": []any{0.0, 1.0}}, ErrFormat, "dims"},
		{"Permute", map[string]any{}, ErrFormat, "dims"},
		{"RepeatVector", map[string]any{}, ErrFormat, "n"},
		{"RepeatVector", map[string]any{"n": 0.0}, ErrFormat, "n"},
		{"GlobalMaxPooling2D", map[string]any{"keepdims": "yes"}, ErrFormat, "keepdims"},
		{"Reshape", map[string]any{"target_shape": []any{2.0}, "dtype": "float64"}, ErrUnsupported, "float64"},
	}
	for _, c := range cases {
		_, _, err := FromConfig(c.class, c.cfg, saved.Keras3)
		if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.mention) || !strings.HasPrefix(err.Error(), "layers: ") {
			t.Errorf("%s %v: error %v, want %v mentioning %q", c.class, c.cfg, err, c.sentinel, c.mention)
		}
	}
	// Keras's shorthand forms of padding and cropping.
	for _, c := range []struct {
		v    any
		want [2][2]int
	}{
		{2.0, [2][2]int{{2, 2}, {2, 2}}},
		{[]any{1.0, 3.0}, [2][2]int{{1, 1}, {3, 3}}},
		{[]any{[]any{1.0, 2.0}, []any{3.0, 4.0}}, [2][2]int{{1, 2}, {3, 4}}},
	} {
		l, _, err := FromConfig("ZeroPadding2D", map[string]any{"padding": c.v}, saved.Keras2)
		if err != nil || l.(*ZeroPadding2D).Padding() != c.want {
			t.Errorf("padding %v: %v, %v", c.v, l, err)
		}
		l, _, err = FromConfig("Cropping2D", map[string]any{"cropping": c.v}, saved.Keras2)
		if err != nil || l.(*Cropping2D).Cropping() != c.want {
			t.Errorf("cropping %v: %v, %v", c.v, l, err)
		}
	}
	_, w, err := FromConfig("RepeatVector", map[string]any{"n": 2.0, "colour": "red"}, saved.Keras2)
	if err != nil || len(w) != 1 || !strings.Contains(w[0], "colour") {
		t.Errorf("unknown key: warnings %q, %v", w, err)
	}
	for alias, class := range map[string]string{"GlobalAvgPool2D": "GlobalAveragePooling2D", "GlobalMaxPool2D": "GlobalMaxPooling2D"} {
		if c, ok := Canonical(alias); !ok || c != class {
			t.Errorf("Canonical(%s) = %q, %v", alias, c, ok)
		}
	}
}

// TestReshapingGraph checks the TF ops each layer declares: op types, inputs, constants
// and attributes, and that every reference points at an earlier op.
func TestReshapingGraph(t *testing.T) {
	type want struct {
		types  []string
		consts [][]int32
		attrs  map[string]saved.Attr
	}
	wants := []want{
		{[]string{"Const", "Pad"}, [][]int32{{0, 0, 2, 0, 1, 3, 0, 0}}, map[string]saved.Attr{"T": saved.TypeAttr(tensor.Float32)}},
		{[]string{"Const", "Const", "Const", "StridedSlice"}, [][]int32{{0, 1, 0, 0}, {0, 4, 4, 0}, {1, 1, 1, 1}}, map[string]saved.Attr{"begin_mask": saved.IntAttr(9), "end_mask": saved.IntAttr(9), "shrink_axis_mask": saved.IntAttr(0)}},
		{[]string{"Const", "ResizeNearestNeighbor"}, [][]int32{{6, 6}}, map[string]saved.Attr{"half_pixel_centers": saved.BoolAttr(true), "align_corners": saved.BoolAttr(false)}},
		{[]string{"Const", "ResizeBilinear"}, [][]int32{{9, 8}}, map[string]saved.Attr{"half_pixel_centers": saved.BoolAttr(true), "align_corners": saved.BoolAttr(false)}},
		{[]string{"Const", "Reshape"}, [][]int32{{-1, 6, 4}}, map[string]saved.Attr{"Tshape": saved.TypeAttr(tensor.Int32)}},
		{[]string{"Const", "Transpose"}, [][]int32{{0, 3, 1, 2}}, map[string]saved.Attr{"Tperm": saved.TypeAttr(tensor.Int32)}},
		{[]string{"Const", "ExpandDims", "Const", "Tile"}, [][]int32{{1}, {1, 3, 1}}, nil},
		{[]string{"Const", "Mean"}, [][]int32{{1, 2}}, map[string]saved.Attr{"keep_dims": saved.BoolAttr(false)}},
		{[]string{"Const", "Mean"}, [][]int32{{1, 2}}, map[string]saved.Attr{"keep_dims": saved.BoolAttr(true)}},
		{[]string{"Const", "Max"}, [][]int32{{1, 2}}, map[string]saved.Attr{"keep_dims": saved.BoolAttr(false)}},
		{[]string{"Const", "Max"}, [][]int32{{1, 2}}, map[string]saved.Attr{"keep_dims": saved.BoolAttr(true)}},
	}
	for i, c := range reshapingCases() {
		build(t, c.l, c.in)
		g, err := c.l.(Grapher).Graph()
		if err != nil {
			t.Fatal(err)
		}
		w := wants[i]
		out, _ := c.l.OutputShape(c.in)
		if !reflect.DeepEqual(g.InputShapes, [][]int{c.in}) || !slices.Equal(g.OutputShape, out) || g.Training {
			t.Errorf("%s: shapes %v → %v, training %v", c.l.Class(), g.InputShapes, g.OutputShape, g.Training)
		}
		var types []string
		var consts [][]int32
		seen := map[string]bool{}
		for _, op := range g.Ops {
			types = append(types, op.Type)
			if op.OutArg == "" {
				t.Errorf("%s: op %s has no output argument name", c.l.Class(), op.Name)
			}
			for _, in := range op.Inputs {
				if in != "$in" && !seen[in] {
					t.Errorf("%s: op %s reads %q, not an earlier op", c.l.Class(), op.Name, in)
				}
			}
			if seen[op.Name] {
				t.Errorf("%s: op name %s twice", c.l.Class(), op.Name)
			}
			seen[op.Name] = true
			if op.Type == "Const" {
				consts = append(consts, op.Attrs["value"].Tensor.Data.([]int32))
				if op.Attrs["dtype"].Type != tensor.Int32 {
					t.Errorf("%s: const %s dtype %v", c.l.Class(), op.Name, op.Attrs["dtype"])
				}
				continue
			}
			if op.Inputs[0] != "$in" && op.Type != "Tile" {
				t.Errorf("%s: %s does not read the input", c.l.Class(), op.Name)
			}
			if op.Attrs["T"].Type != tensor.Float32 {
				t.Errorf("%s: %s T %v", c.l.Class(), op.Name, op.Attrs["T"])
			}
		}
		if !slices.Equal(types, w.types) || !reflect.DeepEqual(consts, w.consts) {
			t.Errorf("%s: ops %v consts %v, want %v %v", c.l.Class(), types, consts, w.types, w.consts)
		}
		last := g.Ops[len(g.Ops)-1]
		if g.Output != last.Name {
			t.Errorf("%s: output %q, last op %q", c.l.Class(), g.Output, last.Name)
		}
		for k, v := range w.attrs {
			if !reflect.DeepEqual(last.Attrs[k], v) {
				t.Errorf("%s: attr %s = %+v, want %+v", c.l.Class(), k, last.Attrs[k], v)
			}
		}
	}
}

// TestReshapingConfigRoundTrip: each layer's config parses back to the same layer in both
// dialects (the configs themselves are compared with Keras's in the compat suite).
func TestReshapingConfigRoundTrip(t *testing.T) {
	for _, c := range reshapingCases() {
		c.l.SetName("x")
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			b, _ := json.Marshal(c.l.Config(d))
			var m map[string]any
			json.Unmarshal(b, &m)
			l2, w, err := FromConfig(c.l.Class(), m, d)
			if err != nil || len(w) != 0 {
				t.Fatalf("%s %v: %v %q", c.l.Class(), d, err, w)
			}
			b2, _ := json.Marshal(l2.Config(d))
			if string(b) != string(b2) {
				t.Errorf("%s %v: %s\n%s", c.l.Class(), d, b, b2)
			}
			o1, _ := c.l.OutputShape(c.in)
			o2, _ := l2.OutputShape(c.in)
			if !slices.Equal(o1, o2) {
				t.Errorf("%s: output shape %v after the round trip, want %v", c.l.Class(), o2, o1)
			}
		}
	}
}

func FuzzReshapingFromConfig(f *testing.F) {
	f.Add("ZeroPadding2D", `{"padding":[[1,2],[3,4]]}`)
	f.Add("Cropping2D", `{"cropping":[[1,0],[0,1000000000]]}`)
	f.Add("UpSampling2D", `{"size":[4096,4096],"interpolation":"bilinear"}`)
	f.Add("Reshape", `{"target_shape":[-1,1073741824]}`)
	f.Add("Permute", `{"dims":[3,1,2]}`)
	f.Add("RepeatVector", `{"n":1073741824}`)
	f.Add("GlobalMaxPooling2D", `{"keepdims":true}`)
	f.Fuzz(func(t *testing.T, class, cfg string) {
		var m map[string]any
		if json.Unmarshal([]byte(cfg), &m) != nil {
			return
		}
		l, _, err := FromConfig(class, m, saved.Keras3)
		if err != nil {
			return
		}
		for _, in := range [][]int{{5, 5, 2}, {7}, nil, {1 << 30, 1 << 30, 1 << 30}} {
			if out, err := l.OutputShape(in); err == nil {
				if _, err := tensor.CheckShape(tensor.Float32, append([]int{1}, out...), 0); err != nil && len(in) < 3 {
					t.Errorf("%s %v: output %v too large", class, in, out)
				}
			}
		}
	})
}
