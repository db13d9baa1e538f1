package blobpath

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gocloud.dev/blob"
)

// RangeFile reads an object with one ranged GET per ReadAt: a tensor of a checkpoint costs
// one request for exactly its bytes.
type RangeFile struct {
	ctx  context.Context
	loc  Loc
	size int64
}

// OpenRange opens the object at l for ranged reads and returns its size.
func OpenRange(ctx context.Context, l Loc) (*RangeFile, int64, error) {
	n, err := Size(ctx, l)
	if err != nil {
		return nil, 0, err
	}
	return &RangeFile{ctx: ctx, loc: l, size: n}, n, nil
}

// ReadAt reads len(p) bytes at off with one ranged GET. A connection dropped mid-read is an
// error naming the object and the byte range.
func (f *RangeFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.size {
		return 0, io.EOF
	}
	want := int64(len(p))
	if off+want > f.size {
		want = f.size - off
	}
	b, err := Bucket(f.ctx, f.loc)
	if err != nil {
		return 0, err
	}
	r, err := b.NewRangeReader(f.ctx, f.loc.Key, off, want, nil)
	if err != nil {
		return 0, wrap(fmt.Sprintf("read bytes [%d,%d) of", off, off+want), f.loc, err)
	}
	defer r.Close()
	Stats.Requests.Add(1)
	n, err := io.ReadFull(r, p[:want])
	Stats.BytesRead.Add(int64(n))
	if err != nil {
		return n, fmt.Errorf("read bytes [%d,%d) of %s: got %d bytes: %w", off, off+want, f.loc, n, err)
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// Close releases nothing: every ReadAt is its own request.
func (f *RangeFile) Close() error { return nil }

// MemFile is an object read whole into memory (a checkpoint index: many small block reads).
type MemFile struct{ b []byte }

func (m MemFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
func (MemFile) Close() error { return nil }

// NewMemFile wraps b.
func NewMemFile(b []byte) MemFile { return MemFile{b} }

// Download copies the object at l to the local file dst (created with its directories),
// streaming.
func Download(ctx context.Context, l Loc, dst string) error {
	b, err := Bucket(ctx, l)
	if err != nil {
		return err
	}
	r, err := b.NewReader(ctx, l.Key, nil)
	if err != nil {
		return wrap("read", l, err)
	}
	defer r.Close()
	Stats.Requests.Add(1)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, r)
	Stats.BytesRead.Add(n)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("read %s: after %d bytes: %w", l, n, err)
	}
	return nil
}

// DownloadTree copies every object under l's key + "/" into the local folder dst.
func DownloadTree(ctx context.Context, l Loc, dst string) error {
	objs, err := List(ctx, l)
	if err != nil {
		return err
	}
	prefix := strings.TrimSuffix(l.Key, "/") + "/"
	for _, o := range objs {
		rel := strings.TrimPrefix(o.Key, prefix)
		if rel == "" || strings.Contains("/"+rel+"/", "/../") {
			continue
		}
		if err := Download(ctx, o, filepath.Join(dst, filepath.FromSlash(rel))); err != nil {
			return err
		}
	}
	return nil
}

// Upload copies the local file src to the object at l, streaming, in one PUT as far as the
// reader of the object is concerned: the object appears (or is replaced) whole when the
// write is closed, never partly. A write that fails leaves the previous object.
func Upload(ctx context.Context, src string, l Loc) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := Bucket(ctx, l)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Parts of 8 MiB, 4 in flight: at most 32 MiB of buffers per upload.
	w, err := b.NewWriter(wctx, l.Key, &blob.WriterOptions{ContentType: "application/octet-stream",
		BufferSize: 8 << 20, MaxConcurrency: 4})
	if err != nil {
		return wrap("write", l, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		cancel() // abandons the upload: the previous object stays
		w.Close()
		return wrap("write", l, err)
	}
	return wrap("write", l, w.Close())
}

// Rank orders the files of a save for upload: the objects a reader trusts as markers go
// last. 0: data (checkpoint data shards, SavedModel variables/ and assets/, .keras dir
// payload, sharded-weights shards); 1: a checkpoint's .index; 2: saved_model.pb, a Keras
// directory's config.json, a sharded-weights manifest .weights.json; 3: the `checkpoint`
// state file of a folder.
func Rank(rel string) int {
	base := filepath.Base(rel)
	switch {
	case base == "checkpoint":
		return 3
	case base == "saved_model.pb" || base == "config.json" || strings.HasSuffix(base, ".weights.json"):
		return 2
	case strings.HasSuffix(base, ".index"):
		return 1
	}
	return 0
}

// UploadTree uploads every regular file under the local folder src to dst's key + "/" +
// its relative path, in Rank order (data first, markers last), so that a reader of the
// destination sees the new model only once all of it is there. Lock files are skipped.
// before, when set, is called before each upload; an error from it stops the upload there
// (tests use it to interrupt a save).
func UploadTree(ctx context.Context, src string, dst Loc, before func(rel string) error) error {
	var rels []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || strings.HasSuffix(p, ".lock") {
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		rels = append(rels, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return err
	}
	sort.SliceStable(rels, func(i, j int) bool {
		ri, rj := Rank(rels[i]), Rank(rels[j])
		if ri != rj {
			return ri < rj
		}
		return rels[i] < rels[j]
	})
	for _, rel := range rels {
		if before != nil {
			if err := before(rel); err != nil {
				return err
			}
		}
		if err := Upload(ctx, filepath.Join(src, filepath.FromSlash(rel)), dst.Child(rel)); err != nil {
			return err
		}
	}
	return nil
}

// BeforeUpload, when set, is called by the model package's saves before each object it
// uploads, with the object's path relative to the save's folder; an error stops the save
// there. Tests use it to interrupt a save; it is nil otherwise.
var BeforeUpload func(rel string) error
