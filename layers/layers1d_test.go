package layers

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// Numerical-gradient checks of the 1D layers (layers/oned.go and the files it names).
func TestGrad1D(t *testing.T) {
	cases := []struct {
		name string
		l    Layer
		in   []int
	}{
		{"conv_valid", NewConv1D(3, 3), []int{9, 2}},
		{"conv_same_s2_tanh", NewConv1D(4, 3, Conv1DOptions{Strides: 2, Padding: "same", Activation: "tanh"}), []int{8, 3}},
		{"conv_causal_dil", NewConv1D(3, 3, Conv1DOptions{Padding: "causal", DilationRate: 2, Activation: "sigmoid"}), []int{8, 2}},
		{"conv_causal_s2", NewConv1D(2, 4, Conv1DOptions{Padding: "causal", Strides: 2, NoBias: true}), []int{9, 3}},
		{"conv_groups", NewConv1D(4, 2, Conv1DOptions{Groups: 2, Padding: "same", DilationRate: 2}), []int{7, 4}},
		{"convT_valid", NewConv1DTranspose(3, 3), []int{5, 2}},
		{"depthwise", NewDepthwiseConv1D(3), []int{7, 3}},
		{"separable", NewSeparableConv1D(3, 3), []int{7, 2}},
		{"separable_m2_same_s2_tanh", NewSeparableConv1D(2, 3, SeparableConv1DOptions{DepthMultiplier: 2, Strides: 2, Padding: "same", Activation: "tanh"}), []int{8, 3}},
		{"separable_causal_dilated", NewSeparableConv1D(2, 2, SeparableConv1DOptions{Padding: "causal", DilationRate: 2, NoBias: true}), []int{7, 2}},
		{"depthwise_m2_same_s2", NewDepthwiseConv1D(3, DepthwiseConv1DOptions{DepthMultiplier: 2, Strides: 2, Padding: "same", Activation: "tanh"}), []int{8, 2}},
		{"depthwise_dilated", NewDepthwiseConv1D(2, DepthwiseConv1DOptions{DilationRate: 3, DepthMultiplier: 3, NoBias: true}), []int{8, 2}},
		{"convT_same_s2_tanh", NewConv1DTranspose(2, 3, Conv1DTransposeOptions{Strides: 2, Padding: "same", Activation: "tanh"}), []int{4, 3}},
		{"convT_valid_s3_k2", NewConv1DTranspose(2, 2, Conv1DTransposeOptions{Strides: 3, NoBias: true}), []int{4, 2}},
		{"convT_outpad", NewConv1DTranspose(2, 3, Conv1DTransposeOptions{Strides: 2, OutputPadding: intp(1)}), []int{4, 2}},
		{"convT_dilated_same", NewConv1DTranspose(2, 3, Conv1DTransposeOptions{DilationRate: 2, Padding: "same"}), []int{6, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := build(t, c.l, c.in)
			gradCheck(t, l, randTensor(NewRand(3), append([]int{3}, c.in...), -1, 1), 1e-2)
		})
	}
}

func TestGradPool1D(t *testing.T) {
	cases := []struct {
		name string
		l    Layer
		in   []int
	}{
		{"max_valid", NewMaxPooling1D(2), []int{8, 3}},
		{"max_same_s2", NewMaxPooling1D(3, Pooling1DOptions{Strides: 2, Padding: "same"}), []int{7, 2}},
		{"avg_valid_s1", NewAveragePooling1D(3, Pooling1DOptions{Strides: 1}), []int{6, 2}},
		{"avg_same", NewAveragePooling1D(2, Pooling1DOptions{Padding: "same"}), []int{7, 3}},
		{"gap", NewGlobalAveragePooling1D(), []int{5, 3}},
		{"gap_keepdims", NewGlobalAveragePooling1D(GlobalPoolingOptions{Keepdims: true}), []int{4, 2}},
		{"gmp", NewGlobalMaxPooling1D(), []int{5, 3}},
		{"gmp_keepdims", NewGlobalMaxPooling1D(GlobalPoolingOptions{Keepdims: true}), []int{4, 2}},
		{"zeropad", NewZeroPadding1D([2]int{2, 1}), []int{4, 3}},
		{"crop", NewCropping1D([2]int{1, 2}), []int{6, 2}},
		{"upsample", NewUpSampling1D(3), []int{4, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := build(t, c.l, c.in)
			gradCheck(t, l, randTensor(NewRand(3), append([]int{3}, c.in...), -1, 1), 1e-3)
		})
	}
}

// TestProbeFixtures1D runs TestProbeFixtures's checks (configs and build_configs in both
// dialects, weight names and shapes, the probe's and the model's outputs within 1e-5 of
// tf_keras's and Keras 3's) on every case of testdata/layers_1d.
func TestProbeFixtures1D(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/layers_1d/layer_*")
	if len(dirs) < 20 {
		t.Fatalf("%d cases in testdata/layers_1d", len(dirs))
	}
	classes := map[string]bool{}
	for _, dir := range dirs {
		probeFixture(t, dir, filepath.Base(dir))
		for _, f := range functionalLayers(t, filepath.Join(dir, "config_keras3.json")) {
			classes[f.class] = true
		}
	}
	for _, c := range []string{"Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D",
		"ZeroPadding1D", "Cropping1D", "UpSampling1D", "Conv1DTranspose", "SeparableConv1D"} {
		if !classes[c] {
			t.Errorf("no %s case", c)
		}
	}
}

// TestGraph1D: the op names and types tf_keras 2.21 writes for the 1D layers (see
// testdata/README.md, layers_1d), and references that resolve.
func TestGraph1D(t *testing.T) {
	for _, c := range []struct {
		l    Layer
		in   []int
		want string
	}{
		{NewConv1D(3, 3), []int{9, 4}, "Conv1D/ExpandDims/dim:Const Conv1D/ExpandDims:ExpandDims Conv1D/ExpandDims_1/ReadVariableOp:ReadVariableOp " +
			"Conv1D/ExpandDims_1/dim:Const Conv1D/ExpandDims_1:ExpandDims Conv1D:Conv2D Conv1D/Squeeze:Squeeze BiasAdd/ReadVariableOp:ReadVariableOp BiasAdd:BiasAdd"},
		{NewConv1D(3, 3, Conv1DOptions{Padding: "causal", NoBias: true, Activation: "relu"}), []int{9, 4}, "Pad/paddings:Const Pad:Pad " +
			"Conv1D/ExpandDims/dim:Const Conv1D/ExpandDims:ExpandDims Conv1D/ExpandDims_1/ReadVariableOp:ReadVariableOp " +
			"Conv1D/ExpandDims_1/dim:Const Conv1D/ExpandDims_1:ExpandDims Conv1D:Conv2D Conv1D/Squeeze:Squeeze Relu:Relu"},
		{NewMaxPooling1D(3), []int{9, 4}, "ExpandDims/dim:Const ExpandDims:ExpandDims MaxPool:MaxPool Squeeze:Squeeze"},
		{NewAveragePooling1D(3), []int{9, 4}, "ExpandDims/dim:Const ExpandDims:ExpandDims AvgPool:AvgPool Squeeze:Squeeze"},
		{NewGlobalAveragePooling1D(), []int{9, 4}, "Mean/reduction_indices:Const Mean:Mean"},
		{NewGlobalMaxPooling1D(), []int{9, 4}, "Max/reduction_indices:Const Max:Max"},
		{NewZeroPadding1D([2]int{1, 2}), []int{9, 4}, "Pad/paddings:Const Pad:Pad"},
		{NewCropping1D([2]int{1, 2}), []int{9, 4}, "strided_slice/stack:Const strided_slice/stack_1:Const strided_slice/stack_2:Const strided_slice:StridedSlice"},
		{NewUpSampling1D(2), []int{2, 4}, "split/split_dim:Const split:Split concat/axis:Const concat:ConcatV2"},
		{NewDepthwiseConv1D(3), []int{9, 4}, "ExpandDims/dim:Const ExpandDims:ExpandDims ExpandDims_1/ReadVariableOp:ReadVariableOp " +
			"ExpandDims_1/dim:Const ExpandDims_1:ExpandDims depthwise:DepthwiseConv2dNative BiasAdd/ReadVariableOp:ReadVariableOp BiasAdd:BiasAdd Squeeze:Squeeze"},
		{NewSeparableConv1D(2, 3, SeparableConv1DOptions{Padding: "causal"}), []int{9, 4}, "Pad/paddings:Const Pad:Pad ExpandDims/dim:Const ExpandDims:ExpandDims " +
			"ExpandDims_1/ReadVariableOp:ReadVariableOp ExpandDims_1/dim:Const ExpandDims_1:ExpandDims ExpandDims_2/ReadVariableOp:ReadVariableOp " +
			"ExpandDims_2/dim:Const ExpandDims_2:ExpandDims separable_conv2d/depthwise:DepthwiseConv2dNative separable_conv2d:Conv2D " +
			"BiasAdd/ReadVariableOp:ReadVariableOp BiasAdd:BiasAdd Squeeze:Squeeze"},
		{NewConv1DTranspose(3, 3), []int{9, 4}, "Shape:Shape strided_slice/stack:Const strided_slice/stack_1:Const strided_slice/stack_2:Const " +
			"strided_slice:StridedSlice conv1d_transpose/stack/1:Const conv1d_transpose/stack/2:Const conv1d_transpose/stack/3:Const " +
			"conv1d_transpose/stack:Pack conv1d_transpose/ExpandDims/dim:Const conv1d_transpose/ExpandDims:ExpandDims " +
			"conv1d_transpose/ExpandDims_1/ReadVariableOp:ReadVariableOp conv1d_transpose/ExpandDims_1/dim:Const " +
			"conv1d_transpose/ExpandDims_1:ExpandDims conv1d_transpose:Conv2DBackpropInput conv1d_transpose/Squeeze:Squeeze " +
			"BiasAdd/ReadVariableOp:ReadVariableOp BiasAdd:BiasAdd"},
	} {
		if err := c.l.Build(c.in, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		g, err := c.l.(Grapher).Graph()
		if err != nil {
			t.Fatalf("%s: %v", c.l.Class(), err)
		}
		var got []string
		for _, op := range g.Ops {
			got = append(got, op.Name+":"+op.Type)
			if op.OutArg == "" {
				t.Errorf("%s: op %s has no output argument", c.l.Class(), op.Name)
			}
		}
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("%s ops:\n got %s\nwant %s", c.l.Class(), s, c.want)
		}
		if g.Output != g.Ops[len(g.Ops)-1].Name {
			t.Errorf("%s: output %s", c.l.Class(), g.Output)
		}
	}
}

// TestBadConfigs1D: refused configs and input shapes name the class, the layer and the reason.
func TestBadConfigs1D(t *testing.T) {
	for _, c := range []struct {
		class string
		cfg   map[string]any
		want  error
		msg   string
	}{
		{"Conv1D", map[string]any{"name": "c", "filters": 2.0, "kernel_size": []any{3.0}, "padding": "full"}, ErrUnsupported, "padding"},
		{"Conv1D", map[string]any{"name": "c", "filters": 2.0, "kernel_size": []any{3.0, 3.0}}, ErrFormat, "kernel_size"},
		{"Conv1D", map[string]any{"name": "c", "filters": 2.0, "kernel_size": 3.0, "strides": 2.0, "dilation_rate": 2.0}, ErrFormat, "dilation"},
		{"Conv1D", map[string]any{"name": "c", "kernel_size": 3.0}, ErrFormat, "filters"},
		{"MaxPooling1D", map[string]any{"name": "p", "pool_size": []any{0.0}}, ErrFormat, "pool_size"},
		{"Cropping1D", map[string]any{"name": "p", "cropping": []any{1.0, -1.0}}, ErrFormat, "cropping"},
		{"Conv1DTranspose", map[string]any{"name": "t", "filters": 2.0, "kernel_size": 3.0, "strides": 2.0, "output_padding": 2.0}, ErrFormat, "output_padding"},
		{"Conv1DTranspose", map[string]any{"name": "t", "filters": 2.0, "kernel_size": 3.0, "groups": 2.0}, ErrUnsupported, "groups"},
	} {
		_, _, err := FromConfig(c.class, c.cfg, saved.Keras3)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), c.class) {
			t.Errorf("%s %v: %v, want %v naming %q", c.class, c.cfg, err, c.want, c.msg)
		}
	}
	for _, c := range []struct {
		l  Layer
		in []int
	}{
		{NewConv1D(2, 5), []int{4, 3}},
		{NewConv1D(4, 2, Conv1DOptions{Groups: 2}), []int{4, 3}},
		{NewConv1D(2, 2), []int{4, 3, 1}},
		{NewMaxPooling1D(5), []int{4, 3}},
		{NewCropping1D([2]int{2, 2}), []int{4, 3}},
		{NewGlobalMaxPooling1D(), []int{4}},
		{NewUpSampling1D(2), []int{4, 3, 2}},
		{NewConv1DTranspose(2, 3, Conv1DTransposeOptions{Padding: "same"}), []int{4}},
	} {
		if err := c.l.Build(c.in, NewRand(1)); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), c.l.Class()) {
			t.Errorf("%s on %v: %v, want ErrShape", c.l.Class(), c.in, err)
		}
	}
}

func intp(v int) *int { return &v }
