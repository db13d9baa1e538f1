package model

import (
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestActivityRegularizationLoss: the layer's regularization loss, (l1·Σ|x| + l2·Σx²)/batch,
// is part of the model's loss in TrainOnBatch and in Evaluate, as in tf_keras 2.21 and Keras
// 3.15 (both give 0.3 for this model: l1 0.1 on a batch of four (3,) rows of ones, a zero
// Dense, mse against zeros), and its gradient reaches the layers before it.
func TestActivityRegularizationLoss(t *testing.T) {
	build := func() *Model {
		d := layers.NewDense(3, layers.DenseOptions{Name: "d"})
		m := NewSequential(Input(3), layers.NewDense(3, layers.DenseOptions{Name: "pre"}), layers.NewActivityRegularization(0.1, 0), d)
		for _, w := range d.Weights() {
			clear(w.Value.Float32s())
		}
		pre := m.Layer("pre").Weights()
		k := pre[0].Value.Float32s()
		clear(k)
		for i := 0; i < 3; i++ {
			k[i*3+i] = 1 // identity
		}
		clear(pre[1].Value.Float32s())
		if err := m.Compile(CompileOptions{Optimizer: SGD(), Loss: "mse"}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	x := tensor.MustFromFloat32([]int{4, 3}, []float32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	y := tensor.MustFromFloat32([]int{4, 3}, make([]float32, 12))
	m := build()
	loss, _, err := m.Evaluate(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(loss-0.3) > 1e-7 {
		t.Errorf("evaluate loss %g, want 0.3", loss)
	}
	loss, _, err = m.TrainOnBatch(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(loss-0.3) > 1e-7 {
		t.Errorf("train loss %g, want 0.3", loss)
	}
	// The regularizer's gradient (l1·sign(x)/batch = 0.025 per element, summed over the
	// batch of ones: 0.1) moved the identity kernel of "pre" by -lr·0.1 = -0.001.
	k := m.Layer("pre").Weights()[0].Value.Float32s()
	if d := float64(k[0]) - (1 - 0.001); math.Abs(d) > 1e-6 {
		t.Errorf("pre kernel[0,0] = %v, want 0.999", k[0])
	}
}
