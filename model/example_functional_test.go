package model_test

import (
	"fmt"
	"log"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/tensor"
)

// A Functional model with two inputs and two outputs, compiled with a loss per output (the
// README's example).
func ExampleNewModel() {
	img := model.Input(32, 32, 3).WithName("img")
	meta := model.Input(4).WithName("meta")
	x := model.MustApply(layers.NewConv2D(8, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu"}), img.Output())
	x = model.MustApply(layers.NewGlobalAveragePooling2D(), x)
	x = model.MustApply(layers.NewConcatenate(-1), x, meta.Output()) // a layer on several tensors
	cls := model.MustApply(layers.NewDense(10, layers.DenseOptions{Activation: "softmax", Name: "cls"}), x)
	reg := model.MustApply(layers.NewDense(1, layers.DenseOptions{Name: "reg"}), x)
	m, err := model.NewModel([]*model.KerasTensor{img.Output(), meta.Output()}, []*model.KerasTensor{cls, reg})
	if err != nil {
		log.Fatal(err)
	}
	err = m.Compile(model.CompileOptions{Optimizer: model.Adam(),
		LossByOutput:        map[string]string{"cls": "sparse_categorical_crossentropy", "reg": "mse"},
		LossWeightsByOutput: map[string]float64{"cls": 1, "reg": 0.5}})
	if err != nil {
		log.Fatal(err)
	}
	xs := []*tensor.Tensor{tensor.Zeros(2, 32, 32, 3), tensor.Zeros(2, 4)}
	ys := []*tensor.Tensor{tensor.Zeros(2), tensor.Zeros(2, 1)}
	if _, err := m.FitN(xs, ys, model.FitOptions{Epochs: 1, BatchSize: 2}); err != nil {
		log.Fatal(err)
	}
	out, err := m.PredictN(xs)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.InputNames(), m.OutputNames(), out[0].Shape, out[1].Shape, m.Iterations())
	// Output: [img meta] [cls reg] [2 10] [2 1] 1
}
