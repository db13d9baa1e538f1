package layers

import "runtime"

// packedB is op(B) (k×n) packed once into the slivers of a micro-kernel, for products that
// reuse the same B many times (a recurrent kernel at every time step): each product then
// reads B as the contiguous streams the kernel wants, with no packing and no strided reads.
// Layout: slab l0 (kc deep) at data[l0·roundUp(n, nr):], its sliver s at s·nr·kcb, as
// gemmPlan.packB writes them.
type packedB struct {
	kn       *microKernel
	k, n, kc int
	data     []float32
}

// packB packs op(B) (B k×n, or Bᵀ stored n×k when transB; leading dimension ldb) for kernel
// kn, reusing into's storage when it is large enough (into may be nil).
func packBFor(kn *microKernel, into *packedB, transB bool, k, n int, b []float32, ldb int) *packedB {
	if into == nil {
		into = new(packedB)
	}
	kc := max(1, ceilDiv(k, max(1, ceilDiv(k, kn.kc))))
	ncr := roundUp(n, kn.nr)
	size := k * ncr
	if cap(into.data) < size {
		into.data = make([]float32, size)
	}
	*into = packedB{kn: kn, k: k, n: n, kc: kc, data: into.data[:size]}
	if k <= 0 || n <= 0 {
		return into
	}
	if transB {
		_ = b[(n-1)*ldb+k-1]
	} else {
		_ = b[(k-1)*ldb+n-1]
	}
	p := gemmPlan{kn: kn, transB: transB, k: k, n: n, b: b, ldb: ldb}
	for l0 := 0; l0 < k; l0 += kc {
		p.packB(into.data[l0*ncr:], l0, min(kc, k-l0), 0, n, 0, ceilDiv(n, kn.nr))
	}
	return into
}

// gemmPacked computes C = A·B + beta·C for A m×k (row-major, leading dimension lda) and a
// packed B (k×n); C is m×n with leading dimension ldc. Large products are split over the
// worker pool (ranges of B slivers).
func gemmPacked(m int, a []float32, lda int, pb *packedB, beta float32, c []float32, ldc int) {
	n, k, kn := pb.n, pb.k, pb.kn
	if m <= 0 || n <= 0 {
		return
	}
	_ = c[(m-1)*ldc+n-1]
	if beta != 1 {
		for i := range m {
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
	if k <= 0 {
		return
	}
	_ = a[(m-1)*lda+k-1]
	mr, nr := kn.mr, kn.nr
	ncr, mp := roundUp(n, nr), roundUp(m, mr)
	// A is small next to B here (a batch of states): it is packed whole first, slab l0 at
	// ap[mp·l0:], and every chunk then runs all of A against its range of B slivers.
	p := gemmPlan{kn: kn, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, c: c, ldc: ldc, kc: pb.kc}
	slivers := ceilDiv(n, nr)
	chunks := 1
	if runtime.GOMAXPROCS(0) > 1 && m*n*k >= gemmParallelWork {
		chunks = workers(slivers)
	}
	tileSize := mr * nr
	buf := getBuf(mp*k + chunks*tileSize)
	ap, tiles := (*buf)[:mp*k], (*buf)[mp*k:]
	for l0 := 0; l0 < k; l0 += p.kc {
		p.packA(ap[mp*l0:], 0, m, l0, min(p.kc, k-l0))
	}
	run := func(tile []float32, lo, hi int) {
		for l0 := 0; l0 < k; l0 += p.kc {
			kcb := min(p.kc, k-l0)
			as, bs := ap[mp*l0:mp*l0+mp*kcb], pb.data[l0*ncr:]
			for s := lo; s < hi; s++ {
				for ii := 0; ii < m; ii += mr {
					p.micro(as, bs, tile, 0, ii, m, l0, kcb, 0, s, n)
				}
			}
		}
	}
	if chunks == 1 {
		run(tiles, 0, slivers)
	} else {
		parallelFor(slivers, func(w, lo, hi int) { run(tiles[w*tileSize:(w+1)*tileSize], lo, hi) })
	}
	gemmBufs.Put(buf)
}
