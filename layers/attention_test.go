package layers

import (
	"fmt"
	"github.com/kerasgo/kerasgo/tensor"
	"slices"
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

// gradCheckN compares BackwardN of a built multi-input layer with finite differences, for
// every input and every trainable weight.
func gradCheckN(t *testing.T, l MultiInput, xs []*tensor.Tensor) {
	t.Helper()
	rng := NewRand(5)
	y, err := l.ForwardN(xs, true)
	if err != nil {
		t.Fatal(err)
	}
	r := randTensor(rng, y.Shape, -1, 1)
	dxs, err := l.BackwardN(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(dxs) != len(xs) {
		t.Fatalf("%d gradients for %d inputs", len(dxs), len(xs))
	}
	loss := func() float64 {
		y, err := l.ForwardN(xs, false)
		if err != nil {
			t.Fatal(err)
		}
		return projLoss(y, r.Float32s())
	}
	const eps = 1e-2
	check := func(what string, v, g []float32) {
		t.Helper()
		for j := range v {
			old := v[j]
			v[j] = old + eps
			lp := loss()
			v[j] = old - eps
			lm := loss()
			v[j] = old
			num := (lp - lm) / (2 * eps)
			if ana := float64(g[j]); abs(num-ana) > 2e-3+2e-2*abs(num) {
				t.Errorf("%s %s[%d]: analytic %.6g, numerical %.6g", l.Class(), what, j, ana, num)
			}
		}
	}
	var grads [][]float32
	for _, w := range l.Weights() {
		grads = append(grads, slices.Clone(w.Grad))
	}
	for i, x := range xs {
		check(fmt.Sprintf("input %d", i), x.Float32s(), dxs[i].Float32s())
	}
	for i, w := range l.Weights() {
		check(w.Name, w.Value.Float32s(), grads[i])
	}
}

func TestGradAttention(t *testing.T) {
	for _, c := range []struct {
		l      MultiInput
		shapes [][]int
	}{
		{NewAttention(), [][]int{{4, 3}, {5, 2}, {5, 3}}},
		{NewAttention(AttentionOptions{UseScale: true}), [][]int{{4, 3}, {5, 3}}},
		{NewAttention(AttentionOptions{Concat: true}), [][]int{{4, 3}, {5, 3}}},
		{NewAttention(AttentionOptions{Concat: true, UseScale: true}), [][]int{{4, 3}, {5, 2}, {5, 3}}},
		{NewAdditiveAttention(), [][]int{{4, 3}, {5, 3}}},
		{NewAdditiveAttention(AdditiveAttentionOptions{NoScale: true}), [][]int{{4, 3}, {5, 2}, {5, 3}}},
	} {
		if err := c.l.BuildN(c.shapes, NewRand(3)); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.l.Weights() {
			if w.Value.Len() == 1 {
				w.Value.Float32s()[0] = 0.7
			}
		}
		rng := NewRand(5)
		var xs []*tensor.Tensor
		for _, s := range c.shapes {
			xs = append(xs, randTensor(rng, append([]int{2}, s...), -1, 1))
		}
		gradCheckN(t, c.l, xs)
	}
}

func TestAttentionWeightNames(t *testing.T) {
	f, ok := saved.Facts("Attention")
	if !ok {
		t.Fatal("Attention not registered")
	}
	for _, c := range []struct {
		cfg  map[string]any
		n    int
		want string
	}{
		{map[string]any{"use_scale": true, "score_mode": "concat"}, 2, "[scale concat_score_weight]"},
		{map[string]any{"use_scale": false, "score_mode": "concat"}, 1, "[concat_score_weight]"},
		{map[string]any{"use_scale": true, "score_mode": "dot"}, 1, "[scale]"},
		{nil, 2, "[scale concat_score_weight]"},
	} {
		if got := fmt.Sprint(f.WeightNames(c.cfg, c.n)); got != c.want {
			t.Errorf("%v, %d: %s, want %s", c.cfg, c.n, got, c.want)
		}
	}
	e, _ := saved.Facts("EinsumDense")
	if got := fmt.Sprint(e.WeightNames(map[string]any{"bias_axes": nil}, 1)); got != "[kernel]" {
		t.Errorf("EinsumDense without bias axes: %s", got)
	}
}
