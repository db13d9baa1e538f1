package savedmodel_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/savedmodel"
	"github.com/kerasgo/kerasgo/tensor"
)

// A one-layer model: Dense(2, softmax) on 3 inputs.
func tinyModel() *saved.Model {
	cfg := `{"class_name": "Sequential", "config": {"name": "sequential", "layers": [
	  {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "dtype": "float32", "name": "x"}},
	  {"class_name": "Dense", "config": {"name": "probs", "units": 2, "activation": "softmax", "use_bias": true}}]}}`
	return &saved.Model{
		Config:  []byte(cfg),
		Dialect: saved.Keras2,
		Layers: []saved.Layer{{Name: "probs", Class: "Dense", Weights: []saved.Variable{
			{Name: "kernel", Trainable: true, Value: tensor.MustFromFloat32([]int{3, 2}, []float32{1, 0, 0, 1, 1, 1})},
			{Name: "bias", Trainable: true, Value: tensor.MustFromFloat32([]int{2}, []float32{0, 0})},
		}}},
	}
}

func Example() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sm := filepath.Join(dir, "newmodel")
	// The writer needs each layer's graph, which package model fills from its layers: a
	// saved.Model goes through a model (a file's model.Load(path).Save(dir) does the same).
	live, err := model.FromSaved(tinyModel())
	if err != nil {
		log.Fatal(err)
	}
	full, err := live.ToSaved(saved.Keras2)
	if err != nil {
		log.Fatal(err)
	}
	if err := savedmodel.Save(sm, full); err != nil {
		log.Fatal(err)
	}
	info, err := savedmodel.Inspect(sm)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range info.Signatures {
		in, out := s.Inputs[0], s.Outputs[0]
		fmt.Printf("%s: %s %v %v -> %s %v %v\n", s.Key, in.Key, in.DType, in.Shape, out.Key, out.DType, out.Shape)
	}
	for _, v := range info.Variables {
		fmt.Println(v.Key, v.FullName, v.Shape)
	}
	m, err := savedmodel.Load(sm)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Layers[0].Name, m.Layers[0].Weights[0].Value.Float32s())
	// Output:
	// serving_default: x float32 [-1 3] -> probs float32 [-1 2]
	// layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE probs/bias [2]
	// layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE probs/kernel [3 2]
	// probs [1 0 0 1 1 1]
}
