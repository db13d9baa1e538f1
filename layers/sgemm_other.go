//go:build !amd64 || purego

package layers

import "os"

const hasFMA = false

const hasDirectConvKernel = false

func convBlock(nseg, seglen, segstride, lda int, x []float32, xoff int, b []float32, ldb, n int, c []float32, coff, ldc int) {
	panic("layers: convBlock without the amd64 kernel")
}

// gemmKernels lists the micro-kernels this CPU runs: the portable one.
func gemmKernels() []*microKernel {
	return preferKernel([]*microKernel{genericKernel}, os.Getenv("KERASGO_GEMM"))
}
