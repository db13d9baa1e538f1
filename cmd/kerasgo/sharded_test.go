//go:build cgo

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShardedManifest: ls, verify and convert take a Keras 3 sharded weights manifest
// (testdata/layouts/sharded, Keras 3.15) as the whole set: ls lists every variable of every
// shard, verify counts the shards, convert --weights-only writes sharded weights with
// --max-shard-size (and refuses a .weights.json destination without it) and a checkpoint.
func TestShardedManifest(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "layouts", "sharded", "w.weights.json")
	code, out, errs := runCLI(t, "ls", src)
	if code != 0 || strings.Count(out, "\n") != 22 || !strings.Contains(out, "optimizer/vars/13") {
		t.Errorf("ls: %d %q %q", code, out, errs)
	}
	code, out, errs = runCLI(t, "verify", src)
	if code != 0 || !strings.Contains(out, "the manifest and 4 shards") {
		t.Errorf("verify: %d %q %q", code, out, errs)
	}
	d := t.TempDir()
	dst := filepath.Join(d, "go.weights.json")
	if code, _, errs = runCLI(t, "convert", src, dst, "--weights-only"); code == 0 || !strings.Contains(errs, "--max-shard-size") {
		t.Errorf("convert to .weights.json without --max-shard-size: %d %q", code, errs)
	}
	if code, out, errs = runCLI(t, "convert", src, dst, "--weights-only", "--max-shard-size", "800"); code != 0 {
		t.Fatalf("convert: %d %q %q", code, out, errs)
	}
	shards, _ := filepath.Glob(filepath.Join(d, "go_*.weights.h5"))
	if len(shards) < 2 {
		t.Errorf("--max-shard-size 800 made %v", shards)
	}
	// The layers' variables, as ls lists them, are the source's (the optimizer state is
	// not converted).
	_, want, _ := runCLI(t, "ls", src)
	_, got, _ := runCLI(t, "ls", dst)
	if w := want[:strings.Index(want, "optimizer/")]; got != w {
		t.Errorf("ls of the converted set:\n%s\nwant\n%s", got, w)
	}
	if code, out, errs = runCLI(t, "convert", dst, filepath.Join(d, "ck"), "--weights-only", "--config",
		filepath.Join("..", "..", "testdata", "layouts", "unzipped", "config.json"), "--max-shard-size", "300"); code != 0 {
		t.Fatalf("convert to a checkpoint: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(d, "ck.data-00001-of-00002")); err != nil {
		t.Errorf("checkpoint with --max-shard-size 300: %v", err)
	}
	// A checkpoint to a checkpoint is copied tensor by tensor, optimizer state included.
	if code, out, errs = runCLI(t, "convert", filepath.Join(d, "ck"), filepath.Join(d, "ck2"), "--weights-only", "--max-shard-size", "200"); code != 0 || !strings.Contains(out, "tensor by tensor") {
		t.Fatalf("checkpoint copy: %d %q %q", code, out, errs)
	}
	_, a, _ := runCLI(t, "ls", filepath.Join(d, "ck"))
	_, b, _ := runCLI(t, "ls", filepath.Join(d, "ck2"))
	if a != b || a == "" {
		t.Errorf("ls of the copy:\n%s\nwant\n%s", b, a)
	}
	if _, err := os.Stat(filepath.Join(d, "ck2.data-00002-of-00003")); err != nil {
		t.Errorf("copy with --max-shard-size 200: %v", err)
	}
}
