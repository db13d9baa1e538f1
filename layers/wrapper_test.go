package layers

import (
	"errors"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestWrapperConfigErrors: malformed or unsupported wrapper configs are errors naming the
// layer and the reason, never panics.
func TestWrapperConfigErrors(t *testing.T) {
	lstm := map[string]any{"class_name": "LSTM", "config": map[string]any{"name": "lstm", "units": 2.0}}
	dense := map[string]any{"class_name": "Dense", "config": map[string]any{"name": "d", "units": 2.0}}
	for _, c := range []struct {
		class string
		cfg   map[string]any
		want  error
		text  string
	}{
		{"Bidirectional", map[string]any{"name": "b"}, ErrFormat, "missing layer"},
		{"Bidirectional", map[string]any{"name": "b", "layer": "lstm"}, ErrFormat, "want an object"},
		{"Bidirectional", map[string]any{"name": "b", "layer": dense}, ErrUnsupported, "only SimpleRNN, LSTM and GRU"},
		{"Bidirectional", map[string]any{"name": "b", "layer": lstm, "merge_mode": "none"}, ErrFormat, "merge_mode"}, // None is null
		{"Bidirectional", map[string]any{"name": "b", "layer": lstm, "merge_mode": "max"}, ErrFormat, "merge_mode"},
		{"Bidirectional", map[string]any{"name": "b", "layer": map[string]any{"class_name": "Nope", "config": map[string]any{}}}, ErrUnsupported, "Nope"},
		{"Bidirectional", map[string]any{"name": "b", "layer": lstm, "backward_layer": lstm}, ErrFormat, "go_backwards"},
		{"TimeDistributed", map[string]any{"name": "t"}, ErrFormat, "missing layer"},
		{"TimeDistributed", map[string]any{"name": "t", "layer": map[string]any{"class_name": "Add", "config": map[string]any{}}}, ErrUnsupported, "several inputs"},
		{"TimeDistributed", map[string]any{"name": "t", "layer": map[string]any{"class_name": "TimeDistributed",
			"config": map[string]any{"layer": dense}}}, ErrUnsupported, "wrapper inside a wrapper"},
	} {
		_, _, err := FromConfig(c.class, c.cfg, saved.Keras2)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s %v: %v, want %v with %q", c.class, c.cfg, err, c.want, c.text)
		}
	}
}

// TestBidirectionalMergeNoneConfig: merge_mode None (null in both dialects' configs) reads
// and writes back as null; the layer has two outputs (MultiIO on one tensor, both of the
// inner layer's shape), so its single-output Forward and Backward are errors naming it.
func TestBidirectionalMergeNoneConfig(t *testing.T) {
	lstm := map[string]any{"class_name": "LSTM", "config": map[string]any{"name": "lstm", "units": 2.0, "return_sequences": true}}
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		l, _, err := FromConfig("Bidirectional", map[string]any{"name": "b", "layer": lstm, "merge_mode": nil}, d)
		if err != nil {
			t.Fatalf("%v: %v", d, err)
		}
		b := l.(*Bidirectional)
		if b.MergeMode() != "none" {
			t.Errorf("%v: merge mode %q", d, b.MergeMode())
		}
		if err := b.Build([]int{4, 3}, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		if v, ok := b.Config(d)["merge_mode"]; !ok || v != nil {
			t.Errorf("%v: config merge_mode %v (present %v), want null", d, v, ok)
		}
		if !b.MultiIO(1) || b.MaskedOutputs() != 2 {
			t.Errorf("%v: MultiIO(1) %v, MaskedOutputs %d", d, b.MultiIO(1), b.MaskedOutputs())
		}
		shapes, err := b.OutputShapesIO([][]int{{4, 3}})
		if err != nil || len(shapes) != 2 || tensor.ShapeString(shapes[0]) != "(4, 2)" || tensor.ShapeString(shapes[1]) != "(4, 2)" {
			t.Errorf("%v: output shapes %v, %v", d, shapes, err)
		}
		x := tensor.MustFromFloat32([]int{1, 4, 3}, make([]float32, 12))
		if _, err := b.Forward(x, false); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "merge_mode None") || !strings.Contains(err.Error(), `"b"`) {
			t.Errorf("%v: Forward: %v", d, err)
		}
		ys, err := b.ForwardIO([]*tensor.Tensor{x}, nil, true)
		if err != nil || len(ys) != 2 {
			t.Fatalf("%v: ForwardIO: %d outputs, %v", d, len(ys), err)
		}
		if _, err := b.BackwardIO([]*tensor.Tensor{ys[0]}); !errors.Is(err, ErrShape) {
			t.Errorf("%v: BackwardIO with one gradient: %v", d, err)
		}
		if dx, err := b.BackwardIO([]*tensor.Tensor{nil, ys[1]}); err != nil || len(dx) != 1 || !tensor.SameShape(dx[0].Shape, x.Shape) {
			t.Errorf("%v: BackwardIO: %v, %v", d, dx, err)
		}
	}
}

// TestWrapperWeightNames: the wrappers name their inner layers' weights by their path inside
// the wrapper as tf_keras does, and declare the sub-objects files keep them in.
func TestWrapperWeightNames(t *testing.T) {
	b := NewBidirectional(NewGRU(2))
	if err := b.Build([]int{3, 4}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range b.Weights() {
		names = append(names, w.Name)
	}
	want := "forward_gru/gru_cell/kernel forward_gru/gru_cell/recurrent_kernel forward_gru/gru_cell/bias " +
		"backward_gru/gru_cell/kernel backward_gru/gru_cell/recurrent_kernel backward_gru/gru_cell/bias"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("weights %s, want %s", got, want)
	}
	subs := b.SubObjects()
	if len(subs) != 2 || strings.Join(subs[1].Path, "/") != "backward_layer/cell" || strings.Join(subs[1].Names, "/") != "backward_gru/gru_cell" || subs[1].N != 3 {
		t.Errorf("sub-objects %+v", subs)
	}
	td := NewTimeDistributed(NewDense(3))
	if err := td.Build([]int{4, 2}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	if w := td.Weights(); w[0].Name != "kernel" || w[1].Name != "bias" {
		t.Errorf("TimeDistributed weights %s, %s", w[0].Name, w[1].Name)
	}
	if s := td.SubObjects(); len(s) != 1 || s[0].Path[0] != "layer" || s[0].Names[0] != "dense" || s[0].N != 2 {
		t.Errorf("TimeDistributed sub-objects %+v", s)
	}
}

// TestMaskedStepKeepsState: a fully masked row of a recurrent layer returns its zero initial
// state, and a row masked after step k returns its state after step k.
func TestMaskedStepKeepsState(t *testing.T) {
	l := NewLSTM(3)
	if err := l.Build([]int{4, 2}, NewRand(3)); err != nil {
		t.Fatal(err)
	}
	x := randTensor(NewRand(4), []int{2, 4, 2}, -1, 1)
	mask := []bool{false, false, false, false, true, true, false, false}
	y, err := l.ForwardMasked(x, mask, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range y.Float32s()[:3] {
		if v != 0 {
			t.Fatalf("fully masked row: %v", y.Float32s()[:3])
		}
	}
	short := tensor.MustFromFloat32([]int{1, 2, 2}, x.Float32s()[8:12])
	l2 := NewLSTM(3)
	if err := l2.Build([]int{2, 2}, NewRand(3)); err != nil {
		t.Fatal(err)
	}
	for i, w := range l.Weights() {
		copy(l2.Weights()[i].Value.Float32s(), w.Value.Float32s())
	}
	y2, err := l2.Forward(short, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range y2.Float32s() {
		if v != y.Float32s()[3+i] {
			t.Fatalf("row masked after step 2: %v, the first two steps alone give %v", y.Float32s()[3:], y2.Float32s())
		}
	}
	if _, err := l.ForwardMasked(x, mask[:3], false); !errors.Is(err, ErrShape) {
		t.Errorf("short mask: %v", err)
	}
}
