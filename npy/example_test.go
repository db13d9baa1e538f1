package npy_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// Reading an array NumPy saved (np.save("x.npy", x) in testdata/gen): a batch of 8 RGB
// images of 32×32.
func ExampleReadFile() {
	x, err := npy.ReadFile(filepath.Join("..", "testdata", "models", "seed", "x.npy"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(x.DType, x.Shape)
	// Output: float32 [8 32 32 3]
}

// Writing an array for NumPy (np.load reads it back) and reading it again.
func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "npy")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "y.npy")

	y, err := tensor.FromFloat32([]int{2, 3}, []float32{0.5, 1, 1.5, 2, 2.5, 3})
	if err != nil {
		log.Fatal(err)
	}
	if err := npy.WriteFile(path, y); err != nil {
		log.Fatal(err)
	}
	back, err := npy.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.DType, back.Shape, back.Float32s())
	// Output: float32 [2 3] [0.5 1 1.5 2 2.5 3]
}

// Arrays written one after another on a stream read back in turn.
func ExampleRead() {
	var buf bytes.Buffer
	for _, n := range []int{1, 2} {
		if err := npy.Write(&buf, tensor.Zeros(n)); err != nil {
			log.Fatal(err)
		}
	}
	for range 2 {
		t, err := npy.Read(&buf)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(t.Shape)
	}
	// Output:
	// [1]
	// [2]
}
