package model

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// TestLayerGraphs: ToSaved gives every layer its graph; a layer whose options have no TF
// lowering has none there (other formats still save), and saving a SavedModel fails naming it.
func TestLayerGraphs(t *testing.T) {
	m := NewSequential(layers.NewDense(4, layers.DenseOptions{Name: "d1", Activation: "relu"}),
		layers.NewDropout(0.5, layers.DropoutOptions{Name: "drop"}),
		layers.NewDense(2, layers.DenseOptions{Name: "d2", Activation: "sparsemax"}))
	if err := m.Build(3); err != nil {
		t.Fatal(err)
	}
	sm, err := m.ToSaved(saved.Keras3) // tf_keras has no sparsemax (layers.CheckDialect)
	if err != nil {
		t.Fatal(err)
	}
	g0, g1 := sm.Layers[0].Graph, sm.Layers[1].Graph
	if g0 == nil || g0.Training || len(g0.Ops) != 5 || g0.Ops[4].Type != "Relu" || g1 == nil || !g1.Training {
		t.Errorf("graphs %+v %+v", g0, g1)
	}
	if sm.Layers[2].Graph != nil {
		t.Errorf("sparsemax Dense has a graph: %+v", sm.Layers[2].Graph)
	}
	dir := t.TempDir()
	// A TF checkpoint (pure Go, unlike .h5) needs no graph.
	if err := m.SaveWeights(filepath.Join(dir, "ckpt", "w")); err != nil {
		t.Errorf("checkpoint save of a model without a TF graph for sparsemax: %v", err)
	}
	err = m.Save(filepath.Join(dir, "sm"))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `layer "d2" (Dense)`) || !strings.Contains(err.Error(), "sparsemax") {
		t.Errorf("SavedModel save: %v", err)
	}
	t.Log(err)
}
