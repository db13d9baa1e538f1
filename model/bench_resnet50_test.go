package model

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// ResNet50 benchmarks (issue 10). scripts/bench_resnet50.py runs them alternately with the
// same jobs in TensorFlow and records the ratios in README.md. They use the keras.applications
// cache (internal/testref.AppsDir; KERASGO_PYTHON must be set).

// resnet50At224 builds ResNet50 (classes=10) from tf_keras's config in the applications cache
// with its input widened to 224x224x3, with fresh random weights: the layers do not depend on
// the input size (the head is global average pooling), so this is keras.applications.ResNet50
// at its usual resolution.
func resnet50At224(b *testing.B) *Model {
	b.Helper()
	return appAt224(b, filepath.Join(testref.AppsDir(b), "resnet50"))
}

// appAt224 builds the application model of a cache case directory from its tf_keras config
// with the input widened to 224x224x3 (fresh random weights).
func appAt224(b *testing.B, dir string) *Model {
	b.Helper()
	data := readFile(b, filepath.Join(dir, "config_keras2.json"))
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		b.Fatal(err)
	}
	inner, _ := cfg["config"].(map[string]any)
	ls, _ := inner["layers"].([]any)
	set := 0
	for _, l := range ls {
		lc, _ := l.(map[string]any)["config"].(map[string]any)
		if _, ok := lc["batch_input_shape"]; ok {
			lc["batch_input_shape"] = []any{nil, 224, 224, 3}
			set++
		}
	}
	if set != 1 {
		b.Fatalf("%s config: %d layers with batch_input_shape, want 1", dir, set)
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		b.Fatal(err)
	}
	m, err := FromJSON(data)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func benchResNet50Predict(b *testing.B, n int) { benchPredict224(b, resnet50At224(b), n) }

// benchPredict224 times m.Predict on a batch of n random 224x224x3 images.
func benchPredict224(b *testing.B, m *Model, n int) {
	rng := layers.NewRand(3)
	x := make([]float32, n*224*224*3)
	for i := range x {
		x[i] = rng.Float32()
	}
	xt := tensor.MustFromFloat32([]int{n, 224, 224, 3}, x)
	if _, err := m.Predict(xt, PredictOptions{BatchSize: n}); err != nil { // warm-up
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := startCPU()
	b.ResetTimer()
	for range b.N {
		if _, err := m.Predict(xt, PredictOptions{BatchSize: n}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.report(b)
}

// BenchmarkResNet50Predict1 runs ResNet50 on one 224x224x3 image.
func BenchmarkResNet50Predict1(b *testing.B) { benchResNet50Predict(b, 1) }

// BenchmarkResNet50Predict32 runs ResNet50 on one batch of 32 images of 224x224x3.
func BenchmarkResNet50Predict32(b *testing.B) { benchResNet50Predict(b, 32) }

func benchResNet50Load(b *testing.B, file string) {
	path := filepath.Join(testref.AppsDir(b), "resnet50", file)
	b.ReportAllocs()
	cpu := startCPU()
	b.ResetTimer()
	for range b.N {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.report(b)
}

// BenchmarkResNet50LoadH5 loads ResNet50 (23.6M parameters) from tf_keras's model.h5.
func BenchmarkResNet50LoadH5(b *testing.B) { benchResNet50Load(b, "tfkeras/model.h5") }

// BenchmarkResNet50LoadKeras loads ResNet50 from Keras 3's model.keras.
func BenchmarkResNet50LoadKeras(b *testing.B) { benchResNet50Load(b, "keras3/model.keras") }
