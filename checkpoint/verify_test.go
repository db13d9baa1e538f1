package checkpoint

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/internal/table"
	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/tensor"
)

// rewriteIndex rewrites the index of the bundle at prefix, letting edit change each entry.
func rewriteIndex(t *testing.T, prefix string, edit func(key string, e *tfpb.BundleEntryProto)) {
	t.Helper()
	b, err := os.ReadFile(IndexFile(prefix))
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
	if err := os.WriteFile(IndexFile(prefix), out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func twoTensors(t *testing.T) string {
	prefix := filepath.Join(t.TempDir(), "ckpt")
	mk := func(v float32) *tensor.Tensor {
		x := make([]float32, 100)
		for i := range x {
			x[i] = v + float32(i)
		}
		return tensor.MustFromFloat32([]int{100}, x)
	}
	writeBundle(t, prefix, map[string]*tensor.Tensor{"a": mk(1), "b": mk(1000)}, WriterOptions{})
	return prefix
}

// TestOverlappingEntriesRefused: two index entries sharing bytes of a data file (which lets
// a small file be read for far more than its size) make the bundle corrupt.
func TestOverlappingEntriesRefused(t *testing.T) {
	prefix := twoTensors(t)
	var a *tfpb.BundleEntryProto
	rewriteIndex(t, prefix, func(k string, e *tfpb.BundleEntryProto) {
		if k == "a" {
			a = proto.Clone(e).(*tfpb.BundleEntryProto)
		}
		if k == "b" {
			e.Offset, e.Crc32C = a.Offset+4, a.Crc32C
		}
	})
	_, err := Open(prefix)
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `key "b": invalid format: its data (offset 4, 400 bytes) overlaps that of "a" (offset 0, 400 bytes) in shard 0`) {
		t.Errorf("Open: %v", err)
	}
}

// TestMaxTotalBytes: the tensors of a bundle are refused together, from the index, before
// any is read.
func TestMaxTotalBytes(t *testing.T) {
	prefix := twoTensors(t)
	if _, err := (ReaderOptions{MaxTotalBytes: 800}).Open(prefix); err != nil {
		t.Fatal(err)
	}
	r, err := ReaderOptions{MaxTotalBytes: 799}.Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.verify(); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "more than 799 bytes together") {
		t.Errorf("verify under MaxTotalBytes 799: %v", err)
	}
	if _, err := (ReaderOptions{MaxTotalBytes: 799}).LoadKerasWeights(prefix); !errors.Is(err, ErrFormat) {
		t.Errorf("LoadKerasWeights under MaxTotalBytes 799: %v", err)
	}
}

// TestVerifyOtherDTypes: a tensor of a TensorFlow dtype kerasgo does not decode has the
// checksum of its bytes verified (a flipped byte fails); a variant tensor is reported as not
// checked; a dtype number that is no TensorFlow type fails verification.
func TestVerifyOtherDTypes(t *testing.T) {
	for _, c := range []struct {
		dtype      int32
		flip       bool
		want       string // error; "" for none
		unverified bool
	}{
		{dtype: 11}, // qint8
		{dtype: 25}, // float8_e4m3fn
		{dtype: 11, flip: true, want: "checksum mismatch: crc32c of 400 bytes"},
		{dtype: 21, unverified: true},
		{dtype: 99, want: "invalid format: dtype 99 is not a TensorFlow type a checkpoint can hold"},
		{dtype: 0, want: "invalid format: dtype 0 is not a TensorFlow type a checkpoint can hold"},
		{dtype: 20, want: "invalid format: dtype 20 is not a TensorFlow type a checkpoint can hold"},
	} {
		prefix := twoTensors(t)
		rewriteIndex(t, prefix, func(k string, e *tfpb.BundleEntryProto) {
			if k == "b" {
				e.Dtype = tfpb.DataType(c.dtype)
			}
		})
		if c.flip {
			data := DataFile(prefix, 0, 1)
			b, _ := os.ReadFile(data)
			b[500] ^= 1
			os.WriteFile(data, b, 0o644)
		}
		v, err := VerifyAll(prefix)
		if c.want != "" {
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `key "b"`) {
				t.Errorf("dtype %d (flip %v): %v, want %q naming key b", c.dtype, c.flip, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("dtype %d: %v", c.dtype, err)
			continue
		}
		wantChecked := 2
		if c.unverified {
			wantChecked = 1
		}
		if v.Checked != wantChecked || len(v.Undecodable) != 1 || (len(v.Unverified) == 1) != c.unverified {
			t.Errorf("dtype %d: %+v, want %d checked, b undecodable, unverified %v", c.dtype, v, wantChecked, c.unverified)
		}
	}
}
