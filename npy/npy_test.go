package npy

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
		out, err := Read(bytes.NewReader(buf.Bytes()))
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
		_, err := Read(bytes.NewReader(b[:i]))
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
	if _, err := (ReadOptions{MaxBytes: 1 << 20}).Read(&buf); !errors.Is(err, ErrFormat) {
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

// TestErrors: the file is named once, sentinels match through *Error, and bad tensors are
// refused before anything is written.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.npy")
	_, err := ReadFile(missing)
	var pe *Error
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Path != missing {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.npy")
	if err := os.WriteFile(bad, []byte("not an npy file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(bad)
	if !errors.Is(err, ErrFormat) || !onePrefix(err) || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad file: %v", err)
	}
	// A header declaring more data than the file holds fails before allocating it.
	var buf bytes.Buffer
	Write(&buf, tensor.Zeros(4))
	short := filepath.Join(dir, "short.npy")
	os.WriteFile(short, bytes.Replace(buf.Bytes(), []byte("(4,)"), []byte("(9999999999,)"), 1)[:buf.Len()], 0o644)
	if _, err := ReadFile(short); !errors.Is(err, ErrFormat) {
		t.Errorf("short file: %v", err)
	}

	for _, c := range []struct {
		x    *tensor.Tensor
		want error
	}{
		{nil, ErrUnsupported},
		{&tensor.Tensor{DType: tensor.BFloat16, Shape: []int{1}, Data: []uint16{0}}, ErrUnsupported},
		{&tensor.Tensor{DType: tensor.String, Shape: []int{1}, Data: [][]byte{nil}}, ErrUnsupported},
		{&tensor.Tensor{DType: tensor.Float32, Shape: []int{3}, Data: []float32{1}}, tensor.ErrShape},
		{&tensor.Tensor{DType: tensor.Float32, Shape: []int{-1}, Data: []float32{}}, tensor.ErrShape},
	} {
		var out bytes.Buffer
		if err := Write(&out, c.x); !errors.Is(err, c.want) || out.Len() != 0 {
			t.Errorf("Write(%v): err = %v (%d bytes written), want %v", c.x, err, out.Len(), c.want)
		}
	}
	p := filepath.Join(dir, "x.npy")
	err = WriteFile(p, &tensor.Tensor{DType: tensor.BFloat16, Shape: []int{1}, Data: []uint16{0}})
	if !errors.Is(err, ErrUnsupported) || !onePrefix(err) {
		t.Errorf("WriteFile bfloat16: %v", err)
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed WriteFile left %s: %v", p, err)
	}
}

// TestUnsupportedArrays: valid arrays this package does not read.
func TestUnsupportedArrays(t *testing.T) {
	for _, hdr := range []string{
		"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
		"{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }",
		"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
	} {
		var buf bytes.Buffer
		buf.WriteString(magic)
		buf.Write([]byte{1, 0, byte(len(hdr)), 0})
		buf.WriteString(hdr)
		buf.Write(make([]byte, 64))
		if _, err := Read(&buf); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err = %v, want ErrUnsupported", hdr, err)
		}
	}
}

// onePrefix reports whether err's message starts with "npy: " and does not repeat it.
func onePrefix(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "npy: ") && !strings.Contains(m, " npy: ")
}
