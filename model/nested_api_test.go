package model

import (
	"errors"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// nestedPair builds the same network twice: flat (Dense 4 relu, Dense 3 relu, Dense 2) and
// with the middle layers in a Sequential "inner" used as a layer, with equal weights.
func nestedPair(t *testing.T, functional bool) (flat, nested *Model) {
	t.Helper()
	flat = NewSequential(
		layers.NewDense(4, layers.DenseOptions{Name: "a", Activation: "relu", InputShape: []int{5}}),
		layers.NewDense(3, layers.DenseOptions{Name: "b", Activation: "relu"}),
		layers.NewDense(2, layers.DenseOptions{Name: "c"}))
	flat.SetSeed(3)
	if err := flat.Build(5); err != nil {
		t.Fatal(err)
	}
	var inner *Model
	if functional {
		in := Input(4).WithName("inner_in")
		out := MustApply(layers.NewDense(3, layers.DenseOptions{Name: "b", Activation: "relu"}), in.Output())
		inner = MustNewModel([]*KerasTensor{in.Output()}, []*KerasTensor{out}, ModelOptions{Name: "inner"})
	} else {
		inner = NewSequential(layers.NewDense(3, layers.DenseOptions{Name: "b", Activation: "relu"}))
		inner.SetName("inner")
		if err := inner.Build(4); err != nil {
			t.Fatal(err)
		}
	}
	nested = NewSequential(
		layers.NewDense(4, layers.DenseOptions{Name: "a", Activation: "relu", InputShape: []int{5}}),
		inner.AsLayer(),
		layers.NewDense(2, layers.DenseOptions{Name: "c"}))
	if err := nested.Build(5); err != nil {
		t.Fatal(err)
	}
	var vals []*tensor.Tensor
	for _, w := range flat.Weights() {
		vals = append(vals, w.Value.Clone())
	}
	if err := nested.SetWeights(vals); err != nil {
		t.Fatal(err)
	}
	return flat, nested
}

// TestNestedAsLayer: a Sequential used as a layer predicts and trains (one Adam step) as the
// same layers inline, and its config reads back as a nested model in both dialects.
func TestNestedAsLayer(t *testing.T) {
	for _, fn := range []bool{false, true} {
		testNestedAsLayer(t, fn)
	}
}

func testNestedAsLayer(t *testing.T, functional bool) {
	flat, nested := nestedPair(t, functional)
	x := tensor.MustFromFloat32([]int{6, 5}, nestedSeq(30))
	y := tensor.MustFromFloat32([]int{6, 2}, nestedSeq(12))
	a, err := flat.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	b, err := nested.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, a, b); d != 0 {
		t.Fatalf("nested predicts %g away from flat", d)
	}
	if got := nested.CountParams(); got != flat.CountParams() {
		t.Errorf("params %d, want %d", got, flat.CountParams())
	}
	for _, m := range []*Model{flat, nested} {
		if err := m.Compile(CompileOptions{Optimizer: "adam", Loss: "mse"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}
	fw, nw := flat.Weights(), nested.Weights()
	for i := range fw {
		if d := maxAbsDiff(t, fw[i].Value, nw[i].Value); d > 1e-7 {
			t.Errorf("weight %d after a step: %g away from flat", i, d)
		}
	}
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		cfg, err := nested.Config(d)
		if err != nil {
			t.Fatal(err)
		}
		back, err := FromConfig(cfg)
		if err != nil {
			t.Fatalf("%v: %v", d, err)
		}
		n, ok := back.Layer("inner").(*Nested)
		if !ok || n.Model().Functional() != functional || len(n.Weights()) != 2 {
			t.Fatalf("%v: inner read back as %T", d, back.Layer("inner"))
		}
		again, err := back.Config(d)
		if err != nil {
			t.Fatal(err)
		}
		assertJSONEqual(t, d.String()+" config round trip", again, cfg)
	}
}

// TestNestedTooDeep: a config nesting models deeper than maxNesting is refused.
func TestNestedTooDeep(t *testing.T) {
	cfg := `{"class_name": "Dense", "config": {"name": "d", "units": 1}}`
	for i := 0; i <= maxNesting+1; i++ {
		cfg = `{"class_name": "Sequential", "config": {"name": "s` + string(rune('a'+i%26)) + `", "layers": [` + cfg + `]}}`
	}
	if _, err := FromConfig([]byte(cfg)); err == nil || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "nested more than") {
		t.Fatalf("err %v, want ErrUnsupported", err)
	}
}

func nestedSeq(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i%7)/7 - 0.4
	}
	return out
}
