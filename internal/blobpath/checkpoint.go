package blobpath

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
)

// maxWholeIndex is the largest .index read in one GET; a larger one is read block by block.
const maxWholeIndex = 64 << 20

// CheckpointOptions returns o set to read the bundle whose prefix URL is prefix from its
// bucket, and the prefix to pass to the reader (the URL without its query: what errors name).
// The index is fetched whole in one GET (block by block if larger than 64 MiB); a tensor is
// one ranged GET of exactly its bytes, when it is read.
func CheckpointOptions(o checkpoint.ReaderOptions, prefix string) (checkpoint.ReaderOptions, string, error) {
	l, err := Parse(prefix)
	if err != nil {
		return o, "", err
	}
	ctx := context.Background()
	o.OpenFile = func(name string) (checkpoint.File, int64, error) {
		fl, ok := l.Resolve(name)
		if !ok {
			return nil, 0, fmt.Errorf("checkpoint: %s: not in the bucket of %s", name, l)
		}
		f, n, err := OpenRange(ctx, fl)
		if err != nil {
			if IsNotExist(err) {
				return nil, 0, fmt.Errorf("%w (%v)", os.ErrNotExist, err)
			}
			return nil, 0, err
		}
		if strings.HasSuffix(name, ".index") && n <= maxWholeIndex {
			b, err := ReadAll(ctx, fl, maxWholeIndex)
			if err != nil {
				return nil, 0, err
			}
			return NewMemFile(b), int64(len(b)), nil
		}
		return f, n, nil
	}
	return o, l.String(), nil
}

// ResolveState returns the prefix URL the `checkpoint` state file of the folder dir (a URL)
// names, as checkpoint.ResolvePath resolves it on disk: a relative path is relative to the
// folder; an absolute one (written on another machine) falls back to its base name in the
// folder. ok is false when the folder has no state file.
func ResolveState(dir string) (prefix string, ok bool, err error) {
	l, err := Parse(dir)
	if err != nil {
		return "", false, err
	}
	ctx := context.Background()
	sl := l.Child(checkpoint.StateFile)
	b, err := ReadAll(ctx, sl, 64<<20)
	if IsNotExist(err) {
		return "", false, nil
	}
	if err != nil {
		return "", true, err
	}
	s, err := checkpoint.ParseState(sl.String(), b)
	if err != nil {
		return "", true, err
	}
	p := s.ModelCheckpointPath
	if p == "" {
		return "", true, fmt.Errorf("checkpoint: %s: no model_checkpoint_path", sl)
	}
	if filepath.IsAbs(p) || strings.Contains(p, "://") {
		p = filepath.Base(p)
	}
	return l.Child(filepath.ToSlash(p)).URL(), true, nil
}
