package matconv_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/kerasgo/kerasgo/tensor/matconv"
)

// A batch of 2 samples of 3 features prepared with gonum becomes a model input, and the
// model's (batch, outputs) float32 result goes back to gonum.
func Example() {
	features := mat.NewDense(2, 3, []float64{
		0.5, 1, -1,
		2, 0, 0.25,
	})
	x := matconv.FromMatrix(features) // float32, shape (2, 3): what model.Predict takes
	fmt.Println(x.DType, x.Shape, x.Float32s())

	y, err := matconv.ToDense(x) // e.g. Predict's output
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v\n", mat.Formatted(y))
	// Output:
	// float32 [2 3] [0.5 1 -1 2 0 0.25]
	// ⎡ 0.5     1    -1⎤
	// ⎣   2     0  0.25⎦
}
