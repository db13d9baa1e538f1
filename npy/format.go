package npy

import "github.com/kerasgo/kerasgo/tensor"

// magic starts every .npy file, followed by the major and minor version bytes.
const magic = "\x93NUMPY"

// maxHeader bounds the header length accepted on read (NumPy itself limits it to 10 KB by
// default since 1.24; older writers padded wider headers).
const maxHeader = 1 << 20

// descrs maps a 'descr' without its byte-order character to the tensor dtype.
var descrs = map[string]tensor.DType{
	"f4": tensor.Float32, "f8": tensor.Float64, "f2": tensor.Float16, "i4": tensor.Int32,
	"i8": tensor.Int64, "u1": tensor.Uint8, "i1": tensor.Int8, "i2": tensor.Int16,
	"u2": tensor.Uint16, "u4": tensor.Uint32, "u8": tensor.Uint64, "b1": tensor.Bool,
	"c8": tensor.Complex64, "c16": tensor.Complex128,
}
