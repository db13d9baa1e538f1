package model

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestBidirectionalMergeNoneRoundTrip: a Go-built Functional model whose Bidirectional(GRU,
// return_sequences, merge_mode None) over Embedding(mask_zero) feeds its forward output to
// one LSTM and its backward output to another writes "merge_mode": null in both dialects'
// configs, and reads back from .keras and .h5 with the same predictions; the LSTM on the
// backward output reads its mask (its prediction differs from the same LSTM on an unmasked
// copy). Predictions against Keras: compat/bidi_none_test.go.
func TestBidirectionalMergeNoneRoundTrip(t *testing.T) {
	in := Input(6).Output()
	e := MustApply(layers.NewEmbedding(5, 3, layers.EmbeddingOptions{Name: "emb", MaskZero: true}), in)
	bi := layers.NewBidirectional(layers.NewGRU(3, layers.GRUOptions{ReturnSequences: true}),
		layers.BidirectionalOptions{Name: "bi", MergeMode: "none"})
	outs := MustApplyMulti(bi, e)
	if len(outs) != 2 {
		t.Fatalf("%d outputs, want 2", len(outs))
	}
	last := layers.NewLSTM(2, layers.LSTMOptions{Name: "last_b"})
	a := MustApply(layers.NewLSTM(2, layers.LSTMOptions{Name: "last_f"}), outs[0])
	b := MustApply(last, outs[1])
	m, err := NewModel([]*KerasTensor{in}, []*KerasTensor{a, b})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.MustFromFloat32([]int{2, 6}, []float32{0, 0, 1, 2, 3, 4, 1, 0, 2, 0, 3, 0})
	want, err := m.PredictN([]*tensor.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		cfg, err := m.Config(d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(cfg, []byte(`"merge_mode":null`)) && !bytes.Contains(cfg, []byte(`"merge_mode": null`)) {
			t.Errorf("%v config has no merge_mode null", d)
		}
	}
	for _, f := range []string{"m.keras", "m.h5"} {
		p := filepath.Join(t.TempDir(), f)
		if err := m.Save(p); err != nil {
			skipNoHDF5(t, err)
			t.Fatalf("%s: %v", f, err)
		}
		m2, err := Load(p)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, err := m2.PredictN([]*tensor.Tensor{x})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range want {
			if !sameValues(got[i], want[i]) {
				t.Errorf("%s: output %d differs after reading back", f, i)
			}
		}
	}
	// The backward output's mask reaches last_b: unmasked, its prediction differs.
	plain, err := layers.Forward(last, outs1(t, m, x), false)
	if err != nil {
		t.Fatal(err)
	}
	if sameValues(plain, want[1]) {
		t.Error("last_b predicts the same without the mask")
	}
}

// outs1 returns the backward output of layer "bi" of m on x.
func outs1(t *testing.T, m *Model, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	bi, ok := m.Layer("bi").(*layers.Bidirectional)
	if !ok {
		t.Fatal("no layer bi")
	}
	e, err := layers.Forward(m.Layer("emb"), x, false)
	if err != nil {
		t.Fatal(err)
	}
	mask := make([]bool, 12)
	for i, v := range x.Float32s() {
		mask[i] = v != 0
	}
	ys, err := bi.ForwardIO([]*tensor.Tensor{e}, mask, false)
	if err != nil {
		t.Fatal(err)
	}
	return ys[1]
}

func sameValues(a, b *tensor.Tensor) bool {
	return tensor.SameShape(a.Shape, b.Shape) && slices.Equal(a.Float32s(), b.Float32s())
}
