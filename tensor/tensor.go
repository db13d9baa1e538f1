// Package tensor holds the one tensor type used at every kerasgo boundary: a dtype numbered as
// TensorFlow's DataType enum, a shape, and row-major (C order) data.
//
// Storage is typed: a float32 tensor keeps a []float32, an int64 tensor a []int64, and so on.
// float16 and bfloat16 keep their raw 16-bit patterns in a []uint16; strings keep [][]byte.
// Sizes declared by files are checked with CheckShape before anything is allocated.
package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/kerasgo/kerasgo/internal/errcat"
)

// DType is a tensor element type, numbered as TensorFlow's DataType enum (types.proto).
type DType int32

// The dtypes kerasgo handles. The values are part of the TF file formats.
const (
	Invalid    DType = 0
	Float32    DType = 1
	Float64    DType = 2
	Int32      DType = 3
	Uint8      DType = 4
	Int16      DType = 5
	Int8       DType = 6
	String     DType = 7
	Complex64  DType = 8
	Int64      DType = 9
	Bool       DType = 10
	BFloat16   DType = 14
	Uint16     DType = 17
	Complex128 DType = 18
	Float16    DType = 19
	Uint32     DType = 22
	Uint64     DType = 23
)

var dtypeNames = map[DType]string{
	Float32: "float32", Float64: "float64", Int32: "int32", Uint8: "uint8", Int16: "int16",
	Int8: "int8", String: "string", Complex64: "complex64", Int64: "int64", Bool: "bool",
	BFloat16: "bfloat16", Uint16: "uint16", Complex128: "complex128", Float16: "float16",
	Uint32: "uint32", Uint64: "uint64",
}

var dtypeSizes = map[DType]int{
	Float32: 4, Float64: 8, Int32: 4, Uint8: 1, Int16: 2, Int8: 1, Complex64: 8, Int64: 8,
	Bool: 1, BFloat16: 2, Uint16: 2, Complex128: 16, Float16: 2, Uint32: 4, Uint64: 8,
}

// String returns the NumPy/Keras name of the dtype ("float32"), or "dtype(N)" if unknown.
func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", int32(d))
}

// Size returns the size in bytes of one element, or 0 for String and unknown dtypes.
func (d DType) Size() int { return dtypeSizes[d] }

// Valid reports whether d is one of the dtypes listed above.
func (d DType) Valid() bool { _, ok := dtypeNames[d]; return ok }

// ParseDType maps a Keras/NumPy dtype name ("float32", "int64", "bfloat16", ...) to a DType.
func ParseDType(name string) (DType, error) {
	for d, s := range dtypeNames {
		if s == name {
			return d, nil
		}
	}
	if name == "half" {
		return Float16, nil
	}
	return Invalid, fmt.Errorf("%w: dtype %q", ErrUnsupported, name)
}

var (
	// ErrShape reports a shape that is negative, overflows, or exceeds a limit.
	ErrShape = errcat.New("tensor: invalid shape", errcat.ErrFormat)
	// ErrUnsupported reports a dtype kerasgo does not handle.
	ErrUnsupported = errcat.New("tensor: unsupported", errcat.ErrUnsupported)
)

// MaxRank is the largest rank accepted from files.
const MaxRank = 32

// DefaultMaxBytes is the default limit on one tensor's payload read from a file (8 GiB).
const DefaultMaxBytes int64 = 8 << 30

// NumElements returns the product of shape's dims (1 for a scalar), or an error if a dim is
// negative, the rank exceeds MaxRank, or the product overflows int64.
func NumElements(shape []int) (int64, error) {
	if len(shape) > MaxRank {
		return 0, fmt.Errorf("%w: rank %d exceeds %d", ErrShape, len(shape), MaxRank)
	}
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dimension in %v", ErrShape, shape)
		}
		if d != 0 && n > math.MaxInt64/int64(d) {
			return 0, fmt.Errorf("%w: %v overflows", ErrShape, shape)
		}
		n *= int64(d)
	}
	return n, nil
}

// CheckShape validates a shape declared by a file for dtype d and returns the payload size in
// bytes. maxBytes <= 0 means DefaultMaxBytes. For String the element count is checked against
// maxBytes (each string takes at least one byte).
func CheckShape(d DType, shape []int, maxBytes int64) (int64, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	n, err := NumElements(shape)
	if err != nil {
		return 0, err
	}
	if !d.Valid() {
		return 0, fmt.Errorf("%w: %v", ErrUnsupported, d)
	}
	sz := int64(d.Size())
	if d == String {
		sz = 1
	}
	if sz > 0 && n > maxBytes/sz {
		return 0, fmt.Errorf("%w: %v of %v (%d elements) is over the %d-byte limit", ErrShape, shape, d, n, maxBytes)
	}
	return n * int64(d.Size()), nil
}

// Tensor is a dense row-major tensor. Data holds one of: []float32, []float64, []int32,
// []int64, []uint8, []int8, []int16, []uint16 (also float16 and bfloat16 bit patterns), []uint32,
// []uint64, []bool, [][]byte (String), []complex64, []complex128.
type Tensor struct {
	DType DType
	Shape []int
	Data  any
}

// New allocates a zeroed tensor after checking the shape against DefaultMaxBytes.
func New(d DType, shape []int) (*Tensor, error) {
	if _, err := CheckShape(d, shape, 0); err != nil {
		return nil, err
	}
	n, _ := NumElements(shape)
	t := &Tensor{DType: d, Shape: append([]int(nil), shape...)}
	switch d {
	case Float32:
		t.Data = make([]float32, n)
	case Float64:
		t.Data = make([]float64, n)
	case Int32:
		t.Data = make([]int32, n)
	case Int64:
		t.Data = make([]int64, n)
	case Uint8:
		t.Data = make([]uint8, n)
	case Int8:
		t.Data = make([]int8, n)
	case Int16:
		t.Data = make([]int16, n)
	case Uint16, Float16, BFloat16:
		t.Data = make([]uint16, n)
	case Uint32:
		t.Data = make([]uint32, n)
	case Uint64:
		t.Data = make([]uint64, n)
	case Bool:
		t.Data = make([]bool, n)
	case String:
		t.Data = make([][]byte, n)
	case Complex64:
		t.Data = make([]complex64, n)
	case Complex128:
		t.Data = make([]complex128, n)
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, d)
	}
	return t, nil
}

// Zeros returns a float32 tensor of the given shape filled with zeros: the usual way to make
// an input to fill in place, e.g. Zeros(1, 32, 32, 3) for one 32×32 RGB image. Like make, it
// panics on a negative dimension or a shape over DefaultMaxBytes (programmer errors); use New
// for shapes that come from input.
func Zeros(shape ...int) *Tensor {
	t, err := New(Float32, shape)
	if err != nil {
		panic("tensor.Zeros: " + err.Error())
	}
	return t
}

// FromFloat32 wraps data (not copied) as a float32 tensor of the given shape. It returns an
// error wrapping ErrShape if the shape is invalid or does not hold exactly len(data) values.
func FromFloat32(shape []int, data []float32) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != int64(len(data)) {
		return nil, fmt.Errorf("%w: %v holds %d values, have %d", ErrShape, shape, n, len(data))
	}
	return &Tensor{DType: Float32, Shape: append([]int(nil), shape...), Data: data}, nil
}

// MustFromFloat32 is FromFloat32 for sizes known to be right (literals, computed shapes): it
// panics where FromFloat32 returns an error.
func MustFromFloat32(shape []int, data []float32) *Tensor {
	t, err := FromFloat32(shape, data)
	if err != nil {
		panic("tensor.MustFromFloat32: " + err.Error())
	}
	return t
}

// Scalar returns a rank-0 tensor holding v, whose Go type picks the dtype
// (float32, float64, int32, int64, bool).
func Scalar(v any) *Tensor {
	switch x := v.(type) {
	case float32:
		return &Tensor{DType: Float32, Shape: []int{}, Data: []float32{x}}
	case float64:
		return &Tensor{DType: Float64, Shape: []int{}, Data: []float64{x}}
	case int32:
		return &Tensor{DType: Int32, Shape: []int{}, Data: []int32{x}}
	case int64:
		return &Tensor{DType: Int64, Shape: []int{}, Data: []int64{x}}
	case bool:
		return &Tensor{DType: Bool, Shape: []int{}, Data: []bool{x}}
	}
	panic(fmt.Sprintf("tensor.Scalar: unsupported type %T", v))
}

// Len returns the number of elements.
func (t *Tensor) Len() int {
	n, _ := NumElements(t.Shape)
	return int(n)
}

// Float32s returns the float32 data (not copied), for a tensor known to be float32 (such as
// model.Predict's output). It panics on another dtype; AsFloat32 is the form that does not.
func (t *Tensor) Float32s() []float32 {
	if t.DType != Float32 {
		panic(fmt.Sprintf("tensor: Float32s on %v tensor", t.DType))
	}
	return t.Data.([]float32)
}

// AsFloat32 returns the elements as float32 without panicking: the data itself (not copied)
// for a float32 tensor, a converted copy for another real dtype (as ToFloat32 converts), and
// an error wrapping ErrUnsupported for the others (string, bool, complex) or a tensor whose
// Data does not match its DType and Shape.
func (t *Tensor) AsFloat32() ([]float32, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: AsFloat32 on a nil tensor", ErrUnsupported)
	}
	if x, ok := t.Data.([]float32); ok && t.DType == Float32 {
		if n, err := NumElements(t.Shape); err != nil || n != int64(len(x)) {
			return nil, fmt.Errorf("%w: float32 tensor of shape %v holds %d values", ErrShape, t.Shape, len(x))
		}
		return x, nil
	}
	c, err := t.ToFloat32()
	if err != nil {
		return nil, err
	}
	return c.Data.([]float32), nil
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{DType: t.DType, Shape: append([]int(nil), t.Shape...)}
	switch x := t.Data.(type) {
	case []float32:
		c.Data = append([]float32(nil), x...)
	case []float64:
		c.Data = append([]float64(nil), x...)
	case []int32:
		c.Data = append([]int32(nil), x...)
	case []int64:
		c.Data = append([]int64(nil), x...)
	case []uint8:
		c.Data = append([]uint8(nil), x...)
	case []int8:
		c.Data = append([]int8(nil), x...)
	case []int16:
		c.Data = append([]int16(nil), x...)
	case []uint16:
		c.Data = append([]uint16(nil), x...)
	case []uint32:
		c.Data = append([]uint32(nil), x...)
	case []uint64:
		c.Data = append([]uint64(nil), x...)
	case []bool:
		c.Data = append([]bool(nil), x...)
	case []complex64:
		c.Data = append([]complex64(nil), x...)
	case []complex128:
		c.Data = append([]complex128(nil), x...)
	case [][]byte:
		s := make([][]byte, len(x))
		for i, b := range x {
			s[i] = append([]byte(nil), b...)
		}
		c.Data = s
	}
	return c
}

// ShapeString spells a shape as Keras prints it, a Python tuple with None for an unknown
// (negative) dimension: (None, 32, 32, 3), (3, 3, 3, 16), (10,), (). Every kerasgo error and
// listing that shows a shape uses it.
func ShapeString(shape []int) string {
	b := []byte{'('}
	for i, d := range shape {
		if i > 0 {
			b = append(b, ", "...)
		}
		if d < 0 {
			b = append(b, "None"...)
		} else {
			b = strconv.AppendInt(b, int64(d), 10)
		}
	}
	if len(shape) == 1 {
		b = append(b, ',')
	}
	return string(append(b, ')'))
}

// SameShape reports whether a and b have equal shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// AppendBytes appends the little-endian encoding of a numeric tensor's data to dst.
// It returns an error for String tensors.
func (t *Tensor) AppendBytes(dst []byte) ([]byte, error) {
	le := binary.LittleEndian
	switch x := t.Data.(type) {
	case []float32:
		for _, v := range x {
			dst = le.AppendUint32(dst, math.Float32bits(v))
		}
	case []float64:
		for _, v := range x {
			dst = le.AppendUint64(dst, math.Float64bits(v))
		}
	case []int32:
		for _, v := range x {
			dst = le.AppendUint32(dst, uint32(v))
		}
	case []int64:
		for _, v := range x {
			dst = le.AppendUint64(dst, uint64(v))
		}
	case []uint8:
		dst = append(dst, x...)
	case []int8:
		for _, v := range x {
			dst = append(dst, byte(v))
		}
	case []int16:
		for _, v := range x {
			dst = le.AppendUint16(dst, uint16(v))
		}
	case []uint16:
		for _, v := range x {
			dst = le.AppendUint16(dst, v)
		}
	case []uint32:
		for _, v := range x {
			dst = le.AppendUint32(dst, v)
		}
	case []uint64:
		for _, v := range x {
			dst = le.AppendUint64(dst, v)
		}
	case []bool:
		for _, v := range x {
			b := byte(0)
			if v {
				b = 1
			}
			dst = append(dst, b)
		}
	case []complex64:
		for _, v := range x {
			dst = le.AppendUint32(dst, math.Float32bits(real(v)))
			dst = le.AppendUint32(dst, math.Float32bits(imag(v)))
		}
	case []complex128:
		for _, v := range x {
			dst = le.AppendUint64(dst, math.Float64bits(real(v)))
			dst = le.AppendUint64(dst, math.Float64bits(imag(v)))
		}
	default:
		return dst, fmt.Errorf("%w: raw bytes of %v tensor", ErrUnsupported, t.DType)
	}
	return dst, nil
}

// FromBytes decodes a little-endian payload for a numeric dtype. The payload length must be
// exactly elements*size; the shape is checked before allocating.
func FromBytes(d DType, shape []int, b []byte) (*Tensor, error) {
	if d == String {
		return nil, fmt.Errorf("%w: FromBytes on string tensor", ErrUnsupported)
	}
	nb, err := CheckShape(d, shape, 0)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != nb {
		return nil, fmt.Errorf("%w: %v of %v needs %d bytes, have %d", ErrShape, shape, d, nb, len(b))
	}
	t, err := New(d, shape)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	switch x := t.Data.(type) {
	case []float32:
		for i := range x {
			x[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case []float64:
		for i := range x {
			x[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
	case []int32:
		for i := range x {
			x[i] = int32(le.Uint32(b[4*i:]))
		}
	case []int64:
		for i := range x {
			x[i] = int64(le.Uint64(b[8*i:]))
		}
	case []uint8:
		copy(x, b)
	case []int8:
		for i := range x {
			x[i] = int8(b[i])
		}
	case []int16:
		for i := range x {
			x[i] = int16(le.Uint16(b[2*i:]))
		}
	case []uint16:
		for i := range x {
			x[i] = le.Uint16(b[2*i:])
		}
	case []uint32:
		for i := range x {
			x[i] = le.Uint32(b[4*i:])
		}
	case []uint64:
		for i := range x {
			x[i] = le.Uint64(b[8*i:])
		}
	case []bool:
		for i := range x {
			x[i] = b[i] != 0
		}
	case []complex64:
		for i := range x {
			x[i] = complex(math.Float32frombits(le.Uint32(b[8*i:])), math.Float32frombits(le.Uint32(b[8*i+4:])))
		}
	case []complex128:
		for i := range x {
			x[i] = complex(math.Float64frombits(le.Uint64(b[16*i:])), math.Float64frombits(le.Uint64(b[16*i+8:])))
		}
	}
	return t, nil
}

// ToFloat32 converts any real numeric tensor (including float16 and bfloat16) to a new
// float32 tensor (always a copy). Other dtypes, and a tensor whose Data does not match its
// DType and Shape, give an error.
func (t *Tensor) ToFloat32() (*Tensor, error) {
	n, err := NumElements(t.Shape)
	if err != nil {
		return nil, err
	}
	if l, ok := dataLen(t.Data); !ok || int64(l) != n || dataDType(t.Data, t.DType) != t.DType {
		return nil, fmt.Errorf("%w: %v tensor of shape %v holds %T of %d values", ErrShape, t.DType, t.Shape, t.Data, l)
	}
	out := make([]float32, n)
	switch x := t.Data.(type) {
	case []float32:
		copy(out, x)
	case []float64:
		for i, v := range x {
			out[i] = float32(v)
		}
	case []int32:
		for i, v := range x {
			out[i] = float32(v)
		}
	case []int64:
		for i, v := range x {
			out[i] = float32(v)
		}
	case []uint8:
		for i, v := range x {
			out[i] = float32(v)
		}
	case []int8:
		for i, v := range x {
			out[i] = float32(v)
		}
	case []int16:
		for i, v := range x {
			out[i] = float32(v)
		}
	case []uint32:
		for i, v := range x {
			out[i] = float32(v)
		}
	case []uint64:
		for i, v := range x {
			out[i] = float32(v)
		}
	case []uint16:
		switch t.DType {
		case Float16:
			for i, v := range x {
				out[i] = Float16ToFloat32(v)
			}
		case BFloat16:
			for i, v := range x {
				out[i] = math.Float32frombits(uint32(v) << 16)
			}
		default:
			for i, v := range x {
				out[i] = float32(v)
			}
		}
	default:
		return nil, fmt.Errorf("%w: convert %v to float32", ErrUnsupported, t.DType)
	}
	return &Tensor{DType: Float32, Shape: append([]int(nil), t.Shape...), Data: out}, nil
}

// dataLen returns the length of a Data slice, and false for a type Tensor does not hold.
func dataLen(data any) (int, bool) {
	switch x := data.(type) {
	case []float32:
		return len(x), true
	case []float64:
		return len(x), true
	case []int32:
		return len(x), true
	case []int64:
		return len(x), true
	case []uint8:
		return len(x), true
	case []int8:
		return len(x), true
	case []int16:
		return len(x), true
	case []uint16:
		return len(x), true
	case []uint32:
		return len(x), true
	case []uint64:
		return len(x), true
	case []bool:
		return len(x), true
	case [][]byte:
		return len(x), true
	case []complex64:
		return len(x), true
	case []complex128:
		return len(x), true
	}
	return 0, false
}

// dataDType returns the dtype a Data slice holds; for []uint16, which holds uint16, float16
// and bfloat16, it returns d when d is one of those.
func dataDType(data any, d DType) DType {
	switch data.(type) {
	case []float32:
		return Float32
	case []float64:
		return Float64
	case []int32:
		return Int32
	case []int64:
		return Int64
	case []uint8:
		return Uint8
	case []int8:
		return Int8
	case []int16:
		return Int16
	case []uint16:
		if d == Float16 || d == BFloat16 {
			return d
		}
		return Uint16
	case []uint32:
		return Uint32
	case []uint64:
		return Uint64
	case []bool:
		return Bool
	case [][]byte:
		return String
	case []complex64:
		return Complex64
	case []complex128:
		return Complex128
	}
	return Invalid
}

// Float16ToFloat32 converts IEEE 754 half-precision bits to float32.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		for mant&0x400 == 0 {
			mant <<= 1
			exp--
		}
		exp++
		mant &= 0x3ff
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}
