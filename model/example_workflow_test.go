//go:build cgo

package model_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/tensor"
)

// (This example saves an .h5 file, which needs cgo for libhdf5.)

// The seed article's workflow: build the model, compile it with adam,
// sparse_categorical_crossentropy and accuracy, train it, save it as myModel.h5, load it
// back and predict.
func Example_seedWorkflow() {
	m := model.NewSequential(
		layers.NewConv2D(16, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu", InputShape: []int{32, 32, 3}, Name: "conv_1"}),
		layers.NewMaxPooling2D([2]int{4, 4}, layers.MaxPoolingOptions{Name: "pool_1"}),
		layers.NewBatchNormalization(),
		layers.NewFlatten(layers.FlattenOptions{Name: "flatten"}),
		layers.NewDense(32, layers.DenseOptions{Activation: "relu", Name: "dense_1"}),
		layers.NewDropout(0.5),
		layers.NewDense(10, layers.DenseOptions{Activation: "softmax", Name: "dense_2"}),
	)
	err := m.Compile(model.CompileOptions{Optimizer: "adam", Loss: "sparse_categorical_crossentropy", Metrics: []string{"accuracy"}})
	if err != nil {
		fmt.Println(err)
		return
	}

	// 64 random images with random labels, trained in batches of 16.
	rng := layers.NewRand(1)
	x := make([]float32, 64*32*32*3)
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]float32, 64)
	for i := range y {
		y[i] = float32(rng.IntN(10))
	}
	xt, yt := tensor.MustFromFloat32([]int{64, 32, 32, 3}, x), tensor.MustFromFloat32([]int{64}, y)
	if _, err := m.Fit(xt, yt, model.FitOptions{Epochs: 2, BatchSize: 16, NoShuffle: true}); err != nil {
		fmt.Println(err)
		return
	}

	dir, _ := os.MkdirTemp("", "seed")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "myModel.h5")
	if err := m.Save(path); err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := model.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	before, _ := m.Predict(xt, model.PredictOptions{BatchSize: 32})
	after, _ := loaded.Predict(xt, model.PredictOptions{BatchSize: 32})
	fmt.Println("layers:", len(loaded.Layers()), "output:", after.Shape)
	fmt.Println("optimizer steps:", loaded.Iterations())
	fmt.Println("same predictions:", slices.Equal(before.Float32s(), after.Float32s()))
	// Output:
	// layers: 7 output: [64 10]
	// optimizer steps: 8
	// same predictions: true
}
