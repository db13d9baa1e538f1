package model

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// dialectRNNModel builds tokens, vec -> Embedding(7, 3, mask_zero) -> LSTM(3,
// return_sequences) given initial states from Dense layers of vec -> LSTM(2) without
// initial_state; outputs: the sequence and the last LSTM's output.
func dialectRNNModel(t *testing.T, d saved.Dialect, maskZero bool) *Model {
	t.Helper()
	tok, vec := Input(6).WithName("tokens"), Input(2).WithName("vec")
	e := MustApply(layers.NewEmbedding(7, 3, layers.EmbeddingOptions{Name: "emb", MaskZero: maskZero}), tok.Output())
	h0 := MustApply(layers.NewDense(3, layers.DenseOptions{Name: "init_h", Activation: "tanh"}), vec.Output())
	c0 := MustApply(layers.NewDense(3, layers.DenseOptions{Name: "init_c"}), vec.Output())
	seq := MustApplyMulti(layers.NewLSTM(3, layers.LSTMOptions{Name: "lstm", ReturnSequences: true}), e, h0, c0)[0]
	last := MustApply(layers.NewLSTM(2, layers.LSTMOptions{Name: "last"}), seq)
	m, err := NewModel([]*KerasTensor{tok.Output(), vec.Output()}, []*KerasTensor{seq, last}, ModelOptions{CallDialect: d})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRNNInitialStateCallDialect: under Keras 3's call dialect a recurrent call given
// initial_state ignores the mask reaching it (its outputs are those of the same weights
// without mask_zero) while its output still carries the mask to the next LSTM; under
// tf_keras's it is masked. The dialect is kept through configs of either dialect read back as
// that dialect, and an unknown dialect is refused.
func TestRNNInitialStateCallDialect(t *testing.T) {
	k3 := dialectRNNModel(t, saved.Keras3, true)
	k2 := dialectRNNModel(t, saved.Keras2, true)
	plain := dialectRNNModel(t, saved.Keras3, false)
	if k3.CallDialect() != saved.Keras3 || k2.CallDialect() != saved.Keras2 {
		t.Fatalf("call dialects %v, %v", k3.CallDialect(), k2.CallDialect())
	}
	var vals []*tensor.Tensor
	for _, w := range k3.Weights() {
		vals = append(vals, w.Value)
	}
	for _, m := range []*Model{k2, plain} {
		if err := m.SetWeights(vals); err != nil {
			t.Fatal(err)
		}
	}
	toks := []float32{
		0, 0, 3, 4, 0, 1, // leading, trailing padding
		1, 2, 3, 4, 5, 6,
		0, 0, 0, 0, 0, 0, // padding only
	}
	x := tensor.MustFromFloat32([]int{3, 6}, toks)
	v := tensor.MustFromFloat32([]int{3, 2}, []float32{0.5, -1, 1.5, 0.25, -0.75, 2})
	predict := func(m *Model) []*tensor.Tensor {
		ys, err := m.PredictN([]*tensor.Tensor{x, v})
		if err != nil {
			t.Fatal(err)
		}
		return ys
	}
	y3, y2, yp := predict(k3), predict(k2), predict(plain)
	diff := func(a, b *tensor.Tensor) float64 {
		worst := 0.0
		bv := b.Float32s()
		for i, f := range a.Float32s() {
			worst = max(worst, float64(abs32(f-bv[i])))
		}
		return worst
	}
	if d := diff(y3[0], yp[0]); d != 0 {
		t.Errorf("Keras 3 dialect: the initial-state call's sequence differs by %g from the unmasked model's", d)
	}
	if d := diff(y3[0], y2[0]); d < 1e-3 {
		t.Errorf("the two dialects give the initial-state call one sequence (max |diff| %g): the mask is ignored in both", d)
	}
	if d := diff(y3[1], yp[1]); d < 1e-3 {
		t.Errorf("Keras 3 dialect: the next LSTM is unmasked (max |diff| %g from the unmasked model): the call's output dropped the mask", d)
	}
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		cfg, err := k3.Config(d)
		if err != nil {
			t.Fatal(err)
		}
		back, err := FromConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if back.CallDialect() != d {
			t.Errorf("a %v config reads back with call dialect %v", d, back.CallDialect())
		}
	}
	tok := Input(6)
	y := MustApply(layers.NewDense(2), tok.Output())
	if _, err := NewModel([]*KerasTensor{tok.Output()}, []*KerasTensor{y}, ModelOptions{CallDialect: 7}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("call dialect 7: %v", err)
	}
}

func abs32(f float32) float32 {
	if f < 0 {
		return -f
	}
	return f
}

// TestRNNInitialStateCallDialectSavedModel: one LSTM called on a masked sequence without
// initial_state and on an unmasked one with it. tf_keras's dialect gives both calls the one
// masked graph, so the SavedModel is refused naming the layer; Keras 3's gives the call with
// initial_state no mask (its own, unmasked graph), so the model is written. So is Keras 3's
// LSTM called with initial_state on the masked sequence and without it on an unmasked one
// (tf_keras's refuses it likewise).
func TestRNNInitialStateCallDialectSavedModel(t *testing.T) {
	build := func(d saved.Dialect, initOnMasked bool) *Model {
		tok := Input(6).WithName("tokens")
		masked := MustApply(layers.NewEmbedding(7, 3, layers.EmbeddingOptions{Name: "emb", MaskZero: true}), tok.Output())
		plain := MustApply(layers.NewEmbedding(7, 3, layers.EmbeddingOptions{Name: "plain"}), tok.Output())
		lstm := layers.NewLSTM(4, layers.LSTMOptions{Name: "lstm_mixed", ReturnSequences: true, ReturnState: true})
		first, second := masked, plain
		if initOnMasked {
			first, second = plain, masked
		}
		a := MustApplyMulti(lstm, first)
		b := MustApplyMulti(lstm, second, a[1], a[2])
		m, err := NewModel([]*KerasTensor{tok.Output()}, []*KerasTensor{a[0], b[0]}, ModelOptions{CallDialect: d})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	dir := t.TempDir()
	for _, initOnMasked := range []bool{false, true} {
		name := fmt.Sprintf("init_on_masked_%v", initOnMasked)
		err := build(saved.Keras2, initOnMasked).Save(filepath.Join(dir, "k2_"+name))
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(fmt.Sprint(err), `"lstm_mixed"`) {
			t.Errorf("%s: tf_keras dialect: %v, want ErrUnsupported naming lstm_mixed", name, err)
		}
		if err := build(saved.Keras3, initOnMasked).Save(filepath.Join(dir, "k3_"+name)); err != nil {
			t.Errorf("%s: Keras 3 dialect: %v", name, err)
		}
	}
}
