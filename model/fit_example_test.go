package model_test

import (
	"fmt"

	"github.com/kerasgo/kerasgo/data"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
)

// The seed article's training step: compile with Adam, fit, evaluate.
func ExampleSequential_Fit() {
	train, test := data.Synthetic(data.SyntheticOptions{Train: 2048, Test: 512})
	m := model.NewSequential(
		layers.NewConv2D(16, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu", InputShape: []int{32, 32, 3}, Name: "conv_1"}),
		layers.NewMaxPooling2D([2]int{4, 4}, layers.MaxPoolingOptions{Name: "pool_1"}),
		layers.NewBatchNormalization(),
		layers.NewFlatten(layers.FlattenOptions{Name: "flatten"}),
		layers.NewDense(32, layers.DenseOptions{Activation: "relu", Name: "dense_1"}),
		layers.NewDropout(0.5),
		layers.NewDense(10, layers.DenseOptions{Activation: "softmax", Name: "dense_2"}),
	)
	err := m.Compile(model.CompileOptions{
		Optimizer: model.Adam(),
		Loss:      "sparse_categorical_crossentropy",
		Metrics:   []string{"accuracy"},
	})
	if err != nil {
		panic(err)
	}
	h, err := m.Fit(train.X, train.Y, model.FitOptions{Epochs: 3, BatchSize: 64, ValidationSplit: 0.1})
	if err != nil {
		panic(err)
	}
	fmt.Println("logged:", h.Keys)
	fmt.Println("optimizer steps:", m.Iterations())
	_, metrics, err := m.Evaluate(test.X, test.Y)
	if err != nil {
		panic(err)
	}
	fmt.Println("better than chance:", metrics["accuracy"] > 0.3)
	// Output:
	// logged: [loss accuracy val_loss val_accuracy]
	// optimizer steps: 87
	// better than chance: true
}
