package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/internal/table"
	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/tensor"
)

// Checkpoints written by several processes, as distributed TensorFlow writes them: each
// worker saves its own variables as a bundle of its own under a temporary prefix (TF's
// sharded saves use PREFIX_temp/part-0000W-of-0000N), and the chief merges the bundles into
// one at PREFIX (TF's MergeBundles, the MergeV2Checkpoints op): the data files get their
// final names PREFIX.data-0000i-of-0000N, numbered worker by worker in the order given and
// within a worker in its own shard order, without being rewritten; the indexes are merged
// into PREFIX.index (header num_shards = the total; every entry as the worker's with its
// shard_id renumbered); the workers' files are removed.

// WorkerPrefix is the prefix worker (0-based, of numWorkers) writes its part of the
// checkpoint at prefix under: PREFIX_temp/part-0000W-of-0000N, as TensorFlow's sharded saves
// name them.
func WorkerPrefix(prefix string, worker, numWorkers int) string {
	return fmt.Sprintf("%s_temp/part-%05d-of-%05d", filepath.Clean(prefix), worker, numWorkers)
}

// WriteShard writes worker's tensors (keys sorted) as a bundle at WorkerPrefix(prefix,
// worker, numWorkers) and returns that prefix; opts configure its writer (a worker's bundle
// may itself have several data files). Each worker calls it, from its own process; the chief
// then calls MergeBundles. The worker's bundle is saved as any bundle is (locked, under
// temporary names until whole).
func WriteShard(prefix string, worker, numWorkers int, tensors map[string]*tensor.Tensor, opts ...WriterOptions) (string, error) {
	if numWorkers < 1 || numWorkers > maxWriterShards || worker < 0 || worker >= numWorkers {
		return "", fmt.Errorf("checkpoint: %s: worker %d of %d", prefix, worker, numWorkers)
	}
	wp := WorkerPrefix(prefix, worker, numWorkers)
	w, err := NewWriter(wp, opts...)
	if err != nil {
		return "", err
	}
	for _, k := range sortedKeys(tensors) {
		if err := w.Add(k, tensors[k]); err != nil {
			w.Abort()
			return "", err
		}
	}
	return wp, w.Close()
}

// MergeBundles merges the complete bundles at workerPrefixes into one bundle at prefix, as
// TensorFlow's MergeBundles does (see above), replacing a bundle already at prefix. A key in
// two bundles, or a partitioned variable (slice entries), is refused. While any worker's
// bundle is being saved (its lock held), MergeBundles fails with ErrBusy.
//
// The data files are hard-linked (copied where the file system has no links) to their new
// names under a temporary prefix, the merged index is written there, and the bundle is put in
// place at prefix as any save is (see "Saving" in the package documentation): a crash leaves
// the old bundle at prefix or the merged one, and the workers' bundles whole until the merged
// one is in place. Then the workers' files are removed (index first), and their folders when
// empty.
func MergeBundles(prefix string, workerPrefixes []string) error {
	if len(workerPrefixes) == 0 {
		return fmt.Errorf("checkpoint: %s: no bundles to merge", prefix)
	}
	prefix = filepath.Clean(prefix)
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	lock, err := atomicfile.Acquire(prefix, false)
	if err != nil {
		return lockErr(prefix, err)
	}
	defer lock.Release()
	var locks []*atomicfile.Lock
	release := func() {
		for _, l := range locks {
			l.Release()
		}
		locks = nil
	}
	defer release()
	for _, wp := range workerPrefixes {
		if filepath.Clean(wp) == prefix {
			return fmt.Errorf("checkpoint: %s: merging a bundle into itself", prefix)
		}
		wl, err := atomicfile.Acquire(wp, false)
		if err != nil {
			return lockErr(wp, err)
		}
		locks = append(locks, wl)
	}
	if err := recoverLocked(prefix, true); err != nil {
		return err
	}
	entries := map[string]*tfpb.BundleEntryProto{}
	var files []string // the workers' data files, in merged order
	for _, wp := range workerPrefixes {
		r, err := Open(wp)
		if err != nil {
			return err
		}
		base := len(files)
		n := r.NumShards()
		if len(r.slices) > 0 {
			r.Close()
			return &Error{File: IndexFile(wp), Key: r.slices[0].Key, Offset: -1, Reason: "partitioned variables are not merged", Err: ErrUnsupported}
		}
		for _, e := range r.Entries() {
			if e.Sliced {
				r.Close()
				return &Error{File: IndexFile(wp), Key: e.Key, Offset: -1, Reason: "partitioned variables are not merged", Err: ErrUnsupported}
			}
			if _, dup := entries[e.Key]; dup {
				r.Close()
				return &Error{File: IndexFile(wp), Key: e.Key, Offset: -1, Reason: "key in two of the bundles merged", Err: ErrFormat}
			}
			shape := &tfpb.TensorShapeProto{}
			for _, d := range e.Shape {
				shape.Dim = append(shape.Dim, &tfpb.TensorShapeProto_Dim{Size: int64(d)})
			}
			entries[e.Key] = &tfpb.BundleEntryProto{Dtype: tfpb.DataType(e.DType), Shape: shape,
				ShardId: int32(base + e.Shard), Offset: e.Offset, Size: e.Size, Crc32C: table.MaskCRC(e.CRC)}
		}
		r.Close()
		for i := 0; i < n; i++ {
			files = append(files, DataFile(wp, i, n))
		}
	}
	if len(files) > maxWriterShards*8 {
		return fmt.Errorf("checkpoint: %s: %d data files", prefix, len(files))
	}
	tmp := atomicfile.TempPrefix(prefix)
	n := len(files)
	fail := func(err error) error {
		removeBundleTemps(prefix, tmp)
		return err
	}
	scratch := tmp + ".link"
	for i, f := range files {
		if err := linkOver(f, DataFile(tmp, i, n), scratch, true); err != nil {
			return fail(err)
		}
	}
	idx, err := encodeIndex(n, entries)
	if err != nil {
		return fail(err)
	}
	part := IndexFile(tmp) + ".part"
	atomicfile.Step("write index")
	if err := writeFile(part, idx, true); err != nil {
		return fail(err)
	}
	atomicfile.Step("rename index")
	if err := os.Rename(part, IndexFile(tmp)); err != nil {
		return fail(fmt.Errorf("checkpoint: %w", err))
	}
	atomicfile.SyncDir(filepath.Dir(prefix))
	if err := install(tmp, prefix, n, true); err != nil {
		recoverLocked(prefix, true)
		return err
	}
	// The merged bundle is in place: the workers' bundles go, each index first.
	dirs := map[string]bool{}
	for _, wp := range workerPrefixes {
		atomicfile.Step("remove worker index")
		if err := os.Remove(IndexFile(wp)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checkpoint: %w", err)
		}
		dirs[filepath.Dir(wp)] = true
	}
	for _, f := range files {
		atomicfile.Step("remove worker data")
		os.Remove(f)
	}
	release()
	var ds []string
	for d := range dirs {
		if d != filepath.Dir(prefix) {
			ds = append(ds, d)
		}
	}
	sort.Strings(ds)
	for _, d := range ds {
		os.Remove(d) // only when empty
	}
	return nil
}
