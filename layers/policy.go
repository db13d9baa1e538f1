package layers

import (
	"fmt"
	"math"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Dtype policies kerasgo runs: float32 (the default) and mixed_float16 (float32 variables,
// float16 compute), as Keras's mixed-precision API sets them.
const (
	PolicyFloat32      = "float32"
	PolicyMixedFloat16 = "mixed_float16"
)

// DTypePolicy returns the layer's dtype policy name: PolicyFloat32 or PolicyMixedFloat16.
func (b *base) DTypePolicy() string {
	if b.policy == "" {
		return PolicyFloat32
	}
	return b.policy
}

// SetDTypePolicy sets the layer's dtype policy (PolicyFloat32 or PolicyMixedFloat16), as
// Keras's dtype= argument does; other names are ErrUnsupported.
func (b *base) SetDTypePolicy(name string) error {
	switch name {
	case PolicyFloat32, "":
		b.policy = ""
	case PolicyMixedFloat16:
		b.policy = name
	default:
		return fmt.Errorf("%w: dtype policy %q (only float32 and mixed_float16 are implemented)", ErrUnsupported, name)
	}
	return nil
}

// policyHolder is implemented by every layer of this package (through base).
type policyHolder interface{ DTypePolicy() string }

// PolicyOf returns l's dtype policy name (PolicyFloat32 for layers without one).
func PolicyOf(l Layer) string {
	if p, ok := l.(policyHolder); ok {
		return p.DTypePolicy()
	}
	return PolicyFloat32
}

// policyConfig is the "dtype" config value of a layer with policy name in dialect d: tf_keras
// writes "float32" as a string and a mixed policy as a keras.mixed_precision Policy object;
// Keras 3 writes a DTypePolicy object for both.
func policyConfig(d saved.Dialect, name string) any {
	if name == "" {
		name = PolicyFloat32
	}
	if d == saved.Keras3 {
		return map[string]any{"module": "keras", "class_name": "DTypePolicy",
			"config": map[string]any{"name": name}, "registered_name": nil}
	}
	if name == PolicyFloat32 {
		return name
	}
	return map[string]any{"module": "keras.mixed_precision", "class_name": "Policy",
		"config": map[string]any{"name": name}, "registered_name": nil}
}

// Forward runs l on x as Keras runs it under l's dtype policy. A float32 layer runs as
// l.Forward. Under mixed_float16 Keras casts the inputs and (except in BatchNormalization,
// which keeps float32 parameters) the variables to float16 and returns a float16 output;
// kerasgo emulates that by rounding the input and the weights to float16, computing in float32
// and rounding the output to float16, so that predictions agree with Keras's within float16
// precision (a few units of 2^-11 relative per layer), not bit for bit.
func Forward(l Layer, x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if PolicyOf(l) != PolicyMixedFloat16 {
		return l.Forward(x, training)
	}
	restore := roundWeightsF16(l)
	y, err := l.Forward(roundTensorF16(x), training)
	restore()
	if err != nil {
		return nil, err
	}
	return roundTensorF16InPlace(y), nil
}

// ForwardN is Forward for a multi-input layer.
func ForwardN(l MultiInput, xs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if PolicyOf(l) != PolicyMixedFloat16 {
		return l.ForwardN(xs, training)
	}
	in := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		in[i] = roundTensorF16(x)
	}
	restore := roundWeightsF16(l)
	y, err := l.ForwardN(in, training)
	restore()
	if err != nil {
		return nil, err
	}
	return roundTensorF16InPlace(y), nil
}

// roundWeightsF16 rounds l's weights to float16 in place (not BatchNormalization's) and
// returns the function that puts the float32 values back.
func roundWeightsF16(l Layer) func() {
	if l.Class() == "BatchNormalization" {
		return func() {}
	}
	var saved [][]float32
	ws := l.Weights()
	for _, w := range ws {
		v := w.Value.Float32s()
		saved = append(saved, append([]float32(nil), v...))
		for i, f := range v {
			v[i] = RoundFloat16(f)
		}
	}
	return func() {
		for i, w := range ws {
			copy(w.Value.Float32s(), saved[i])
		}
	}
}

// roundTensorF16 returns a copy of x with every element rounded to float16 (x itself when it
// is float16-exact already is not detected: the copy is cheap next to the layer).
func roundTensorF16(x *tensor.Tensor) *tensor.Tensor {
	if x == nil {
		return nil
	}
	return roundTensorF16InPlace(x.Clone())
}

func roundTensorF16InPlace(x *tensor.Tensor) *tensor.Tensor {
	v := x.Float32s()
	for i, f := range v {
		v[i] = RoundFloat16(f)
	}
	return x
}

// RoundFloat16 returns the float16 value nearest f (ties to even), as a float32: ±Inf beyond
// the float16 range (|f| >= 65520), float16 subnormals below 2^-14, NaN kept.
func RoundFloat16(f float32) float32 {
	a := math.Abs(float64(f))
	switch {
	case a != a, a == 0, math.IsInf(a, 0):
		return f
	case a >= 65520:
		return float32(math.Copysign(math.Inf(1), float64(f)))
	}
	step := 0x1p-24 // subnormal spacing
	if a >= 0x1p-14 {
		_, e := math.Frexp(a) // a in [2^(e-1), 2^e): 11 significant bits
		step = math.Ldexp(1, e-11)
	}
	return float32(math.Copysign(math.RoundToEven(a/step)*step, float64(f)))
}
