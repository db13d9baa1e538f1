package layers

import (
	"math"
	"testing"
)

// TestRounding16 compares RoundFloat16 and RoundBFloat16 with TensorFlow's tf.cast to float16
// and bfloat16 and back (testdata/dtype16/rounding: values over many magnitudes, halfway
// cases, float16 subnormals, overflow, infinities), bit for bit.
func TestRounding16(t *testing.T) {
	x := readNpy(t, "../testdata/dtype16/rounding/x.npy").Float32s()
	for _, c := range []struct {
		file  string
		round func(float32) float32
	}{{"f16.npy", RoundFloat16}, {"bf16.npy", RoundBFloat16}} {
		want := readNpy(t, "../testdata/dtype16/rounding/"+c.file).Float32s()
		if len(want) != len(x) || len(x) < 300 {
			t.Fatalf("%s: %d values for %d inputs", c.file, len(want), len(x))
		}
		changed := 0
		for i, v := range x {
			g := c.round(v)
			if math.Float32bits(g) != math.Float32bits(want[i]) {
				t.Errorf("%s: round(%g) = %g, TF %g", c.file, v, g, want[i])
			}
			if g != v {
				changed++
			}
		}
		if changed < len(x)/2 {
			t.Errorf("%s: only %d of %d values change when rounded: the fixture tests little", c.file, changed, len(x))
		}
	}
}
