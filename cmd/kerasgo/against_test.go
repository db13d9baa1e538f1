//go:build cgo

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/internal/table"
	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/model"
)

const seedFormats = "../../testdata/formats/seed"

// TestVerifyAgainst: --against compares every tensor of two files of any formats; a copy in
// another format passes, a copy with one weight value and one optimizer slot value changed
// fails naming both, with nothing on stdout.
func TestVerifyAgainst(t *testing.T) {
	src := filepath.Join(seedFormats, "tfkeras", "model.h5")
	dir := t.TempDir()
	for _, dst := range []string{"copy.keras", "sm", "w.h5"} {
		args := []string{"convert", src, filepath.Join(dir, dst)}
		if dst == "w.h5" {
			args = append(args, "--weights-only")
		}
		if code, _, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("convert to %s: %s", dst, errs)
		}
	}
	for _, other := range []string{filepath.Join(dir, "copy.keras"), filepath.Join(dir, "sm"), filepath.Join(seedFormats, "tfkeras", "ckpt")} {
		code, out, errs := runCLI(t, "verify", src, "--against", other)
		if code != 0 || !strings.Contains(out, "\nsame as ") || !strings.Contains(out, other+": every tensor equal (4 layers, 10 weights, 16 optimizer slots, 27 tensors compared)\n") {
			t.Errorf("verify --against %s: exit %d\n%s%s", other, code, out, errs)
		}
	}
	// A weights-only copy has no optimizer state: a difference.
	code, out, errs := runCLI(t, "verify", src, "--against", filepath.Join(dir, "w.h5"))
	if code != 1 || out != "" || !strings.Contains(errs, "1 difference: optimizer state: in this file, not in the other") {
		t.Errorf("against a weights-only copy: exit %d, stdout %q, stderr %q", code, out, errs)
	}

	sm, err := model.LoadSaved(src)
	if err != nil {
		t.Fatal(err)
	}
	var changed string
	for _, l := range sm.Layers {
		if l.Name == "dense_2" {
			l.Weights[0].Value.Float32s()[5] += 0.5
			changed = l.Weights[0].Name
		}
	}
	for _, s := range sm.Optimizer.Slots {
		if s.Layer == "conv_1" && s.Weight == "bias" && s.Name == "velocity" {
			s.Value.Float32s()[3] = -1
		}
	}
	mod := filepath.Join(dir, "mod.h5")
	if err := h5.SaveModel(mod, sm); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "verify", src, "--against", mod)
	for _, want := range []string{"2 differences: ", `layer "dense_2" weight "` + changed + `": 1 of 320 values differ (first at flat index 5: `,
		`optimizer slot "velocity" of layer "conv_1" weight "bias": 1 of 16 values differ (first at flat index 3: `} {
		if code != 1 || out != "" || !strings.Contains(errs, want) {
			t.Errorf("against a changed copy: exit %d, stdout %q, stderr %q; want %q", code, out, errs, want)
		}
	}
	// Another architecture: layer and shape differences.
	code, _, errs = runCLI(t, "verify", src, "--against", filepath.Join(seedFormats, "..", "wide", "tfkeras", "model.h5"))
	if code != 1 || !strings.Contains(errs, "differences: ") || !strings.Contains(errs, "shape (") {
		t.Errorf("against another architecture: exit %d, stderr %q", code, errs)
	}
}

// TestVerifyChecksumPromises: verify says when a format has no checksums (HDF5) and fails
// what it cannot vouch for: a checkpoint tensor whose dtype is no TensorFlow type, and a
// SavedModel without its variables.
func TestVerifyChecksumPromises(t *testing.T) {
	code, out, errs := runCLI(t, "verify", filepath.Join(seedFormats, "tfkeras", "model.h5"))
	if code != 0 || !strings.Contains(out, "no checksums in this format") {
		t.Errorf("verify .h5: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "verify", filepath.Join(seedFormats, "keras3", "model.keras"))
	if code != 0 || !strings.Contains(out, "zip members crc32-checked") || !strings.Contains(out, "HDF5 itself has no checksums in this format") {
		t.Errorf("verify .keras: exit %d\n%s%s", code, out, errs)
	}
	dir := t.TempDir()
	ck := filepath.Join(dir, "ckpt")
	copyTree(t, filepath.Join(seedFormats, "tfkeras", "ckpt"), ck)
	prefix := filepath.Join(ck, "weights")
	if code, out, _ := runCLI(t, "verify", ck); code != 0 || !strings.Contains(out, "every crc32c verified") {
		t.Fatalf("verify of the intact checkpoint: exit %d\n%s", code, out)
	}
	rewriteIndex(t, prefix, func(k string, e *tfpb.BundleEntryProto) {
		if strings.HasPrefix(k, "layer_with_weights-0/kernel") {
			e.Dtype = 99
		}
	})
	code, out, errs = runCLI(t, "verify", ck)
	if code != 1 || out != "" || !strings.Contains(errs, "dtype 99 is not a TensorFlow type a checkpoint can hold") || strings.Contains(errs, "crc32c verified") {
		t.Errorf("verify of a checkpoint with dtype 99: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	sm := filepath.Join(dir, "sm")
	copyTree(t, filepath.Join(seedFormats, "tfkeras", "savedmodel"), sm)
	os.RemoveAll(filepath.Join(sm, "variables"))
	code, out, errs = runCLI(t, "verify", sm)
	if code != 1 || out != "" || !strings.Contains(errs, "no variables directory") {
		t.Errorf("verify of a SavedModel without variables/: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// rewriteIndex rewrites the index of the bundle at prefix, letting edit change each entry.
func rewriteIndex(t *testing.T, prefix string, edit func(key string, e *tfpb.BundleEntryProto)) {
	t.Helper()
	b, err := os.ReadFile(checkpoint.IndexFile(prefix))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := table.NewReader(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	tw := table.NewWriter(&out, nil)
	err = tr.Scan(func(k, v []byte) error {
		if len(k) > 0 {
			var e tfpb.BundleEntryProto
			if err := proto.Unmarshal(v, &e); err != nil {
				return err
			}
			edit(string(k), &e)
			if v, err = proto.Marshal(&e); err != nil {
				return err
			}
		}
		return tw.Add(k, v)
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(checkpoint.IndexFile(prefix), out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
