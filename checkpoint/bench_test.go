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
