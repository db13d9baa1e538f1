package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// parallelTensors are n float32 tensors of varied sizes (and one string tensor), filled with
// values that depend on the key.
func parallelTensors(n int) (keys []string, ts map[string]*tensor.Tensor) {
	ts = map[string]*tensor.Tensor{}
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("layer_%02d/kernel", i)
		size := 1 + (i*7919)%1000
		v := make([]float32, size)
		for j := range v {
			v[j] = float32(i) + float32(j)/float32(size)
		}
		ts[k] = &tensor.Tensor{DType: tensor.Float32, Shape: []int{size}, Data: v}
		keys = append(keys, k)
	}
	ts["names"] = &tensor.Tensor{DType: tensor.String, Shape: []int{2}, Data: [][]byte{[]byte("a"), []byte("bcd")}}
	keys = append(keys, "names")
	return keys, ts
}

// TestParallelShards: NumShards writes that many data files, balanced by size (no shard
// exceeds the average by more than the largest tensor), and every tensor reads back; bad
// options are refused.
func TestParallelShards(t *testing.T) {
	keys, ts := parallelTensors(40)
	for _, n := range []int{2, 4, 7} {
		prefix := filepath.Join(t.TempDir(), "ckpt")
		w, err := NewWriter(prefix, WriterOptions{NumShards: n})
		if err != nil {
			t.Fatal(err)
		}
		var total, largest int64
		for _, k := range keys {
			if err := w.Add(k, ts[k]); err != nil {
				t.Fatal(err)
			}
			b := int64(ts[k].Len() * ts[k].DType.Size())
			total += b
			largest = max(largest, b)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := Open(prefix)
		if err != nil {
			t.Fatal(err)
		}
		if r.NumShards() != n {
			t.Errorf("%d shards, want %d", r.NumShards(), n)
		}
		for i := 0; i < n; i++ {
			st, err := os.Stat(DataFile(prefix, i, n))
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() > total/int64(n)+largest {
				t.Errorf("NumShards %d: shard %d holds %d bytes, average %d, largest tensor %d", n, i, st.Size(), total/int64(n), largest)
			}
		}
		for _, k := range keys {
			got, err := r.Read(k)
			if err != nil {
				t.Fatal(err)
			}
			if !sameTensor(got, ts[k]) {
				t.Errorf("NumShards %d: %s differs", n, k)
			}
		}
		r.Close()
		if ents, _ := os.ReadDir(filepath.Dir(prefix)); len(ents) != n+1 {
			t.Errorf("NumShards %d: folder holds %d files", n, len(ents))
		}
	}
	for _, o := range []WriterOptions{{NumShards: -1}, {NumShards: 2, MaxShardBytes: 10}, {NumShards: 1 << 20}} {
		if w, err := NewWriter(filepath.Join(t.TempDir(), "x"), o); err == nil {
			w.Abort()
			t.Errorf("%+v accepted", o)
		}
	}
	// An error in a shard's goroutine (a tensor whose data does not match its shape) fails
	// Close and leaves nothing.
	d := t.TempDir()
	w, err := NewWriter(filepath.Join(d, "bad"), WriterOptions{NumShards: 2})
	if err != nil {
		t.Fatal(err)
	}
	w.Add("ok", ts[keys[0]])
	w.Add("bad", &tensor.Tensor{DType: tensor.Float32, Shape: []int{5}, Data: []float32{1}})
	if err := w.Close(); err == nil || errors.Is(err, ErrBusy) {
		t.Errorf("Close after a bad tensor: %v", err)
	}
	if ents, _ := os.ReadDir(d); len(ents) != 0 {
		t.Errorf("a failed parallel save left %d files", len(ents))
	}
	// Abort stops the goroutines and removes everything.
	w, err = NewWriter(filepath.Join(d, "ab"), WriterOptions{NumShards: 3})
	if err != nil {
		t.Fatal(err)
	}
	w.Add("ok", ts[keys[0]])
	w.Abort()
	if ents, _ := os.ReadDir(d); len(ents) != 0 {
		t.Errorf("an aborted parallel save left %d files", len(ents))
	}
}
