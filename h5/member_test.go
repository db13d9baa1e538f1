//go:build cgo

package h5

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kerasgo/kerasgo/saved"
)

// rezip rewrites the .keras archive src into dst, compressing model.weights.h5 with deflate
// when deflate is set, and replacing its content with weights when that is not nil.
func rezip(t testing.TB, src, dst string, deflate bool, weights []byte) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		hdr := &zip.FileHeader{Name: f.Name, Method: zip.Store}
		if f.Name == memberWeights {
			if weights != nil {
				b = weights
			}
			if deflate {
				hdr.Method = zip.Deflate
			}
		}
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestKerasWeightsMember: a stored model.weights.h5 (what Keras writes) is read in place,
// with no temporary file at all; a deflated one is extracted to a temporary file that is gone
// when the call returns, also when it fails; both read the same model.
func TestKerasWeightsMember(t *testing.T) {
	if !haveMemberDriver {
		t.Skip("libhdf5 is not 1.10 or 1.12: stored members are extracted like compressed ones")
	}
	dir := t.TempDir()
	stored := filepath.Join(dir, "stored.keras")
	if err := SaveKeras(stored, seedModel(saved.Keras3, true)); err != nil {
		t.Fatal(err)
	}
	deflated := filepath.Join(dir, "deflated.keras")
	rezip(t, stored, deflated, true, nil)

	// No temporary directory at all: a stored member needs none.
	t.Setenv("TMPDIR", filepath.Join(dir, "no-such-dir"))
	want, err := LoadKeras(stored)
	if err != nil {
		t.Fatalf("stored member without a temporary directory: %v", err)
	}
	if _, err := List(stored); err != nil {
		t.Fatal(err)
	}
	if _, err := Audit(stored); err != nil {
		t.Fatal(err)
	}

	tmp := filepath.Join(dir, "tmp")
	os.Mkdir(tmp, 0o755)
	t.Setenv("TMPDIR", tmp)
	got, err := LoadKeras(deflated)
	if err != nil {
		t.Fatalf("deflated member: %v", err)
	}
	if len(got.Layers) != len(want.Layers) {
		t.Fatalf("deflated: %d layers, stored: %d", len(got.Layers), len(want.Layers))
	}
	for i, l := range want.Layers {
		for j, w := range l.Weights {
			if !bytes.Equal(float32Bytes(w.Value.Float32s()), float32Bytes(got.Layers[i].Weights[j].Value.Float32s())) {
				t.Errorf("layer %s weight %s differs between the stored and the deflated archive", l.Name, w.Name)
			}
		}
	}
	if n := dirNames(t, tmp); len(n) != 0 {
		t.Errorf("temporary files left behind: %v", n)
	}

	// A corrupt member: the error names the archive and the member, never a temporary file,
	// and nothing is left behind.
	b, _ := os.ReadFile(filepath.Join(formatsDir, "seed", "keras3", "model.weights.h5"))
	bad := append([]byte(nil), b[:len(b)/3]...)
	for _, deflate := range []bool{false, true} {
		p := filepath.Join(dir, "bad"+strconv.FormatBool(deflate)+".keras")
		rezip(t, stored, p, deflate, bad)
		for name, fn := range map[string]func() error{
			"LoadKeras": func() error { _, err := LoadKeras(p); return err },
			"List":      func() error { _, err := List(p); return err },
			"Audit":     func() error { _, err := Audit(p); return err },
		} {
			err := fn()
			if err == nil {
				t.Errorf("%s of a truncated member (deflate %v) succeeded", name, deflate)
				continue
			}
			msg := err.Error()
			if !strings.Contains(msg, `"`+p+`"`) || !strings.Contains(msg, memberWeights) ||
				strings.Contains(msg, tmp) || strings.Contains(msg, "/proc/") || strings.Contains(msg, tempPrefix) {
				t.Errorf("%s (deflate %v): %q should name the archive and %s, and no temporary file", name, deflate, msg, memberWeights)
			}
		}
	}
	// A deflated member whose stream breaks while it is extracted (a fuzzer's find: the
	// cleanup on that path panicked).
	b, _ = os.ReadFile(deflated)
	zr, _ := zip.OpenReader(deflated)
	for _, f := range zr.File {
		if f.Name == memberWeights {
			off, _ := f.DataOffset()
			b[off+int64(f.CompressedSize64)/2] ^= 0xff
		}
	}
	zr.Close()
	broken := filepath.Join(dir, "broken.keras")
	os.WriteFile(broken, b, 0o644)
	if _, err := LoadKeras(broken); err == nil {
		t.Error("a broken deflate stream loaded")
	}
	if n := dirNames(t, tmp); len(n) != 0 {
		t.Errorf("temporary files left behind after failures: %v", n)
	}
}

func float32Bytes(x []float32) []byte {
	var b bytes.Buffer
	for _, v := range x {
		b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
	}
	return b.Bytes()
}

// TestKerasWeightsBomb: a small .keras whose weights member inflates to 64 MiB is
// refused before anything is extracted when it is not HDF5, and under MaxWeightsMember when it
// is; an HDF5-signed one that is extracted leaves nothing behind.
func TestKerasWeightsBomb(t *testing.T) {
	dir := t.TempDir()
	stored := filepath.Join(dir, "stored.keras")
	if err := SaveKeras(stored, seedModel(saved.Keras3, false)); err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 64<<20)
	notHDF5 := filepath.Join(dir, "zeros.keras")
	rezip(t, stored, notHDF5, true, zeros)
	copy(zeros, hdf5Magic)
	signed := filepath.Join(dir, "signed.keras")
	rezip(t, stored, signed, true, zeros)
	zeros = nil
	for _, p := range []string{notHDF5, signed} {
		if st, _ := os.Stat(p); st.Size() > 2<<20 {
			t.Fatalf("%s has %d bytes, want a small archive", p, st.Size())
		}
	}
	// Not HDF5: refused from its first bytes (no temporary directory is even needed).
	t.Setenv("TMPDIR", filepath.Join(dir, "no-such-dir"))
	for name, fn := range map[string]func() error{
		"LoadKeras": func() error { _, err := LoadKeras(notHDF5); return err },
		"List":      func() error { _, err := List(notHDF5); return err },
		"Audit":     func() error { _, err := Audit(notHDF5); return err },
	} {
		start := time.Now()
		err := fn()
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), memberWeights+": invalid format: not an HDF5 file (no HDF5 signature at its start)") {
			t.Errorf("%s of a non-HDF5 member: %v", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v to refuse a non-HDF5 member", name, d)
		}
	}
	// HDF5-signed: refused by its declared size under a limit, before extraction.
	_, err := ReadOptions{MaxWeightsMember: 1 << 20}.LoadKeras(signed)
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), memberWeights+": invalid format: 67108864 bytes exceeds the 1048576-byte limit") {
		t.Errorf("member over MaxWeightsMember: %v", err)
	}
	// Within the limits it is extracted, found not to be a valid HDF5 file, and removed.
	tmp := filepath.Join(dir, "tmp")
	os.Mkdir(tmp, 0o755)
	t.Setenv("TMPDIR", tmp)
	if _, err := LoadKeras(signed); !errors.Is(err, ErrFormat) {
		t.Errorf("signed zeros: %v", err)
	}
	if n := dirNames(t, tmp); len(n) != 0 {
		t.Errorf("temporary files left behind: %v", n)
	}
}

// TestStaleTempsCleaned: temporary files of processes that no longer run, and old ones of an
// earlier kerasgo that did not record its process, are removed by the next extraction; those
// of running processes stay.
func TestStaleTempsCleaned(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, age time.Duration) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("x"), 0o644)
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
		return p
	}
	dead := mk(tempPrefix+"2147483646-1.weights.h5", 0)
	mine := mk(tempPrefix+strconv.Itoa(os.Getpid())+"-2.weights.h5", 0)
	parent := mk(tempPrefix+strconv.Itoa(os.Getppid())+"-3.weights.h5", 2*staleAge)
	oldUnowned := mk(tempPrefix+"12345.weights.h5", 2*staleAge)
	newUnowned := mk(tempPrefix+"67890.weights.h5", 0)
	other := mk("other.weights.h5", 2*staleAge)
	cleanStaleTemps(dir)
	for p, keep := range map[string]bool{dead: false, mine: true, parent: true, oldUnowned: false, newUnowned: true, other: true} {
		_, err := os.Stat(p)
		if kept := err == nil; kept != keep {
			t.Errorf("%s: kept %v, want %v", filepath.Base(p), kept, keep)
		}
	}
}
