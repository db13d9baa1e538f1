package compat

import (
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/npy"
)

// compareNpy compares got with the float32 values Keras wrote to the .npy file path, element by
// element within atol + rtol·|want|, reporting the first element outside and logging the worst
// difference. id and what name the case and the quantity in the messages.
func compareNpy(t *testing.T, id, what string, got []float32, path string, atol, rtol float64) {
	t.Helper()
	want, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w := want.Float32s()
	if len(w) != len(got) {
		t.Errorf("%s %s: %d values, keras %d", id, what, len(got), len(w))
		return
	}
	worst := 0.0
	for j := range w {
		diff := math.Abs(float64(got[j]) - float64(w[j]))
		worst = max(worst, diff)
		if diff > atol+rtol*math.Abs(float64(w[j])) {
			t.Errorf("%s %s[%d]: go %v, keras %v", id, what, j, got[j], w[j])
			return
		}
	}
	t.Logf("%s %s: max |go-keras| %.2g over %d values", id, what, worst, len(w))
}
