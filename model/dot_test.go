package model

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
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

// TestDotFixtures draws every fixture model of testdata/functional, testdata/models and
// testdata/plot in both dialects under every combination of the boolean options: no error,
// one node per layer drawn (tf_keras adds a Sequential model's InputLayer; expanded nested
// models are clusters of their own layers), edges only between drawn nodes.
func TestDotFixtures(t *testing.T) {
	var files []string
	for _, part := range []string{"functional", "models", "plot"} {
		for _, name := range []string{"config_keras2.json", "config_keras3.json"} {
			f, _ := filepath.Glob(filepath.Join("..", "testdata", part, "*", name))
			files = append(files, f...)
		}
	}
	if len(files) < 150 {
		t.Fatalf("only %d fixture configs", len(files))
	}
	nodeLine := regexp.MustCompile(`(?m)^("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z_0-9]*) \[label=`)
	edgeLine := regexp.MustCompile(`(?m)^("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z_0-9]*) -> ("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z_0-9]*)`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := FromJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			for bits := range 1 << 6 {
				o := DotOptions{Dialect: d, ShowShapes: bits&1 != 0, ShowDtype: bits&2 != 0, ShowLayerNames: bits&4 != 0,
					ExpandNested: bits&8 != 0, ShowLayerActivations: bits&16 != 0, ShowTrainable: bits&32 != 0}
				s, err := m.Dot(o)
				if err != nil {
					t.Fatalf("%s %+v: %v", f, o, err)
				}
				want := dotCountLayers(m, d, o.ExpandNested)
				nodes := map[string]bool{}
				for _, n := range nodeLine.FindAllStringSubmatch(s, -1) {
					nodes[n[1]] = true
				}
				if len(nodes) != want {
					t.Fatalf("%s %+v: %d nodes, want %d:\n%s", f, o, len(nodes), want, s)
				}
				for _, e := range edgeLine.FindAllStringSubmatch(s, -1) {
					if !nodes[e[1]] || !nodes[e[2]] {
						t.Fatalf("%s %+v: edge %s -> %s between nodes not drawn:\n%s", f, o, e[1], e[2], s)
					}
				}
			}
		}
	}
}

// dotCountLayers counts the nodes Keras draws for m.
func dotCountLayers(m *Model, d saved.Dialect, expand bool) int {
	n := 0
	if m.fn == nil && d == saved.Keras2 {
		n++ // the InputLayer
	}
	for _, l := range m.layers {
		if nl, ok := l.(*Nested); ok && expand {
			n += dotCountLayers(nl.m, d, expand)
		} else {
			n++
		}
	}
	return n
}
