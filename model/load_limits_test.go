package model

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadOptionsConfigAndTotal: MaxConfigBytes reaches every codec that reads a config (the
// config is refused by its size, before it is decoded) and MaxTotalBytes every codec (the
// tensors a file declares are refused together before any is read).
func TestLoadOptionsConfigAndTotal(t *testing.T) {
	dir := filepath.Join(formatsRoot(t), "seed")
	for _, f := range []string{"tfkeras/model.h5", "tfkeras/model.keras", "tfkeras/savedmodel", "keras3/model.keras", "tfkeras/ckpt"} {
		t.Run(f, func(t *testing.T) {
			p := filepath.Join(dir, filepath.FromSlash(f))
			if _, err := LoadSaved(p); err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			if f != "tfkeras/ckpt" {
				_, err := LoadSaved(p, LoadOptions{MaxConfigBytes: 100})
				if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "100-byte limit") {
					t.Errorf("MaxConfigBytes 100: err = %v, want ErrFormat naming the 100-byte limit", err)
				}
			}
			_, err := LoadSaved(p, LoadOptions{MaxTotalBytes: 1000})
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "1000") {
				t.Errorf("MaxTotalBytes 1000: err = %v, want ErrFormat naming the 1000-byte limit", err)
			}
		})
	}
}
