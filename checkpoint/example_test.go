package checkpoint_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

func Example() {
	dir, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(dir)
	prefix := filepath.Join(dir, "model.ckpt")

	w, err := checkpoint.NewWriter(prefix)
	if err != nil {
		log.Fatal(err)
	}
	w.Add("dense/kernel", tensor.MustFromFloat32([]int{2, 2}, []float32{1, 2, 3, 4}))
	w.Add("global_step", tensor.Scalar(int64(1000)))
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := checkpoint.Open(prefix)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for _, e := range r.Entries() {
		fmt.Println(e.Key, e.DType, e.Shape)
	}
	k, _ := r.Read("dense/kernel")
	fmt.Println(k.Float32s())
	// Output:
	// dense/kernel float32 [2 2]
	// global_step int64 []
	// [1 2 3 4]
}

func ExampleSaveKerasWeights() {
	dir, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(dir)
	m := &saved.Model{Layers: []saved.Layer{
		{Name: "flatten", Class: "Flatten"},
		{Name: "dense", Class: "Dense", Weights: []saved.Variable{
			{Name: "kernel", Trainable: true, Value: tensor.MustFromFloat32([]int{2, 1}, []float32{0.5, -0.5})},
			{Name: "bias", Trainable: true, Value: tensor.MustFromFloat32([]int{1}, []float32{0})},
		}},
	}}
	if err := checkpoint.SaveKerasWeights(filepath.Join(dir, "my_weights"), m); err != nil {
		log.Fatal(err)
	}
	r, _ := checkpoint.Open(filepath.Join(dir, "my_weights"))
	defer r.Close()
	for _, k := range r.Keys() {
		fmt.Println(k)
	}
	latest, _ := checkpoint.Latest(dir)
	fmt.Println(filepath.Base(latest))
	// Output:
	// _CHECKPOINTABLE_OBJECT_GRAPH
	// layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE
	// layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE
	// my_weights
}

func ExampleReader_Dump() {
	dir, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(dir)
	prefix := filepath.Join(dir, "ckpt")
	w, _ := checkpoint.NewWriter(prefix)
	w.Add("conv/kernel", tensor.MustFromFloat32([]int{3, 3, 1, 2}, make([]float32, 18)))
	w.Add("step", tensor.Scalar(int64(7)))
	w.Close()

	r, _ := checkpoint.Open(prefix)
	defer r.Close()
	r.Dump(os.Stdout)
	n, err := checkpoint.Verify(prefix)
	fmt.Println(n, err)
	// Output:
	// conv/kernel float32 [3,3,1,2]
	// step int64 []
	// 2 <nil>
}
