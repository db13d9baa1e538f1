package checkpoint

import (
	"encoding/binary"
	"unsafe"

	"github.com/kerasgo/kerasgo/tensor"
)

// littleEndianHost reports whether the machine stores numbers as the bundle format does, so
// that tensor memory can be written and read without conversion.
var littleEndianHost = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// rawView returns the memory of a numeric tensor's data as bytes, without copying, when the
// host is little-endian. It returns nil for String and Bool tensors (bool memory must hold
// only 0 or 1, which file data cannot be trusted to) and on big-endian hosts.
func rawView(t *tensor.Tensor) []byte {
	if !littleEndianHost {
		return nil
	}
	switch x := t.Data.(type) {
	case []float32:
		return asBytes(x)
	case []float64:
		return asBytes(x)
	case []int32:
		return asBytes(x)
	case []int64:
		return asBytes(x)
	case []uint8:
		return x
	case []int8:
		return asBytes(x)
	case []int16:
		return asBytes(x)
	case []uint16:
		return asBytes(x)
	case []uint32:
		return asBytes(x)
	case []uint64:
		return asBytes(x)
	case []complex64:
		return asBytes(x)
	case []complex128:
		return asBytes(x)
	}
	return nil
}

func asBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z)))
}
