//go:build amd64 && !purego

package layers

import "unsafe"

//go:noescape
func kern4x16(k, lda, ldb, ldc int, a, b, c *float32)

//go:noescape
func kern4x8(k, lda, ldb, ldc int, a, b, c *float32)

//go:noescape
func kern4x16TN(k, lda, ldb, ldc int, a, b, c *float32)

//go:noescape
func kern4x8TN(k, lda, ldb, ldc int, a, b, c *float32)

//go:noescape
func kern4x16seg(nseg, seglen, segstride, lda, ldb, ldc int, a, b, c *float32)

//go:noescape
func kern4x8seg(nseg, seglen, segstride, lda, ldb, ldc int, a, b, c *float32)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// hasFMA reports AVX2 + FMA with OS support for the YMM state.
var hasFMA = detectFMA()

func detectFMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&fma == 0 || ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

// kernel adds op(A)·B to C (op(A) = A, or Aᵀ when transA) for the part of C covered by
// 4-row, 16- and 8-column blocks and returns the number of rows (a multiple of 4) and columns
// (a multiple of 8) it covered.
func kernel(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) (int, int) {
	if !hasFMA || k == 0 {
		return 0, 0
	}
	m4 := m &^ 3
	n16 := n &^ 15
	n8 := n &^ 7
	if m4 == 0 || n8 == 0 {
		return 0, 0
	}
	// Bounds: the last element touched in each operand must exist.
	if transA {
		_ = a[(k-1)*lda+m4-1]
	} else {
		_ = a[(m4-1)*lda+k-1]
	}
	_ = b[(k-1)*ldb+n8-1]
	_ = c[(m4-1)*ldc+n8-1]
	pa := unsafe.Pointer(unsafe.SliceData(a))
	pb := unsafe.Pointer(unsafe.SliceData(b))
	pc := unsafe.Pointer(unsafe.SliceData(c))
	k16, k8 := kern4x16, kern4x8
	step := lda
	if transA {
		k16, k8, step = kern4x16TN, kern4x8TN, 1
	}
	for i := 0; i < m4; i += 4 {
		ai := (*float32)(unsafe.Add(pa, 4*i*step))
		ci := i * ldc
		for j := 0; j < n16; j += 16 {
			k16(k, lda, ldb, ldc, ai, (*float32)(unsafe.Add(pb, 4*j)), (*float32)(unsafe.Add(pc, 4*(ci+j))))
		}
		if n8 > n16 {
			k8(k, lda, ldb, ldc, ai, (*float32)(unsafe.Add(pb, 4*n16)), (*float32)(unsafe.Add(pc, 4*(ci+n16))))
		}
	}
	return m4, n8
}

// hasDirectConv reports whether convRowBlocks can run.
const hasDirectConvKernel = true

// convBlock adds to the 4×n block of C at c (leading dimension ldc) the product of 4
// implicit im2col rows and B (K×n, ldb): row r of A reads nseg segments of seglen floats at
// x[xoff + r*lda + s*segstride]. n must be a multiple of 8. The caller guarantees that every
// element read exists (the window lies inside the image).
func convBlock(nseg, seglen, segstride, lda int, x []float32, xoff int, b []float32, ldb, n int, c []float32, coff, ldc int) {
	last := xoff + 3*lda + (nseg-1)*segstride + seglen - 1
	_ = x[last]
	_ = b[(nseg*seglen-1)*ldb+n-1]
	_ = c[coff+3*ldc+n-1]
	pa := (*float32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(x)), 4*xoff))
	pb := unsafe.Pointer(unsafe.SliceData(b))
	pc := unsafe.Pointer(unsafe.SliceData(c))
	j := 0
	for ; j+16 <= n; j += 16 {
		kern4x16seg(nseg, seglen, segstride, lda, ldb, ldc, pa, (*float32)(unsafe.Add(pb, 4*j)), (*float32)(unsafe.Add(pc, 4*(coff+j))))
	}
	if j < n {
		kern4x8seg(nseg, seglen, segstride, lda, ldb, ldc, pa, (*float32)(unsafe.Add(pb, 4*j)), (*float32)(unsafe.Add(pc, 4*(coff+j))))
	}
}
