//go:build amd64 && !purego

package layers

import "os"

//go:generate sh -c "python3 ../scripts/gen_gemm_amd64.py > gemm_amd64.s"

//go:noescape
func kernAVX2x6x16S(k int, a, b, c *float32, ldc, sa, sb int)

//go:noescape
func kernAVX2x6x16R(k int, a, b, c *float32, ldc, sa, sb int)

//go:noescape
func kernAVX2x6x8S(k int, a, b, c *float32, ldc, sa, sb int)

//go:noescape
func kernAVX2x6x8R(k int, a, b, c *float32, ldc, sa, sb int)

//go:noescape
func kernAVX512x12x32S(k int, a, b, c *float32, ldc, sa, sb int)

//go:noescape
func kernAVX512x12x32R(k int, a, b, c *float32, ldc, sa, sb int)

//go:noescape
func kernAVX512x12x16S(k int, a, b, c *float32, ldc, sa, sb int)

//go:noescape
func kernAVX512x4x32S(k int, a, b, c *float32, ldc, sa, sb int)

//go:noescape
func kernAVX512x4x32R(k int, a, b, c *float32, ldc, sa, sb int)

//go:noescape
func kernAVX512x4x16S(k int, a, b, c *float32, ldc, sa, sb int)

//go:noescape
func kernAVX512x4x16R(k int, a, b, c *float32, ldc, sa, sb int)

//go:noescape
func kernAVX512x12x16R(k int, a, b, c *float32, ldc, sa, sb int)

// hasAVX512 reports AVX-512F with OS support for the ZMM state.
var hasAVX512 = detectAVX512()

func detectAVX512() bool {
	if !hasFMA {
		return false
	}
	// XMM, YMM, opmask, ZMM0-15 upper halves, ZMM16-31.
	if xcr0, _ := xgetbv(); xcr0&0xe6 != 0xe6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<16) != 0 // AVX512F
}

var (
	// avx512Kernel keeps a 12×32 tile in 24 of the 32 ZMM registers. Blocking for a core
	// with 48 KiB L1d and 2 MiB L2: a B sliver (kc×32) is 32 KiB at kc=256, an A block
	// (mc×kc) 384 KiB, a B block (kc×nc) 2 MiB shared by both cores.
	avx512Kernel = &microKernel{name: "avx512-12x32", mr: 12, nr: 32, mc: 384, kc: 256, nc: 2048,
		full: kernAVX512x12x32S, half: kernAVX512x12x16S, fullR: kernAVX512x12x32R, halfR: kernAVX512x12x16R,
		small: avx512Small}
	// avx512Small serves products of at most 4 rows (a small batch), which would leave most
	// of the 12×32 tile idle.
	avx512Small = &microKernel{name: "avx512-4x32", mr: 4, nr: 32, mc: 384, kc: 256, nc: 2048,
		full: kernAVX512x4x32S, half: kernAVX512x4x16S, fullR: kernAVX512x4x32R, halfR: kernAVX512x4x16R}
	// avx2Kernel keeps a 6×16 tile in 12 of the 16 YMM registers.
	avx2Kernel = &microKernel{name: "avx2-6x16", mr: 6, nr: 16, mc: 192, kc: 256, nc: 2048,
		full: kernAVX2x6x16S, half: kernAVX2x6x8S, fullR: kernAVX2x6x16R, halfR: kernAVX2x6x8R}
)

// gemmKernels lists the micro-kernels this CPU runs, fastest first. KERASGO_GEMM=avx2 or
// KERASGO_GEMM=go puts that kernel first (for comparisons and for tests).
func gemmKernels() []*microKernel {
	var ks []*microKernel
	if hasAVX512 {
		ks = append(ks, avx512Kernel, avx512Small)
	}
	if hasFMA {
		ks = append(ks, avx2Kernel)
	}
	ks = append(ks, genericKernel)
	return preferKernel(ks, os.Getenv("KERASGO_GEMM"))
}
