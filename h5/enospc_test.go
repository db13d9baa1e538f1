//go:build cgo && linux

package h5

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestDiskFullNamed: a write that fails for lack of space says so, with the errno's name,
// and matches syscall.ENOSPC. /dev/full fails every write (libhdf5's first one is the
// superblock's, when the file is created).
func TestDiskFullNamed(t *testing.T) {
	err := writeH5("/dev/full", func(h *h5file) error { return writeLegacy(h, seedModel(saved.Keras2, true), true) })
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left on device (ENOSPC)") {
		t.Errorf("writing to /dev/full: %v, want ENOSPC named", err)
	}
}

// TestDiskFullSave saves into a 64 KiB tmpfs (mounting one needs root: the test is skipped
// without): every HDF5 and .keras save of a model too large for it fails naming the file and
// ENOSPC, at whichever write the space runs out, and leaves no temporary file behind.
func TestDiskFullSave(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (%v: %s); TestDiskFullNamed covers the errno", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	big := make([]float32, 100_000)
	for _, c := range []struct {
		name string
		save func(string, *saved.Model) error
		d    saved.Dialect
	}{
		{"m.h5", SaveModel, saved.Keras2}, {"w.h5", SaveWeights, saved.Keras2},
		{"m.weights.h5", SaveWeightsKeras3, saved.Keras3}, {"m.keras", SaveKeras, saved.Keras3},
		{"unzipped", SaveKerasDir, saved.Keras3},
	} {
		for _, n := range []int{1_000, 30_000, 100_000} { // run out of space at different writes
			m := seedModel(c.d, true)
			m.Layers[0].Weights[0].Value = tensor.MustFromFloat32([]int{n}, big[:n])
			p := filepath.Join(dir, c.name)
			err := c.save(p, m)
			if err == nil {
				if n == len(big) {
					t.Errorf("%s: 400 KB of weights fitted in 64 KiB", c.name)
				}
				os.RemoveAll(p)
				continue // it fitted
			}
			t.Logf("%s, %d values: %v", c.name, n, err)
			if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "(ENOSPC)") || !strings.Contains(err.Error(), `"`+p+`"`) {
				t.Errorf("%s with %d values: %v, want ENOSPC named with the file", c.name, n, err)
			}
			os.RemoveAll(p)
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("%s with %d values left %s behind", c.name, n, ents[0].Name())
				for _, e := range ents {
					os.RemoveAll(filepath.Join(dir, e.Name()))
				}
			}
		}
	}
}
