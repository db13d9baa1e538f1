package layers

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestRoundFloat16 checks the rounding against IEEE 754 binary16 facts: 11 significant bits,
// ties to even, largest finite 65504, subnormal spacing 2^-24.
func TestRoundFloat16(t *testing.T) {
	for _, c := range []struct{ in, want float32 }{
		{1, 1},
		{1 + 0x1p-11, 1},                     // tie: to even (1)
		{1 + 3*0x1p-11, 1 + 0x1p-9},          // tie: to even (1+2^-9)
		{1 + 0x1p-11 + 0x1p-20, 1 + 0x1p-10}, // above the tie
		{0.1, 0.0999755859375},
		{-0.1, -0.0999755859375},
		{65504, 65504},
		{65519, 65504},
		{65520, float32(math.Inf(1))},
		{-1e6, float32(math.Inf(-1))},
		{0x1p-24, 0x1p-24},
		{0x1p-25, 0},         // tie with 0: to even
		{0x1.8p-24, 0x1p-23}, // tie between 1 and 2 subnormal units: to even (2)
		{0x1p-14 + 0x1p-30, 0x1p-14},
		{0, 0},
	} {
		if got := RoundFloat16(c.in); got != c.want {
			t.Errorf("RoundFloat16(%g) = %g, want %g", c.in, got, c.want)
		}
	}
	if nan := RoundFloat16(float32(math.NaN())); nan == nan {
		t.Errorf("NaN not kept")
	}
}

// TestMixedPolicyConfig reads a Dense layer with the mixed_float16 policy in both dialects'
// forms and writes the policy back as each library writes it; the float32 policy is written
// as before.
func TestMixedPolicyConfig(t *testing.T) {
	k2 := map[string]any{"module": "keras.mixed_precision", "class_name": "Policy",
		"config": map[string]any{"name": "mixed_float16"}, "registered_name": nil}
	k3 := map[string]any{"module": "keras", "class_name": "DTypePolicy",
		"config": map[string]any{"name": "mixed_float16"}, "registered_name": nil}
	for _, in := range []any{k2, k3, "mixed_float16"} {
		l, _, err := FromConfig("Dense", map[string]any{"name": "d", "units": 2.0, "dtype": in}, saved.Keras2)
		if err != nil {
			t.Fatal(err)
		}
		if p := PolicyOf(l); p != PolicyMixedFloat16 {
			t.Fatalf("policy %q", p)
		}
		for d, want := range map[saved.Dialect]any{saved.Keras2: k2, saved.Keras3: k3} {
			got, _ := json.Marshal(l.Config(d)["dtype"])
			w, _ := json.Marshal(want)
			if string(got) != string(w) {
				t.Errorf("dialect %v: dtype %s, want %s", d, got, w)
			}
		}
	}
	l := NewDense(2, DenseOptions{})
	if got := l.Config(saved.Keras2)["dtype"]; got != "float32" {
		t.Errorf("float32 layer: dtype %v", got)
	}
	if err := l.SetDTypePolicy("float64"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("float64 policy: err = %v, want ErrUnsupported", err)
	}
	if err := l.SetDTypePolicy(PolicyMixedBFloat16); err != nil || PolicyOf(l) != PolicyMixedBFloat16 {
		t.Errorf("mixed_bfloat16: %v, policy %s", err, PolicyOf(l))
	}
}

// TestMixedForward: under mixed_float16, Forward rounds the input, the weights (but not
// BatchNormalization's) and the output to float16, and leaves the float32 weights unchanged.
func TestMixedForward(t *testing.T) {
	l := NewDense(1, DenseOptions{})
	if err := l.Build([]int{1}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	w := l.Weights()
	w[0].Value.Float32s()[0] = 1 + 0x1p-12 // rounds to 1 in float16
	w[1].Value.Float32s()[0] = 0x1p-13     // bias: 1.2e-4, a float16 value
	x, err := tensor.FromFloat32([]int{1, 1}, []float32{1 + 0x1p-12})
	if err != nil {
		t.Fatal(err)
	}
	y32, err := Forward(l, x, false)
	if err != nil {
		t.Fatal(err)
	}
	// An inference Forward's result is valid until the layer's next one (the layer reuses its
	// buffer): keep the value.
	got32 := y32.Float32s()[0]
	if err := l.SetDTypePolicy(PolicyMixedFloat16); err != nil {
		t.Fatal(err)
	}
	y16, err := Forward(l, x, false)
	if err != nil {
		t.Fatal(err)
	}
	// float16: 1*1 + 2^-13 = 1.000122 rounds to 1; float32 keeps both small terms
	if got := y16.Float32s()[0]; got != 1 {
		t.Errorf("mixed_float16 output %g, want 1", got)
	}
	if got, want := got32, float32((1+0x1p-12)*(1+0x1p-12)+0x1p-13); got != want {
		t.Errorf("float32 output %g, want %g", got, want)
	}
	if got := w[0].Value.Float32s()[0]; got != 1+0x1p-12 {
		t.Errorf("kernel changed to %g by the mixed forward", got)
	}
}
