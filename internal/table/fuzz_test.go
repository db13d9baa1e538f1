package table

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.index")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), &ReaderOptions{MaxBlockSize: 1 << 20})
		if err != nil {
			return
		}
		var keys [][]byte
		_ = r.Scan(func(k, v []byte) error { keys = append(keys, k); return nil })
		for _, k := range keys {
			_, _ = r.Get(k)
		}
	})
}
