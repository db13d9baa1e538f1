//go:build !cgo

package h5

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// TestNoCgo: without cgo every HDF5 operation fails with ErrUnsupported saying why.
func TestNoCgo(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.h5")
	err := SaveWeights(p, &saved.Model{})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("SaveWeights without cgo: %v", err)
	}
	if _, err := Load("../testdata/formats/seed/tfkeras/model.h5"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Load without cgo: %v", err)
	}
}
