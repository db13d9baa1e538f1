//go:build amd64 && !purego

package layers

import "unsafe"

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
