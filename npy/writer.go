package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/tensor"
)

// Write writes t to w as a version 1.0 .npy array (little-endian, C order), as np.save
// writes it. A tensor whose Data does not hold Shape's element count is an error wrapping
// tensor.ErrShape; a dtype NumPy has no .npy form for (string, bfloat16) wraps ErrUnsupported.
func Write(w io.Writer, t *tensor.Tensor) error {
	if t == nil {
		return fmt.Errorf("%w: nil tensor", ErrUnsupported)
	}
	var descr string
	for k, d := range descrs {
		if d == t.DType {
			descr = k
		}
	}
	if descr == "" {
		return fmt.Errorf("%w: dtype %v", ErrUnsupported, t.DType)
	}
	n, err := tensor.NumElements(t.Shape)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	order := "<"
	if t.DType.Size() == 1 {
		order = "|"
	}
	var sb strings.Builder
	sb.WriteString("(")
	for i, d := range t.Shape {
		if i > 0 {
			sb.WriteString(" ")
		}
		sb.WriteString(strconv.Itoa(d))
		sb.WriteString(",")
	}
	shape := sb.String()
	if len(t.Shape) > 1 {
		shape = strings.TrimSuffix(shape, ",")
	}
	shape += ")"
	hdr := fmt.Sprintf("{'descr': '%s%s', 'fortran_order': False, 'shape': %s, }", order, descr, shape)
	total := len(magic) + 4 + len(hdr) + 1
	pad := (64 - total%64) % 64
	hdr += strings.Repeat(" ", pad) + "\n"
	buf := make([]byte, 0, len(magic)+4+len(hdr)+int(n)*t.DType.Size())
	buf = append(buf, magic...)
	buf = append(buf, 1, 0)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(hdr)))
	buf = append(buf, hdr...)
	start := len(buf)
	buf, err = t.AppendBytes(buf)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	if want := n * int64(t.DType.Size()); int64(len(buf)-start) != want {
		return fmt.Errorf("npy: %v tensor of shape %v has %d bytes of data, want %d: %w", t.DType, t.Shape, len(buf)-start, want, tensor.ErrShape)
	}
	_, err = w.Write(buf)
	return err
}

// WriteFile writes t to path as a .npy file, atomically: a temporary file in the same
// directory renamed over path, so that path is never left half written. Errors are *Error
// values naming the file.
func WriteFile(path string, t *tensor.Tensor) error {
	err := atomicfile.Options{}.WriteWith(path, func(f *os.File) error {
		bw := bufio.NewWriter(f)
		if err := Write(bw, t); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return &Error{Path: path, Err: err}
	}
	return nil
}
