package model

import (
	"errors"
	"runtime"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// functionalSeed is the seed model's layers as a Functional model with a branch (two Dense
// heads added), so that PredictInto runs the graph path.
func functionalSeed(t testing.TB) *Model {
	in := Input(32, 32, 3)
	x := MustApply(conv2d(16, 3, 3, conv{Activation: "relu"}), in.Output())
	x = MustApply(maxPool(4, pool{}), x)
	x = MustApply(batchNorm(bn{}), x)
	x = MustApply(flatten(""), x)
	a := MustApply(dense(32, dns{Activation: "relu"}), x)
	b := MustApply(dense(32, dns{Activation: "relu"}), x)
	s := MustApply(layers.NewAdd(), a, b)
	y := MustApply(dense(10, dns{Activation: "softmax"}), s)
	m, err := NewModel([]*KerasTensor{in.Output()}, []*KerasTensor{y})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPredictIntoAllocations checks that a warm PredictInto allocates no tensor data: the
// bytes and allocations per call (testing.AllocsPerRun, runtime.MemStats) are the same at
// batches of 1, 32 and 512 images (any activation or result buffer would grow 512-fold) and
// stay under a few KiB of headers and closures; and that its result equals Predict's. The
// allocation counts are bounded near today's (2026-12-03: 2 for the seed model, 4 for the
// Functional seed; 17 and 43 before the per-call workspaces), so headers that come back fail.
func TestPredictIntoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("race detector: sync.Pool drops the GEMM's packing buffers at random, so allocation bounds do not hold")
	}
	for _, c := range []struct {
		name      string
		m         *Model
		maxAllocs float64
	}{{"sequential", seedModel(), 3}, {"functional", functionalSeed(t), 6}} {
		t.Run(c.name, func(t *testing.T) {
			var bytes, allocs []float64
			for _, n := range []int{1, 32, 512} {
				x := seedInput(n)
				want, err := c.m.Predict(x, PredictOptions{BatchSize: n})
				if err != nil {
					t.Fatal(err)
				}
				dst := tensor.MustFromFloat32([]int{n, 10}, make([]float32, n*10))
				call := func() {
					if err := c.m.PredictInto(dst, x, PredictOptions{BatchSize: n}); err != nil {
						t.Fatal(err)
					}
				}
				call()
				if !slices.Equal(dst.Float32s(), want.Float32s()) {
					t.Fatalf("batch %d: PredictInto differs from Predict", n)
				}
				runtime.GC()
				call()
				// Median bytes over calls: a collection may empty the GEMM's sync.Pool of
				// packing buffers now and then, and the call after it refills it.
				const runs = 11
				per := make([]uint64, runs)
				for i := range per {
					var a, b runtime.MemStats
					runtime.ReadMemStats(&a)
					call()
					runtime.ReadMemStats(&b)
					per[i] = b.TotalAlloc - a.TotalAlloc
				}
				slices.Sort(per)
				bytes = append(bytes, float64(per[runs/2]))
				allocs = append(allocs, testing.AllocsPerRun(20, call))
			}
			t.Logf("bytes per warm PredictInto at batches 1, 32, 512: %v; allocations %v", bytes, allocs)
			for i := range bytes {
				if bytes[i] > 4096 {
					t.Errorf("batch %d: %v bytes per warm PredictInto, want at most 4096 (no tensor data)", []int{1, 32, 512}[i], bytes[i])
				}
			}
			for i, a := range allocs {
				if a > c.maxAllocs {
					t.Errorf("batch %d: %v allocations per warm PredictInto, want at most %v", []int{1, 32, 512}[i], a, c.maxAllocs)
				}
			}
			// Fixed-size headers only: at batch 512 the smallest activation is 20 KiB.
			if bytes[2]-bytes[0] > 1024 || allocs[2] > allocs[0]+8 {
				t.Errorf("allocation grows with the batch: %v bytes, %v allocations", bytes, allocs)
			}
		})
	}
}

// TestPredictIntoErrors checks that a destination of the wrong shape or dtype, or none, is
// refused with ErrShape, for a Sequential and a Functional model.
func TestPredictIntoErrors(t *testing.T) {
	x := seedInput(3)
	for _, m := range []*Model{seedModel(), functionalSeed(t)} {
		for _, dst := range []*tensor.Tensor{
			nil,
			tensor.MustFromFloat32([]int{2, 10}, make([]float32, 20)),
			tensor.MustFromFloat32([]int{3, 9}, make([]float32, 27)),
			tensor.MustFromFloat32([]int{30}, make([]float32, 30)),
			{DType: tensor.Float64, Shape: []int{3, 10}, Data: make([]float64, 30)},
		} {
			if err := m.PredictInto(dst, x); !errors.Is(err, ErrShape) {
				t.Errorf("destination %v: error %v, want ErrShape", dst, err)
			}
		}
	}
}
