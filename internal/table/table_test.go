package table

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

type entry struct{ k, v []byte }

func readAll(t testing.TB, data []byte) ([]entry, *Reader) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []entry
	if err := r.Scan(func(k, v []byte) error { out = append(out, entry{k, v}); return nil }); err != nil {
		t.Fatal(err)
	}
	return out, r
}

func writeAll(t testing.TB, ents []entry, opts *WriterOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, opts)
	for _, e := range ents {
		if err := w.Add(e.k, e.v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func blockType(t *testing.T, data []byte) byte {
	// type byte of the last data block: just before the metaindex handle's block.
	mh, _, _ := decodeHandle(data[len(data)-FooterSize:])
	return data[mh.Offset-TrailerSize]
}

// TestRewriteIdentical reads real TensorFlow tables and writes their entries back: the bytes
// must equal TensorFlow's for every uncompressed file.
func TestRewriteIdentical(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.index")
	if len(files) < 6 {
		t.Fatalf("expected at least 6 testdata tables, found %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ents, r := readAll(t, data)
			if len(ents) == 0 {
				t.Fatal("no entries")
			}
			if string(ents[0].k) != "" {
				t.Errorf("first key %q, want the bundle header key \"\"", ents[0].k)
			}
			for i, e := range ents {
				if len(ents) > 300 && i%97 != 0 {
					continue
				}
				v, err := r.Get(e.k)
				if err != nil || !bytes.Equal(v, e.v) {
					t.Fatalf("Get(%q) = %x, %v; want %x", e.k, v, err, e.v)
				}
			}
			if _, err := r.Get([]byte("no such key \xff")); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(missing) error = %v, want ErrNotFound", err)
			}
			out := writeAll(t, ents, nil)
			if blockType(t, data) == SnappyCompression {
				back, _ := readAll(t, out)
				if len(back) != len(ents) {
					t.Fatalf("rewrite of compressed table has %d entries, want %d", len(back), len(ents))
				}
				return
			}
			if !bytes.Equal(out, data) {
				i := 0
				for i < len(out) && i < len(data) && out[i] == data[i] {
					i++
				}
				t.Fatalf("rewrite differs from TensorFlow's file at offset %d (len %d vs %d)", i, len(out), len(data))
			}
			if filepath.Base(f) == "multiblock_tf2_21.index" && r.NumBlocks() < 2 {
				t.Errorf("multiblock file has %d data blocks", r.NumBlocks())
			}
		})
	}
}

func TestSnappyBlocksRead(t *testing.T) {
	for _, f := range []string{"testdata/snappy_tf1_14.index", "testdata/snappy_tf2_14.index"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if blockType(t, data) != SnappyCompression {
			t.Fatalf("%s: data block is not Snappy-compressed", f)
		}
		ents, _ := readAll(t, data)
		if len(ents) < 4 {
			t.Errorf("%s: %d entries", f, len(ents))
		}
	}
}

func TestSeparatorProperties(t *testing.T) {
	keys := [][]byte{nil, []byte("a"), []byte("ab"), []byte("abc"), []byte("abd"), []byte("b"),
		[]byte("b\xff"), []byte("b\xff\xff"), []byte("c"), []byte("ca"), []byte("\xff"), []byte("\xff\xff\x00")}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			s := shortestSeparator(append([]byte(nil), keys[i]...), keys[j])
			if bytes.Compare(s, keys[i]) < 0 || bytes.Compare(s, keys[j]) >= 0 {
				t.Errorf("separator(%q, %q) = %q, not in [start, limit)", keys[i], keys[j], s)
			}
			if len(s) > len(keys[i]) {
				t.Errorf("separator(%q, %q) = %q is longer than start", keys[i], keys[j], s)
			}
		}
		s := shortSuccessor(append([]byte(nil), keys[i]...))
		if bytes.Compare(s, keys[i]) < 0 {
			t.Errorf("successor(%q) = %q sorts before the key", keys[i], s)
		}
	}
}

func TestWriterOrder(t *testing.T) {
	w := NewWriter(io.Discard, nil)
	if err := w.Add([]byte("b"), nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"b", "a"} {
		if err := w.Add([]byte(k), nil); !errors.Is(err, ErrOrder) {
			t.Errorf("Add(%q) after \"b\": err = %v, want ErrOrder", k, err)
		}
	}
}

func TestRoundTripSmallBlocks(t *testing.T) {
	var ents []entry
	for i := 0; i < 1000; i++ {
		k := binary.BigEndian.AppendUint32([]byte("key/"), uint32(i*7))
		ents = append(ents, entry{k, bytes.Repeat([]byte{byte(i)}, i%50)})
	}
	data := writeAll(t, ents, &WriterOptions{BlockSize: 512, RestartInterval: 3})
	back, r := readAll(t, data)
	if r.NumBlocks() < 10 {
		t.Errorf("%d blocks, want many", r.NumBlocks())
	}
	if len(back) != len(ents) {
		t.Fatalf("%d entries back, want %d", len(back), len(ents))
	}
	for i := range ents {
		if !bytes.Equal(back[i].k, ents[i].k) || !bytes.Equal(back[i].v, ents[i].v) {
			t.Fatalf("entry %d differs", i)
		}
	}
}

// TestCorruption flips every byte of a real table and cuts it at every length: the reader
// must return an error (or, for a flip the format cannot see, valid data) and never panic.
func TestCorruption(t *testing.T) {
	data, err := os.ReadFile("testdata/kerastuner_tf2_3.index")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(data); n++ {
		if _, err := parseAll(data[:n]); err == nil {
			t.Fatalf("table cut to %d bytes read without error", n)
		}
	}
	for i := range data {
		c := append([]byte(nil), data...)
		c[i] ^= 0x40
		_, err := parseAll(c)
		if err == nil {
			// The only bytes outside any checksum are the footer's handles padding.
			if i < len(data)-FooterSize || i >= len(data)-8 {
				t.Errorf("flip at %d (of %d) not detected", i, len(data))
			}
			continue
		}
		var te *Error
		if !errors.As(err, &te) {
			t.Errorf("flip at %d: error %v is not a *table.Error", i, err)
		}
		if i < len(data)-FooterSize && !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrFormat) {
			t.Errorf("flip at %d: %v", i, err)
		}
	}
}

func parseAll(data []byte) (int, error) {
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		return 0, err
	}
	n := 0
	err = r.Scan(func(k, v []byte) error { n++; return nil })
	return n, err
}

func TestMaskCRC(t *testing.T) {
	for _, c := range []uint32{0, 1, 0xdeadbeef, 0xffffffff} {
		if UnmaskCRC(MaskCRC(c)) != c {
			t.Errorf("unmask(mask(%#x)) != itself", c)
		}
		if MaskCRC(c) == c {
			t.Errorf("mask(%#x) is the identity", c)
		}
	}
}

// quadraticTable builds a table whose index block holds one key of long bytes followed by n
// entries that each share all of it: materializing every key would cost n*long bytes.
func quadraticTable(long, n int) []byte {
	var blk []byte
	blk = binary.AppendUvarint(blk, 0)
	blk = binary.AppendUvarint(blk, uint64(long))
	blk = binary.AppendUvarint(blk, 0)
	blk = append(blk, bytes.Repeat([]byte{'k'}, long)...)
	for i := 0; i < n; i++ {
		blk = binary.AppendUvarint(blk, uint64(long))
		blk = binary.AppendUvarint(blk, 1)
		blk = binary.AppendUvarint(blk, 0)
		blk = append(blk, 'a')
	}
	blk = binary.LittleEndian.AppendUint32(blk, 0) // one restart point, at 0
	blk = binary.LittleEndian.AppendUint32(blk, 1)

	var file []byte
	block := func(contents []byte) Handle {
		h := Handle{Offset: uint64(len(file)), Size: uint64(len(contents))}
		file = append(file, contents...)
		tr := []byte{NoCompression}
		file = append(file, tr...)
		file = binary.LittleEndian.AppendUint32(file, MaskCRC(ExtendCRC(CRC(contents), tr)))
		return h
	}
	meta := block([]byte{0, 0, 0, 0})
	index := block(blk)
	return appendFooter(file, meta, index)
}

// TestQuadraticKeys: a 240 KB block whose entries all share one 100 KB key is rejected as
// ErrFormat without allocating its 4 GB of keys.
func TestQuadraticKeys(t *testing.T) {
	data := quadraticTable(100_000, 40_000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := NewReader(bytes.NewReader(data), int64(len(data)), &ReaderOptions{Name: "quad.index"})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("NewReader = %v, want ErrFormat", err)
	}
	if !strings.Contains(err.Error(), "quad.index") || !strings.Contains(err.Error(), "bytes of keys") {
		t.Errorf("error %q does not name the file and the reason", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 50<<20 {
		t.Errorf("allocated %d bytes for a %d-byte table", d, len(data))
	}
	// The same shape within the bound gets past the key check (and fails later, on its
	// empty block handles).
	small := quadraticTable(1000, 20)
	if _, err := NewReader(bytes.NewReader(small), int64(len(small)), nil); err == nil || strings.Contains(err.Error(), "bytes of keys") {
		t.Fatalf("small block within the bound: %v", err)
	}
}
