//go:build cgo

package model_test

import (
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
)

// Using a model Keras saved: load a tf_keras .h5, predict on an array NumPy saved, compare
// with tf_keras's own predictions of the same array, and save the model as a Keras 3 .keras
// file. The files are fixtures written by testdata/gen/formats.py.
func Example_predictFromH5() {
	dir := filepath.Join("..", "testdata", "formats", "seed")
	m, err := model.Load(filepath.Join(dir, "tfkeras", "model.h5"))
	if err != nil {
		log.Fatal(err)
	}
	x, err := npy.ReadFile(filepath.Join(dir, "x.npy")) // 4 images of 32×32×3
	if err != nil {
		log.Fatal(err)
	}
	y, err := m.Predict(x, model.PredictOptions{BatchSize: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("input", x.Shape, "output", y.Shape)

	keras, err := npy.ReadFile(filepath.Join(dir, "y.npy")) // tf_keras's model.predict(x)
	if err != nil {
		log.Fatal(err)
	}
	want, err := keras.AsFloat32()
	if err != nil {
		log.Fatal(err)
	}
	diff := 0.0
	for i, v := range y.Float32s() {
		diff = math.Max(diff, math.Abs(float64(v-want[i])))
	}
	fmt.Println("same as tf_keras within 1e-5:", diff <= 1e-5)

	out, err := os.MkdirTemp("", "kerasgo")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(out)
	if err := m.Save(filepath.Join(out, "model.keras")); err != nil {
		log.Fatal(err)
	}
	again, err := model.Load(filepath.Join(out, "model.keras"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("reloaded:", again.CountParams(), "parameters")
	// Output:
	// input [4 32 32 3] output [4 10]
	// same as tf_keras within 1e-5: true
	// reloaded: 25962 parameters
}
