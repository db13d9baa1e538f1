package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/tensor"
)

// workerTensors splits parallelTensors among n workers by key.
func workerTensors(n int) ([]map[string]*tensor.Tensor, map[string]*tensor.Tensor) {
	keys, ts := parallelTensors(30)
	parts := make([]map[string]*tensor.Tensor, n)
	for i := range parts {
		parts[i] = map[string]*tensor.Tensor{}
	}
	for i, k := range keys {
		parts[i%n][k] = ts[k]
	}
	return parts, ts
}

// TestMergeBundles: three workers write their parts of one checkpoint at once (one of them in
// two data files); the merge makes one bundle of 4 data files that are the workers' own files
// (same inodes: not rewritten), every tensor reads back, and the workers' files and folder are
// gone. A second merge replaces the first; a key in two workers, a worker still saving, and
// no workers are refused, changing nothing.
func TestMergeBundles(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "ckpt")
	parts, all := workerTensors(3)
	wps := make([]string, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var o []WriterOptions
			if i == 1 {
				o = append(o, WriterOptions{NumShards: 2})
			}
			wps[i], errs[i] = WriteShard(prefix, i, 3, parts[i], o...)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
	}
	if wps[2] != prefix+"_temp/part-00002-of-00003" {
		t.Errorf("worker prefix %s", wps[2])
	}
	var before []os.FileInfo
	for _, f := range []string{DataFile(wps[0], 0, 1), DataFile(wps[1], 0, 2), DataFile(wps[1], 1, 2), DataFile(wps[2], 0, 1)} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, fi)
	}
	if err := MergeBundles(prefix, wps); err != nil {
		t.Fatal(err)
	}
	r, err := Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if r.NumShards() != 4 || len(r.Keys()) != len(all) {
		t.Errorf("merged: %d shards, %d keys; want 4, %d", r.NumShards(), len(r.Keys()), len(all))
	}
	for k, want := range all {
		got, err := r.Read(k)
		if err != nil || !sameTensor(got, want) {
			t.Errorf("%s: %v", k, err)
		}
	}
	r.Close()
	for i, fi := range before {
		after, err := os.Stat(DataFile(prefix, i, 4))
		if err != nil || !os.SameFile(fi, after) {
			t.Errorf("data file %d is not worker's file (rewritten?): %v", i, err)
		}
	}
	if _, err := os.Stat(prefix + "_temp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("workers' folder left: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 5 {
		t.Errorf("folder holds %d files, want index + 4 data files", len(ents))
	}

	// A second merge, of 2 workers, replaces the first bundle (and its extra data files).
	parts2, all2 := workerTensors(2)
	var wps2 []string
	for i, p := range parts2 {
		wp, err := WriteShard(prefix, i, 2, p)
		if err != nil {
			t.Fatal(err)
		}
		wps2 = append(wps2, wp)
	}
	if err := MergeBundles(prefix, wps2); err != nil {
		t.Fatal(err)
	}
	r, err = Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if r.NumShards() != 2 || len(r.Keys()) != len(all2) {
		t.Errorf("second merge: %d shards %d keys", r.NumShards(), len(r.Keys()))
	}
	r.Close()
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("after the second merge the folder holds %d files", len(ents))
	}

	// Refusals.
	a, err := WriteShard(prefix, 0, 2, map[string]*tensor.Tensor{"x": all2["names"]})
	if err != nil {
		t.Fatal(err)
	}
	b, err := WriteShard(prefix, 1, 2, map[string]*tensor.Tensor{"x": all2["names"]})
	if err != nil {
		t.Fatal(err)
	}
	if err := MergeBundles(prefix, []string{a, b}); !errors.Is(err, ErrFormat) {
		t.Errorf("duplicate key: %v", err)
	}
	l, err := atomicfile.Acquire(b, false)
	if err != nil {
		t.Fatal(err)
	}
	err = MergeBundles(prefix, []string{a, b})
	l.Release()
	if !errors.Is(err, ErrBusy) {
		t.Errorf("worker still saving: %v", err)
	}
	if err := MergeBundles(prefix, nil); err == nil {
		t.Error("no workers accepted")
	}
	if _, err := WriteShard(prefix, 2, 2, nil); err == nil {
		t.Error("worker 2 of 2 accepted")
	}
	r, err = Open(prefix)
	if err != nil || r.NumShards() != 2 {
		t.Fatalf("refused merges changed the bundle: %v", err)
	}
	r.Close()
	for _, wp := range []string{a, b} {
		if _, err := os.Stat(IndexFile(wp)); err != nil {
			t.Errorf("a refused merge removed %s: %v", wp, err)
		}
	}
}
