package layers

import (
	"fmt"
	"math"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Dtype policies kerasgo runs: float32 (the default), mixed_float16 and mixed_bfloat16
// (float32 variables, float16 or bfloat16 compute), as Keras's mixed-precision API sets them.
const (
	PolicyFloat32       = "float32"
	PolicyMixedFloat16  = "mixed_float16"
	PolicyMixedBFloat16 = "mixed_bfloat16"
	// float16 and bfloat16 variables and compute (Keras's dtype="float16"): kerasgo keeps the
	// variables in float32, rounded to the dtype when they are used and written
	// (VariableDType).
	PolicyFloat16  = "float16"
	PolicyBFloat16 = "bfloat16"
)

// DTypePolicy returns the layer's dtype policy name: PolicyFloat32, PolicyMixedFloat16 or
// PolicyMixedBFloat16.
func (b *base) DTypePolicy() string {
	if b.policy == "" {
		return PolicyFloat32
	}
	return b.policy
}

// SetDTypePolicy sets the layer's dtype policy (PolicyFloat32, PolicyMixedFloat16 or
// PolicyMixedBFloat16), as Keras's dtype= argument does; other names are ErrUnsupported.
func (b *base) SetDTypePolicy(name string) error {
	switch name {
	case PolicyFloat32, "":
		b.policy = ""
	case PolicyMixedFloat16, PolicyMixedBFloat16, PolicyFloat16, PolicyBFloat16:
		b.policy = name
	default:
		return fmt.Errorf("%w: dtype policy %q (only float32, float16, bfloat16, mixed_float16 and mixed_bfloat16 are implemented)", ErrUnsupported, name)
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
	if name == PolicyFloat32 || name == PolicyFloat16 || name == PolicyBFloat16 {
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
// precision (a few units of 2^-11 relative per layer), not bit for bit. mixed_bfloat16 is the
// same with bfloat16 rounding (8 significant bits: 2^-8 relative per rounding).
func Forward(l Layer, x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	round := policyRound(PolicyOf(l))
	if round == nil {
		return l.Forward(x, training)
	}
	restore := roundWeights(l, round)
	y, err := l.Forward(roundTensor(x.Clone(), round), training)
	restore()
	if err != nil {
		return nil, err
	}
	return roundTensor(y, round), nil
}

// policyRound is the rounding of a policy's compute dtype, nil for float32.
func policyRound(p string) func(float32) float32 {
	switch p {
	case PolicyMixedFloat16, PolicyFloat16:
		return RoundFloat16
	case PolicyMixedBFloat16, PolicyBFloat16:
		return RoundBFloat16
	}
	return nil
}

// VariableDType is the dtype Keras gives l's variables when it is not float32: float16 or
// bfloat16 under those policies (not the mixed ones), tensor.Invalid otherwise. Files hold
// the variables in it (the model converts the float32 values when it writes them).
func VariableDType(l Layer) tensor.DType {
	switch PolicyOf(l) {
	case PolicyFloat16:
		return tensor.Float16
	case PolicyBFloat16:
		return tensor.BFloat16
	}
	return tensor.Invalid
}

// ForwardN is Forward for a multi-input layer.
func ForwardN(l MultiInput, xs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	round := policyRound(PolicyOf(l))
	if round == nil {
		return l.ForwardN(xs, training)
	}
	in := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		if x != nil {
			in[i] = roundTensor(x.Clone(), round)
		}
	}
	restore := roundWeights(l, round)
	y, err := l.ForwardN(in, training)
	restore()
	if err != nil {
		return nil, err
	}
	return roundTensor(y, round), nil
}

// roundWeights rounds l's weights in place with round (not BatchNormalization's) and
// returns the function that puts the float32 values back.
func roundWeights(l Layer, round func(float32) float32) func() {
	if l.Class() == "BatchNormalization" {
		return func() {}
	}
	var saved [][]float32
	ws := l.Weights()
	for _, w := range ws {
		v := w.Value.Float32s()
		saved = append(saved, append([]float32(nil), v...))
		for i, f := range v {
			v[i] = round(f)
		}
	}
	return func() {
		for i, w := range ws {
			copy(w.Value.Float32s(), saved[i])
		}
	}
}

// roundTensor rounds every element of x in place with round and returns x.
func roundTensor(x *tensor.Tensor, round func(float32) float32) *tensor.Tensor {
	if x == nil {
		return nil
	}
	v := x.Float32s()
	for i, f := range v {
		v[i] = round(f)
	}
	return x
}

// RoundBFloat16 returns the bfloat16 value nearest f (ties to even), as a float32: the top 16
// bits of f's float32 encoding after rounding the low 16, as TF casts float32 to bfloat16
// (±Inf beyond bfloat16's range, NaN kept).
func RoundBFloat16(f float32) float32 {
	if f != f {
		return f
	}
	u := math.Float32bits(f)
	u += 0x7fff + (u>>16)&1
	return math.Float32frombits(u &^ 0xffff)
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
