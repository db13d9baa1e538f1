//go:build !amd64 || purego

package layers

const hasFMA = false

func kernel(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) (int, int) {
	return 0, 0
}

const hasDirectConvKernel = false

func convBlock(nseg, seglen, segstride, lda int, x []float32, xoff int, b []float32, ldb, n int, c []float32, coff, ldc int) {
	panic("layers: convBlock without the amd64 kernel")
}
