package model_test

import (
	"fmt"
	"strings"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
)

// The seed article's model: Conv2D with input_shape on the first layer, automatic names for
// the BatchNormalization and Dropout layers, and tf_keras's summary.
func Example_seedModel() {
	m := model.NewSequential(
		layers.NewConv2D(16, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu", InputShape: []int{32, 32, 3}, Name: "conv_1"}),
		layers.NewMaxPooling2D([2]int{4, 4}, layers.MaxPoolingOptions{Name: "pool_1"}),
		layers.NewBatchNormalization(),
		layers.NewFlatten(layers.FlattenOptions{Name: "flatten"}),
		layers.NewDense(32, layers.DenseOptions{Activation: "relu", Name: "dense_1"}),
		layers.NewDropout(0.5),
		layers.NewDense(10, layers.DenseOptions{Activation: "softmax", Name: "dense_2"}),
	)
	// Summary pads its table lines with spaces to 65 columns, as Keras does; they are trimmed
	// here only because an example's output cannot show trailing spaces.
	for _, line := range strings.Split(strings.TrimSuffix(m.Summary(), "\n"), "\n") {
		fmt.Println(strings.TrimRight(line, " "))
	}
	// Output:
	// Model: "sequential"
	// _________________________________________________________________
	//  Layer (type)                Output Shape              Param #
	// =================================================================
	//  conv_1 (Conv2D)             (None, 30, 30, 16)        448
	//
	//  pool_1 (MaxPooling2D)       (None, 7, 7, 16)          0
	//
	//  batch_normalization (Batch  (None, 7, 7, 16)          64
	//  Normalization)
	//
	//  flatten (Flatten)           (None, 784)               0
	//
	//  dense_1 (Dense)             (None, 32)                25120
	//
	//  dropout (Dropout)           (None, 32)                0
	//
	//  dense_2 (Dense)             (None, 10)                330
	//
	// =================================================================
	// Total params: 25962 (101.41 KB)
	// Trainable params: 25930 (101.29 KB)
	// Non-trainable params: 32 (128.00 Byte)
	// _________________________________________________________________
}

// A model whose input shape is given by an Input pseudo-layer, as keras.Input, then run on a
// batch.
func ExampleInput() {
	m := model.NewSequential(
		model.Input(4),
		layers.NewDense(3, layers.DenseOptions{Activation: "relu"}),
		layers.NewDense(2, layers.DenseOptions{Activation: "softmax"}),
	)
	for _, l := range m.Layers() {
		fmt.Println(l.Name(), l.Class(), m.InputShape(), len(l.Weights()))
	}
	// Output:
	// dense Dense [4] 2
	// dense_1 Dense [4] 2
}
