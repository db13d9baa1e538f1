package layers

import (
	"fmt"
	"math"
	"testing"
)

// TestRNNFusedMatchesStepwise compares the fused inference recurrence (forwardFused: LSTM
// and SimpleRNN) with the step-by-step path training runs (per-gate buffers, the cache) on
// random odd sizes, with and without a mask, initial states, go_backwards,
// return_sequences and zero_output_for_mask, and activations that need their input kept
// (swish, selu), and GRU's inference path with the packed kernel likewise.
func TestRNNFusedMatchesStepwise(t *testing.T) {
	rng := NewRand(21)
	for i := 0; i < 48; i++ {
		B, T, D, U := 1+rng.IntN(5), 1+rng.IntN(7), 1+rng.IntN(9), 1+rng.IntN(37)
		seq, back, zero := i%2 == 0, i%3 == 0, i%4 == 1
		act := []string{"", "swish", "selu", "relu"}[i%4]
		var l *rnn
		switch i % 3 {
		case 0:
			l = &NewLSTM(U, LSTMOptions{Activation: act, ReturnSequences: seq, GoBackwards: back}).rnn
		case 1:
			l = &NewSimpleRNN(U, SimpleRNNOptions{Activation: act, ReturnSequences: seq, GoBackwards: back}).rnn
		default:
			l = &NewGRU(U, GRUOptions{Activation: act, ReturnSequences: seq, GoBackwards: back, ResetBefore: i%2 == 1}).rnn
		}
		l.zeroOut = zero
		name := fmt.Sprintf("%s_B%dT%dD%dU%d_seq%v_back%v_act%q", l.class, B, T, D, U, seq, back, act)
		if err := l.Build([]int{T, D}, NewRand(uint64(i))); err != nil {
			t.Fatal(err)
		}
		x := randTensor(rng, []int{B, T, D}, -2, 2)
		var mask []bool
		if i%5 != 0 {
			mask = make([]bool, B*T)
			for j := range mask {
				mask[j] = rng.IntN(4) != 0
			}
		}
		h0 := make([]float32, B*U)
		c0 := make([]float32, B*U)
		for j := range h0 {
			h0[j], c0[j] = rng.Uniform(-1, 1), rng.Uniform(-1, 1)
		}
		if l.kind != kindLSTM {
			c0 = nil
		}
		run := func(training bool) ([]float32, []float32, []float32) {
			l.mask = mask
			defer func() { l.mask = nil }()
			y, h, c, err := l.forwardState(x, h0, c0, training)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return y.Float32s(), h, c
		}
		y1, h1, c1 := run(false)
		y2, h2, c2 := run(true)
		for _, p := range [][2][]float32{{y1, y2}, {h1, h2}, {c1, c2}} {
			if len(p[0]) != len(p[1]) {
				t.Fatalf("%s: lengths %d and %d", name, len(p[0]), len(p[1]))
			}
			for j := range p[0] {
				if d := math.Abs(float64(p[0][j] - p[1][j])); d > 1e-5*(1+math.Abs(float64(p[1][j]))) {
					t.Fatalf("%s: [%d] fused %g, stepwise %g", name, j, p[0][j], p[1][j])
				}
			}
		}
	}
}
