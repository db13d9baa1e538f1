package model

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/internal/blobpath"
	"github.com/kerasgo/kerasgo/saved"
)

// Object storage (see DESIGN.md "Object storage"): every path of Load, LoadSaved,
// LoadWeights, Detect, Save, SaveWeights, SaveWeightsWith and SaveKerasDir may be an
// s3://, gs://, azblob:// or mem:// URL (internal/blobpath). A checkpoint is read in place
// with ranged reads; other formats are downloaded once into a temporary folder, read, and
// removed. A save is written locally into a temporary folder, then uploaded with the objects
// a reader trusts (the checkpoint's .index, then its folder's `checkpoint` state file; a
// SavedModel's saved_model.pb) last.

// remoteErr is an error of a local operation on a temporary copy, its message naming the
// object instead of the temporary file.
type remoteErr struct {
	msg string
	err error
}

func (e *remoteErr) Error() string { return e.msg }
func (e *remoteErr) Unwrap() error { return e.err }

// renamed rewrites the temporary path tmp in err's message as name.
func renamed(err error, tmp, name string) error {
	if err == nil {
		return nil
	}
	return &remoteErr{msg: strings.ReplaceAll(err.Error(), tmp, name), err: err}
}

// saveRemote runs save on a local path in a temporary folder with the base name of url's
// key, then uploads what it wrote beside url's key, markers last.
func saveRemote(op, url string, save func(local string) error) error {
	l, err := blobpath.Parse(url)
	if err != nil {
		return opErr(op, url, err)
	}
	base := path.Base(l.Key)
	if l.Key == "" || base == "." || base == "/" {
		return opErr(op, url, fmt.Errorf("%w: a URL naming a bucket needs a key to save to", ErrUnsupported))
	}
	tmp, err := os.MkdirTemp("", "kerasgo-save-")
	if err != nil {
		return opErr(op, url, err)
	}
	defer os.RemoveAll(tmp)
	local := filepath.Join(tmp, base)
	if err := save(local); err != nil {
		return renamed(err, local, l.String())
	}
	if err := blobpath.UploadTree(context.Background(), tmp, l.Dir(), blobpath.BeforeUpload); err != nil {
		return opErr(op, url, err)
	}
	return nil
}

// remoteDetect is detect for an object URL. It reads no more than a few small ranges: the
// presence of KEY.index, KEY/saved_model.pb, KEY/checkpoint, KEY/config.json and KEY, and
// for an object the signatures Detect looks for.
func remoteDetect(url string) (Format, string, error) {
	l, err := blobpath.Parse(url)
	if err != nil {
		return FormatUnknown, "", err
	}
	ctx := context.Background()
	if strings.HasSuffix(l.Key, ".index") && blobpath.Exists(ctx, l) {
		return FormatCheckpoint, l.Join(strings.TrimSuffix(l.Key, ".index")).URL(), nil
	}
	if l.Key != "" && blobpath.Exists(ctx, l.Join(l.Key+".index")) {
		return FormatCheckpoint, url, nil
	}
	if blobpath.Exists(ctx, l.Child("saved_model.pb")) {
		return FormatSavedModel, url, nil
	}
	if p, ok, err := blobpath.ResolveState(url); ok {
		if err != nil {
			return FormatUnknown, "", err
		}
		return FormatCheckpoint, p, nil
	}
	if blobpath.Exists(ctx, l.Child("config.json")) {
		return FormatKeras, url, nil
	}
	f, size, err := blobpath.OpenRange(ctx, l)
	if blobpath.IsNotExist(err) {
		return FormatUnknown, "", fmt.Errorf("%w: %s: no such object, nor %s.index, %s/saved_model.pb, %s/checkpoint or %s/config.json",
			os.ErrNotExist, l, l.Key, l.Key, l.Key, l.Key)
	}
	if err != nil {
		return FormatUnknown, "", err
	}
	if h5.IsShardManifest(l.Key) {
		return FormatHDF5, url, nil
	}
	head := make([]byte, 8)
	if n, _ := f.ReadAt(head, 0); n >= 4 && bytes.Equal(head[:4], zipMagic) {
		return FormatKeras, url, nil
	}
	for off := int64(0); off+8 <= size; {
		if _, err := f.ReadAt(head, off); err != nil {
			return FormatUnknown, "", err
		}
		if bytes.Equal(head, hdf5Magic) {
			return FormatHDF5, url, nil
		}
		if off == 0 {
			off = 512
		} else {
			off *= 2
		}
	}
	return FormatUnknown, "", fmt.Errorf("%w: not an HDF5 file, a .keras zip, a SavedModel or a checkpoint", ErrUnsupported)
}

// readRemote is readSaved for an object URL p (a checkpoint's prefix URL, or the object or
// folder of the other formats).
func readRemote(f Format, p string, o LoadOptions) (*saved.Model, error) {
	if f == FormatCheckpoint {
		ro, prefix, err := blobpath.CheckpointOptions(checkpoint.ReaderOptions{MaxTensorBytes: o.MaxTensorBytes, MaxTotalBytes: o.MaxTotalBytes}, p)
		if err != nil {
			return nil, err
		}
		return ro.LoadKerasWeights(prefix)
	}
	var sm *saved.Model
	err := Fetch(p, f, func(local string) error {
		var err error
		sm, err = readSaved(f, local, o)
		return err
	})
	return sm, err
}

// Fetch downloads the object (or, for a SavedModel or Keras directory, the folder) at url
// once into a temporary folder, under the base name of its key, and calls fn with the local
// path; the copy is removed after. A Keras 3 sharded-weights manifest comes with its shards.
// Errors of fn name url, not the temporary copy. A checkpoint is never fetched: it is read
// in place (see blobpath.CheckpointOptions).
func Fetch(url string, f Format, fn func(local string) error) error {
	l, err := blobpath.Parse(url)
	if err != nil {
		return err
	}
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "kerasgo-fetch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	base := path.Base(l.Key)
	if l.Key == "" {
		base = "bucket"
	}
	local := filepath.Join(tmp, base)
	switch {
	case f == FormatSavedModel || (f == FormatKeras && !blobpath.Exists(ctx, l)):
		if err := blobpath.DownloadTree(ctx, l, local); err != nil {
			return err
		}
	default:
		if err := blobpath.Download(ctx, l, local); err != nil {
			return err
		}
		if h5.IsShardManifest(l.Key) {
			stem := strings.TrimSuffix(l.Key, h5.ManifestSuffix)
			shards, err := blobpath.ListPrefix(ctx, l.Join(stem+"_"))
			if err != nil {
				return err
			}
			for _, s := range shards {
				if strings.HasSuffix(s.Key, ".weights.h5") && !strings.Contains(strings.TrimPrefix(s.Key, stem), "/") {
					if err := blobpath.Download(ctx, s, filepath.Join(tmp, path.Base(s.Key))); err != nil {
						return err
					}
				}
			}
		}
	}
	return renamed(fn(local), local, l.String())
}

// isRemote reports whether path is an object URL; errRemoteOnly is for callers that need a
// local path.
func isRemote(p string) bool { return blobpath.IsURL(p) }
