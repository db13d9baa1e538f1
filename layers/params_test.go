package layers

import (
	"errors"
	"testing"
)

// TestParamCount: ParamCount equals the size of the weights Build creates, for every layer
// class, without building; bad input shapes and overflowing counts are errors.
func TestParamCount(t *testing.T) {
	cases := []struct {
		l  Layer
		in []int
	}{
		{NewDense(7), []int{5}},
		{NewDense(7, DenseOptions{NoBias: true}), []int{3, 5}},
		{NewConv2D(3, [2]int{2, 3}), []int{6, 6, 4}},
		{NewConv2D(3, [2]int{2, 2}, Conv2DOptions{NoBias: true}), []int{6, 6, 4}},
		{NewConv2D(6, [2]int{2, 3}, Conv2DOptions{Groups: 2, DilationRate: [2]int{2, 1}}), []int{6, 6, 4}},
		{NewBatchNormalization(), []int{4, 4, 6}},
		{NewBatchNormalization(BatchNormOptions{NoCenter: true}), []int{6}},
		{NewBatchNormalization(BatchNormOptions{NoCenter: true, NoScale: true}), []int{6}},
		{NewFlatten(), []int{2, 3}},
		{NewMaxPooling2D([2]int{2, 2}), []int{4, 4, 1}},
		{NewDropout(0.5), []int{3}},
		{NewActivation("relu"), []int{3}},
	}
	for _, c := range cases {
		n, err := ParamCount(c.l, c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.l.Class(), err)
		}
		if c.l.Built() {
			t.Fatalf("%s: ParamCount built the layer", c.l.Class())
		}
		if err := c.l.Build(c.in, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		var want int64
		for _, w := range c.l.Weights() {
			want += int64(w.Value.Len())
		}
		if n != want {
			t.Errorf("%s %v: ParamCount %d, Build made %d", c.l.Class(), c.in, n, want)
		}
	}
	if _, err := ParamCount(NewConv2D(3, [2]int{3, 3}), []int{2, 2, 1}); err == nil {
		t.Error("Conv2D 3x3 on 2x2 input: no error")
	}
	if _, err := ParamCount(NewDense(1<<24), []int{1 << 30}); err != nil {
		t.Errorf("2^54 parameters: %v", err)
	}
	if _, err := ParamCount(NewConv2D(1<<24, [2]int{1 << 12, 1 << 12}), []int{1 << 12, 1 << 12, 1 << 30}); !errors.Is(err, ErrShape) {
		t.Errorf("2^78 parameters: %v, want ErrShape", err)
	}
}
