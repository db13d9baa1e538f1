package model

import (
	"path/filepath"
	"testing"
)

// TestFixturesCatchKernelLayout shows that the fixture comparison can fail: the seed model's
// Conv2D kernel read as (kw, kh, in, out) instead of Keras's (kh, kw, in, out) must move
// the predictions far beyond the 1e-5 the fixture tests allow.
func TestFixturesCatchKernelLayout(t *testing.T) {
	dir := filepath.Join(fixtureRoot, "seed")
	m, err := FromConfig(readFile(t, filepath.Join(dir, "config_keras2.json")))
	if err != nil {
		t.Fatal(err)
	}
	ws := readFixtureWeights(t, dir)
	k := ws[0].values[0] // conv_1/kernel (3, 3, 3, 16)
	kh, kw, cin, cout := k.Shape[0], k.Shape[1], k.Shape[2], k.Shape[3]
	src := k.Float32s()
	swapped := make([]float32, len(src))
	for i := range kh {
		for j := range kw {
			for c := range cin * cout {
				swapped[(j*kh+i)*cin*cout+c] = src[(i*kw+j)*cin*cout+c]
			}
		}
	}
	copy(src, swapped)
	setFixtureWeights(t, m, ws)
	y, err := m.Predict(readNpy(t, filepath.Join(dir, "x.npy")))
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, y, readNpy(t, filepath.Join(dir, "y_keras2.npy"))); d < 1e-3 {
		t.Fatalf("a transposed kernel changed the predictions by only %g: the fixture test could not catch it", d)
	} else {
		t.Logf("transposed kernel: max |y - Keras| = %.3g (the fixture tests allow 1e-5)", d)
	}
}
