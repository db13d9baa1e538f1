//go:build !kerasgo_noplot

package modelplot_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/modelplot"
	"github.com/kerasgo/kerasgo/saved"
)

// Draw a model as keras.utils.plot_model(model, "model.png", show_shapes=True) does.
func ExamplePlotModel() {
	m := model.NewSequential(
		layers.NewDense(8, layers.DenseOptions{Activation: "relu"}),
		layers.NewDense(2, layers.DenseOptions{Activation: "softmax"}))
	if err := m.Build(4); err != nil {
		panic(err)
	}
	opts := model.DefaultDotOptions(saved.Keras2) // tf_keras's drawing; saved.Keras3 for Keras 3's
	opts.ShowShapes = true
	dir, _ := os.MkdirTemp("", "plot")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.png")
	if err := modelplot.PlotModel(context.Background(), m, path, opts); err != nil {
		panic(err)
	}
	data, _ := os.ReadFile(path)
	fmt.Printf("%q\n", data[1:4])
	// Output: "PNG"
}
