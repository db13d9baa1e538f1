package model

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestActivityRegularizerRefusesTraining: a layer with an activity_regularizer (not applied)
// makes Fit and Evaluate fail with ErrUnsupported naming the layer, while the model still
// predicts and saves with the regularizer in its config.
func TestActivityRegularizerRefusesTraining(t *testing.T) {
	d, _, err := layers.FromConfig("Dense", map[string]any{
		"name": "act_reg", "units": 2.0, "batch_input_shape": []any{nil, 3.0},
		"activity_regularizer": map[string]any{"class_name": "L2", "config": map[string]any{"l2": 0.1}},
	}, saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	m := NewSequential(d)
	if err := m.Compile(CompileOptions{Optimizer: "sgd", Loss: "mse"}); err != nil {
		t.Fatal(err)
	}
	x := tensor.MustFromFloat32([]int{4, 3}, make([]float32, 12))
	y := tensor.MustFromFloat32([]int{4, 2}, make([]float32, 8))
	before := append([]float32(nil), m.Weights()[0].Value.Float32s()...)
	_, err = m.Fit(x, y, FitOptions{Epochs: 1})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"act_reg"`) || !strings.Contains(err.Error(), "activity_regularizer") {
		t.Errorf("Fit: %v", err)
	}
	if _, _, err := m.Evaluate(x, y); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Evaluate: %v", err)
	}
	for i, v := range m.Weights()[0].Value.Float32s() {
		if v != before[i] {
			t.Fatal("a refused Fit changed the weights")
		}
	}
	if _, err := m.Predict(x); err != nil {
		t.Errorf("Predict: %v", err)
	}
	path := filepath.Join(t.TempDir(), "m.keras")
	if err := m.Save(path); err != nil {
		skipNoHDF5(t, err)
		t.Fatal(err)
	}
	m2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c := m2.Layers()[0].Config(saved.Keras3); c["activity_regularizer"] == nil {
		t.Errorf("saved config lost the activity_regularizer: %v", c)
	}
}
