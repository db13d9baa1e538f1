package layers

import (
	"errors"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// TestEveryLayerHasGraph: every layer the registry builds from a real config (the corpus)
// implements Grapher, and a built one gives a graph whose references all resolve: "$in",
// "$var:NAME" of one of its weights, or an earlier op; every op has its output argument name.
func TestEveryLayerHasGraph(t *testing.T) {
	shapes := [][]int{{9, 8, 3}, {12}}
	checked := map[string]int{}
	for _, e := range readCorpus(t) {
		l, _, err := FromConfig(e.ClassName, e.Config, saved.Keras2)
		if err != nil {
			continue
		}
		gr, ok := l.(Grapher)
		if !ok {
			t.Errorf("%s (%s): no Graph", e.ClassName, e.File)
			continue
		}
		if _, err := gr.Graph(); !errors.Is(err, ErrShape) {
			t.Errorf("%s: Graph before Build: %v, want ErrShape", e.ClassName, err)
		}
		for _, in := range shapes {
			if l.Build(in, NewRand(1)) != nil {
				continue
			}
			g, err := gr.Graph()
			if errors.Is(err, ErrUnsupported) {
				continue // an option without a TF lowering (activation, rank)
			}
			if err != nil {
				t.Errorf("%s %v: %v", e.ClassName, in, err)
				continue
			}
			checkGraph(t, e.ClassName, l, g)
			checked[e.ClassName]++
		}
	}
	for _, c := range []string{"Conv2D", "MaxPooling2D", "BatchNormalization", "Flatten", "Dense", "Dropout", "Activation"} {
		if checked[c] == 0 {
			t.Errorf("no %s graph checked", c)
		}
	}
}

func checkGraph(t *testing.T, class string, l Layer, g *saved.LayerGraph) {
	t.Helper()
	out, _ := l.OutputShape(l.InputShape())
	if len(g.InputShapes) != 1 || !equalInts(g.InputShapes[0], l.InputShape()) || !equalInts(g.OutputShape, out) {
		t.Errorf("%s: graph shapes %v -> %v, layer %v -> %v", class, g.InputShapes, g.OutputShape, l.InputShape(), out)
	}
	weights := map[string]bool{}
	for _, w := range l.Weights() {
		weights["$var:"+w.Name] = true
	}
	seen := map[string]bool{"$in": true}
	for _, op := range g.Ops {
		if op.OutArg == "" || op.Type == "" || seen[op.Name] {
			t.Errorf("%s: op %+v", class, op)
		}
		for _, r := range op.Inputs {
			if !seen[r] && !weights[r] {
				t.Errorf("%s: op %s reads %q", class, op.Name, r)
			}
		}
		seen[op.Name] = true
	}
	if !seen[g.Output] {
		t.Errorf("%s: output %q", class, g.Output)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAveragePoolingGraph: AvgPool with TF's attrs, and the training argument only where
// Keras's call takes one.
func TestAveragePoolingGraph(t *testing.T) {
	l := NewAveragePooling2D([2]int{3, 2}, AveragePoolingOptions{Strides: [2]int{2, 1}, Padding: "same"})
	if err := l.Build([]int{7, 5, 2}, nil); err != nil {
		t.Fatal(err)
	}
	g, err := l.Graph()
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, "AveragePooling2D", l, g)
	if len(g.Ops) != 1 || g.Ops[0].Type != "AvgPool" || g.Training || g.Output != "AvgPool" {
		t.Fatalf("graph %+v", g)
	}
	a := g.Ops[0].Attrs
	if a["padding"].S != "SAME" || !equalInt64s(a["ksize"].Ints, 1, 3, 2, 1) || !equalInt64s(a["strides"].Ints, 1, 2, 1, 1) || a["data_format"].S != "NHWC" {
		t.Errorf("attrs %+v", a)
	}
	if gd, _ := NewDropout(0.5).Graph(); gd != nil {
		t.Error("Graph of an unbuilt Dropout")
	}
	d := NewDropout(0.5)
	d.Build([]int{4}, nil)
	if gd, err := d.Graph(); err != nil || !gd.Training || gd.Ops[0].Type != "Identity" {
		t.Errorf("Dropout graph %+v, %v", gd, err)
	}
}

func equalInt64s(a []int64, b ...int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
