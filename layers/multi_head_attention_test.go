package layers

import (
	"errors"
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestMultiHeadAttentionErrors: wrong input counts and ranks, a rank-2 input, unsupported
// config values, training with dropout and the refused call arguments are errors of the
// right kind, never panics.
func TestMultiHeadAttentionErrors(t *testing.T) {
	l := NewMultiHeadAttention(2, 3)
	if err := l.BuildN([][]int{{5, 4}}, NewRand(1)); !errors.Is(err, ErrShape) {
		t.Errorf("one input: %v", err)
	}
	if err := l.BuildN([][]int{{4}, {4}}, NewRand(1)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("rank-2 inputs: %v", err)
	}
	if err := l.BuildN([][]int{{4, 3}, {5, 3}, {6, 3}}, NewRand(1)); !errors.Is(err, ErrShape) {
		t.Errorf("key and value of different steps: %v", err)
	}
	if _, err := l.ForwardN(nil, false); !errors.Is(err, ErrShape) {
		t.Errorf("ForwardN before BuildN: %v", err)
	}
	a2, _, err := FromConfig("MultiHeadAttention", map[string]any{"num_heads": 2.0, "key_dim": 3.0, "attention_axes": []any{2.0}}, saved.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	if err := a2.(*MultiHeadAttention).BuildN([][]int{{4, 3}, {5, 3}}, NewRand(1)); !errors.Is(err, ErrShape) {
		t.Errorf("attention_axes [2] on rank-3 inputs: %v", err)
	}
	for _, c := range []map[string]any{
		{"num_heads": 2.0, "key_dim": 3.0, "output_shape": []any{3.0, 4.0}},
		{"num_heads": 2.0, "key_dim": 3.0, "use_gate": true},
	} {
		if _, _, err := FromConfig("MultiHeadAttention", c, saved.Keras3); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%v: %v", c, err)
		}
	}
	if _, _, err := FromConfig("MultiHeadAttention", map[string]any{"key_dim": 3.0}, saved.Keras3); !errors.Is(err, ErrFormat) {
		t.Errorf("no num_heads: %v", err)
	}
	d := NewMultiHeadAttention(1, 2, MultiHeadAttentionOptions{Dropout: 0.1})
	if err := d.BuildN([][]int{{3, 2}, {3, 2}}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	x := tensor.MustFromFloat32([]int{1, 3, 2}, make([]float32, 6))
	if _, err := d.ForwardN([]*tensor.Tensor{x, x}, true); !errors.Is(err, ErrUnsupported) {
		t.Errorf("training with dropout: %v", err)
	}
	if _, err := d.ForwardN([]*tensor.Tensor{x, x}, false); err != nil {
		t.Errorf("inference with dropout: %v", err)
	}
	for k, v := range map[string]any{"attention_mask": []any{"m", 0.0, 0.0}, "other": 1.0} {
		if err := d.SetCallKwarg(k, v, true); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v", k, err)
		}
	}
	if err := d.SetCallKwarg("return_attention_scores", true, true); err != nil || !d.ReturnScores() {
		t.Errorf("return_attention_scores: %v", err)
	}
	if err := d.SetCallKwarg("return_attention_scores", false, false); !errors.Is(err, ErrUnsupported) {
		t.Errorf("calls with and without return_attention_scores: %v", err)
	}
	if err := d.SetCallKwarg("use_causal_mask", true, true); err != nil || !d.CausalMask() {
		t.Errorf("use_causal_mask: %v", err)
	}
	if err := d.SetCallKwarg("use_causal_mask", false, false); !errors.Is(err, ErrUnsupported) {
		t.Errorf("calls with and without the causal mask: %v", err)
	}
}

// TestMultiHeadAttentionCausal: with use_causal_mask the first query step attends to the first
// value step only, so its output is the projection of that step's value alone.
func TestMultiHeadAttentionCausal(t *testing.T) {
	l := NewMultiHeadAttention(2, 3, MultiHeadAttentionOptions{CausalMask: true, ValueDim: 2, OutputDim: 1})
	if err := l.BuildN([][]int{{4, 3}, {4, 3}}, NewRand(7)); err != nil {
		t.Fatal(err)
	}
	rng := NewRand(8)
	v := make([]float32, 12)
	for i := range v {
		v[i] = rng.Uniform(-1, 1)
	}
	q := tensor.MustFromFloat32([]int{1, 4, 3}, v)
	y, err := l.ForwardN([]*tensor.Tensor{q, q}, false)
	if err != nil {
		t.Fatal(err)
	}
	// Step 0's output: value projection of step 0 through the output projection.
	pv := project(v[:3], 1, 3, l.wv, l.bv)
	want := project(pv, 1, 4, l.wo, l.bo)[0]
	if got := y.Float32s()[0]; math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("causal step 0: %v, want %v", got, want)
	}
}
