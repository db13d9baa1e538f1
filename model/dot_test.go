package model

import (
	"errors"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// The compat suite compares Dot with Keras's model_to_dot on many fixtures; these check the
// structure and errors without Python.

func TestDotSequential(t *testing.T) {
	m := NewSequential(layers.NewDense(3, layers.DenseOptions{Activation: "relu"}), layers.NewDense(2))
	if err := m.Build(4); err != nil {
		t.Fatal(err)
	}
	k2, err := m.Dot(DefaultDotOptions(saved.Keras2))
	if err != nil {
		t.Fatal(err)
	}
	// tf_keras draws the Sequential model's InputLayer; Keras 3 does not.
	if n := strings.Count(k2, "[label="); n != 3 {
		t.Errorf("tf_keras: %d nodes, want 3:\n%s", n, k2)
	}
	if n := strings.Count(k2, " -> "); n != 2 {
		t.Errorf("tf_keras: %d edges, want 2:\n%s", n, k2)
	}
	for _, s := range []string{"dpi=96;", "rankdir=TB;", `"dense_input|InputLayer"`, "node [shape=record];"} {
		if !strings.Contains(k2, s) {
			t.Errorf("tf_keras: no %q in\n%s", s, k2)
		}
	}
	o := DefaultDotOptions(saved.Keras3)
	o.ShowShapes, o.ShowLayerActivations, o.RankDir = true, true, "LR"
	k3, err := m.Dot(o)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(k3, "[label="); n != 2 {
		t.Errorf("Keras 3: %d nodes, want 2:\n%s", n, k3)
	}
	for _, s := range []string{"dpi=200;", "rankdir=LR;", "splines=ortho;", "Activation: <b>relu</b>",
		"Input shape: <b>(None, 4)</b>", "Output shape: <b>(None, 2)</b>", "[penwidth=2]"} {
		if !strings.Contains(k3, s) {
			t.Errorf("Keras 3: no %q in\n%s", s, k3)
		}
	}
}

func TestDotErrors(t *testing.T) {
	m := NewSequential(layers.NewDense(3))
	if _, err := m.Dot(DotOptions{Dialect: saved.Keras3}); !errors.Is(err, ErrShape) {
		t.Errorf("unbuilt model, Keras 3: %v", err)
	}
	s, err := m.Dot(DotOptions{Dialect: saved.Keras2})
	if err != nil || strings.Count(s, "[label=") != 1 {
		t.Errorf("unbuilt model, tf_keras: one node named after the model; got %v\n%s", err, s)
	}
	if err := m.Build(2); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Dot(DotOptions{RankDir: "BT"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("rankdir BT: %v", err)
	}
	if _, err := m.Dot(DotOptions{Dialect: saved.Dialect(9)}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("dialect 9: %v", err)
	}
}

func TestDotIDsQuoted(t *testing.T) {
	for _, c := range [][2]string{{"dense", "dense"}, {"a/b", `"a/b"`}, {"x#1", `"x#1"`}, {"1a", `"1a"`}, {`q"`, `"q\""`}} {
		if got := dotID(c[0]); got != c[1] {
			t.Errorf("dotID(%q) = %s, want %s", c[0], got, c[1])
		}
	}
}
