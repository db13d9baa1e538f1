//go:build cgo

package h5

import (
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// benchModel is a Dense stack of about 4.2M parameters (16 MiB of float32).
func benchModel() *saved.Model {
	m := &saved.Model{Config: []byte(`{"class_name": "Sequential", "config": {"name": "bench", "layers": []}}`)}
	for i, n := range [][2]int{{1024, 2048}, {2048, 1024}} {
		k := make([]float32, n[0]*n[1])
		for j := range k {
			k[j] = float32(j%97) * 0.01
		}
		m.Layers = append(m.Layers, saved.Layer{Name: []string{"dense_1", "dense_2"}[i], Class: "Dense", Weights: []saved.Variable{
			{Name: "kernel", Trainable: true, Value: tensor.MustFromFloat32([]int{n[0], n[1]}, k)},
			{Name: "bias", Trainable: true, Value: tensor.MustFromFloat32([]int{n[1]}, make([]float32, n[1]))},
		}})
	}
	return m
}

func BenchmarkSaveModel(b *testing.B) {
	m := benchModel()
	p := filepath.Join(b.TempDir(), "m.h5")
	b.SetBytes(4 * int64(len(m.Layers[0].Weights[0].Value.Float32s())+len(m.Layers[1].Weights[0].Value.Float32s())))
	for b.Loop() {
		if err := SaveModel(p, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	m := benchModel()
	p := filepath.Join(b.TempDir(), "m.h5")
	if err := SaveModel(p, m); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4 * int64(len(m.Layers[0].Weights[0].Value.Float32s())+len(m.Layers[1].Weights[0].Value.Float32s())))
	for b.Loop() {
		if _, err := Load(p); err != nil {
			b.Fatal(err)
		}
	}
}
