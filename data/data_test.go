package data

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// record builds one CIFAR-10 record whose pixel (row, col) of channel c has value
// (row*32+col+c*7) mod 256.
func record(label byte) []byte {
	r := make([]byte, cifarRecord)
	r[0] = label
	for c := 0; c < 3; c++ {
		for p := 0; p < cifarPlane; p++ {
			r[1+c*cifarPlane+p] = byte((p + c*7) % 256)
		}
	}
	return r
}

func TestDecodeLayout(t *testing.T) {
	var buf bytes.Buffer
	buf.Write(record(3))
	buf.Write(record(9))
	d, err := DecodeCIFAR10(&buf, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.X.Shape; len(got) != 4 || got[0] != 2 || got[1] != 32 || got[2] != 32 || got[3] != 3 {
		t.Fatalf("X shape %v", got)
	}
	if y := d.Y.Data.([]uint8); y[0] != 3 || y[1] != 9 || d.Y.Shape[1] != 1 {
		t.Fatalf("labels %v shape %v", y, d.Y.Shape)
	}
	x := d.X.Float32s()
	for _, tc := range []struct{ img, row, col, c int }{{0, 0, 0, 0}, {0, 5, 7, 1}, {1, 31, 31, 2}, {1, 17, 2, 0}} {
		want := float32((tc.row*32+tc.col+tc.c*7)%256) / 255
		got := x[((tc.img*32+tc.row)*32+tc.col)*3+tc.c]
		if got != want {
			t.Errorf("image %d pixel (%d,%d) channel %d = %v, want %v (NHWC from planar RGB)", tc.img, tc.row, tc.col, tc.c, got, want)
		}
	}
}

func TestLoadCIFAR10Dir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cifar-10-batches-bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, name := range append(append([]string{}, CIFARTrainFiles...), CIFARTestFile) {
		b := append(record(byte(i)), record(byte(9-i))...)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	train, test, err := LoadCIFAR10(filepath.Dir(dir)) // the parent: the sub-folder is found
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 10 || test.Len() != 2 {
		t.Fatalf("%d train, %d test", train.Len(), test.Len())
	}
	if y := train.Y.Data.([]uint8); y[0] != 0 || y[1] != 9 || y[8] != 4 || y[9] != 5 {
		t.Errorf("training labels %v: files not concatenated in order", y)
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		path string
		want error
	}{
		{write("short.bin", record(1)[:3000]), ErrFormat},
		{write("empty.bin", nil), ErrFormat},
		{write("label.bin", record(10)), ErrFormat},
		{write("extra.bin", append(record(1), 0)), ErrFormat},
		{filepath.Join(dir, "missing.bin"), ErrNotFound},
	}
	for _, c := range cases {
		_, err := ReadCIFAR10File(c.path)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", filepath.Base(c.path), err, c.want)
		}
	}
	if _, _, err := LoadCIFAR10(dir); !errors.Is(err, ErrNotFound) {
		t.Errorf("LoadCIFAR10 on a folder without the files: %v", err)
	}
	// A truncated stream reports io.ErrUnexpectedEOF.
	if _, err := DecodeCIFAR10(bytes.NewReader(record(1)[:100]), 1); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated record: %v", err)
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	a, at := Synthetic(SyntheticOptions{Train: 50, Test: 10})
	b, _ := Synthetic(SyntheticOptions{Train: 50, Test: 10})
	c, _ := Synthetic(SyntheticOptions{Train: 50, Test: 10, Seed: 2})
	if !bytes.Equal(f32bytes(a.X.Float32s()), f32bytes(b.X.Float32s())) {
		t.Error("same seed, different images")
	}
	if bytes.Equal(f32bytes(a.X.Float32s()), f32bytes(c.X.Float32s())) {
		t.Error("different seeds, same images")
	}
	if at.Len() != 10 || a.X.Shape[1] != 32 || a.X.Shape[3] != 3 {
		t.Errorf("shapes %v %v", a.X.Shape, at.X.Shape)
	}
	seen := map[uint8]bool{}
	for _, y := range a.Y.Data.([]uint8) {
		if y >= 10 {
			t.Fatalf("label %d", y)
		}
		seen[y] = true
	}
	if len(seen) < 8 {
		t.Errorf("only %d classes in 50 samples", len(seen))
	}
	for _, v := range a.X.Float32s() {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %v outside [0, 1]", v)
		}
	}
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		u := math.Float32bits(f)
		b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return b
}
