package layers

import (
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// The GEMM core: C = alpha·op(A)·op(B) + beta·C on row-major float32 matrices, in the
// Goto/BLIS arrangement.
//
//	for each nc-column block of B                    (B block: kc×nc, packed, shared by all tasks)
//	  for each kc-deep slab of the product
//	    pack the B block into nr-wide slivers
//	    for each task (an mc-row block of A × a range of B slivers), on the worker pool
//	      pack the A block (alpha folded in) into mr-tall slivers (kc×mc: stays in L2)
//	      for each B sliver (kc×nr: stays in L1), for each A sliver: micro-kernel
//
// The micro-kernel keeps an mr×nr tile of C in registers for the whole slab and reads both
// operands as contiguous streams. Edge tiles (fewer than mr rows or nr columns) run the same
// kernel on zero-padded slivers into a scratch tile that is then added to C. Transposed
// operands cost nothing extra: packing reads them in whichever order they are stored.

// microKernel describes one register-blocked kernel and the cache blocking that suits it.
// Each kernel function adds A·B to the mr×nr tile of C at c (leading dimension ldc, in
// elements) over k steps; B's step l is the nr floats at b + l·sb. full and half (nil when
// there is none) read A's step l as the mr floats at a + l·sa (packed slivers, or Aᵀ in
// place); fullR and halfR read row i of A at a + i·sa (A in place). half and halfR cover
// nr/2 columns, for a narrow last sliver.
type microKernel struct {
	name                     string
	mr, nr                   int
	mc, kc, nc               int // rows of an A block, depth of a slab, columns of a B block
	full, half, fullR, halfR kernelFunc
	small                    *microKernel // for products of at most small.mr rows, or nil
}

type kernelFunc func(k int, a, b, c *float32, ldc, sa, sb int)

// gemmKernel is the fastest kernel this CPU runs, chosen at start-up (see gemmKernels).
var gemmKernel = gemmKernels()[0]

// gemmParallelWork is the size (m·n·k multiply-adds) from which one gemm call is split over
// the worker pool; below it the call runs on the caller's goroutine.
const gemmParallelWork = 1 << 20

// gemmWholeB is the largest packed B (floats) that a parallel call packs whole up front.
const gemmWholeB = 1 << 18

// gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where op(A) is m×k
// (A, or Aᵀ stored k×m, when transA) and op(B) is k×n (B, or Bᵀ stored n×k). Large products
// are split over the worker pool; gemm may be called from inside parallelFor.
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmWith(gemmKernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmWith is gemm with a given micro-kernel (tests run every kernel the CPU has).
func gemmWith(kn *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
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
	if k <= 0 || alpha == 0 {
		return
	}
	if kn.small != nil && m <= kn.small.mr {
		kn = kn.small
	}
	gemmCore(kn, transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
}

// sgemmN adds op(A)·B to C (op(A) m×k: A, or Aᵀ with A stored k×m; B k×n; row-major).
func sgemmN(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	gemmWith(gemmKernel, transA, false, m, n, k, 1, a, lda, b, ldb, 1, c, ldc)
}

// kernel adds op(A)·B to C (op(A) = A, or Aᵀ when transA) for the rows [0, m&^3) and columns
// [0, n&^7) and returns those two bounds; the caller covers the rest.
func kernel(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) (int, int) {
	m4, n8 := m&^3, n&^7
	if m4 == 0 || n8 == 0 || k <= 0 {
		return 0, 0
	}
	gemmWith(gemmKernel, transA, false, m4, n8, k, 1, a, lda, b, ldb, 1, c, ldc)
	return m4, n8
}

// gemmPlan is the blocking of one gemm call.
type gemmPlan struct {
	kn                *microKernel
	transA, transB    bool
	m, n, k           int
	alpha             float32
	a, b, c           []float32
	lda, ldb, ldc     int
	mc, kc, nc        int  // block sizes actually used (mc, nc multiples of mr, nr)
	mBlocks, jChunks  int  // tasks per slab: mBlocks A blocks × jChunks ranges of B slivers
	aStride, tileSize int  // floats per task in the A buffer, and the scratch tile's size
	directA, directB  bool // full slivers read in place instead of packed
	wholeB            bool // B packed whole before the tasks (bSize floats), not per slab
	bSize             int
	// wholeA: A packed whole first (aSize floats, slab by slab, all rows), then each slab is
	// one round on the pool in which a chunk packs a range of B slivers and multiplies all of
	// A by them (see runWholeA).
	wholeA bool
	aSize  int
}

// gemmBufs recycles packing buffers between calls.
var gemmBufs sync.Pool

func getBuf(n int) *[]float32 {
	if p, _ := gemmBufs.Get().(*[]float32); p != nil && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n)
	return &s
}

func gemmCore(kn *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if transA {
		_ = a[(k-1)*lda+m-1]
	} else {
		_ = a[(m-1)*lda+k-1]
	}
	if transB {
		_ = b[(n-1)*ldb+k-1]
	} else {
		_ = b[(k-1)*ldb+n-1]
	}
	p := gemmPlan{kn: kn, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}
	mr, nr := kn.mr, kn.nr
	// Packing pays when a sliver is used many times. With few B slivers (narrow C: a Conv2D's
	// filters, a Dense layer's units) each A sliver is used once or twice, so A is read in
	// place; with few A slivers (a small batch) B is. Scaled A and partial slivers are
	// always packed.
	p.directA = alpha == 1 && n <= 2*nr
	p.directB = !transB && m <= 4*mr
	// Equal slabs and blocks rather than full ones plus a thin remainder.
	p.kc = ceilDiv(k, ceilDiv(k, kn.kc))
	p.nc = roundUp(ceilDiv(n, ceilDiv(n, kn.nc)), nr)
	p.mBlocks = ceilDiv(m, kn.mc)
	p.jChunks = 1
	procs := runtime.GOMAXPROCS(0)
	parallel := procs > 1 && m*n*k >= gemmParallelWork
	if parallel {
		// Aim for chunksPerProc tasks per processor: first more A blocks (down to a few
		// slivers each), then ranges of B slivers.
		want := chunksPerProc * procs
		p.mBlocks = max(p.mBlocks, min(want, ceilDiv(m, 4*mr)))
		slivers := ceilDiv(min(n, p.nc), nr)
		p.jChunks = max(1, min(ceilDiv(want, p.mBlocks), slivers/2))
	}
	p.mc = roundUp(ceilDiv(m, p.mBlocks), mr)
	p.mBlocks = ceilDiv(m, p.mc)
	p.aStride = p.mc * p.kc
	p.tileSize = mr * nr
	tasks := p.mBlocks * p.jChunks
	chunks := 1
	if parallel {
		chunks = workers(tasks)
	}
	// A small B (one block) is packed whole, all slabs at once, so that a parallel call
	// needs two rounds on the pool instead of two per slab.
	p.bSize = p.kc * p.nc
	if parallel && n <= p.nc && k*roundUp(n, nr) <= gemmWholeB {
		p.wholeB, p.bSize = true, k*roundUp(n, nr)
	}
	// A product with many B slivers and a short A (a Dense layer at batch 512) packs A
	// whole when one slab of it fits in half of L2 and all of it in gemmWholeA floats.
	if parallel && !p.wholeB && !p.directA && !p.directB && roundUp(m, mr)*p.kc <= gemmSlabA &&
		roundUp(m, mr)*k <= gemmWholeA && ceilDiv(n, nr) >= 4*procs {
		// Column blocks: each keeps its part of C (m × cols, at most gemmBlockC floats) in
		// L2 across all slabs; a multiple of the pool's chunk count, so that chunks are equal.
		p.wholeA, p.aSize = true, roundUp(m, mr)*k
		mp := roundUp(m, mr)
		w := chunksPerProc * procs
		nb := roundUp(ceilDiv(n, max(nr, gemmBlockC/mp)), w)
		nb = min(nb, ceilDiv(n, nr))
		p.nc = roundUp(ceilDiv(n, nb), nr)
		p.jChunks = ceilDiv(n, p.nc) // column blocks
		p.bSize = p.kc * p.nc * p.jChunks
		chunks = workers(p.jChunks)
		buf := getBuf(p.bSize + p.aSize + chunks*p.tileSize)
		q := new(gemmPlan)
		*q = p
		q.runWholeA(*buf)
		gemmBufs.Put(buf)
		return
	}
	buf := getBuf(p.bSize + chunks*(p.aStride+p.tileSize))
	if parallel {
		q := new(gemmPlan) // the closures below capture it; p stays on the stack
		*q = p
		q.runParallel(*buf)
	} else {
		p.runSerial(*buf)
	}
	gemmBufs.Put(buf)
}

// runSerial carries out the plan on the caller's goroutine with buf as packing space.
func (p *gemmPlan) runSerial(buf []float32) {
	bp, ap := buf[:p.kc*p.nc], buf[p.kc*p.nc:]
	for j0 := 0; j0 < p.n; j0 += p.nc {
		ncb := min(p.nc, p.n-j0)
		for l0 := 0; l0 < p.k; l0 += p.kc {
			kcb := min(p.kc, p.k-l0)
			p.packSlab(bp, l0, kcb, j0, ncb)
			for t := range p.mBlocks * p.jChunks {
				p.task(ap, bp, t, l0, kcb, j0, ncb)
			}
		}
	}
}

// runParallel carries out the plan on the worker pool: for each slab, the B block is
// packed (in parallel when large), then the tasks run, each chunk with its own part of buf.
func (p *gemmPlan) runParallel(buf []float32) {
	nr := p.kn.nr
	bp, ap := buf[:p.bSize], buf[p.bSize:]
	tasks := p.mBlocks * p.jChunks
	if p.wholeB {
		// Slab l0 of B at bp[l0·ncr:]; each task then runs all slabs of its part of C.
		ncr := roundUp(p.n, nr)
		parallelFor(ceilDiv(p.k, p.kc), func(_, lo, hi int) {
			for s := lo; s < hi; s++ {
				l0 := s * p.kc
				p.packSlab(bp[l0*ncr:], l0, min(p.kc, p.k-l0), 0, p.n)
			}
		})
		parallelFor(tasks, func(w, lo, hi int) {
			buf := ap[w*(p.aStride+p.tileSize) : (w+1)*(p.aStride+p.tileSize)]
			for t := lo; t < hi; t++ {
				for l0 := 0; l0 < p.k; l0 += p.kc {
					p.task(buf, bp[l0*ncr:], t, l0, min(p.kc, p.k-l0), 0, p.n)
				}
			}
		})
		return
	}
	for j0 := 0; j0 < p.n; j0 += p.nc {
		ncb := min(p.nc, p.n-j0)
		for l0 := 0; l0 < p.k; l0 += p.kc {
			kcb := min(p.kc, p.k-l0)
			if slivers := ceilDiv(ncb, nr); !p.directB && kcb*ncb >= 1<<16 {
				parallelFor(slivers, func(_, lo, hi int) { p.packB(bp, l0, kcb, j0, ncb, lo, hi) })
			} else {
				p.packSlab(bp, l0, kcb, j0, ncb)
			}
			parallelFor(tasks, func(w, lo, hi int) {
				buf := ap[w*(p.aStride+p.tileSize) : (w+1)*(p.aStride+p.tileSize)]
				for t := lo; t < hi; t++ {
					p.task(buf, bp, t, l0, kcb, j0, ncb)
				}
			})
		}
	}
}

// gemmSlabA and gemmWholeA bound the packed A of the wholeA plan: one slab (floats; 1 MiB,
// half of this machine's L2, which it is read from for every B sliver) and all of it.
const (
	gemmSlabA  = 1 << 18
	gemmWholeA = 1 << 22
	gemmBlockC = 5 << 16 // floats of C one column block of a wholeA plan keeps in L2
)

// runWholeA carries out a wholeA plan on the worker pool. A is packed first, every slab at
// once (slab l0 at ap[mp·l0:], mp = m rounded up to mr), in one round. Then one round whose
// chunks are column blocks of C (p.jChunks blocks of p.nc columns): a block runs every slab,
// packing each of its B slivers and running every A sliver against it while it is in L1,
// so the block of C stays in L2 from the first slab to the last and is read from memory
// once, and the only wait is at the end.
func (p *gemmPlan) runWholeA(buf []float32) {
	mr, nr := p.kn.mr, p.kn.nr
	bp, ap, tiles := buf[:p.bSize], buf[p.bSize:p.bSize+p.aSize], buf[p.bSize+p.aSize:]
	mp := roundUp(p.m, mr)
	aSlivers := mp / mr
	slabs := ceilDiv(p.k, p.kc)
	parallelFor(slabs*aSlivers, func(_, lo, hi int) {
		for lo < hi {
			sl := lo / aSlivers
			s0 := lo % aSlivers
			s1 := min(aSlivers, s0+hi-lo)
			l0 := sl * p.kc
			kcb := min(p.kc, p.k-l0)
			rows := min(s1*mr, p.m) - s0*mr
			p.packA(ap[mp*l0+s0*mr*kcb:], s0*mr, rows, l0, kcb)
			lo += s1 - s0
		}
	})
	parallelFor(p.jChunks, func(w, lo, hi int) {
		tile := tiles[w*p.tileSize : (w+1)*p.tileSize]
		for jb := lo; jb < hi; jb++ {
			j0 := jb * p.nc
			ncb := min(p.nc, p.n-j0)
			bb := bp[jb*p.kc*p.nc : (jb+1)*p.kc*p.nc]
			for l0 := 0; l0 < p.k; l0 += p.kc {
				kcb := min(p.kc, p.k-l0)
				as := ap[mp*l0 : mp*l0+mp*kcb]
				for s := range ceilDiv(ncb, nr) {
					p.packB(bb, l0, kcb, j0, ncb, s, s+1)
					for ii := 0; ii < p.m; ii += mr {
						p.micro(as, bb, tile, 0, ii, p.m, l0, kcb, j0, s, ncb)
					}
				}
			}
		}
	})
}

// packSlab packs the B slivers of a slab that are read packed: all of them, or with
// directB only a partial last one.
func (p *gemmPlan) packSlab(bp []float32, l0, kcb, j0, ncb int) {
	slivers := ceilDiv(ncb, p.kn.nr)
	switch {
	case !p.directB:
		p.packB(bp, l0, kcb, j0, ncb, 0, slivers)
	case ncb%p.kn.nr != 0:
		p.packB(bp, l0, kcb, j0, ncb, slivers-1, slivers)
	}
}

// task multiplies A block t/jChunks of the slab [l0, l0+kcb) by the B slivers of range
// t%jChunks of the B block (columns [j0, j0+ncb) of C), packing the A slivers it reads
// packed into buf first.
func (p *gemmPlan) task(buf, bp []float32, t, l0, kcb, j0, ncb int) {
	kn := p.kn
	mr, nr := kn.mr, kn.nr
	ib, jb := t/p.jChunks, t%p.jChunks
	i0 := ib * p.mc
	mcb := min(p.mc, p.m-i0)
	if mcb <= 0 {
		return
	}
	slivers := ceilDiv(ncb, nr)
	s0, s1 := jb*slivers/p.jChunks, (jb+1)*slivers/p.jChunks
	if s0 == s1 {
		return
	}
	ap, tile := buf[:p.aStride], buf[p.aStride:p.aStride+p.tileSize]
	if !p.directA {
		p.packA(ap, i0, mcb, l0, kcb)
	} else if r := mcb % mr; r != 0 {
		p.packA(ap[(mcb-r)*kcb:], i0+mcb-r, r, l0, kcb)
	}
	// A B sliver (kcb×nr) stays in L1 while the A slivers of the block stream from L2.
	for s := s0; s < s1; s++ {
		for ii := 0; ii < mcb; ii += mr {
			p.micro(ap, bp, tile, i0, ii, mcb, l0, kcb, j0, s, ncb)
		}
	}
}

// micro runs the micro-kernel on A sliver ii of the block at row i0 and B sliver s of the
// block at column j0, straight into C for a full tile, through tile at the edges.
func (p *gemmPlan) micro(ap, bp, tile []float32, i0, ii, mcb, l0, kcb, j0, s, ncb int) {
	kn := p.kn
	mr, nr := kn.mr, kn.nr
	jj := s * nr
	cols := min(nr, ncb-jj)
	half := kn.half != nil && cols <= nr/2
	w := nr
	if half {
		w = nr / 2
	}
	var bptr *float32
	sb := w
	if p.directB && cols == nr {
		bptr, sb = &p.b[l0*p.ldb+j0+jj], p.ldb
	} else {
		bptr = &bp[s*nr*kcb]
	}
	rows := min(mr, mcb-ii)
	kern, aptr, sa := kn.full, &ap[ii*kcb], mr
	if half {
		kern = kn.half
	}
	switch {
	case rows < mr && kn.small != nil && rows <= kn.small.mr && kn.small.nr == nr:
		// A partial sliver (packed, steps mr apart) through the shorter kernel.
		kern = kn.small.full
		if half {
			kern = kn.small.half
		}
	case !p.directA || rows < mr:
	case p.transA:
		aptr, sa = &p.a[l0*p.lda+i0+ii], p.lda
	default:
		kern, aptr, sa = kn.fullR, &p.a[(i0+ii)*p.lda+l0], p.lda
		if half {
			kern = kn.halfR
		}
	}
	ci := (i0+ii)*p.ldc + j0 + jj
	if rows == mr && cols == w {
		kern(kcb, aptr, bptr, &p.c[ci], p.ldc, sa, sb)
		return
	}
	clear(tile)
	kern(kcb, aptr, bptr, &tile[0], nr, sa, sb)
	for i := range rows {
		cr := p.c[ci+i*p.ldc : ci+i*p.ldc+cols]
		for j, v := range tile[i*nr : i*nr+cols] {
			cr[j] += v
		}
	}
}

// packA writes rows [i0, i0+rows) × depth [l0, l0+kcb) of alpha·op(A) into dst as mr-tall
// slivers: sliver s holds, for each l, the mr values of rows s·mr.. (zeros past the edge).
func (p *gemmPlan) packA(dst []float32, i0, rows, l0, kcb int) {
	mr := p.kn.mr
	alpha := p.alpha
	for s := 0; s*mr < rows; s++ {
		d := dst[s*mr*kcb : (s+1)*mr*kcb]
		r := min(mr, rows-s*mr)
		ib := i0 + s*mr
		if p.transA {
			for l := range kcb {
				src := p.a[(l0+l)*p.lda+ib : (l0+l)*p.lda+ib+r]
				dl := d[l*mr : l*mr+mr]
				if alpha == 1 {
					for i, v := range src { // a loop beats a memmove call for mr floats
						dl[i] = v
					}
				} else {
					for i, v := range src {
						dl[i] = alpha * v
					}
				}
				clear(dl[r:])
			}
			continue
		}
		if r < mr {
			clear(d) // the rows past the edge
		}
		// Row i of the sliver goes to d[i], d[i+mr], ...: d holds mr·kcb floats, so every
		// store below is inside it. Blocks of 64 steps keep the stores within L1.
		step := uintptr(4 * mr)
		for lb := 0; lb < kcb; lb += 64 {
			le := min(lb+64, kcb)
			for i := range r {
				src := p.a[(ib+i)*p.lda+l0+lb : (ib+i)*p.lda+l0+le]
				dp := unsafe.Pointer(&d[lb*mr+i])
				if alpha == 1 {
					for l, v := range src {
						*(*float32)(unsafe.Add(dp, uintptr(l)*step)) = v
					}
				} else {
					for l, v := range src {
						*(*float32)(unsafe.Add(dp, uintptr(l)*step)) = alpha * v
					}
				}
			}
		}
	}
}

// packB writes slivers [s0, s1) of depth [l0, l0+kcb) × columns [j0, j0+ncb) of op(B) into
// dst: sliver s starts at s·nr·kcb and holds, for each l, w values (w = nr, or nr/2 for a
// narrow last sliver when the kernel has a half-width variant; zeros past the edge).
func (p *gemmPlan) packB(dst []float32, l0, kcb, j0, ncb, s0, s1 int) {
	nr := p.kn.nr
	for s := s0; s < s1; s++ {
		jj := s * nr
		cols := min(nr, ncb-jj)
		w := nr
		if p.kn.half != nil && cols <= nr/2 {
			w = nr / 2
		}
		d := dst[s*nr*kcb : s*nr*kcb+w*kcb]
		jb := j0 + jj
		if p.transB {
			for j := range cols {
				src := p.b[(jb+j)*p.ldb+l0 : (jb+j)*p.ldb+l0+kcb]
				for l, v := range src {
					d[l*w+j] = v
				}
			}
			if cols < w {
				for l := range kcb {
					clear(d[l*w+cols : l*w+w])
				}
			}
			continue
		}
		for l := range kcb {
			dl := d[l*w : l*w+w]
			copy(dl, p.b[(l0+l)*p.ldb+jb:(l0+l)*p.ldb+jb+cols])
			clear(dl[cols:])
		}
	}
}

// genericKernel4x4 is the portable micro-kernel: a 4×4 tile of C in 16 local variables;
// element (i, l) of A is at a + i·rs + l·ss, B's step l at b + l·sb. The caller guarantees
// that every element read exists; the loop addresses them with unsafe.Add (never past the
// last one) so that it has no bounds checks.
func genericKernel4x4(k int, a, b, c *float32, ldc, rs, ss, sb int) {
	ap0 := unsafe.Pointer(a)
	ap1, ap2, ap3 := unsafe.Add(ap0, 4*rs), unsafe.Add(ap0, 8*rs), unsafe.Add(ap0, 12*rs)
	bp := unsafe.Pointer(b)
	as, bs := uintptr(4*ss), uintptr(4*sb)
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	for l := range uintptr(k) {
		bv := (*[4]float32)(unsafe.Add(bp, l*bs))
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		a0 := *(*float32)(unsafe.Add(ap0, l*as))
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := *(*float32)(unsafe.Add(ap1, l*as))
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := *(*float32)(unsafe.Add(ap2, l*as))
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := *(*float32)(unsafe.Add(ap3, l*as))
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs := unsafe.Slice(c, 3*ldc+4)
	r := cs[0:4:4]
	r[0] += c00
	r[1] += c01
	r[2] += c02
	r[3] += c03
	r = cs[ldc : ldc+4 : ldc+4]
	r[0] += c10
	r[1] += c11
	r[2] += c12
	r[3] += c13
	r = cs[2*ldc : 2*ldc+4 : 2*ldc+4]
	r[0] += c20
	r[1] += c21
	r[2] += c22
	r[3] += c23
	r = cs[3*ldc : 3*ldc+4 : 3*ldc+4]
	r[0] += c30
	r[1] += c31
	r[2] += c32
	r[3] += c33
}

func genericKernelS(k int, a, b, c *float32, ldc, sa, sb int) {
	genericKernel4x4(k, a, b, c, ldc, 1, sa, sb)
}

func genericKernelR(k int, a, b, c *float32, ldc, sa, sb int) {
	genericKernel4x4(k, a, b, c, ldc, sa, 1, sb)
}

// genericKernel is the portable kernel, used where no assembly kernel runs (other
// architectures, the purego build tag, CPUs without AVX2/FMA).
var genericKernel = &microKernel{name: "go4x4", mr: 4, nr: 4, mc: 128, kc: 256, nc: 512, full: genericKernelS, fullR: genericKernelR}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// preferKernel moves the kernel whose name starts with prefix to the front of ks.
func preferKernel(ks []*microKernel, prefix string) []*microKernel {
	if prefix == "" {
		return ks
	}
	for i, kn := range ks {
		if strings.HasPrefix(kn.name, prefix) {
			out := append([]*microKernel{kn}, ks[:i]...)
			return append(out, ks[i+1:]...)
		}
	}
	return ks
}
