package npy

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

func TestRoundTrip(t *testing.T) {
	for _, shape := range [][]int{{}, {3}, {2, 3}, {2, 1, 2}} {
		n, _ := tensor.NumElements(shape)
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i) * 0.5
		}
		in := tensor.MustFromFloat32(shape, data)
		var buf bytes.Buffer
		if err := Write(&buf, in); err != nil {
			t.Fatal(err)
		}
		if buf.Len()%64 != int(n*4)%64 {
			t.Errorf("%v: data does not start on a 64-byte boundary", shape)
		}
		out, err := Read(bytes.NewReader(buf.Bytes()), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.SameShape(out.Shape, shape) {
			t.Fatalf("shape %v, want %v", out.Shape, shape)
		}
		for i, v := range out.Float32s() {
			if v != data[i] {
				t.Fatalf("%v[%d] = %v, want %v", shape, i, v, data[i])
			}
		}
	}
}

// TestTruncated cuts a valid encoding at every length and demands an error, never a panic.
func TestTruncated(t *testing.T) {
	var buf bytes.Buffer
	Write(&buf, tensor.MustFromFloat32([]int{2, 2}, []float32{1, 2, 3, 4}))
	b := buf.Bytes()
	for i := 0; i < len(b); i++ {
		_, err := Read(bytes.NewReader(b[:i]), 0)
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("cut at %d: err = %v, want ErrFormat", i, err)
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d: err = %v, want unexpected EOF", i, err)
		}
	}
}

func TestHugeShapeRejected(t *testing.T) {
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }"
	var buf bytes.Buffer
	buf.WriteString(magic)
	buf.Write([]byte{1, 0, byte(len(hdr)), 0})
	buf.WriteString(hdr)
	if _, err := Read(&buf, 1<<20); !errors.Is(err, ErrFormat) {
		t.Fatalf("err = %v, want ErrFormat", err)
	}
}

// TestNumPyWritten reads arrays written by NumPy itself when a Python with numpy is available
// (the project's .venv, via KERASGO_PYTHON).
func TestNumPyWritten(t *testing.T) {
	py := pythonOrSkip(t)
	dir := t.TempDir()
	script := `import numpy as np, sys
d = sys.argv[1]
np.save(d + "/a.npy", np.arange(6, dtype="<f4").reshape(2, 3) / 4)
np.save(d + "/b.npy", np.arange(4, dtype=">i8"))
np.save(d + "/c.npy", np.array(7.5, dtype="<f8"))
np.save(d + "/d.npy", np.array([True, False]))
`
	if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	a, err := ReadFile(filepath.Join(dir, "a.npy"))
	if err != nil || !tensor.SameShape(a.Shape, []int{2, 3}) || a.Float32s()[5] != 1.25 {
		t.Fatalf("a.npy: %v %+v", err, a)
	}
	b, err := ReadFile(filepath.Join(dir, "b.npy"))
	if err != nil || b.Data.([]int64)[3] != 3 {
		t.Fatalf("b.npy: %v %+v", err, b)
	}
	c, err := ReadFile(filepath.Join(dir, "c.npy"))
	if err != nil || len(c.Shape) != 0 || c.Data.([]float64)[0] != 7.5 {
		t.Fatalf("c.npy: %v %+v", err, c)
	}
	d, err := ReadFile(filepath.Join(dir, "d.npy"))
	if err != nil || !d.Data.([]bool)[0] || d.Data.([]bool)[1] {
		t.Fatalf("d.npy: %v %+v", err, d)
	}
	// And NumPy reads what we write.
	if err := WriteFile(filepath.Join(dir, "go.npy"), a); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, a.shape, a[1, 2])`, filepath.Join(dir, "go.npy")).CombinedOutput()
	if err != nil || string(out) != "float32 (2, 3) 1.25\n" {
		t.Fatalf("numpy read: %v %q", err, out)
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, tensor.MustFromFloat32([]int{2, 2}, []float32{1, 2, 3, 4}))
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		Read(bytes.NewReader(b), int64(len(b)))
	})
}
