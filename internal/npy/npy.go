// Package npy reads and writes NumPy .npy files (format versions 1.0, 2.0 and 3.0) as
// tensor.Tensor values: little- or big-endian numeric dtypes, C order, no pickled objects.
//
// # Format
//
// Magic "\x93NUMPY", major and minor version bytes, a header length (uint16 little-endian in
// 1.0, uint32 in 2.0 and 3.0), then an ASCII (UTF-8 in 3.0) Python dict literal with keys
// 'descr', 'fortran_order' and 'shape', padded with spaces and a newline so that the data
// starts on a 64-byte boundary; then the raw array data.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/internal/errcat"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/tensor"
)

// ErrFormat reports a file that is not a valid .npy file.
var ErrFormat = errcat.New("npy: invalid format", errcat.ErrFormat)

// ErrUnsupported reports a valid .npy file kerasgo does not read (Fortran order, objects).
var ErrUnsupported = errcat.New("npy: unsupported", errcat.ErrUnsupported)

const magic = "\x93NUMPY"

// maxHeader bounds the header length accepted on read.
const maxHeader = 1 << 20

var descrs = map[string]tensor.DType{
	"f4": tensor.Float32, "f8": tensor.Float64, "f2": tensor.Float16, "i4": tensor.Int32,
	"i8": tensor.Int64, "u1": tensor.Uint8, "i1": tensor.Int8, "i2": tensor.Int16,
	"u2": tensor.Uint16, "u4": tensor.Uint32, "u8": tensor.Uint64, "b1": tensor.Bool,
	"c8": tensor.Complex64, "c16": tensor.Complex128,
}

// ReadFile reads a .npy file.
func ReadFile(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	t, err := read(bufio.NewReader(f), st.Size())
	if err != nil {
		return nil, fmt.Errorf("npy: read %s: %w", path, err)
	}
	return t, nil
}

// Read reads one .npy array from r. limit bounds the data size in bytes (<= 0: the tensor
// package default).
func Read(r io.Reader, limit int64) (*tensor.Tensor, error) { return read(r, limit) }

func read(r io.Reader, limit int64) (*tensor.Tensor, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrFormat, unexpected(err))
	}
	if string(pre[:6]) != magic {
		return nil, fmt.Errorf("%w: bad magic", ErrFormat)
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%w: header length: %w", ErrFormat, unexpected(err))
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%w: header length: %w", ErrFormat, unexpected(err))
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("%w: version %d.%d", ErrUnsupported, pre[6], pre[7])
	}
	if hlen > maxHeader {
		return nil, fmt.Errorf("%w: header length %d", ErrFormat, hlen)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrFormat, unexpected(err))
	}
	descr, fortran, shape, err := parseHeader(string(hdr))
	if err != nil {
		return nil, err
	}
	if fortran {
		return nil, fmt.Errorf("%w: fortran_order arrays", ErrUnsupported)
	}
	if len(descr) < 2 {
		return nil, fmt.Errorf("%w: descr %q", ErrFormat, descr)
	}
	order := descr[0]
	dt, ok := descrs[descr[1:]]
	if !ok || (order != '<' && order != '>' && order != '|' && order != '=') {
		return nil, fmt.Errorf("%w: dtype %q", ErrUnsupported, descr)
	}
	nb, err := tensor.CheckShape(dt, shape, limit)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if limit > 0 && nb > limit {
		return nil, fmt.Errorf("%w: %d data bytes exceed the file", ErrFormat, nb)
	}
	data := make([]byte, nb)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("%w: data: %w", ErrFormat, unexpected(err))
	}
	if order == '>' && dt.Size() > 1 {
		size := dt.Size()
		if dt == tensor.Complex64 || dt == tensor.Complex128 {
			size /= 2 // two components, each swapped on its own
		}
		swap(data, size)
	}
	return tensor.FromBytes(dt, shape, data)
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func swap(b []byte, size int) {
	for i := 0; i+size <= len(b); i += size {
		for j, k := i, i+size-1; j < k; j, k = j+1, k-1 {
			b[j], b[k] = b[k], b[j]
		}
	}
}

// parseHeader parses the dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func parseHeader(h string) (descr string, fortran bool, shape []int, err error) {
	h = strings.TrimSpace(h)
	if !strings.HasPrefix(h, "{") || !strings.HasSuffix(h, "}") {
		return "", false, nil, fmt.Errorf("%w: header %q", ErrFormat, h)
	}
	body := h[1 : len(h)-1]
	seen := map[string]bool{}
	for len(strings.TrimSpace(body)) > 0 {
		body = strings.TrimLeft(body, " ,")
		if body == "" {
			break
		}
		key, rest, ok := quoted(body)
		if !ok {
			return "", false, nil, fmt.Errorf("%w: header key in %q", ErrFormat, h)
		}
		rest = strings.TrimLeft(rest, " ")
		if !strings.HasPrefix(rest, ":") {
			return "", false, nil, fmt.Errorf("%w: header %q", ErrFormat, h)
		}
		rest = strings.TrimLeft(rest[1:], " ")
		seen[key] = true
		switch key {
		case "descr":
			v, r, ok := quoted(rest)
			if !ok {
				return "", false, nil, fmt.Errorf("%w: descr in %q", ErrUnsupported, h)
			}
			descr, body = v, r
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "False"):
				fortran, body = false, rest[5:]
			case strings.HasPrefix(rest, "True"):
				fortran, body = true, rest[4:]
			default:
				return "", false, nil, fmt.Errorf("%w: fortran_order in %q", ErrFormat, h)
			}
		case "shape":
			if !strings.HasPrefix(rest, "(") {
				return "", false, nil, fmt.Errorf("%w: shape in %q", ErrFormat, h)
			}
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				return "", false, nil, fmt.Errorf("%w: shape in %q", ErrFormat, h)
			}
			shape = []int{}
			for _, f := range strings.Split(rest[1:end], ",") {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				n, err := strconv.Atoi(strings.TrimSuffix(f, "L"))
				if err != nil || n < 0 {
					return "", false, nil, fmt.Errorf("%w: shape in %q", ErrFormat, h)
				}
				shape = append(shape, n)
			}
			body = rest[end+1:]
		default:
			return "", false, nil, fmt.Errorf("%w: header key %q", ErrFormat, key)
		}
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return "", false, nil, fmt.Errorf("%w: header %q lacks a key", ErrFormat, h)
	}
	return descr, fortran, shape, nil
}

func quoted(s string) (v, rest string, ok bool) {
	if len(s) == 0 || (s[0] != '\'' && s[0] != '"') {
		return "", s, false
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", s, false
	}
	return s[1 : 1+end], s[end+2:], true
}

// Write writes t as a version 1.0 .npy array.
func Write(w io.Writer, t *tensor.Tensor) error {
	var descr string
	for k, d := range descrs {
		if d == t.DType {
			descr = k
		}
	}
	if descr == "" || t.DType == tensor.BFloat16 {
		return fmt.Errorf("%w: dtype %v", ErrUnsupported, t.DType)
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
	var buf bytes.Buffer
	buf.WriteString(magic)
	buf.Write([]byte{1, 0})
	binary.Write(&buf, binary.LittleEndian, uint16(len(hdr)))
	buf.WriteString(hdr)
	data, err := t.AppendBytes(buf.Bytes())
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	_, err = w.Write(data)
	return err
}

// WriteFile writes t to path atomically (temporary file, then rename).
func WriteFile(path string, t *tensor.Tensor) error {
	err := atomicfile.Options{}.WriteWith(path, func(f *os.File) error {
		bw := bufio.NewWriter(f)
		if err := Write(bw, t); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("npy: write %s: %w", path, err)
	}
	return nil
}
