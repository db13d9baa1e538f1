package layers

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

// cpuSeconds is the process's user+system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// gemmBenchSizes are the square GEMM sizes benchmarked; 2048 is the comparison with
// OpenBLAS (scripts/bench_gemm.py runs the same product with NumPy).
var gemmBenchSizes = []int{64, 256, 512, 2048}

// BenchmarkGemm measures C = A·B for square float32 matrices and reports GFLOP/s
// (2·n³ floating-point operations per product).
func BenchmarkGemm(b *testing.B) {
	for _, n := range gemmBenchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := NewRand(1)
			a := make([]float32, n*n)
			bm := make([]float32, n*n)
			c := make([]float32, n*n)
			for i := range a {
				a[i] = rng.Uniform(-1, 1)
				bm[i] = rng.Uniform(-1, 1)
			}
			gemm(false, false, n, n, n, 1, a, n, bm, n, 0, c, n) // warm-up
			b.ResetTimer()
			cpu0 := cpuSeconds()
			for b.Loop() {
				gemm(false, false, n, n, n, 1, a, n, bm, n, 0, c, n)
			}
			flops := 2 * float64(n) * float64(n) * float64(n) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkMicroKernel runs each micro-kernel alone on packed operands that stay in L1: the
// single-core ceiling the blocked GEMM can approach.
func BenchmarkMicroKernel(b *testing.B) {
	for _, kn := range gemmKernels() {
		b.Run(kn.name, func(b *testing.B) {
			const k = 256
			ap := make([]float32, kn.mr*k)
			bp := make([]float32, kn.nr*k)
			c := make([]float32, kn.mr*kn.nr)
			for i := range ap {
				ap[i] = 1e-3
			}
			for i := range bp {
				bp[i] = 1e-3
			}
			cpu0 := cpuSeconds()
			for b.Loop() {
				kn.full(k, &ap[0], &bp[0], &c[0], kn.nr, kn.mr, kn.nr)
			}
			flops := 2 * float64(kn.mr*kn.nr*k) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(flops/(cpuSeconds()-cpu0)/1e9, "GFLOP/cpu-s")
		})
	}
}

// init lets a tuning session set the blocking of the default kernel:
// GEMM_BLOCK=mc,kc,nc go test -bench Gemm.
func init() {
	if v := os.Getenv("GEMM_BLOCK"); v != "" {
		var mc, kc, nc int
		if _, err := fmt.Sscanf(v, "%d,%d,%d", &mc, &kc, &nc); err == nil {
			kn := *gemmKernel
			kn.mc, kn.kc, kn.nc = mc, kc, nc
			gemmKernel = &kn
		}
	}
}

// BenchmarkGemmLayerShapes measures the narrow products layers make: the seed model's
// Conv2D as im2col rows (2048 rows × 27 → 16 filters), its Dense layer at batch 512 and at
// batch 1, and that layer's kernel gradient (xᵀ·dz).
func BenchmarkGemmLayerShapes(b *testing.B) {
	for _, s := range []struct {
		name    string
		transA  bool
		m, n, k int
	}{
		{"conv_2048x16x27", false, 2048, 16, 27},
		{"dense_512x32x784", false, 512, 32, 784},
		{"dense_1x32x784", false, 1, 32, 784},
		{"dense_dW_784x32x512", true, 784, 32, 512},
		{"wide_64x1024x1024", false, 64, 1024, 1024},
	} {
		b.Run(s.name, func(b *testing.B) {
			rng := NewRand(1)
			a := make([]float32, s.m*s.k)
			bm := make([]float32, s.k*s.n)
			c := make([]float32, s.m*s.n)
			for i := range a {
				a[i] = rng.Uniform(-1, 1)
			}
			for i := range bm {
				bm[i] = rng.Uniform(-1, 1)
			}
			lda := s.k
			if s.transA {
				lda = s.m
			}
			cpu0 := cpuSeconds()
			for b.Loop() {
				gemm(s.transA, false, s.m, s.n, s.k, 1, a, lda, bm, s.n, 0, c, s.n)
			}
			flops := 2 * float64(s.m*s.n*s.k) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(flops/(cpuSeconds()-cpu0)/1e9, "GFLOP/cpu-s")
		})
	}
}
