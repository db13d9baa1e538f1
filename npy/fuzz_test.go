package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// FuzzRead: any input is an error or an array that writes back and reads back the same;
// never a panic, never an allocation beyond the input's size.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, tensor.MustFromFloat32([]int{2, 2}, []float32{1, 2, 3, 4}))
	f.Add(buf.Bytes())
	// Arrays written by NumPy (np.save in testdata/gen).
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "models", "*", "*.npy"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<16 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadOptions{MaxBytes: int64(len(b))}.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, x); err != nil {
			t.Fatalf("read %v %v, cannot write it back: %v", x.DType, x.Shape, err)
		}
		y, err := Read(&out)
		if err != nil {
			t.Fatalf("written %v %v does not read back: %v", x.DType, x.Shape, err)
		}
		a, _ := x.AppendBytes(nil)
		c, _ := y.AppendBytes(nil)
		if y.DType != x.DType || !tensor.SameShape(x.Shape, y.Shape) || !bytes.Equal(a, c) {
			t.Fatalf("round trip changed %v %v into %v %v", x.DType, x.Shape, y.DType, y.Shape)
		}
	})
}
