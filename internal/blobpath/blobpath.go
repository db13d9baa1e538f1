// Package blobpath lets every path of kerasgo be an object-storage URL as well as a local
// path, through gocloud.dev/blob: s3://bucket/key, gs://bucket/key, azblob://container/key
// and mem://name/key (a process-wide in-memory bucket, for tests). file:///abs/path is the
// local path /abs/path (read and written with kerasgo's local atomic saves). Anything else
// is a local path, meaning what it always meant.
//
// Credentials and endpoints come the standard way: the environment and the SDKs' own config
// (AWS_ACCESS_KEY_ID, AWS_REGION, ~/.aws/config; GOOGLE_APPLICATION_CREDENTIALS;
// AZURE_STORAGE_ACCOUNT ...), plus the URL query parameters gocloud.dev documents for each
// driver (for S3: ?endpoint=http://host:port&use_path_style=true&region=...&disable_https=true).
// The query is kept for opening the bucket and left out of the names printed in errors.
package blobpath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// schemes are the URL schemes served by gocloud.dev drivers (file:// is mapped to a local path).
var schemes = []string{"s3", "gs", "azblob", "mem"}

// IsURL reports whether p names an object in a bucket (s3://, gs://, azblob://, mem://).
// file:// URLs are not: Local maps them to local paths.
func IsURL(p string) bool {
	for _, s := range schemes {
		if strings.HasPrefix(p, s+"://") {
			return true
		}
	}
	return false
}

// Local maps a file:// URL to its local path and returns any other path unchanged.
func Local(p string) string {
	if !strings.HasPrefix(p, "file://") {
		return p
	}
	u, err := url.Parse(p)
	if err != nil || u.Path == "" {
		return strings.TrimPrefix(p, "file://")
	}
	return u.Path
}

// Loc is a parsed object URL.
type Loc struct {
	Bucket string // the URL that opens the bucket: scheme://bucket?query
	Key    string // the object key, without a leading slash
	Base   string // scheme://bucket/ : the printed prefix of every key of the bucket
	query  string
}

// String is the URL without its query: what errors print.
func (l Loc) String() string { return l.Base + l.Key }

// Join is the location of key (a bucket key) in the same bucket.
func (l Loc) Join(key string) Loc { l.Key = strings.TrimPrefix(key, "/"); return l }

// Child is the location of l's key + "/" + rel.
func (l Loc) Child(rel string) Loc {
	if l.Key == "" {
		return l.Join(rel)
	}
	return l.Join(strings.TrimSuffix(l.Key, "/") + "/" + rel)
}

// Dir is the location of the "folder" holding l's key ("" for the bucket's root).
func (l Loc) Dir() Loc {
	d := path.Dir(l.Key)
	if d == "." || d == "/" {
		d = ""
	}
	return l.Join(d)
}

// URL is the full URL of l, its query included: a path the rest of kerasgo accepts.
func (l Loc) URL() string {
	s := l.String()
	if l.query != "" {
		s += "?" + l.query
	}
	return s
}

// Parse parses an object URL (IsURL must hold).
func Parse(p string) (Loc, error) {
	u, err := url.Parse(p)
	if err != nil {
		return Loc{}, fmt.Errorf("blobpath: %q: %v", p, err)
	}
	if u.Host == "" && u.Scheme != "mem" {
		return Loc{}, fmt.Errorf("blobpath: %q: no bucket name", p)
	}
	b := url.URL{Scheme: u.Scheme, Host: u.Host, RawQuery: u.RawQuery}
	// A trailing slash names the same folder: s3://b/dir/ is s3://b/dir.
	return Loc{Bucket: b.String(), Key: strings.Trim(u.Path, "/"),
		Base: u.Scheme + "://" + u.Host + "/", query: u.RawQuery}, nil
}

// Resolve maps a printed name (Loc.String of some key of l's bucket) back to its location.
func (l Loc) Resolve(name string) (Loc, bool) {
	if !strings.HasPrefix(name, l.Base) {
		return Loc{}, false
	}
	return l.Join(strings.TrimPrefix(name, l.Base)), true
}

var (
	bucketsMu sync.Mutex
	buckets   = map[string]*blob.Bucket{}
)

// Bucket opens (once per process: mem:// buckets live as long as the process) the bucket of l.
func Bucket(ctx context.Context, l Loc) (*blob.Bucket, error) {
	bucketsMu.Lock()
	defer bucketsMu.Unlock()
	if b, ok := buckets[l.Bucket]; ok {
		return b, nil
	}
	b, err := blob.OpenBucket(ctx, l.Bucket)
	if err != nil {
		return nil, fmt.Errorf("blobpath: open bucket %s: %w", strings.TrimSuffix(l.Base, "/"), err)
	}
	buckets[l.Bucket] = b
	return b, nil
}

// Stats counts what the package fetched from buckets (for tests and benchmarks).
var Stats struct {
	BytesRead atomic.Int64 // object bytes read
	Requests  atomic.Int64 // GETs (whole or ranged)
}

// ErrNotExist is wrapped by errors for missing objects (it is fs.ErrNotExist's message but a
// gcerrors.NotFound test is what decides).
var ErrNotExist = errors.New("no such object")

// IsNotExist reports whether err says an object is missing.
func IsNotExist(err error) bool {
	return errors.Is(err, ErrNotExist) || gcerrors.Code(err) == gcerrors.NotFound
}

// wrap names the object and operation in err.
func wrap(op string, l Loc, err error) error {
	if err == nil {
		return nil
	}
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("%s %s: %w", op, l, ErrNotExist)
	}
	return fmt.Errorf("%s %s: %w", op, l, err)
}

// Size returns the size of the object at l; a missing object wraps ErrNotExist.
func Size(ctx context.Context, l Loc) (int64, error) {
	b, err := Bucket(ctx, l)
	if err != nil {
		return 0, err
	}
	a, err := b.Attributes(ctx, l.Key)
	if err != nil {
		return 0, wrap("stat", l, err)
	}
	return a.Size, nil
}

// Exists reports whether an object is at l (errors other than "missing" count as missing and
// resurface when the object is read).
func Exists(ctx context.Context, l Loc) bool {
	_, err := Size(ctx, l)
	return err == nil
}

// ReadAll reads the whole object at l, refusing one larger than limit bytes.
func ReadAll(ctx context.Context, l Loc, limit int64) ([]byte, error) {
	n, err := Size(ctx, l)
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("read %s: %d bytes exceed the %d-byte limit", l, n, limit)
	}
	b, err := Bucket(ctx, l)
	if err != nil {
		return nil, err
	}
	r, err := b.NewReader(ctx, l.Key, nil)
	if err != nil {
		return nil, wrap("read", l, err)
	}
	defer r.Close()
	Stats.Requests.Add(1)
	buf, err := io.ReadAll(io.LimitReader(r, limit+1))
	Stats.BytesRead.Add(int64(len(buf)))
	if err != nil {
		return nil, wrap("read", l, err)
	}
	if int64(len(buf)) != n {
		return nil, fmt.Errorf("read %s: got %d bytes of %d", l, len(buf), n)
	}
	return buf, nil
}

// List returns the keys (as locations) of every object under l's key + "/" (recursively).
func List(ctx context.Context, l Loc) ([]Loc, error) {
	b, err := Bucket(ctx, l)
	if err != nil {
		return nil, err
	}
	prefix := strings.TrimSuffix(l.Key, "/") + "/"
	if l.Key == "" {
		prefix = ""
	}
	var out []Loc
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, wrap("list", l, err)
		}
		if !o.IsDir {
			out = append(out, l.Join(o.Key))
		}
	}
}

// ListPrefix returns the objects whose key starts with l's key (not only a folder's).
func ListPrefix(ctx context.Context, l Loc) ([]Loc, error) {
	b, err := Bucket(ctx, l)
	if err != nil {
		return nil, err
	}
	var out []Loc
	it := b.List(&blob.ListOptions{Prefix: l.Key})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, wrap("list", l, err)
		}
		if !o.IsDir {
			out = append(out, l.Join(o.Key))
		}
	}
}

// Delete removes the object at l; a missing object is not an error.
func Delete(ctx context.Context, l Loc) error {
	b, err := Bucket(ctx, l)
	if err != nil {
		return err
	}
	if err := b.Delete(ctx, l.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return wrap("delete", l, err)
	}
	return nil
}
