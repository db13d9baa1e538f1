package layers

import (
	"errors"
	"path/filepath"
	"testing"
)

// The cases of testdata/conv2dt_dilation (testdata/gen/conv2dt_dilation.py: Conv2DTranspose
// with dilation_rate 2 and 3, valid and same, written by tf_keras 2.21 and Keras 3.15) run
// through TestProbeFixtures: configs in both dialects equal to Keras's, weights, and the
// probe's and the model's outputs within 1e-5.
func init() {
	dirs, _ := filepath.Glob(filepath.Join(functionalRoot, "..", "conv2dt_dilation", "layer_*"))
	for _, d := range dirs {
		probeChainCases = append(probeChainCases, filepath.Join("..", "conv2dt_dilation", filepath.Base(d)))
	}
}

// TestConv2DTransposeDilation checks the cases above are there and that a dilated layer has
// no TF graph (ErrUnsupported: a SavedModel of it is refused).
func TestConv2DTransposeDilation(t *testing.T) {
	n := 0
	for _, c := range probeChainCases {
		if filepath.Dir(c) == filepath.Join("..", "conv2dt_dilation") {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d cases of testdata/conv2dt_dilation in probeChainCases, want 3", n)
	}
	l, _, err := FromConfig("Conv2DTranspose", map[string]any{"name": "t", "filters": 2.0, "kernel_size": []any{3.0, 3.0},
		"dilation_rate": []any{2.0, 2.0}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Build([]int{4, 4, 1}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	if s, _ := l.OutputShape([]int{4, 4, 1}); len(s) != 3 || s[0] != 8 || s[1] != 8 {
		t.Errorf("output shape %v, want (8, 8, 2): 4 + dilated span 5 - 1", s)
	}
	if _, err := l.(Grapher).Graph(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Graph of a dilated Conv2DTranspose: err = %v, want ErrUnsupported", err)
	}
}
