//go:build cgo

package h5

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/h5test"
	"github.com/kerasgo/kerasgo/saved"
)

// allocDuring returns the bytes the Go heap allocated while fn ran.
func allocDuring(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestDeclaredSizeOverStorage: a few-KB file whose gzip-chunked, never-written kernel declares
// 4 GiB fails every read with a clear error before anything of that size is allocated, in the
// Keras 3 layout built from scratch and in a real tf_keras model whose kernel is replaced.
func TestDeclaredSizeOverStorage(t *testing.T) {
	dir := t.TempDir()
	huge := h5test.Dataset{Dims: []uint64{1 << 20, 1 << 10}, Chunk: []uint64{1 << 8, 1 << 10}, Deflate: 9}
	small := filepath.Join(dir, "small.weights.h5")
	if err := h5test.Create(small); err != nil {
		t.Fatal(err)
	}
	if err := h5test.Replace(small, "layers/dense/vars/0", huge); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(small); st.Size() > 16<<10 {
		t.Fatalf("the hostile file has %d bytes, want a few KB", st.Size())
	}
	full := filepath.Join(dir, "model.h5")
	b, err := os.ReadFile(filepath.Join(formatsDir, "seed", "tfkeras", "model.h5"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(full, b, 0o644)
	kernel := "model_weights/dense_1/dense_1/kernel:0"
	if err := h5test.Replace(full, kernel, huge); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, obj string }{{small, "layers/dense/vars/0"}, {full, kernel}} {
		want := `"` + c.path + `": ` + c.obj + `: invalid format: declares 4294967296 bytes of data but the file stores 0 bytes of it (compression expands at most 1032-fold)`
		for name, fn := range map[string]func() error{
			"Load":  func() error { _, err := Load(c.path); return err },
			"Audit": func() error { _, err := Audit(c.path); return err },
		} {
			var err error
			if n := allocDuring(func() { err = fn() }); n > 64<<20 {
				t.Errorf("%s %s allocated %d bytes", name, c.path, n)
			}
			if !errors.Is(err, ErrFormat) || !strings.HasSuffix(err.Error(), want) {
				t.Errorf("%s %s: %v\nwant an ErrFormat ending %s", name, c.path, err, want)
			}
		}
		vars, err := List(c.path)
		if err != nil {
			t.Fatalf("List %s: %v", c.path, err)
		}
		found := false
		for _, v := range vars {
			found = found || (v.Path == c.obj && len(v.Shape) == 2 && v.Shape[0] == 1<<20)
		}
		if !found {
			t.Errorf("List %s does not report %s as declared", c.path, c.obj)
		}
	}
	// The running total: the whole real model is refused under a small MaxTotalBytes.
	_, err = ReadOptions{MaxTotalBytes: 1000}.Load(filepath.Join(formatsDir, "seed", "tfkeras", "model.h5"))
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "over the 1000-byte limit (ReadOptions.MaxTotalBytes)") {
		t.Errorf("MaxTotalBytes 1000: %v", err)
	}
}

// TestChunkedReadInPieces: chunked, compressed data that the file really stores reads back
// exactly, also when it takes several reads (more chunks than one read takes); chunk shapes
// that would make libhdf5 allocate far more than the data, or touch too many chunks at once,
// are refused.
func TestChunkedReadInPieces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w.weights.h5")
	if err := h5test.Create(p); err != nil {
		t.Fatal(err)
	}
	rows := maxChunksPerRead + 1000
	data := make([]float32, rows*3)
	for i := range data {
		data[i] = float32(math.Sin(float64(i)))
	}
	if err := h5test.Replace(p, "layers/dense/vars/0", h5test.Dataset{Dims: []uint64{uint64(rows), 3}, Chunk: []uint64{1, 3}, Deflate: 1, Data: data}); err != nil {
		t.Fatal(err)
	}
	small := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if err := h5test.Replace(p, "layers/dense/vars/1", h5test.Dataset{Dims: []uint64{10}, Chunk: []uint64{4}, Deflate: 6, Data: small}); err != nil {
		t.Fatal(err)
	}
	m, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Layers[0].Weights[0].Value.Data.([]float32)
	for i := range data {
		if got[i] != data[i] {
			t.Fatalf("element %d: %v, wrote %v", i, got[i], data[i])
		}
	}
	if g := m.Layers[0].Weights[1].Value.Data.([]float32); len(g) != 10 || g[9] != 10 || g[0] != 1 {
		t.Errorf("small chunked dataset read as %v", g)
	}
	for _, c := range []struct {
		name string
		d    h5test.Dataset
		want string
	}{
		{"huge chunks", h5test.Dataset{Dims: []uint64{10}, MaxDims: []uint64{h5test.Unlimited}, Chunk: []uint64{1 << 28}},
			"chunks of 1073741824 bytes (shape [268435456]) for 40 bytes of data"},
		{"wide chunk rows", h5test.Dataset{Dims: []uint64{1, maxChunksPerRead + 1}, Chunk: []uint64{1, 1}, Data: make([]float32, maxChunksPerRead+1)},
			"unsupported: chunk shape [1 1]: one row of chunks of the [1 65537] dataset has 65537 chunks"},
		{"never-written contiguous", h5test.Dataset{Dims: []uint64{1 << 20}},
			"declares 4194304 bytes of data but the file stores none (never written)"},
	} {
		q := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".weights.h5")
		if err := h5test.Create(q); err != nil {
			t.Fatal(err)
		}
		if err := h5test.Replace(q, "layers/dense/vars/0", c.d); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(q); err == nil || !strings.Contains(err.Error(), "layers/dense/vars/0: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %s", c.name, err, c.want)
		}
	}
}

// TestCheckStorage covers the storage rules that libhdf5-written files cannot easily show.
func TestCheckStorage(t *testing.T) {
	h := &h5file{size: 1000, maxTotal: 5000}
	undef := uint64(math.MaxUint64)
	for _, c := range []struct {
		st     storage
		nbytes int64
		want   string // "" for no error
	}{
		{storage{layout: layoutContiguous, stored: 400, offset: 500}, 400, ""},
		{storage{layout: layoutContiguous, stored: 400, offset: 700}, 400, "400 bytes of data at offset 700 run past the end of the 1000-byte file"},
		{storage{layout: layoutContiguous, offset: undef}, storageSlack, ""},
		{storage{layout: layoutCompact, stored: 40}, 40, ""},
		{storage{layout: layoutContiguous, stored: 4000, offset: 0}, 4000, "stores 4000 bytes of data, more than the whole 1000-byte file"},
		{storage{layout: layoutChunked, stored: 10, chunk: []uint64{4}}, 16, ""},
		{storage{layout: layoutChunked, stored: 10, chunk: []uint64{4}, filters: []int{1, 2, 3}}, 16, ""},
		{storage{layout: layoutChunked, stored: 10, chunk: []uint64{4}, filters: []int{32000}}, 16, "unsupported: HDF5 filter 32000"},
		{storage{layout: layoutChunked, stored: 10, chunk: []uint64{4, 4}}, 16, "chunk shape [4 4] does not fit the dataset's [4]"},
		{storage{layout: layoutVirtual}, 16, "unsupported: virtual dataset"},
		{storage{layout: layoutContiguous, external: true}, 16, "unsupported: raw data in external files"},
	} {
		err := h.checkStorage(c.st, []uint64{uint64(c.nbytes / 4)}, c.nbytes, 4)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v, %d bytes: %v, want %q", c.st, c.nbytes, err, c.want)
		}
	}
	if err := h.charge(4000); err != nil {
		t.Fatal(err)
	}
	if err := h.charge(1001); err == nil || !strings.Contains(err.Error(), "the tensors read take 5001 bytes of tensors, over the 5000-byte limit") {
		t.Errorf("charge over the limit: %v", err)
	}
	h = &h5file{size: 1000, maxTotal: 1 << 40}
	if err := h.charge(maxExpansion*1000 + storageSlack + 1); err == nil || !strings.Contains(err.Error(), "more than a 1000-byte file can hold") {
		t.Errorf("charge over what the file can hold: %v", err)
	}
}

// TestConfigSizeBeforeDecode: a config over MaxConfigBytes is refused by its size before it
// is decoded (or even copied into Go), in the model_config attribute of an .h5 file and in
// the config.json of a .keras file.
func TestConfigSizeBeforeDecode(t *testing.T) {
	dir := t.TempDir()
	pad := `"` + strings.Repeat("x", 8<<20) + `"`
	m := seedModel(saved.Keras2, false)
	m.Config = []byte(strings.Replace(string(m.Config), "{", `{"pad": `+pad+`, `, 1))
	h5p := filepath.Join(dir, "big.h5")
	if err := SaveModel(h5p, m); err != nil {
		t.Fatal(err)
	}
	m3 := seedModel(saved.Keras3, false)
	m3.Config = []byte(strings.Replace(string(m3.Config), "{", `{"pad": `+pad+`, `, 1))
	kp := filepath.Join(dir, "big.keras")
	if err := SaveKeras(kp, m3); err != nil {
		t.Fatal(err)
	}
	o := ReadOptions{MaxConfigBytes: 1 << 20}
	for _, c := range []struct{ path, want string }{
		{h5p, "/@model_config: invalid format: strings exceed the 1048576-byte limit"},
		{kp, "config.json: invalid format: "},
	} {
		var err error
		if n := allocDuring(func() { _, err = o.Load(c.path) }); n > 4<<20 {
			t.Errorf("%s: refusing the config allocated %d bytes", c.path, n)
		}
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "1048576-byte limit") {
			t.Errorf("%s: %v, want %q and the 1048576-byte limit", c.path, err, c.want)
		}
		if _, err := Load(c.path); err != nil {
			t.Errorf("%s under the default limit: %v", c.path, err)
		}
	}
}
