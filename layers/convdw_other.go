//go:build !amd64 || purego

package layers

import "unsafe"

// convDW9x16 is never called without AVX-512 (hasConv512 is false); it is convDW9x16Go so
// that the package builds.
func convDW9x16(x, dz, acc *float32, npos, xstep, dzstep int, offs *[9]int) {
	convDW9x16Go(unsafe.Pointer(x), unsafe.Pointer(dz), acc, npos, xstep, dzstep, offs)
}
