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
				kn.full(k, &ap[0], &bp[0], &c[0], kn.nr)
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
