package layers

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

var impl gonum.Implementation

// parallelFor splits [0, n) into at most GOMAXPROCS contiguous chunks and runs fn on each in
// its own goroutine. worker is the chunk index, in [0, workers(n)).
func parallelFor(n int, fn func(worker, lo, hi int)) {
	w := workers(n)
	if w <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < w; i++ {
		lo, hi := i*n/w, (i+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i, lo, hi)
		}()
	}
	wg.Wait()
}

// workers is the number of chunks parallelFor uses for n items.
func workers(n int) int {
	return max(min(runtime.GOMAXPROCS(0), n), 1)
}

// gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where op(A) is m×k and
// op(B) is k×n.
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	if k == 0 {
		// BLAS would leave C scaled by beta; do the same without calling it with k = 0.
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
		return
	}
	impl.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
