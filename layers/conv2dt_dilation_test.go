package layers

import (
	"fmt"
	"path/filepath"
	"strings"
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

// TestConv2DTransposeDilation checks the cases above are there and that a dilated layer's TF
// graph is a dilated Conv2D of the padded input with the flipped kernel (TF's CPU
// Conv2DBackpropInput takes no dilations; compat/dtype16_savedmodel_test.go runs it in TF),
// and that strides with a dilation (which Keras refuses too) have none.
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
	g, err := l.(Grapher).Graph()
	if err != nil {
		t.Fatalf("Graph of a dilated Conv2DTranspose: %v", err)
	}
	var types []string
	for _, op := range g.Ops {
		types = append(types, op.Type)
		if op.Type == "Pad" {
			if p := g.Ops[len(types)-2]; p.Type != "Const" || fmt.Sprint(p.Attrs["value"].Tensor.Data) != "[0 0 4 4 4 4 0 0]" {
				t.Errorf("paddings %v, want the dilated span minus 1 (4) on each side", p.Attrs["value"].Tensor.Data)
			}
		}
		if op.Type == "Conv2D" && fmt.Sprint(op.Attrs["dilations"].Ints) != "[1 2 2 1]" {
			t.Errorf("Conv2D dilations %v", op.Attrs["dilations"].Ints)
		}
	}
	if got := strings.Join(types, " "); got != "ReadVariableOp Const Transpose Const ReverseV2 Const Pad Conv2D ReadVariableOp BiasAdd" {
		t.Errorf("ops %s", got)
	}
	s, _, err := FromConfig("Conv2DTranspose", map[string]any{"name": "s", "filters": 2.0, "kernel_size": []any{3.0, 3.0},
		"dilation_rate": []any{2.0, 2.0}, "strides": []any{2.0, 2.0}}, 0)
	if err == nil {
		if err = s.Build([]int{4, 4, 1}, NewRand(1)); err == nil {
			_, err = s.(Grapher).Graph()
		}
	}
	if err == nil {
		t.Errorf("strides (2, 2) with dilation_rate (2, 2): no error")
	}
}
