package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/blobpath"
	"github.com/kerasgo/kerasgo/internal/s3test"
)

// remoteCLI runs every command on object URLs built by at(key).
func remoteCLI(t *testing.T, at func(key string) string) {
	cfg := filepath.Join(models, "seed", "config_keras2.json")
	ok := func(args ...string) string {
		t.Helper()
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		if strings.Contains(out, "kerasgo-fetch-") || strings.Contains(out, "kerasgo-out-") {
			t.Errorf("%v: output names a temporary copy:\n%s", args, out)
		}
		return out
	}
	name := func(key string) string { l, _ := blobpath.Parse(at(key)); return l.String() }
	l, _ := blobpath.Parse(at("x"))
	ctx := context.Background()

	// A SavedModel written by convert, read by summary, predict, ls and verify.
	sm := at("cli/sm")
	if out := ok("convert", cfg, sm); !strings.Contains(out, name("cli/sm")) {
		t.Errorf("convert output: %s", out)
	}
	if got, want := ok("summary", sm), ok("summary", cfg); got != want {
		t.Errorf("summary of the remote SavedModel:\n%s\nwant:\n%s", got, want)
	}
	// predict: the model, --input and --output all URLs; the same result as locally.
	x := filepath.Join(models, "seed", "x.npy")
	if err := blobpath.Upload(ctx, x, l.Join("cli/x.npy")); err != nil {
		t.Fatal(err)
	}
	yLocal := filepath.Join(t.TempDir(), "y.npy")
	ok("predict", sm, "--input", x, "--output", yLocal)
	ok("predict", sm, "--input", at("cli/x.npy"), "--output", at("cli/y.npy"))
	want, err := readNpy(yLocal)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readNpy(at("cli/y.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Float32s(), want.Float32s()) {
		t.Error("predictions written to the bucket differ from the local ones")
	}
	if out := ok("ls", sm); !strings.Contains(out, "kernel") {
		t.Errorf("ls: %s", out)
	}
	if out := ok("verify", sm); !strings.HasPrefix(out, "ok: SavedModel "+name("cli/sm")+": sound") {
		t.Errorf("verify: %s", out)
	}

	// A checkpoint: ls and verify --index fetch its index only.
	ck := at("cli/ckpt/w")
	ok("convert", cfg, ck, "--weights-only")
	idx, err := blobpath.Size(ctx, l.Join("cli/ckpt/w.index"))
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"ls", ck}, {"ls", at("cli/ckpt")}, {"verify", "--index", ck}} {
		before := blobpath.Stats.BytesRead.Load()
		out := ok(args...)
		if got := blobpath.Stats.BytesRead.Load() - before; got != idx && (args[1] != at("cli/ckpt") || got > idx+1024) {
			t.Errorf("%v fetched %d bytes; the index has %d", args, got, idx)
		}
		if args[0] == "ls" && !strings.Contains(out, "VARIABLE_VALUE") {
			t.Errorf("%v: %s", args, out)
		}
		if args[0] == "verify" && !strings.HasPrefix(out, "ok: TF checkpoint "+name("cli/ckpt/w")+": index sound") {
			t.Errorf("%v: %s", args, out)
		}
	}
	if out := ok("verify", ck); !strings.HasPrefix(out, "ok: TF checkpoint "+name("cli/ckpt/w")+": sound") {
		t.Errorf("verify: %s", out)
	}
	// convert --weights-only: remote to local, local to remote (checkpoints copied tensor by tensor).
	local := filepath.Join(t.TempDir(), "w")
	ok("convert", "--weights-only", ck, local)
	ok("verify", local)
	ok("convert", "--weights-only", local, at("cli/ckpt3/w"))
	if out := ok("verify", "--against", ck, at("cli/ckpt3")); !strings.Contains(out, "every tensor equal") {
		t.Errorf("verify --against: %s", out)
	}

	// A data file gone: verify --index fails naming it.
	if err := blobpath.Delete(ctx, l.Join("cli/ckpt/w.data-00000-of-00001")); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "verify", "--index", ck)
	if code != 1 || !strings.Contains(errs, name("cli/ckpt/w.data-00000-of-00001")) || !strings.Contains(errs, "missing") {
		t.Errorf("verify --index without a data file: exit %d: %s", code, errs)
	}
	code, _, errs = runCLI(t, "ls", at("cli/none"))
	if code != 1 || !strings.Contains(errs, name("cli/none")) {
		t.Errorf("ls of a missing object: exit %d: %s", code, errs)
	}
}

func TestRemoteCLIMem(t *testing.T) {
	remoteCLI(t, func(key string) string { return "mem://cli/" + key })
}

func TestRemoteCLIS3(t *testing.T) {
	s := s3test.Start(t)
	remoteCLI(t, s.URL)
}
