package blobpath_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/internal/blobpath"
	"github.com/kerasgo/kerasgo/internal/s3test"
)

func TestParse(t *testing.T) {
	l, err := blobpath.Parse("s3://bkt/a/b/w?endpoint=http://127.0.0.1:1&region=x")
	if err != nil {
		t.Fatal(err)
	}
	if l.Key != "a/b/w" || l.String() != "s3://bkt/a/b/w" || l.Bucket != "s3://bkt?endpoint=http://127.0.0.1:1&region=x" {
		t.Fatalf("%+v", l)
	}
	if d := l.Dir(); d.Key != "a/b" || d.Child("c.index").String() != "s3://bkt/a/b/c.index" {
		t.Fatalf("%+v", d)
	}
	if r, ok := l.Resolve("s3://bkt/a/b/w.index"); !ok || r.Key != "a/b/w.index" || r.Bucket != l.Bucket {
		t.Fatalf("%+v %v", r, ok)
	}
	if l, _ := blobpath.Parse("mem://x/dir/"); l.Key != "dir" || l.Dir().Key != "" {
		t.Fatalf("trailing slash: %+v", l)
	}
	if !blobpath.IsURL("mem://x/y") || blobpath.IsURL("/tmp/x") || blobpath.IsURL("file:///tmp/x") {
		t.Fatal("IsURL")
	}
	if got := blobpath.Local("file:///tmp/x%20y"); got != "/tmp/x y" {
		t.Fatal(got)
	}
}

// transfer uploads a tree (markers last), lists, downloads and range-reads it back.
func transfer(t *testing.T, root string) {
	ctx := context.Background()
	src := t.TempDir()
	files := map[string]string{"w.data-00000-of-00001": "DATA0123456789", "w.index": "INDEX", "checkpoint": "STATE", "sub/x": "X"}
	for n, c := range files {
		os.MkdirAll(filepath.Join(src, filepath.Dir(n)), 0o755)
		os.WriteFile(filepath.Join(src, n), []byte(c), 0o644)
	}
	dst, err := blobpath.Parse(root)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	if err := blobpath.UploadTree(ctx, src, dst, func(rel string) error { order = append(order, rel); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(order) != 4 || order[2] != "w.index" || order[3] != "checkpoint" {
		t.Fatalf("upload order %v: want data first, .index, then checkpoint", order)
	}
	objs, err := blobpath.List(ctx, dst)
	if err != nil || len(objs) != 4 {
		t.Fatalf("list: %v %v", objs, err)
	}
	f, n, err := blobpath.OpenRange(ctx, dst.Child("w.data-00000-of-00001"))
	if err != nil || n != 14 {
		t.Fatal(n, err)
	}
	before := blobpath.Stats.BytesRead.Load()
	buf := make([]byte, 4)
	if _, err := f.ReadAt(buf, 4); err != nil || string(buf) != "0123" {
		t.Fatalf("%q %v", buf, err)
	}
	if got := blobpath.Stats.BytesRead.Load() - before; got != 4 {
		t.Fatalf("ranged read fetched %d bytes, want 4", got)
	}
	out := t.TempDir()
	if err := blobpath.DownloadTree(ctx, dst, out); err != nil {
		t.Fatal(err)
	}
	for n, c := range files {
		b, err := os.ReadFile(filepath.Join(out, n))
		if err != nil || !bytes.Equal(b, []byte(c)) {
			t.Fatalf("%s: %q %v", n, b, err)
		}
	}
	_, err = blobpath.Size(ctx, dst.Child("nope"))
	if !blobpath.IsNotExist(err) {
		t.Fatalf("missing object: %v", err)
	}
}

func TestTransferMem(t *testing.T) { transfer(t, "mem://transfer/root") }

func TestTransferS3(t *testing.T) {
	s := s3test.Start(t)
	transfer(t, s.URL("root"))
}
