//go:build cgo

package h5

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// TestTruncated cuts a saved model at many lengths: every load must fail with an error
// (never a panic or a crash inside libhdf5).
func TestTruncated(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "m.h5")
	if err := SaveModel(src, seedModel(saved.Keras2, true)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "cut.h5")
	step := len(data)/150 + 1
	n := 0
	for cut := 0; cut < len(data); cut += step {
		if err := os.WriteFile(p, data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if err == nil {
			t.Fatalf("Load of the first %d of %d bytes succeeded", cut, len(data))
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("cut at %d: %v is not ErrFormat", cut, err)
		}
		if _, err := List(p); err == nil {
			t.Fatalf("List of the first %d of %d bytes succeeded", cut, len(data))
		}
		n++
	}
	t.Logf("%d truncations rejected", n)
}

// TestCorrupted flips bytes of saved files at random places: loading must return (an error
// or a model), never panic or crash.
func TestCorrupted(t *testing.T) {
	dir := t.TempDir()
	m := seedModel(saved.Keras3, true)
	srcs := []struct {
		name string
		save func(string, *saved.Model) error
	}{{"m.h5", SaveModel}, {"m.weights.h5", SaveWeightsKeras3}, {"m.keras", SaveKeras}}
	seed := int64(1)
	if s, err := strconv.ParseInt(os.Getenv("H5_CORRUPT_SEED"), 10, 64); err == nil {
		seed = s
	}
	rng := rand.New(rand.NewSource(seed))
	fails, oks := 0, 0
	// Files written by real Keras, when the fixtures are present.
	for _, f := range []string{"no_bn/tfkeras/model.h5", "no_bn/keras3/legacy.h5", "no_bn/tfkeras/model.keras"} {
		p := filepath.Join(formatsDir, f)
		if _, err := os.Stat(p); err == nil {
			srcs = append(srcs, struct {
				name string
				save func(string, *saved.Model) error
			}{"keras_" + filepath.Base(f), func(dst string, _ *saved.Model) error {
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				return os.WriteFile(dst, b, 0o644)
			}})
		}
	}
	for _, sc := range srcs {
		name := sc.name
		src := filepath.Join(dir, name)
		if err := sc.save(src, m); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(src)
		for i := 0; i < corruptIters(); i++ {
			b := append([]byte(nil), data...)
			for k := 0; k < 1+rng.Intn(4); k++ {
				// Bias towards the metadata at the start of the file.
				pos := rng.Intn(len(b))
				if rng.Intn(2) == 0 {
					pos = rng.Intn(min(len(b), 4096))
				}
				b[pos] ^= byte(1 + rng.Intn(255))
			}
			p := filepath.Join(dir, "bad_"+name)
			os.WriteFile(p, b, 0o644)
			if os.Getenv("H5_CRASH_COPY") != "" {
				os.WriteFile(os.Getenv("H5_CRASH_COPY"), b, 0o644)
				os.WriteFile(os.Getenv("H5_CRASH_COPY")+".orig", data, 0o644)
			}
			if _, err := Load(p); err != nil {
				fails++
			} else {
				oks++
			}
			List(p)
		}
	}
	t.Logf("corrupted files: %d rejected, %d loaded", fails, oks)
}

// TestZipMembers: .keras archives with escaping names, missing members or oversized
// members are rejected.
func TestZipMembers(t *testing.T) {
	for _, name := range []string{"../x", "/abs", `a\b`, "a/../../b", "C:x"} {
		if err := checkMemberName(name); !errors.Is(err, ErrFormat) {
			t.Errorf("checkMemberName(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"config.json", "assets/a/b.txt", "model.weights.h5"} {
		if err := checkMemberName(name); err != nil {
			t.Errorf("checkMemberName(%q) = %v", name, err)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "m.keras")
	if err := SaveKeras(p, seedModel(saved.Keras3, true)); err != nil {
		t.Fatal(err)
	}
	_, err := ReadOptions{MaxWeightsMember: 1000}.LoadKeras(p)
	if !errors.Is(err, ErrFormat) {
		t.Errorf("oversized weights member: %v", err)
	}
	_, err = ReadOptions{MaxTensorBytes: 100}.LoadKeras(p)
	if !errors.Is(err, ErrFormat) {
		t.Errorf("tensor over MaxTensorBytes: %v", err)
	}
}

// TestNotKeras: plain files, directories and non-Keras HDF5 files give clear errors.
func TestNotKeras(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.h5")
	os.WriteFile(p, []byte("hello world, not hdf5"), 0o644)
	if _, err := Load(p); !errors.Is(err, ErrFormat) {
		t.Errorf("text file: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.h5")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// An HDF5 file without Keras structure: List works, Load says what is missing.
	e := filepath.Join(dir, "empty.h5")
	if err := writeH5(e, func(h *h5file) error { return h.mkGroup("data") }); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(e); !errors.Is(err, ErrFormat) {
		t.Errorf("non-Keras HDF5: %v", err)
	}
	if vs, err := List(e); err != nil || len(vs) != 0 {
		t.Errorf("List non-Keras HDF5: %v %v", vs, err)
	}
}

// corruptIters is the number of corrupted copies per file ($H5_CORRUPT_ITERS, default 150).
func corruptIters() int {
	if n, err := strconv.Atoi(os.Getenv("H5_CORRUPT_ITERS")); err == nil && n > 0 {
		return n
	}
	return 150
}

// TestZipChecksumWrapped: a flipped byte inside a stored .keras member is reported as both
// h5.ErrChecksum and archive/zip's ErrChecksum.
func TestZipChecksumWrapped(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.keras")
	if err := SaveKeras(p, seedModel(saved.Keras3, true)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte(`"class_name"`))
	if i < 0 {
		t.Fatal("no config JSON in the stored archive")
	}
	b[i+1] = 'C' // still valid JSON, wrong CRC
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadKeras(p)
	if !errors.Is(err, ErrChecksum) || !errors.Is(err, zip.ErrChecksum) {
		t.Errorf("LoadKeras of a member with a bad CRC: %v, want h5.ErrChecksum wrapping zip.ErrChecksum", err)
	}
	if e := zipErr(fmt.Errorf("read: %w", zip.ErrFormat)); !errors.Is(e, ErrFormat) || !errors.Is(e, zip.ErrFormat) {
		t.Errorf("zipErr(zip.ErrFormat) = %v", e)
	}
}
