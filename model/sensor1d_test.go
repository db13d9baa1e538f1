//go:build cgo

package model_test

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/tensor"
)

// sensorData returns n signals of 32 steps × 3 channels: class k is a sine of frequency k+1
// on channel k plus noise; labels are the classes.
func sensorData(n int, rng *layers.Rand) (*tensor.Tensor, *tensor.Tensor) {
	x := make([]float32, n*32*3)
	y := make([]float32, n)
	for i := range n {
		k := i % 3
		y[i] = float32(k)
		ph := rng.Uniform(0, 6.28)
		for s := range 32 {
			for c := range 3 {
				v := 0.3 * rng.Uniform(-1, 1)
				if c == k {
					v += float32(math.Sin(float64(k+1)*float64(s)*2*math.Pi/32 + float64(ph)))
				}
				x[(i*32+s)*3+c] = v
			}
		}
	}
	return tensor.MustFromFloat32([]int{n, 32, 3}, x), tensor.MustFromFloat32([]int{n}, y)
}

// TestSensorClassifier1D trains a small sensor-signal classifier (Conv1D, MaxPooling1D,
// GlobalAveragePooling1D, Dense) in Go: it must learn the three signal classes, and its
// .keras and .h5 saves must load with the same predictions.
func TestSensorClassifier1D(t *testing.T) {
	m := model.NewSequential(
		model.Input(32, 3),
		layers.NewConv1D(8, 5, layers.Conv1DOptions{Activation: "relu", Padding: "causal"}),
		layers.NewMaxPooling1D(2),
		layers.NewConv1D(8, 3, layers.Conv1DOptions{Activation: "relu"}),
		layers.NewGlobalAveragePooling1D(),
		layers.NewDense(3, layers.DenseOptions{Activation: "softmax"}),
	)
	if err := m.Compile(model.CompileOptions{Optimizer: "adam", Loss: "sparse_categorical_crossentropy", Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
	rng := layers.NewRand(5)
	x, y := sensorData(96, rng)
	loss0, _, err := m.Evaluate(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(x, y, model.FitOptions{Epochs: 40, BatchSize: 16, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	xv, yv := sensorData(48, rng)
	loss, logs, err := m.Evaluate(xv, yv)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss %.3f -> %.3f, held-out accuracy %.3f", loss0, loss, logs["accuracy"])
	if loss >= loss0/2 || logs["accuracy"] < 0.9 {
		t.Errorf("did not learn: loss %.3f -> %.3f, accuracy %.3f", loss0, loss, logs["accuracy"])
	}
	want, err := m.Predict(xv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"sensor.keras", "sensor.h5"} {
		p := filepath.Join(dir, f)
		if err := m.Save(p); err != nil {
			t.Fatal(err)
		}
		l, err := model.Load(p)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, err := l.Predict(xv)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Float32s(), want.Float32s()) {
			t.Errorf("%s: predictions differ after the round trip", f)
		}
	}
}
