//go:build cgo

package h5_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// A model's weights written in the tf_keras weights-only layout, then listed and read back.
func Example() {
	dir, err := os.MkdirTemp("", "h5example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	m := &saved.Model{Layers: []saved.Layer{
		{Name: "dense", Class: "Dense", Weights: []saved.Variable{
			{Name: "kernel", Trainable: true, Value: tensor.MustFromFloat32([]int{2, 1}, []float32{0.5, -1})},
			{Name: "bias", Trainable: true, Value: tensor.MustFromFloat32([]int{1}, []float32{0.25})},
		}},
	}}
	path := filepath.Join(dir, "weights.h5")
	if err := h5.SaveWeights(path, m); err != nil {
		log.Fatal(err)
	}
	vars, err := h5.List(path)
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range vars {
		fmt.Println(v.Path, v.Type, v.Shape)
	}
	back, err := h5.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Layers[0].Weights[0].Value.Float32s())
	// Output:
	// dense/dense/bias:0 float32 [1]
	// dense/dense/kernel:0 float32 [2 1]
	// [0.5 -1]
}
