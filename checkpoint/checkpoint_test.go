package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// allDTypes returns one tensor per dtype kerasgo handles, with awkward shapes.
func allDTypes() map[string]*tensor.Tensor {
	mk := func(d tensor.DType, shape []int) *tensor.Tensor {
		t, err := tensor.New(d, shape)
		if err != nil {
			panic(err)
		}
		switch x := t.Data.(type) {
		case []float32:
			for i := range x {
				x[i] = float32(i)*0.25 - 3
			}
			if len(x) > 2 {
				x[1] = float32(math.Inf(-1))
				x[2] = float32(math.NaN())
			}
		case []float64:
			for i := range x {
				x[i] = float64(i)/3 - 1
			}
		case []int32:
			for i := range x {
				x[i] = int32(i*7919) - 50000
			}
		case []int64:
			for i := range x {
				x[i] = int64(i) * -123456789012
			}
		case []uint8:
			for i := range x {
				x[i] = uint8(i * 37)
			}
		case []int8:
			for i := range x {
				x[i] = int8(i*37 - 100)
			}
		case []int16:
			for i := range x {
				x[i] = int16(i*999 - 3000)
			}
		case []uint16:
			for i := range x {
				x[i] = uint16(0x3c00 + i*17) // plausible float16/bfloat16 bits
			}
		case []uint32:
			for i := range x {
				x[i] = uint32(i) * 0x9e3779b9
			}
		case []uint64:
			for i := range x {
				x[i] = uint64(i) * 0x9e3779b97f4a7c15
			}
		case []bool:
			for i := range x {
				x[i] = i%3 == 0
			}
		case []complex64:
			for i := range x {
				x[i] = complex(float32(i), -float32(i))
			}
		case []complex128:
			for i := range x {
				x[i] = complex(float64(i), 0.5)
			}
		case [][]byte:
			for i := range x {
				x[i] = []byte(strings.Repeat(string(rune('a'+i%26)), i%5))
			}
		}
		return t
	}
	return map[string]*tensor.Tensor{
		"f32/matrix":       mk(tensor.Float32, []int{3, 5}),
		"f32/scalar":       mk(tensor.Float32, []int{}),
		"f32/empty":        mk(tensor.Float32, []int{0, 4}),
		"f64":              mk(tensor.Float64, []int{7}),
		"i32":              mk(tensor.Int32, []int{2, 2, 2}),
		"i64/iterations":   tensor.Scalar(int64(123456789012345)),
		"i64/vec":          mk(tensor.Int64, []int{4}),
		"u8":               mk(tensor.Uint8, []int{9}),
		"i8":               mk(tensor.Int8, []int{9}),
		"i16":              mk(tensor.Int16, []int{3}),
		"u16":              mk(tensor.Uint16, []int{3}),
		"f16":              mk(tensor.Float16, []int{2, 3}),
		"bf16":             mk(tensor.BFloat16, []int{5}),
		"u32":              mk(tensor.Uint32, []int{3}),
		"u64":              mk(tensor.Uint64, []int{3}),
		"bool":             mk(tensor.Bool, []int{2, 5}),
		"c64":              mk(tensor.Complex64, []int{2}),
		"c128":             mk(tensor.Complex128, []int{2}),
		"str/vec":          mk(tensor.String, []int{6}),
		"str/scalar":       {DType: tensor.String, Shape: []int{}, Data: [][]byte{[]byte("\x00\xffbinary")}},
		"str/empty":        mk(tensor.String, []int{0}),
		"weird key/..\xff": mk(tensor.Float32, []int{1}),
	}
}

func writeBundle(t testing.TB, prefix string, ts map[string]*tensor.Tensor, opts WriterOptions) {
	t.Helper()
	w, err := NewWriter(prefix, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range sortedKeys(ts) {
		if err := w.Add(k, ts[k]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTripAllDTypes(t *testing.T) {
	for _, shardBytes := range []int64{0, 40} {
		t.Run(fmt.Sprintf("maxShard%d", shardBytes), func(t *testing.T) {
			ts := allDTypes()
			prefix := filepath.Join(t.TempDir(), "sub", "ckpt")
			writeBundle(t, prefix, ts, WriterOptions{MaxShardBytes: shardBytes})
			r, err := Open(prefix)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if shardBytes > 0 && r.NumShards() < 3 {
				t.Errorf("%d shards, want several", r.NumShards())
			}
			if shardBytes == 0 && r.NumShards() != 1 {
				t.Errorf("%d shards, want 1", r.NumShards())
			}
			files, _ := filepath.Glob(prefix + "*")
			if len(files) != 1+r.NumShards() {
				t.Errorf("files %v: want the index and %d data shards, no temporaries", files, r.NumShards())
			}
			ents := r.Entries()
			if len(ents) != len(ts) {
				t.Fatalf("%d entries, want %d", len(ents), len(ts))
			}
			for i, e := range ents {
				if i > 0 && ents[i-1].Key >= e.Key {
					t.Errorf("entries not sorted: %q then %q", ents[i-1].Key, e.Key)
				}
				want := ts[e.Key]
				if e.DType != want.DType || !tensor.SameShape(e.Shape, want.Shape) {
					t.Errorf("%q: entry %v%v, want %v%v", e.Key, e.DType, e.Shape, want.DType, want.Shape)
				}
				got, err := r.Read(e.Key)
				if err != nil {
					t.Fatal(err)
				}
				if !sameTensor(got, want) && !(e.Key == "f32/matrix") {
					t.Errorf("%q: read %v, wrote %v", e.Key, got.Data, want.Data)
				}
			}
			// NaN != NaN: compare the float32 matrix by bits.
			got, _ := r.Read("f32/matrix")
			g, w := got.Float32s(), ts["f32/matrix"].Float32s()
			for i := range g {
				if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
					t.Errorf("f32/matrix[%d] = %v, want %v", i, g[i], w[i])
				}
			}
		})
	}
}

func TestWriterRejects(t *testing.T) {
	w, err := NewWriter(filepath.Join(t.TempDir(), "x"), WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.Add("", tensor.Scalar(float32(1))); err == nil {
		t.Error("empty key accepted")
	}
	if err := w.Add("a", tensor.Scalar(float32(1))); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("a", tensor.Scalar(float32(1))); err == nil {
		t.Error("duplicate key accepted")
	}
	bad := &tensor.Tensor{DType: tensor.Float32, Shape: []int{3}, Data: []float32{1}}
	if err := w.Add("b", bad); err == nil {
		t.Error("tensor with too little data accepted")
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(filepath.Join(dir, "x"), WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Add("a", tensor.Scalar(float32(1)))
	w.Abort()
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("Abort left %d files", len(files))
	}
}

// TestFlippedDataByte flips every byte of a data shard: Read of the tensor holding it must
// fail with ErrChecksum naming the key, the file and the tensor's offset.
func TestFlippedDataByte(t *testing.T) {
	ts := allDTypes()
	prefix := filepath.Join(t.TempDir(), "ckpt")
	writeBundle(t, prefix, ts, WriterOptions{})
	data := DataFile(prefix, 0, 1)
	orig, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	ents := r.Entries()
	r.Close()
	owner := func(off int64) Entry {
		for _, e := range ents {
			if off >= e.Offset && off < e.Offset+e.Size {
				return e
			}
		}
		t.Fatalf("no tensor holds offset %d", off)
		return Entry{}
	}
	for i := range orig {
		c := append([]byte(nil), orig...)
		c[i] ^= 0x10
		if err := os.WriteFile(data, c, 0o644); err != nil {
			t.Fatal(err)
		}
		e := owner(int64(i))
		r, err := Open(prefix)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Read(e.Key)
		r.Close()
		var ce *Error
		if !errors.As(err, &ce) || !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrFormat) {
			t.Fatalf("byte %d (key %q): err = %v, want ErrChecksum", i, e.Key, err)
		}
		if ce.Key != e.Key || ce.File != data || ce.Offset < e.Offset || ce.Offset >= e.Offset+max(e.Size, 1) {
			t.Fatalf("byte %d: error names key %q file %q offset %d; want %q %q in [%d,%d)", i, ce.Key, ce.File, ce.Offset, e.Key, data, e.Offset, e.Offset+e.Size)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "checkpoint: ") || !strings.Contains(msg, data) || !strings.Contains(msg, fmt.Sprintf("%q", e.Key)) {
			t.Fatalf("message %q does not name the file and key", msg)
		}
	}
}

// TestDamagedIndex cuts the index at every length and flips every byte: Open must either
// fail with a checkpoint error or give a bundle whose reads fail cleanly; never panic.
func TestDamagedIndex(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "ckpt")
	writeBundle(t, prefix, allDTypes(), WriterOptions{})
	idx := IndexFile(prefix)
	orig, err := os.ReadFile(idx)
	if err != nil {
		t.Fatal(err)
	}
	try := func(b []byte) error {
		if err := os.WriteFile(idx, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(prefix)
		if err != nil {
			return err
		}
		defer r.Close()
		for _, e := range r.Entries() {
			if _, err := r.Read(e.Key); err != nil {
				return err
			}
		}
		return nil
	}
	for n := 0; n < len(orig); n++ {
		err := try(orig[:n])
		if err == nil {
			t.Fatalf("index cut to %d of %d bytes opened", n, len(orig))
		}
		if !errors.Is(err, ErrFormat) || !strings.HasPrefix(err.Error(), "checkpoint: "+idx) {
			t.Fatalf("cut at %d: %v", n, err)
		}
	}
	undetected := 0
	for i := range orig {
		c := append([]byte(nil), orig...)
		c[i] ^= 0x01
		err := try(c)
		if err == nil {
			undetected++
			if i < len(orig)-48 || i >= len(orig)-8 {
				t.Errorf("flip at %d of %d not detected", i, len(orig))
			}
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("flip at %d: error %v is not a *checkpoint.Error", i, err)
		}
	}
	// Only the footer's zero padding lies outside every checksum.
	if undetected > 40 {
		t.Errorf("%d flipped index bytes went unnoticed", undetected)
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	prefix := filepath.Join(t.TempDir(), "ckpt")
	writeBundle(t, prefix, allDTypes(), WriterOptions{})
	os.Remove(DataFile(prefix, 0, 1))
	r, err := Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Read("f64"); !errors.Is(err, ErrNotFound) {
		t.Errorf("read with missing shard: %v", err)
	}
	if _, err := r.Read("no such"); !errors.Is(err, ErrNotFound) {
		t.Errorf("read of missing key: %v", err)
	}
}

func TestTruncatedData(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "ckpt")
	writeBundle(t, prefix, allDTypes(), WriterOptions{})
	data := DataFile(prefix, 0, 1)
	st, _ := os.Stat(data)
	if err := os.Truncate(data, st.Size()-3); err != nil {
		t.Fatal(err)
	}
	r, err := Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	failed := 0
	for _, e := range r.Entries() {
		if _, err := r.Read(e.Key); err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Errorf("%q: %v", e.Key, err)
			}
			failed++
		}
	}
	if failed == 0 {
		t.Error("truncated data file read without error")
	}
}

func TestLimits(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "ckpt")
	writeBundle(t, prefix, allDTypes(), WriterOptions{})
	r, err := ReaderOptions{MaxTensorBytes: 16}.Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Read("f32/matrix"); !errors.Is(err, ErrFormat) {
		t.Errorf("60-byte tensor with a 16-byte limit: %v", err)
	}
	if _, err := r.Read("f32/scalar"); err != nil {
		t.Errorf("small tensor: %v", err)
	}
}

func TestDataFileNames(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "m.ckpt")
	writeBundle(t, prefix, map[string]*tensor.Tensor{"a": tensor.Scalar(float32(2))}, WriterOptions{})
	for _, f := range []string{"m.ckpt.index", "m.ckpt.data-00000-of-00001"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(prefix), f)); errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s missing", f)
		}
	}
}

func TestConcurrentRead(t *testing.T) {
	ts := allDTypes()
	prefix := filepath.Join(t.TempDir(), "ckpt")
	writeBundle(t, prefix, ts, WriterOptions{MaxShardBytes: 64})
	r, err := Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for _, k := range r.Keys() {
				got, err := r.Read(k)
				if err == nil && k != "f32/matrix" && !sameTensor(got, ts[k]) {
					err = fmt.Errorf("%q differs", k)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestSlicedVariable: a partitioned variable written by TensorFlow is listed with its full
// shape and refused with ErrUnsupported; the other tensors read normally.
func TestSlicedVariable(t *testing.T) {
	r, err := Open(filepath.Join("testdata", "sliced_tf2_21"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	keys := r.Keys()
	if len(keys) != 2 || keys[0] != "part" || keys[1] != "plain" {
		t.Fatalf("keys %q, want part and plain (slice entries hidden)", keys)
	}
	e, _ := r.Lookup("part")
	if !e.Sliced || !tensor.SameShape(e.Shape, []int{4, 3}) {
		t.Errorf("part: %+v, want a sliced [4 3] entry", e)
	}
	if _, err := r.Read("part"); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"part"`) {
		t.Errorf("Read(part) = %v, want ErrUnsupported naming the key", err)
	}
	p, err := r.Read("plain")
	if err != nil || p.Float32s()[1] != 2 {
		t.Errorf("Read(plain) = %v, %v", p, err)
	}
	// The slices' checksums, which TensorFlow computes over their bytes, are verified too.
	v, err := VerifyAll(filepath.Join("testdata", "sliced_tf2_21"))
	if err != nil || v.Checked != 3 || len(v.Undecodable) != 1 || v.Undecodable[0] != "part" || len(v.Unverified) != 0 {
		t.Errorf("VerifyAll = %+v, %v; want plain and both slices of part checked", v, err)
	}
}
