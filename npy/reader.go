package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/internal/regfile"
	"github.com/kerasgo/kerasgo/tensor"
)

// ReadOptions bounds what Read allocates. The zero value uses the defaults.
type ReadOptions struct {
	// MaxBytes bounds the array's data in bytes (0: tensor.DefaultMaxBytes). The header is
	// checked against it before anything is allocated.
	MaxBytes int64
}

// ReadFile reads the array of a .npy file. Errors are *Error values naming the file.
func ReadFile(path string) (*tensor.Tensor, error) { return ReadOptions{}.ReadFile(path) }

// Read reads one .npy array from r, leaving r just after its data (so that arrays written
// one after another can be read in turn).
func Read(r io.Reader) (*tensor.Tensor, error) { return ReadOptions{}.Read(r) }

// ReadFile is the package-level ReadFile with these options. The file's size also bounds the
// data: a header declaring more data than the file holds fails before allocating.
func (o ReadOptions) ReadFile(path string) (*tensor.Tensor, error) {
	f, size, err := regfile.Open(path) // a named pipe or a device fails at once
	if errors.Is(err, regfile.ErrNotRegular) {
		err = fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	defer f.Close()
	t, err := o.read(bufio.NewReader(f), size)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	return t, nil
}

// Read is the package-level Read with these options.
func (o ReadOptions) Read(r io.Reader) (*tensor.Tensor, error) { return o.read(r, -1) }

// read reads one array; size, when not negative, is the number of bytes r holds.
func (o ReadOptions) read(r io.Reader, size int64) (*tensor.Tensor, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrFormat, unexpected(err))
	}
	if string(pre[:6]) != magic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrFormat, pre[:6])
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
	if hlen > maxHeader || (size >= 0 && int64(hlen) > size) {
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
	nb, err := tensor.CheckShape(dt, shape, o.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if size >= 0 && nb > size {
		return nil, fmt.Errorf("%w: %v of %v needs %d data bytes, the file has %d", ErrFormat, shape, dt, nb, size)
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

// short returns a header for an error message, cut to a readable length.
func short(h string) string {
	if len(h) > 200 {
		return h[:200] + "..."
	}
	return h
}

// parseHeader parses the dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func parseHeader(h string) (descr string, fortran bool, shape []int, err error) {
	h = strings.TrimSpace(h)
	if !strings.HasPrefix(h, "{") || !strings.HasSuffix(h, "}") {
		return "", false, nil, fmt.Errorf("%w: header %q", ErrFormat, short(h))
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
			return "", false, nil, fmt.Errorf("%w: header key in %q", ErrFormat, short(h))
		}
		rest = strings.TrimLeft(rest, " ")
		if !strings.HasPrefix(rest, ":") {
			return "", false, nil, fmt.Errorf("%w: header %q", ErrFormat, short(h))
		}
		rest = strings.TrimLeft(rest[1:], " ")
		seen[key] = true
		switch key {
		case "descr":
			v, r, ok := quoted(rest)
			if !ok {
				return "", false, nil, fmt.Errorf("%w: descr in %q", ErrUnsupported, short(h))
			}
			descr, body = v, r
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "False"):
				fortran, body = false, rest[5:]
			case strings.HasPrefix(rest, "True"):
				fortran, body = true, rest[4:]
			default:
				return "", false, nil, fmt.Errorf("%w: fortran_order in %q", ErrFormat, short(h))
			}
		case "shape":
			if !strings.HasPrefix(rest, "(") {
				return "", false, nil, fmt.Errorf("%w: shape in %q", ErrFormat, short(h))
			}
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				return "", false, nil, fmt.Errorf("%w: shape in %q", ErrFormat, short(h))
			}
			shape = []int{}
			for _, f := range strings.Split(rest[1:end], ",") {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				n, err := strconv.Atoi(strings.TrimSuffix(f, "L"))
				if err != nil || n < 0 {
					return "", false, nil, fmt.Errorf("%w: shape in %q", ErrFormat, short(h))
				}
				shape = append(shape, n)
			}
			body = rest[end+1:]
		default:
			return "", false, nil, fmt.Errorf("%w: header key %q", ErrFormat, short(key))
		}
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return "", false, nil, fmt.Errorf("%w: header %q lacks a key", ErrFormat, short(h))
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
