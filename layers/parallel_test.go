package layers

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelFor checks that every index is covered exactly once by contiguous chunks, that
// each worker index in [0, workers(n)) is used exactly once, and that nested calls finish,
// with the hand-off spin off, at its default, and long.
func TestParallelFor(t *testing.T) {
	saved := spinFor
	defer func() { spinFor = saved }()
	for _, d := range []time.Duration{0, saved, time.Millisecond} {
		spinFor = d
		checkParallelFor(t)
	}
}

// TestParallelForIdle checks that the spin is bounded: once the last job is done, the
// workers park, and the process uses next to no CPU while it sleeps.
func TestParallelForIdle(t *testing.T) {
	var sum atomic.Int64
	for range 100 {
		parallelFor(1000, func(_, lo, hi int) { sum.Add(int64(hi - lo)) })
	}
	time.Sleep(10 * time.Millisecond) // past every spin
	before := cpuSeconds()
	time.Sleep(300 * time.Millisecond)
	used := time.Duration((cpuSeconds() - before) * 1e9)
	// A worker that never parked would use ~300 ms per worker here.
	if used > 60*time.Millisecond {
		t.Fatalf("idle process used %v of CPU in 300 ms after its last job (spinFor %v)", used, spinFor)
	}
}

func checkParallelFor(t *testing.T) {
	t.Helper()
	for _, n := range []int{0, 1, 2, 3, 7, 8, 9, 100, 1000} {
		hits := make([]atomic.Int32, n)
		w := workers(n)
		seen := make([]atomic.Int32, max(w, 1))
		parallelFor(n, func(wi, lo, hi int) {
			if wi < 0 || wi >= w || lo > hi || lo < 0 || hi > n {
				t.Errorf("n=%d: chunk %d [%d,%d) out of range (workers %d)", n, wi, lo, hi, w)
				return
			}
			seen[wi].Add(1)
			for i := lo; i < hi; i++ {
				hits[i].Add(1)
			}
			// A nested call inside every chunk must complete too.
			var inner atomic.Int64
			parallelFor(50, func(_, lo, hi int) { inner.Add(int64(hi - lo)) })
			if inner.Load() != 50 {
				t.Errorf("nested parallelFor covered %d of 50", inner.Load())
			}
		})
		for i := range hits {
			if hits[i].Load() != 1 {
				t.Fatalf("n=%d: index %d run %d times", n, i, hits[i].Load())
			}
		}
		for i := 0; i < w && n > 0; i++ {
			if seen[i].Load() != 1 {
				t.Fatalf("n=%d: worker index %d used %d times", n, i, seen[i].Load())
			}
		}
	}
}

// TestParallelForSplit checks the granularity: finer than the processor count when there is
// more than one processor, one chunk otherwise.
func TestParallelForSplit(t *testing.T) {
	p := runtime.GOMAXPROCS(0)
	want := chunksPerProc * p
	if p == 1 {
		want = 1
	}
	if got := workers(10000); got != want {
		t.Fatalf("workers(10000) = %d with GOMAXPROCS %d, want %d", got, p, want)
	}
	if got := workers(2); got > 2 {
		t.Fatalf("workers(2) = %d", got)
	}
}

// TestParallelForPanic checks that a panic in a chunk reaches the caller and leaves the pool
// usable.
func TestParallelForPanic(t *testing.T) {
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want boom", r)
			}
		}()
		parallelFor(100, func(wi, _, _ int) {
			if wi == workers(100)-1 {
				panic("boom")
			}
		})
		t.Fatal("parallelFor returned after a panic")
	}()
	var sum atomic.Int64
	parallelFor(100, func(_, lo, hi int) { sum.Add(int64(hi - lo)) })
	if sum.Load() != 100 {
		t.Fatalf("after a panic: covered %d of 100", sum.Load())
	}
}

// BenchmarkParallelForEmpty is the cost of one parallelFor call with empty chunks.
func BenchmarkParallelForEmpty(b *testing.B) {
	for b.Loop() {
		parallelFor(1000, func(_, _, _ int) {})
	}
}
