package layers

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestGradMultiIO checks the recurrent layers called with initial states and returning their
// states (ForwardIO/BackwardIO) against numerical gradients of a loss on every output: dL/dx,
// dL/d(initial states) and every weight, with a mask on some steps; Bidirectional the same
// way (its merged output and, with return_state, both layers' states; its initial states are
// the forward layer's, then the backward layer's).
func TestGradMultiIO(t *testing.T) {
	const B, T, D, U = 3, 4, 3, 3
	// Leading, inner and trailing masked steps, and a sample masked throughout: before a
	// sample's first unmasked step the outputs are zeros, not the initial states.
	mask := []bool{false, true, false, true, true, true, true, false, false, false, false, false}
	cases := map[string]MultiIO{
		"SimpleRNN": NewSimpleRNN(U, SimpleRNNOptions{ReturnState: true, ReturnSequences: true}),
		"LSTM":      NewLSTM(U, LSTMOptions{ReturnState: true}),
		"GRU":       NewGRU(U, GRUOptions{ReturnState: true, GoBackwards: true}),
		"GRUbefore": NewGRU(U, GRUOptions{ReturnState: true, ResetBefore: true, ReturnSequences: true}),
		"BiLSTM":    NewBidirectional(NewLSTM(U, LSTMOptions{ReturnState: true, ReturnSequences: true})),
		"BiGRU":     NewBidirectional(NewGRU(U, GRUOptions{ReturnState: true}), BidirectionalOptions{MergeMode: "mul"}),
		"BiSimple":  NewBidirectional(NewSimpleRNN(U, SimpleRNNOptions{ReturnSequences: true}), BidirectionalOptions{MergeMode: "ave"}),
	}
	for name, l := range cases {
		t.Run(name, func(t *testing.T) {
			rng := NewRand(5)
			if err := l.Build([]int{T, D}, rng); err != nil {
				t.Fatal(err)
			}
			xs := []*tensor.Tensor{randTensor(rng, []int{B, T, D}, -1, 1)}
			if r, ok := l.(interface{ NumStates() int }); ok {
				for range r.NumStates() {
					xs = append(xs, randTensor(rng, []int{B, U}, -1, 1))
				}
			}
			shapes := [][]int{{T, D}}
			for range xs[1:] {
				shapes = append(shapes, []int{U})
			}
			outShapes, err := l.OutputShapesIO(shapes)
			if err != nil {
				t.Fatal(err)
			}
			ys, err := l.ForwardIO(xs, mask, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(ys) != len(outShapes) {
				t.Fatalf("%d outputs, OutputShapesIO says %d", len(ys), len(outShapes))
			}
			rs := make([]*tensor.Tensor, len(ys))
			for i, y := range ys {
				if fmt.Sprint(y.Shape[1:]) != fmt.Sprint(outShapes[i]) {
					t.Errorf("output %d: shape %v, OutputShapesIO %v", i, y.Shape, outShapes[i])
				}
				rs[i] = randTensor(rng, y.Shape, -1, 1)
			}
			if len(rs) > 1 {
				rs[len(rs)-1] = nil // an output no gradient reaches
			}
			dxs, err := l.BackwardIO(rs)
			if err != nil {
				t.Fatal(err)
			}
			loss := func() float64 {
				ys, err := l.ForwardIO(xs, mask, true)
				if err != nil {
					t.Fatal(err)
				}
				s := 0.0
				for i, y := range ys {
					if rs[i] != nil {
						s += projLoss(y, rs[i].Float32s())
					}
				}
				return s
			}
			check := func(what string, param, grad []float32) {
				t.Helper()
				if len(grad) != len(param) {
					t.Fatalf("%s: %d gradient values for %d", what, len(grad), len(param))
				}
				for i := range param {
					old := param[i]
					param[i] = old + 1e-2
					lp := loss()
					param[i] = old - 1e-2
					lm := loss()
					param[i] = old
					num := (lp - lm) / float64((old+1e-2)-(old-1e-2))
					if math.Abs(num-float64(grad[i])) > 2e-3+2e-2*math.Abs(num) {
						t.Errorf("%s[%d]: analytic %.6g, numerical %.6g", what, i, grad[i], num)
						return
					}
				}
			}
			grads := map[string][]float32{}
			for _, w := range l.Weights() {
				grads[w.Name] = append([]float32(nil), w.Grad...)
			}
			for i, dx := range dxs {
				check(fmt.Sprintf("dx%d", i), xs[i].Float32s(), dx.Float32s())
			}
			if len(dxs) != len(xs) {
				t.Errorf("%d input gradients for %d inputs", len(dxs), len(xs))
			}
			for _, w := range l.Weights() {
				check(w.Name, w.Value.Float32s(), grads[w.Name])
			}
		})
	}
}

// TestMultiIORefusals: wrong numbers or shapes of initial states (for Bidirectional: not the
// inner layer's twice) are errors naming the layer; return_state is read and written in
// configs.
func TestMultiIORefusals(t *testing.T) {
	l := NewLSTM(3, LSTMOptions{Name: "l", ReturnState: true})
	if _, err := l.OutputShapesIO([][]int{{4, 2}, {3}}); !errors.Is(err, ErrShape) {
		t.Errorf("one state for an LSTM: %v", err)
	}
	if _, err := l.OutputShapesIO([][]int{{4, 2}, {3}, {2}}); !errors.Is(err, ErrShape) {
		t.Errorf("state of the wrong size: %v", err)
	}
	b := NewBidirectional(NewGRU(3, GRUOptions{ReturnState: true}))
	if _, err := b.OutputShapesIO([][]int{{4, 2}, {3}}); !errors.Is(err, ErrShape) || !b.MultiIO(1) {
		t.Errorf("Bidirectional given one initial state: %v", err)
	}
	if _, err := b.OutputShapesIO([][]int{{4, 2}, {3}, {2}}); !errors.Is(err, ErrShape) {
		t.Errorf("Bidirectional given a state of the wrong size: %v", err)
	}
	if s, err := b.OutputShapesIO([][]int{{4, 2}, {3}, {3}}); err != nil || fmt.Sprint(s) != "[[6] [3] [3]]" {
		t.Errorf("Bidirectional with initial states: %v, %v", s, err)
	}
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		g, _, err := FromConfig("GRU", map[string]any{"units": 2.0, "return_state": true}, d)
		if err != nil || !g.(*GRU).ReturnState() || g.Config(d)["return_state"] != true {
			t.Errorf("%v: return_state not kept: %v", d, err)
		}
	}
}
