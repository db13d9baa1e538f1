package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/blobpath"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// Object storage in the CLI: every PATH may be an s3://, gs://, azblob:// or mem:// URL
// (file:// is a local path). summary, predict and convert of whole models go through
// model.Load and model.Save, which read and write URLs themselves. ls and verify --index of
// a remote checkpoint read its index only (and HEAD its data files); the other remote
// inputs of ls, verify and convert --weights-only are downloaded once into a temporary
// folder (a checkpoint: its index and data files), and a remote convert destination is
// written into one and uploaded, markers last (model.Save's order).

// renamedErr is an error whose message names the object, not the temporary copy.
type renamedErr struct {
	msg string
	err error
}

func (e *renamedErr) Error() string { return e.msg }
func (e *renamedErr) Unwrap() error { return e.err }

func rename(err error, from, to string) error {
	if err == nil || from == "" {
		return err
	}
	return &renamedErr{strings.ReplaceAll(err.Error(), from, to), err}
}

// withLocalInput calls fn with a local copy of p when p is a URL (p itself otherwise); what
// fn writes to w and returns names p's object, not the copy.
func withLocalInput(p string, w io.Writer, fn func(local string, w io.Writer) error) error {
	if !blobpath.IsURL(p) {
		return fn(blobpath.Local(p), w)
	}
	f, prefix, err := model.Detect(p)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	var local, display string
	run := func(l string) error { local = l; return fn(l, &buf) }
	if f == model.FormatCheckpoint {
		display, err = fetchCheckpoint(prefix, run)
	} else {
		l, _ := blobpath.Parse(p)
		display = l.String()
		err = model.Fetch(p, f, run)
	}
	out := buf.String()
	if local != "" {
		out = strings.ReplaceAll(out, local, display)
	}
	io.WriteString(w, out)
	return rename(err, local, display)
}

// fetchCheckpoint downloads the bundle at the prefix URL (index and data files) into a
// temporary folder and calls fn with the local prefix; it returns the prefix's printed name.
func fetchCheckpoint(prefix string, fn func(local string) error) (string, error) {
	l, err := blobpath.Parse(prefix)
	if err != nil {
		return "", err
	}
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "kerasgo-fetch-")
	if err != nil {
		return l.String(), err
	}
	defer os.RemoveAll(tmp)
	local := filepath.Join(tmp, path.Base(l.Key))
	if err := blobpath.Download(ctx, l.Join(l.Key+".index"), checkpoint.IndexFile(local)); err != nil {
		return l.String(), err
	}
	r, err := checkpoint.Open(local)
	if err != nil {
		return l.String(), rename(err, local, l.String())
	}
	n := r.NumShards()
	r.Close()
	for i := 0; i < n; i++ {
		d := checkpoint.DataFile(l.Key, i, n)
		if err := blobpath.Download(ctx, l.Join(d), checkpoint.DataFile(local, i, n)); err != nil && !blobpath.IsNotExist(err) {
			return l.String(), err
		}
	}
	return l.String(), rename(fn(local), local, l.String())
}

// openCheckpoint opens the checkpoint with the prefix p (local, or a URL: its index is read,
// nothing else) and returns it with a function giving the size of a data file of it.
func openCheckpoint(p string) (*checkpoint.Reader, func(name string) (int64, error), error) {
	if !blobpath.IsURL(p) {
		r, err := checkpoint.Open(p)
		return r, func(name string) (int64, error) {
			st, err := os.Stat(name)
			if err != nil {
				return 0, err
			}
			return st.Size(), nil
		}, err
	}
	o, prefix, err := blobpath.CheckpointOptions(checkpoint.ReaderOptions{}, p)
	if err != nil {
		return nil, nil, err
	}
	l, _ := blobpath.Parse(p)
	r, err := o.Open(prefix)
	return r, func(name string) (int64, error) {
		fl, ok := l.Resolve(name)
		if !ok {
			return 0, fmt.Errorf("%s: not in the bucket of %s", name, l)
		}
		return blobpath.Size(context.Background(), fl)
	}, err
}

// prefixName is how output names the checkpoint prefix p (a URL without its query).
func prefixName(p string) string {
	if l, err := blobpath.Parse(p); err == nil && blobpath.IsURL(p) {
		return l.String()
	}
	return p
}

// verifyIndex is `verify --index` of a checkpoint: its index is read and checked (header,
// entries, no overlapping data) and every data file it names is there and long enough for
// its entries, without a byte of tensor data being read.
func verifyIndex(p string) (string, error) {
	r, size, err := openCheckpoint(p)
	if err != nil {
		return "", err
	}
	defer r.Close()
	name := prefixName(p)
	n := r.NumShards()
	ends := make([]int64, n)
	for _, e := range r.Entries() {
		if !e.Sliced && e.Offset+e.Size > ends[e.Shard] {
			ends[e.Shard] = e.Offset + e.Size
		}
	}
	for i := 0; i < n; i++ {
		f := checkpoint.DataFile(name, i, n)
		got, err := size(f)
		if err != nil {
			if blobpath.IsNotExist(err) || errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("verify %s: data file %s missing", name, f)
			}
			return "", fmt.Errorf("verify %s: %w", name, err)
		}
		if got < ends[i] {
			return "", fmt.Errorf("verify %s: data file %s has %d bytes, its entries need %d", name, f, got, ends[i])
		}
	}
	return fmt.Sprintf("ok: TF checkpoint %s: index sound: %d variables in %d data files (index only: tensor data not read)", name, len(r.Entries()), n), nil
}

// withLocalOutput calls fn with a local path for dst when dst is a URL (dst itself
// otherwise), then uploads what fn wrote there, markers last.
func withLocalOutput(dst string, w io.Writer, fn func(local string, w io.Writer) error) error {
	if !blobpath.IsURL(dst) {
		return fn(blobpath.Local(dst), w)
	}
	l, err := blobpath.Parse(dst)
	if err != nil {
		return err
	}
	base := path.Base(l.Key)
	if l.Key == "" || base == "." || base == "/" {
		return fmt.Errorf("%w: %s: a URL naming a bucket needs a key to write to", errUsage, dst)
	}
	tmp, err := os.MkdirTemp("", "kerasgo-out-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	local := filepath.Join(tmp, base)
	var buf bytes.Buffer
	err = fn(local, &buf)
	io.WriteString(w, strings.ReplaceAll(buf.String(), local, l.String()))
	if err != nil {
		return rename(err, local, l.String())
	}
	return blobpath.UploadTree(context.Background(), tmp, l.Dir(), nil)
}

// readNpy reads a .npy file, local or at a URL (downloaded once into a temporary file).
func readNpy(p string) (*tensor.Tensor, error) {
	if !blobpath.IsURL(p) {
		return npy.ReadFile(blobpath.Local(p))
	}
	l, err := blobpath.Parse(p)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "kerasgo-fetch-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	local := filepath.Join(tmp, path.Base(l.Key))
	if err := blobpath.Download(context.Background(), l, local); err != nil {
		return nil, err
	}
	t, err := npy.ReadFile(local)
	return t, rename(err, local, l.String())
}

// writeNpy writes a .npy file, local or at a URL (one PUT of a temporary file).
func writeNpy(p string, t *tensor.Tensor) error {
	if !blobpath.IsURL(p) {
		return npy.WriteFile(blobpath.Local(p), t)
	}
	l, err := blobpath.Parse(p)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "kerasgo-out-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	local := filepath.Join(tmp, "out.npy")
	if err := npy.WriteFile(local, t); err != nil {
		return rename(err, local, l.String())
	}
	return blobpath.Upload(context.Background(), local, l)
}
