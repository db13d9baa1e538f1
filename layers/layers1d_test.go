package layers

import (
	"path/filepath"
	"testing"
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
		"ZeroPadding1D", "Cropping1D", "UpSampling1D"} {
		if !classes[c] {
			t.Errorf("no %s case", c)
		}
	}
}
