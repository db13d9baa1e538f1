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
// op(B) is k×n. With AVX2+FMA it uses kerasgo's own kernel (transposed operands are copied
// to row-major first); otherwise gonum's Sgemm.
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || (hasFMA && alpha == 1) {
		if beta != 1 {
			for i := 0; i < m; i++ {
				row := c[i*ldc : i*ldc+n]
				if beta == 0 {
					clear(row)
				} else {
					for j := range row {
						row[j] *= beta
					}
				}
			}
		}
		if k == 0 {
			return
		}
		if transB {
			b, ldb = transpose(b, ldb, n, k), n
		}
		if transA && !hasFMA {
			a, lda, transA = transpose(a, lda, k, m), k, false
		}
		sgemmN(transA, m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	impl.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// transpose returns the cols×rows transpose of the rows×cols matrix a (leading dimension
// lda) as a dense row-major matrix.
func transpose(a []float32, lda, rows, cols int) []float32 {
	t := make([]float32, rows*cols)
	const blk = 32
	for i0 := 0; i0 < rows; i0 += blk {
		for j0 := 0; j0 < cols; j0 += blk {
			for i := i0; i < min(i0+blk, rows); i++ {
				row := a[i*lda : i*lda+cols]
				for j := j0; j < min(j0+blk, cols); j++ {
					t[j*rows+i] = row[j]
				}
			}
		}
	}
	return t
}

// sgemmN adds op(A)·B to C (op(A) m×k: A, or Aᵀ with A stored k×m; B k×n; row-major).
// The kernel covers 4-row × 8-column blocks; the remaining rows and columns go through the
// kernel on zero-padded copies when they are many, else through plain loops.
func sgemmN(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	m4, n8 := kernel(transA, m, n, k, a, lda, b, ldb, c, ldc)
	aAt := func(i, l int) float32 {
		if transA {
			return a[l*lda+i]
		}
		return a[i*lda+l]
	}
	// Columns [n8, n) of rows [0, m4).
	if n8 < n && m4 > 0 {
		w := n - n8
		if hasFMA && m4 >= 64 {
			bp := make([]float32, k*8)
			for l := 0; l < k; l++ {
				copy(bp[l*8:l*8+w], b[l*ldb+n8:l*ldb+n])
			}
			cp := make([]float32, m4*8)
			for i := 0; i < m4; i++ {
				copy(cp[i*8:i*8+w], c[i*ldc+n8:i*ldc+n])
			}
			kernel(transA, m4, 8, k, a, lda, bp, 8, cp, 8)
			for i := 0; i < m4; i++ {
				copy(c[i*ldc+n8:i*ldc+n], cp[i*8:i*8+w])
			}
		} else {
			for i := 0; i < m4; i++ {
				cr := c[i*ldc+n8 : i*ldc+n]
				for l := 0; l < k; l++ {
					av := aAt(i, l)
					for j := range cr {
						cr[j] += av * b[l*ldb+n8+j]
					}
				}
			}
		}
	}
	// Rows [m4, m), all columns.
	if m4 < m {
		r := m - m4
		if hasFMA && n >= 8 && k >= 64 {
			ap := make([]float32, 4*k) // the remaining rows of op(A), zero-padded to 4
			for i := 0; i < r; i++ {
				for l := 0; l < k; l++ {
					ap[i*k+l] = aAt(m4+i, l)
				}
			}
			cp := make([]float32, 4*n)
			for i := 0; i < r; i++ {
				copy(cp[i*n:(i+1)*n], c[(m4+i)*ldc:(m4+i)*ldc+n])
			}
			sgemmN(false, 4, n, k, ap, k, b, ldb, cp, n)
			for i := 0; i < r; i++ {
				copy(c[(m4+i)*ldc:(m4+i)*ldc+n], cp[i*n:(i+1)*n])
			}
		} else {
			for i := m4; i < m; i++ {
				cr := c[i*ldc : i*ldc+n]
				for l := 0; l < k; l++ {
					av := aAt(i, l)
					if av == 0 {
						continue
					}
					br := b[l*ldb : l*ldb+n]
					for j, bv := range br {
						cr[j] += av * bv
					}
				}
			}
		}
	}
}
