package checkpoint

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// benchTensors returns n float32 tensors of size elements each (4*n*size bytes).
func benchTensors(n, size int) map[string]*tensor.Tensor {
	ts := map[string]*tensor.Tensor{}
	for i := 0; i < n; i++ {
		d := make([]float32, size)
		for j := range d {
			d[j] = float32(i*size+j) * 1e-6
		}
		ts[fmt.Sprintf("layer_with_weights-%d/kernel/.ATTRIBUTES/VARIABLE_VALUE", i)] = tensor.MustFromFloat32([]int{size / 256, 256}, d)
	}
	return ts
}

// BenchmarkWrite writes a 64 MiB checkpoint (16 float32 tensors of 4 MiB).
func BenchmarkWrite(b *testing.B) {
	ts := benchTensors(16, 1<<20)
	dir := b.TempDir()
	b.SetBytes(16 << 22)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		writeBundle(b, filepath.Join(dir, "ckpt"), ts, WriterOptions{})
	}
}

// BenchmarkRead reads every tensor of a 64 MiB checkpoint, checking CRCs.
func BenchmarkRead(b *testing.B) {
	ts := benchTensors(16, 1<<20)
	prefix := filepath.Join(b.TempDir(), "ckpt")
	writeBundle(b, prefix, ts, WriterOptions{})
	b.SetBytes(16 << 22)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Open(prefix)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range r.Entries() {
			if _, err := r.Read(e.Key); err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
}

// BenchmarkParallelShards writes a 256 MiB bundle (32 tensors of 8 MiB, synced) into 1, 2
// and 4 data files written in parallel (WriterOptions.NumShards).
func BenchmarkParallelShards(b *testing.B) {
	const n, size = 32, 8 << 20
	ts := make([]*tensor.Tensor, n)
	for i := range ts {
		d := make([]float32, size/4)
		for j := range d {
			d[j] = float32(i + j)
		}
		ts[i] = tensor.MustFromFloat32([]int{size / 4}, d)
	}
	for _, shards := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			b.SetBytes(n * size)
			for it := 0; it < b.N; it++ {
				w, err := NewWriter(filepath.Join(b.TempDir(), "ckpt"), WriterOptions{NumShards: shards})
				if err != nil {
					b.Fatal(err)
				}
				for i, t := range ts {
					if err := w.Add(fmt.Sprintf("t%02d", i), t); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
