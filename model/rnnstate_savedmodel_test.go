package model

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/savedmodel"
)

// TestRNNStateSavedModelRefusals: a recurrent layer called both with and without
// initial_state, a Bidirectional with return_state or initial_state, and a recurrent layer
// called with initial_state where a Keras mask reaches it (a GRU after Masking given a Dense's
// state; an LSTM after Embedding(mask_zero) called with and without initial_state; a
// Bidirectional given both layers' states; RNN(LSTMCell), whose graphs read the cell's
// variables) are written, with the mask and the states as inputs of the layer's TF graph
// (their graphs are served in compat's TestRNNStateSavedModelServing and
// TestRNNMaskedInitialStateServing). A layer a mask reaches in one call and not in another is
// refused (ErrUnsupported, naming it) and leaves no directory.
func TestRNNStateSavedModelRefusals(t *testing.T) {
	dir := t.TempDir()
	in := Input(5, 3).WithName("seq")
	a := MustApplyMulti(layers.NewLSTM(4, layers.LSTMOptions{Name: "lstm_a", ReturnSequences: true, ReturnState: true}), in.Output())
	shared := layers.NewLSTM(4, layers.LSTMOptions{Name: "shared"})
	y1 := MustApply(shared, a[0])
	y2 := MustApplyMulti(shared, a...)
	s := MustApply(layers.NewConcatenate(-1), y1, y2[0])
	both := MustNewModel([]*KerasTensor{in.Output()}, []*KerasTensor{s})
	if err := both.Save(filepath.Join(dir, "shared")); err != nil {
		t.Errorf("shared layer with and without initial_state: %v", err)
	}

	in2 := Input(5, 3).WithName("seq")
	bi := MustApplyMulti(layers.NewBidirectional(layers.NewLSTM(4, layers.LSTMOptions{ReturnState: true}), layers.BidirectionalOptions{Name: "bi"}), in2.Output())
	bm := MustNewModel([]*KerasTensor{in2.Output()}, []*KerasTensor{MustApply(layers.NewDense(2), bi[0])})
	if err := bm.Save(filepath.Join(dir, "bi")); err != nil {
		t.Errorf("Bidirectional return_state: %v", err)
	}

	b := MustApplyMulti(layers.NewLSTM(4, layers.LSTMOptions{Name: "lstm_b", ReturnState: true}), a...)
	good := MustNewModel([]*KerasTensor{in.Output()}, []*KerasTensor{MustApply(layers.NewDense(2, layers.DenseOptions{Name: "head"}), b[2])})
	if err := good.Save(filepath.Join(dir, "good")); err != nil {
		t.Errorf("LSTM with return_state and initial_state: %v", err)
	}

	bi2 := MustApplyMulti(layers.NewBidirectional(layers.NewLSTM(4, layers.LSTMOptions{ReturnSequences: true}), layers.BidirectionalOptions{Name: "bi_init"}), a[0], a[1], a[2], a[2], a[1])
	bm2 := MustNewModel([]*KerasTensor{in.Output()}, []*KerasTensor{bi2[0]})
	if err := bm2.Save(filepath.Join(dir, "bi_init")); err != nil {
		t.Errorf("Bidirectional initial_state: %v", err)
	}

	in3 := Input(5, 3).WithName("seq")
	v := Input(4).WithName("vec")
	m := MustApply(layers.NewMasking(0, "pad"), in3.Output())
	h0 := MustApply(layers.NewDense(4, layers.DenseOptions{Name: "init"}), v.Output())
	g := MustApplyMulti(layers.NewGRU(4, layers.GRUOptions{Name: "gru_masked"}), m, h0)
	masked := MustNewModel([]*KerasTensor{in3.Output(), v.Output()}, []*KerasTensor{g[0]})
	if err := masked.Save(filepath.Join(dir, "masked")); err != nil {
		t.Errorf("GRU with initial_state and a mask: %v", err)
	}
	info, err := savedmodel.Inspect(filepath.Join(dir, "masked"))
	if err != nil {
		t.Fatal(err)
	}
	var ins []string
	for _, s := range info.Signatures {
		if s.Key == savedmodel.DefaultSignature {
			for _, in := range s.Inputs {
				ins = append(ins, fmt.Sprintf("%s%v", in.Key, in.Shape))
			}
		}
	}
	if want := "[seq[-1 5 3] vec[-1 4]]"; fmt.Sprint(ins) != want {
		t.Errorf("masked: serving_default inputs %v, want %s", ins, want)
	}

	tok := Input(6).WithName("tokens")
	e := MustApply(layers.NewEmbedding(7, 3, layers.EmbeddingOptions{MaskZero: true}), tok.Output())
	lm := layers.NewLSTM(4, layers.LSTMOptions{Name: "lstm_masked", ReturnSequences: true, ReturnState: true})
	z := MustApplyMulti(lm, e)
	z2 := MustApplyMulti(lm, e, z[1], z[2])
	both2 := MustNewModel([]*KerasTensor{tok.Output()}, []*KerasTensor{MustApply(layers.NewConcatenate(-1), z[0], z2[0])})
	if err := both2.Save(filepath.Join(dir, "masked_both")); err != nil {
		t.Errorf("LSTM with a mask called with and without initial_state: %v", err)
	}

	tok2 := Input(6).WithName("tokens")
	e2 := MustApply(layers.NewEmbedding(7, 3, layers.EmbeddingOptions{MaskZero: true}), tok2.Output())
	v2 := Input(4).WithName("vec")
	hb := MustApply(layers.NewDense(4, layers.DenseOptions{Name: "init"}), v2.Output())
	bg := MustApplyMulti(layers.NewBidirectional(layers.NewGRU(4, layers.GRUOptions{ReturnSequences: true}), layers.BidirectionalOptions{Name: "bi_masked"}), e2, hb, hb)
	bmm := MustNewModel([]*KerasTensor{tok2.Output(), v2.Output()}, []*KerasTensor{bg[0]})
	if err := bmm.Save(filepath.Join(dir, "bi_masked")); err != nil {
		t.Errorf("Bidirectional with initial_state and a mask: %v", err)
	}

	// One LSTM called on a masked sequence with initial_state and on an unmasked one without:
	// its one graph reads the mask, refused naming the layer.
	e4 := MustApply(layers.NewEmbedding(7, 3, layers.EmbeddingOptions{Name: "plain"}), tok.Output())
	lx := layers.NewLSTM(4, layers.LSTMOptions{Name: "lstm_mixed", ReturnState: true})
	x1 := MustApplyMulti(lx, e4)
	x2 := MustApplyMulti(lx, e, x1[1], x1[2])
	mixed := MustNewModel([]*KerasTensor{tok.Output()}, []*KerasTensor{MustApply(layers.NewConcatenate(-1), x1[0], x2[0])})
	err = mixed.Save(filepath.Join(dir, "mixed"))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(fmt.Sprint(err), `"lstm_mixed"`) || !strings.Contains(fmt.Sprint(err), "some calls of the layer") {
		t.Errorf("a layer called with and without a mask: %v, want ErrUnsupported naming lstm_mixed", err)
	}
	if f, _, err := Detect(filepath.Join(dir, "mixed")); err == nil || f != FormatUnknown {
		t.Errorf("a refused save left a directory (%v)", f)
	}

	tok3 := Input(6).WithName("tokens")
	e3 := MustApply(layers.NewEmbedding(7, 3, layers.EmbeddingOptions{MaskZero: true}), tok3.Output())
	v3 := Input(4).WithName("vec")
	h3 := MustApply(layers.NewDense(4, layers.DenseOptions{Name: "init_h"}), v3.Output())
	c3 := MustApply(layers.NewDense(4, layers.DenseOptions{Name: "init_c"}), v3.Output())
	rc := MustApplyMulti(layers.NewRNN(layers.NewLSTM(4, layers.LSTMOptions{Name: "rnn_cell"}), ""), e3, h3, c3)
	rm := MustNewModel([]*KerasTensor{tok3.Output(), v3.Output()}, []*KerasTensor{rc[0]})
	if err := rm.Save(filepath.Join(dir, "rnn_cell_masked")); err != nil {
		t.Errorf("RNN(LSTMCell) with initial_state and a mask: %v", err)
	}
}

// TestRNNStateSavedModelOutputNames: two outputs of one layer (an LSTM's sequence and its c
// state, a Dense output listed twice) are model outputs of a SavedModel; its serving
// signature keys them as tf_keras's output_names do ("lstm", "lstm_1"; a layer name
// already taken by another output counts on: "head_1" is not reused), each with its shape.
func TestRNNStateSavedModelOutputNames(t *testing.T) {
	in := Input(4, 3).WithName("seq")
	y := MustApplyMulti(layers.NewLSTM(3, layers.LSTMOptions{Name: "lstm", ReturnSequences: true, ReturnState: true}), in.Output())
	head := MustApply(layers.NewDense(2, layers.DenseOptions{Name: "head"}), y[2])
	m := MustNewModel([]*KerasTensor{in.Output()}, []*KerasTensor{y[0], y[2], head, head})
	dir := filepath.Join(t.TempDir(), "sm")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	info, err := savedmodel.Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range info.Signatures {
		if s.Key != savedmodel.DefaultSignature {
			continue
		}
		for _, o := range s.Outputs {
			got = append(got, fmt.Sprintf("%s%v", o.Key, o.Shape))
		}
	}
	if want := "[head[-1 2] head_1[-1 2] lstm[-1 4 3] lstm_1[-1 3]]"; fmt.Sprint(got) != want {
		t.Errorf("serving_default outputs %v, want %s", got, want)
	}
}
