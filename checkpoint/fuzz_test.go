package checkpoint

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzIndex parses arbitrary .index bytes: errors are fine, panics and huge allocations are
// not.
func FuzzIndex(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(repoRoot(), "internal", "table", "testdata", "*.index"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := newReader(bytes.NewReader(data), int64(len(data)), "fuzz.index", ReaderOptions{MaxIndexBlockBytes: 1 << 20})
		if err != nil {
			return
		}
		_ = r.Entries()
	})
}

// FuzzStateText parses arbitrary `checkpoint` state files.
func FuzzStateText(f *testing.F) {
	f.Add("model_checkpoint_path: \"ckpt-3\"\nall_model_checkpoint_paths: \"ckpt-2\"\nall_model_checkpoint_timestamps: 1795867358.487\nlast_preserved_timestamp: 1795867357.2152967\n")
	f.Add("model_checkpoint_path: '/a\\001b\\x41' 'c'\n# comment\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := parseState(s)
		if err != nil {
			return
		}
		back, err := parseState(st.Text())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", st.Text(), err)
		}
		if back.Text() != st.Text() {
			t.Fatalf("text not stable: %q vs %q", back.Text(), st.Text())
		}
	})
}

// FuzzStringTensor decodes arbitrary bytes as a DT_STRING tensor's data.
func FuzzStringTensor(f *testing.F) {
	f.Add([]byte{3, 0, 1, 0, 0, 0, 0, 'a', 'b', 'c', 'd'}, uint8(2), uint32(0))
	f.Add([]byte{}, uint8(0), uint32(0))
	f.Fuzz(func(t *testing.T, data []byte, n uint8, crc uint32) {
		e := Entry{Key: "s", Shape: []int{int(n)}, Size: int64(len(data)), CRC: crc}
		_, _ = readString(io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data))), e, "fuzz")
	})
}
