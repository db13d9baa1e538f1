package layers

import (
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

func TestGradEinsumDense(t *testing.T) {
	cases := []struct {
		eq   string
		out  []int
		bias string
		act  string
		in   []int
	}{
		{"abc,cde->abde", []int{-1, 2, 4}, "de", "", []int{5, 8}},
		{"abcd,cde->abe", []int{-1, 8}, "e", "tanh", []int{5, 2, 4}},
		{"ab,bc->ac", []int{6}, "", "", []int{7}},
		{"abc,cd->abd", []int{-1, 3}, "d", "sigmoid", []int{4, 5}},
		{"abc,cd->adb", []int{3, -1}, "db", "", []int{4, 5}},
		{"abc,cde->abde", []int{4, 2, 3}, "be", "", []int{4, 5}},
	}
	for _, c := range cases {
		t.Run(c.eq+"_"+c.bias, func(t *testing.T) {
			l := build(t, NewEinsumDense(c.eq, c.out, EinsumDenseOptions{BiasAxes: c.bias, Activation: c.act}), c.in)
			gradCheck(t, l, randTensor(NewRand(1), append([]int{3}, c.in...), -1, 1), 1e-2)
		})
	}
}

func TestEinsumDenseShapesAndErrors(t *testing.T) {
	l := NewEinsumDense("abc,cde->abde", []int{-1, 2, 4}, EinsumDenseOptions{BiasAxes: "de"})
	if err := l.Build([]int{5, 8}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	if s := l.Weights()[0].Value.Shape; len(s) != 3 || s[0] != 8 || s[1] != 2 || s[2] != 4 {
		t.Errorf("kernel shape %v", s)
	}
	if s := l.Weights()[1].Value.Shape; len(s) != 2 || s[0] != 2 || s[1] != 4 {
		t.Errorf("bias shape %v", s)
	}
	l2 := NewEinsumDense("abc,cde->abde", []int{4, 2, 3}, EinsumDenseOptions{BiasAxes: "be"})
	if err := l2.Build([]int{4, 5}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	if s := l2.Weights()[1].Value.Shape; len(s) != 3 || s[0] != 4 || s[1] != 1 || s[2] != 3 {
		t.Errorf("bias shape %v, want [4 1 3] (Keras's layout)", s)
	}
	for _, eq := range []string{"...b,bc->...c", "abc,bcd->abcd", "ab,bc", "abc,cd->ab"} {
		_, _, err := einsumDenseFromConfig(map[string]any{"name": "e", "equation": eq, "output_shape": []any{nil, 3.0}}, saved.Keras3)
		if err == nil {
			t.Errorf("%s: no error", eq)
		}
	}
}
