package layers_test

import (
	"fmt"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// The seed model's first layer, built for 32x32 RGB images.
func ExampleNewConv2D() {
	conv := layers.NewConv2D(16, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu", Name: "conv_1"})
	if err := conv.Build([]int{32, 32, 3}, layers.NewRand(1)); err != nil {
		panic(err)
	}
	out, _ := conv.OutputShape([]int{32, 32, 3})
	for _, w := range conv.Weights() {
		fmt.Println(w.Name, w.Value.Shape)
	}
	fmt.Println("output", out)
	y, _ := conv.Forward(tensor.MustFromFloat32([]int{1, 32, 32, 3}, make([]float32, 32*32*3)), false)
	fmt.Println("batch output", y.Shape)
	// Output:
	// kernel [3 3 3 16]
	// bias [16]
	// output [30 30 16]
	// batch output [1 30 30 16]
}

// A Keras 1 config, as found in old .h5 files, becomes a Conv2D.
func ExampleFromConfig() {
	cfg := map[string]any{
		"name": "convolution2d_1", "nb_filter": 2.0, "nb_row": 3.0, "nb_col": 2.0,
		"border_mode": "same", "subsample": []any{1.0, 1.0}, "dim_ordering": "tf",
		"activation": "sigmoid", "batch_input_shape": []any{nil, 8.0, 8.0, 3.0},
		"init": "glorot_uniform", "bias": true, "custom_key": 1.0,
	}
	l, warnings, err := layers.FromConfig("Convolution2D", cfg, saved.Keras2)
	if err != nil {
		panic(err)
	}
	c := l.(*layers.Conv2D)
	fmt.Println(c.Class(), c.Name(), c.Filters(), c.KernelSize(), c.Padding(), c.Activation())
	fmt.Println("declared input", layers.DeclaredInputShape(l))
	fmt.Println(warnings)

	_, _, err = layers.FromConfig("ConvLSTM3D", map[string]any{}, saved.Keras2)
	fmt.Println(err)
	// Output:
	// Conv2D convolution2d_1 2 [3 2] same sigmoid
	// declared input [-1 8 8 3]
	// [layers: Conv2D "convolution2d_1": unknown config key "custom_key" ignored]
	// layers: unknown layer class "ConvLSTM3D"
}
