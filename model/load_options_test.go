package model

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadOptionsLimits: the limits of LoadOptions reach every codec. The seed model's
// largest tensor (dense_1's kernel) is far over 64 bytes and the model has far over 100
// parameters; with the defaults every file loads.
func TestLoadOptionsLimits(t *testing.T) {
	dir := filepath.Join(formatsRoot(t), "seed")
	for _, f := range []string{"tfkeras/model.h5", "tfkeras/model.keras", "tfkeras/savedmodel", "keras3/model.keras"} {
		t.Run(f, func(t *testing.T) {
			p := filepath.Join(dir, filepath.FromSlash(f))
			m, err := Load(p)
			if err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			if m.CountParams() <= 100 {
				t.Fatalf("%d parameters; the test needs more than 100", m.CountParams())
			}
			if _, err := Load(p, LoadOptions{MaxTensorBytes: 64}); !limited(err) {
				t.Errorf("MaxTensorBytes 64: err = %v, want the 64-byte limit", err)
			}
			if _, err := Load(p, LoadOptions{MaxParams: 100}); !errors.Is(err, ErrUnsupported) {
				t.Errorf("MaxParams 100: err = %v, want ErrUnsupported", err)
			}
		})
	}
	t.Run("tfkeras/ckpt", func(t *testing.T) {
		p := filepath.Join(dir, "tfkeras", "ckpt")
		if _, err := LoadSaved(p); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadSaved(p, LoadOptions{MaxTensorBytes: 64}); !limited(err) {
			t.Errorf("MaxTensorBytes 64: err = %v, want the 64-byte limit", err)
		}
	})
}

func limited(err error) bool { return err != nil && strings.Contains(err.Error(), "64-byte limit") }
