package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kerasgo/kerasgo/tensor"
)

// heapObjects is the runtime's count of bytes in heap objects (live or not yet swept), read
// without stopping the world.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peakDuring runs fn while a goroutine samples heapObjects every 200µs and returns the
// highest value seen above the level before fn.
func peakDuring(fn func() error) (uint64, error) {
	runtime.GC()
	base := heapObjects()
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tk := time.NewTicker(200 * time.Microsecond)
		defer tk.Stop()
		for {
			if h := heapObjects(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-tk.C:
			}
		}
	}()
	err := fn()
	close(done)
	<-stopped
	if p := peak.Load(); p > base {
		return p - base, err
	}
	return 0, err
}

// TestCopyMemoryBounded: copying a 320 MiB bundle (20 tensors of 16 MiB) into data files of
// 64 MiB keeps the heap within the largest tensor plus 64 MiB above where it started, and the
// copy reads back the same (checked by checksum and a value per tensor).
func TestCopyMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 640 MiB")
	}
	const n, size = 20, 16 << 20
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "big"), filepath.Join(dir, "copy")
	w, err := NewWriter(src, WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		d := make([]float32, size/4)
		for j := range d {
			d[j] = float32(i*7 + j%13)
		}
		if err := w.Add(fmt.Sprintf("t%02d", i), tensor.MustFromFloat32([]int{size / 4}, d)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	peak, err := peakDuring(func() error {
		return Copy(dst, src, WriterOptions{NoSync: true, MaxShardBytes: 64 << 20})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("copy of %d MiB: heap peak %.1f MiB above the start", n*size>>20, float64(peak)/(1<<20))
	if limit := uint64(size + 64<<20); peak > limit {
		t.Errorf("heap peak %d bytes above the start, more than the largest tensor + 64 MiB (%d)", peak, limit)
	}
	if peak < size {
		t.Errorf("heap peak %d bytes: the sampler missed the tensors (want at least %d)", peak, size)
	}
	r, err := Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.NumShards() < 4 || len(r.Keys()) != n {
		t.Errorf("copy: %d shards, %d keys", r.NumShards(), len(r.Keys()))
	}
	for i, k := range r.Keys() {
		v, err := r.Read(k)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Data.([]float32)[5]; got != float32(i*7+5) {
			t.Errorf("%s[5] = %v", k, got)
		}
	}
	st, _ := os.Stat(DataFile(src, 0, 1))
	if st.Size() != n*size {
		t.Errorf("source data %d bytes", st.Size())
	}
}
