package model

import (
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// bigDense is a model of 25M parameters (Dense 5000x5000): 100 MB of float32 weights.
func bigDense() *Sequential {
	return NewSequential(Input(5000), layers.NewDense(5000))
}

// allocDuring returns the bytes allocated while f runs (GC off: an upper bound on how far
// the heap grows above what was live before).
func allocDuring(f func()) uint64 {
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// benchLoad reports, per load of the 25M-parameter model, the bytes allocated beyond the
// saved tensors (extra-MiB) and that plus the model's bytes (peak-MiB: the saved tensors are
// live throughout, so the peak heap of a load is at most this).
func benchLoad(b *testing.B, load func(sm *saved.Model) *Sequential, fresh bool) {
	src := bigDense()
	modelBytes := float64(src.CountParams() * 4)
	var extra uint64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		sm, err := src.ToSaved(saved.Keras2)
		if err != nil {
			b.Fatal(err)
		}
		if fresh { // a private copy, as a codec would have read it
			for i := range sm.Layers {
				for j := range sm.Layers[i].Weights {
					sm.Layers[i].Weights[j].Value = sm.Layers[i].Weights[j].Value.Clone()
				}
			}
		}
		runtime.GC()
		b.StartTimer()
		extra += allocDuring(func() { load(sm) })
	}
	const mib = 1 << 20
	e := float64(extra) / float64(b.N)
	b.ReportMetric(modelBytes/mib, "model-MiB")
	b.ReportMetric(e/mib, "extra-MiB")
	b.ReportMetric((modelBytes+e)/mib, "peak-MiB")
}

// BenchmarkLoadBefore is what FromSaved did before adopting: build the layers (allocating
// and initialising every weight), then copy the saved tensors in.
func BenchmarkLoadBefore(b *testing.B) {
	benchLoad(b, func(sm *saved.Model) *Sequential {
		m, err := FromConfig(sm.Config)
		if err != nil {
			b.Fatal(err)
		}
		if err := m.LoadSavedWeights(sm); err != nil {
			b.Fatal(err)
		}
		return m
	}, true)
}

// BenchmarkFromSaved: layers built without weight data, the saved tensors copied in.
func BenchmarkFromSaved(b *testing.B) {
	benchLoad(b, func(sm *saved.Model) *Sequential {
		m, err := FromSaved(sm)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}, false)
}

// BenchmarkAdoptSaved: the model takes the saved tensors (what Load does).
func BenchmarkAdoptSaved(b *testing.B) {
	benchLoad(b, func(sm *saved.Model) *Sequential {
		m, err := AdoptSaved(sm)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}, true)
}

// BenchmarkLoadH5 loads the 25M-parameter model from a tf_keras .h5 file: bytes allocated
// per Load against the model's bytes (issue 4's aim: peak ≤ model bytes + 64 MiB).
func BenchmarkLoadH5(b *testing.B) {
	src := bigDense()
	p := filepath.Join(b.TempDir(), "big.h5")
	if err := src.Save(p); err != nil {
		b.Skipf("no HDF5: %v", err)
	}
	modelBytes := float64(src.CountParams() * 4)
	var total uint64
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		total += allocDuring(func() {
			if _, err := Load(p); err != nil {
				b.Fatal(err)
			}
		})
	}
	const mib = 1 << 20
	a := float64(total) / float64(b.N)
	b.ReportMetric(modelBytes/mib, "model-MiB")
	b.ReportMetric(a/mib, "alloc-MiB")
	b.ReportMetric((a-modelBytes)/mib, "over-model-MiB")
}

// TestAdoptAndCopy: AdoptSaved (and Load) use the saved tensors as the model's weights;
// FromSaved copies them (the models are then independent); both equal the source.
func TestAdoptAndCopy(t *testing.T) {
	src := trainedSeed(t)
	sm, err := src.ToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := FromSaved(sm)
	if err != nil {
		t.Fatal(err)
	}
	ad, err := AdoptSaved(sm)
	if err != nil {
		t.Fatal(err)
	}
	if !sameWeights(snapshot(cp), snapshot(src)) || !sameWeights(snapshot(ad), snapshot(src)) {
		t.Fatal("weights differ from the source")
	}
	sw, cw, aw := src.Weights(), cp.Weights(), ad.Weights()
	for i := range sw {
		if aw[i].Value != sw[i].Value {
			t.Errorf("AdoptSaved: weight %d is not the saved tensor", i)
		}
		if &cw[i].Value.Float32s()[0] == &sw[i].Value.Float32s()[0] {
			t.Errorf("FromSaved: weight %d shares the saved data", i)
		}
	}
	// Memory: adopting allocates far less than the weights; copying about the weights.
	big := bigDense()
	bsm, err := big.ToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	modelBytes := uint64(big.CountParams() * 4)
	if a := allocDuring(func() { _, _ = AdoptSaved(bsm) }); a > modelBytes/50 {
		t.Errorf("AdoptSaved allocated %d bytes for a model of %d", a, modelBytes)
	}
	if a := allocDuring(func() { _, _ = FromSaved(bsm) }); a > modelBytes+modelBytes/50 {
		t.Errorf("FromSaved allocated %d bytes for a model of %d", a, modelBytes)
	}
}
