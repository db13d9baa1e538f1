//go:build cgo

package h5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// TestCorruptAttributeTypes: attribute messages whose datatype or dataspace libhdf5 1.10
// cannot decode made H5Aiterate2 crash the process (a NULL attribute freed while its table
// was released: FuzzHDF5's crasher 9ded3ec397443a6f had a vlen string whose base type was
// version 0). Each mutation of the root's training_config attribute is refused with an
// error naming the file, before libhdf5 sees it.
func TestCorruptAttributeTypes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.h5")
	if err := SaveModel(good, tinyModel(saved.Keras2, true)); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	name := []byte("training_config\x00")
	at := bytes.Index(orig, name)
	if at < 8 || orig[at-8] != 1 {
		t.Fatalf("no version-1 training_config attribute message found")
	}
	msg := at - 8
	dt := at + pad8(int(binary.LittleEndian.Uint16(orig[msg+2:])))
	ds := dt + pad8(int(binary.LittleEndian.Uint16(orig[msg+4:])))
	if orig[dt]&0x0f != classVlen {
		t.Fatalf("training_config is not a vlen string (class %d)", orig[dt]&0x0f)
	}
	for _, c := range []struct {
		what, want string
		edit       func(b []byte)
	}{
		{"base type version 0 (the fuzz crasher)", "datatype version 0", func(b []byte) { b[dt+8] = 0x00 }},
		{"outer datatype version 4", "datatype version 4", func(b []byte) { b[dt] = 0x49 }},
		{"base type class 11", "datatype class 11", func(b []byte) { b[dt+8] = 0x1b }},
		{"base type precision over its size", "integer datatype", func(b []byte) { b[dt+18] = 0x40 }},
		{"vlen type 3", "vlen type 3", func(b []byte) { b[dt+1] = b[dt+1]&0xf0 | 3 }},
		{"dataspace version 3", "dataspace version 3", func(b []byte) { b[ds] = 3 }},
		{"dataspace rank 33", "rank 33", func(b []byte) { b[ds+1] = 33 }},
		{"dataspace flags", "dataspace flags", func(b []byte) { b[ds+2] = 0x80 }},
		{"shared attribute message", "shared attribute message", func(b []byte) { b[msg-4] |= 0x02 }},
	} {
		t.Run(c.what, func(t *testing.T) {
			b := append([]byte(nil), orig...)
			c.edit(b)
			p := filepath.Join(dir, "bad.h5")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("Load = %v, want ErrFormat naming %s and %q", err, p, c.want)
			}
		})
	}
	// The unmodified file still loads: the checks refuse only what libhdf5 cannot decode.
	if _, err := Load(good); err != nil {
		t.Fatalf("good file: %v", err)
	}
}

// TestFuzzCrashersRefused: the inputs that crashed libhdf5 (committed under
// testdata/fuzz/FuzzHDF5, which FuzzHDF5 also replays) are refused with a format error naming
// the file and the reason.
func TestFuzzCrashersRefused(t *testing.T) {
	for id, want := range map[string]string{
		"9ded3ec397443a6f": "datatype version 0",
		"e28d0fef08a0cd56": "compact dataset holds",
	} {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzHDF5", id))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(raw), "\n", 2)
		body := strings.TrimSpace(lines[1])
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(body, "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		p := filepath.Join(t.TempDir(), id+".h5")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Load(p)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: Load = %v, want ErrFormat naming the file and %q", id, err, want)
		}
	}
}
