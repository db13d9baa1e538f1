package model

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// BenchmarkPredict runs the seed model on batches of 1, 32 and 512 images of 32x32x3
// (issue 2's benchmark; scripts/bench_predict.py compares it with TensorFlow on the same
// machine). Each iteration is one Predict call on one batch; allocations are reported.
func BenchmarkPredict(b *testing.B) {
	for _, n := range []int{1, 32, 512} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			m := seedModel()
			xt := seedInput(n)
			b.SetBytes(int64(xt.Len() * 4))
			b.ReportAllocs()
			if _, err := m.Predict(xt, PredictOptions{BatchSize: n}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu := startCPU()
			for range b.N {
				if _, err := m.Predict(xt, PredictOptions{BatchSize: n}); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// TestPredictAllocations checks that a warm Predict of the seed model allocates no tensor
// data beyond its result: the layers reuse their inference buffers (issue 16). The bound is
// far below one batch's activations (batch 512: 29 MB out of Conv2D).
func TestPredictAllocations(t *testing.T) {
	m := seedModel()
	for _, n := range []int{1, 32, 512} {
		xt := seedInput(n)
		// Warm up, then collect the garbage of the warm-up (the first call allocates the
		// layers' buffers) so that no collection empties the GEMM's buffer pool mid-way.
		for i := range 2 {
			if _, err := m.Predict(xt, PredictOptions{BatchSize: n}); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				runtime.GC()
			}
		}
		// The median over calls: a collection may empty the GEMM's pool of packing
		// buffers (a sync.Pool) now and then, and the call after it refills it.
		const runs = 11
		var per [runs]uint64
		for i := range runs {
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			if _, err := m.Predict(xt, PredictOptions{BatchSize: n}); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&ms1)
			per[i] = ms1.TotalAlloc - ms0.TotalAlloc
		}
		slices.Sort(per[:])
		med := per[runs/2]
		result := uint64(n * 10 * 4)
		t.Logf("batch %d: %d bytes per warm Predict (median; result %d; all %v)", n, med, result, per)
		if med > result+64<<10 {
			t.Errorf("batch %d: %d bytes allocated per warm Predict, want at most the result (%d) + 64 KiB", n, med, result)
		}
	}
}

// seedInput is a batch of n random 32x32x3 images for the seed model.
func seedInput(n int) *tensor.Tensor {
	rng := layers.NewRand(3)
	x := make([]float32, n*32*32*3)
	for i := range x {
		x[i] = rng.Float32()
	}
	return tensor.MustFromFloat32([]int{n, 32, 32, 3}, x)
}

// BenchmarkFromConfigDeep reads Sequential configs of 10,000 and 40,000 small Dense layers
// (named and unnamed) under a parameter limit: the time per layer must not grow with the
// depth (issue 13: it was quadratic, 74 s for 40,000 layers).
func BenchmarkFromConfigDeep(b *testing.B) {
	for _, n := range []int{10000, 40000} {
		for _, named := range []bool{true, false} {
			cfg := deepConfig(n, named)
			b.Run(fmt.Sprintf("layers=%d/named=%v", n, named), func(b *testing.B) {
				for range b.N {
					m, err := FromConfig(cfg, LoadOptions{MaxParams: 1 << 30})
					if err != nil || len(m.Layers()) != n {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/layer")
			})
		}
	}
}

// deepConfig is a tf_keras Sequential config of n Dense(4) layers on a (4,) input.
func deepConfig(n int, named bool) []byte {
	var sb strings.Builder
	sb.WriteString(`{"class_name":"Sequential","config":{"name":"deep","layers":[{"class_name":"InputLayer","config":{"batch_input_shape":[null,4],"name":"in"}}`)
	for i := range n {
		if named {
			fmt.Fprintf(&sb, `,{"class_name":"Dense","config":{"name":"d%d","units":4}}`, i)
		} else {
			sb.WriteString(`,{"class_name":"Dense","config":{"units":4}}`)
		}
	}
	sb.WriteString(`]}}`)
	return []byte(sb.String())
}

// TestFromConfigDeepNames checks the names of a deep config's unnamed layers (Keras's
// automatic names, each once) and that a repeated name is still refused.
func TestFromConfigDeepNames(t *testing.T) {
	m, err := FromConfig(deepConfig(3000, false), LoadOptions{MaxParams: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	ls := m.Layers()
	if ls[0].Name() != "dense" || ls[1].Name() != "dense_1" || ls[2999].Name() != "dense_2999" {
		t.Errorf("names %s %s %s", ls[0].Name(), ls[1].Name(), ls[2999].Name())
	}
	// Naming is linear: one probe per layer here (it was a scan from "dense" for each layer,
	// 4.5 million probes for 3,000 layers and 116 s for 40,000).
	if m.nameProbes > 2*3000 {
		t.Errorf("automatic names of 3000 layers took %d probes, want at most 6000", m.nameProbes)
	}
	if m.CountParams() != 3000*20 {
		t.Errorf("%d parameters", m.CountParams())
	}
	if _, err := FromConfig(deepConfig(3000, true), LoadOptions{MaxParams: 3000*20 - 1}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("over the parameter limit: %v", err)
	}
	dup := strings.Replace(string(deepConfig(10, true)), `"name":"d7"`, `"name":"d2"`, 1)
	if _, err := FromConfig([]byte(dup)); err == nil || !strings.Contains(err.Error(), `"d2" is used twice`) {
		t.Errorf("duplicate name: %v", err)
	}
}

// TestFunctionalAutoNamesLinear checks that naming the unnamed layers of a deep Functional
// model built in Go probes each name once (freeName resumes per base name).
func TestFunctionalAutoNamesLinear(t *testing.T) {
	const n = 3000
	in := Input(4)
	x := in.Output()
	for range n {
		x = MustApply(layers.NewDense(4), x)
	}
	m, err := NewModel([]*KerasTensor{in.Output()}, []*KerasTensor{x})
	if err != nil {
		t.Fatal(err)
	}
	ls := m.Layers()
	if got := ls[len(ls)-1].Name(); got != fmt.Sprintf("dense_%d", n-1) {
		t.Errorf("last layer named %q", got)
	}
	if m.nameProbes > 2*(n+1) {
		t.Errorf("automatic names of %d layers took %d probes", n, m.nameProbes)
	}
}
