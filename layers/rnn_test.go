package layers

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestGradRNN checks backward through time of every recurrent class and option against
// central differences.
func TestGradRNN(t *testing.T) {
	cases := map[string]Layer{
		"simple":           NewSimpleRNN(3),
		"simple_seq_back":  NewSimpleRNN(3, SimpleRNNOptions{ReturnSequences: true, GoBackwards: true}),
		"lstm":             NewLSTM(3),
		"lstm_seq":         NewLSTM(3, LSTMOptions{ReturnSequences: true}),
		"lstm_back_nobias": NewLSTM(2, LSTMOptions{GoBackwards: true, NoBias: true}),
		"lstm_softsign":    NewLSTM(2, LSTMOptions{Activation: "softsign", ReturnSequences: true}),
		"gru":              NewGRU(3),
		"gru_seq_back":     NewGRU(3, GRUOptions{ReturnSequences: true, GoBackwards: true}),
		"gru_reset_before": NewGRU(3, GRUOptions{ResetBefore: true, ReturnSequences: true}),
		"gru_before_back":  NewGRU(2, GRUOptions{ResetBefore: true, GoBackwards: true}),
	}
	for name, l := range cases {
		t.Run(name, func(t *testing.T) {
			build(t, l, []int{4, 5})
			gradCheck(t, l, randTensor(NewRand(1), []int{3, 4, 5}, -1, 1), 1e-2)
		})
	}
}

func TestGradEmbedding(t *testing.T) {
	l := NewEmbedding(6, 3)
	build(t, l, []int{4})
	x := tensor.MustFromFloat32([]int{2, 4}, []float32{0, 1, 5, 1, 2.7, 3, 3, 0})
	y, err := l.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	// 2.7 truncates to 2.
	e := l.Weights()[0].Value.Float32s()
	if got := y.Float32s()[4*3 : 5*3]; got[0] != e[6] || got[2] != e[8] {
		t.Fatalf("row for 2.7 is %v, want row 2 %v", got, e[6:9])
	}
	r := randTensor(NewRand(3), y.Shape, -1, 1)
	if _, err := l.Backward(r); err != nil {
		t.Fatal(err)
	}
	g := l.Weights()[0].Grad
	// Row 3 is used twice (positions 5 and 6), row 4 never.
	rd := r.Float32s()
	if g[3*3] != rd[5*3]+rd[6*3] || g[4*3] != 0 {
		t.Fatalf("gradient of row 3 %v, row 4 %v", g[9:12], g[12:15])
	}
	for _, bad := range []float32{6, -1, float32(nan())} {
		x := tensor.MustFromFloat32([]int{1, 4}, []float32{0, bad, 1, 1})
		if _, err := l.Forward(x, false); !errors.Is(err, ErrShape) {
			t.Errorf("index %v: error %v, want ErrShape", bad, err)
		}
	}
}

func nan() float64 { var z float64; return z / z }

// TestRNNConfigRefusals: options kerasgo does not implement are refused naming the key; an
// old config's input_length declares the Embedding's input shape; GRU's reset_after absent
// (configs from before Keras 2.1.4) means false.
func TestRNNConfigRefusals(t *testing.T) {
	for _, c := range []struct {
		class string
		cfg   map[string]any
		want  error
		says  string
	}{
		{"GRU", map[string]any{"units": 2.0, "stateful": true}, ErrUnsupported, "stateful"},
		{"SimpleRNN", map[string]any{"units": 2.0, "time_major": true}, ErrUnsupported, "time_major"},
		{"LSTM", map[string]any{}, ErrFormat, "units"},
		{"LSTM", map[string]any{"units": 2.0, "dropout": 1.5}, ErrFormat, "dropout"},
		{"Embedding", map[string]any{"output_dim": 2.0}, ErrFormat, "input_dim"},
	} {
		_, _, err := FromConfig(c.class, c.cfg, saved.Keras2)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s %v: %v, want %v naming %s", c.class, c.cfg, err, c.want, c.says)
		}
	}
	l, _, err := FromConfig("Embedding", map[string]any{"input_dim": 10.0, "output_dim": 3.0, "input_length": 6.0,
		"batch_input_shape": []any{nil, nil}, "mask_zero": true}, saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	if got := DeclaredInputShape(l); !slices.Equal(got, []int{-1, 6}) || !l.(*Embedding).MaskZero() {
		t.Errorf("declared %v, mask_zero %v", got, l.(*Embedding).MaskZero())
	}
	g, _, err := FromConfig("GRU", map[string]any{"units": 3.0}, saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	if g.(*GRU).resetAfter {
		t.Error("GRU without reset_after: reset_after true")
	}
}
