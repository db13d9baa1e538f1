//go:build !amd64 || purego

package layers

import "unsafe"

// The AVX-512 kernels are never called without AVX-512 (hasConv512 is false); these are
// their Go versions so that the package builds.
func convDW9x16(x, dz, acc *float32, npos, xstep, dzstep int, offs *[9]int) {
	convDW9x16Go(unsafe.Pointer(x), unsafe.Pointer(dz), acc, npos, xstep, dzstep, offs)
}

func sumRows16(acc, d *float32, rows, stride int) {
	sumRows16Go(acc, unsafe.Pointer(d), rows, stride)
}

func winArg16(s, m *float32, idx *[16]int32, kh, kw, c, wc int) {
	winArg16Go(unsafe.Pointer(s), m, idx, kh, kw, c, wc)
}
