package compat

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/tensor"
)

// ckptCopyTree copies the regular files under src to dst (same relative paths).
func ckptCopyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMergeBundlesTF: three workers write their parts of one checkpoint with Go's WriteShard
// (one of them in two data files); a copy of their bundles is merged by TensorFlow's own
// MergeV2Checkpoints op, the original by Go's MergeBundles. The two merged bundles are the same
// bytes (index and every data file), and tf.train.load_checkpoint reads every tensor of Go's
// merge with Go's values.
func TestMergeBundlesTF(t *testing.T) {
	python(t)
	goDir, tfDir := t.TempDir(), t.TempDir()
	ts := ckptAllDTypes()
	keys := make([]string, 0, len(ts))
	for k := range ts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []map[string]*tensor.Tensor{{}, {}, {}}
	for i, k := range keys {
		parts[i%3][k] = ts[k]
	}
	var wps, tfWps []string
	for i, p := range parts {
		var o []checkpoint.WriterOptions
		if i == 1 {
			o = append(o, checkpoint.WriterOptions{NumShards: 2})
		}
		wp, err := checkpoint.WriteShard(filepath.Join(goDir, "ckpt"), i, 3, p, o...)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(goDir, wp)
		wps, tfWps = append(wps, wp), append(tfWps, filepath.Join(tfDir, rel))
	}
	ckptCopyTree(t, goDir, tfDir)
	if err := checkpoint.MergeBundles(filepath.Join(goDir, "ckpt"), wps); err != nil {
		t.Fatal(err)
	}
	var tfGot map[string]json.RawMessage
	runPythonJSON(t, &tfGot, "sharded.py", append([]string{"tfmerge", filepath.Join(tfDir, "ckpt")}, tfWps...)...)
	if len(tfGot) != len(ts) {
		t.Errorf("TensorFlow's merge holds %d tensors, want %d", len(tfGot), len(ts))
	}
	for _, suf := range []string{".index", ".data-00000-of-00004", ".data-00001-of-00004", ".data-00002-of-00004", ".data-00003-of-00004"} {
		a, err1 := os.ReadFile(filepath.Join(goDir, "ckpt"+suf))
		b, err2 := os.ReadFile(filepath.Join(tfDir, "ckpt"+suf))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: Go's merge and TensorFlow's differ (%d and %d bytes, first difference at %d; %v %v)", suf, len(a), len(b), ckptFirstDiff(a, b), err1, err2)
		}
	}
	var goGot map[string]json.RawMessage
	runPythonJSON(t, &goGot, "sharded.py", "tfread", filepath.Join(goDir, "ckpt"))
	if len(goGot) != len(ts) {
		t.Fatalf("TensorFlow reads %d tensors from Go's merge, want %d", len(goGot), len(ts))
	}
	for k, v := range tfGot {
		if !bytes.Equal(v, goGot[k]) {
			t.Errorf("%s: TensorFlow reads %s from Go's merge, %s from its own", k, goGot[k], v)
		}
	}
	if _, err := os.Stat(filepath.Join(goDir, "ckpt_temp")); !os.IsNotExist(err) {
		t.Errorf("Go's merge left the workers' folder: %v", err)
	}
}
