package model

import (
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Weights of layers under the float16 and bfloat16 policies (Keras's dtype="float16"): the
// model keeps them in float32 and writes them in the layer's variable dtype
// (layers.VariableDType), rounded to nearest even as TF casts.

// savedValueOf is savedValue for a weight of layer l: converted to l's 16-bit variable dtype
// in dialect d when it has one (layers.VariableDTypeIn).
func savedValueOf(l layers.Layer, w *layers.Weight, d saved.Dialect) *tensor.Tensor {
	dt := layers.VariableDTypeIn(l, d)
	if dt == tensor.Invalid || w.Value == nil || w.Value.DType != tensor.Float32 {
		return savedValue(w)
	}
	return to16(w.Value, dt)
}

// float16Bits encodes f, a value float16 represents exactly (or ±Inf, NaN), as IEEE 754 half
// precision.
func float16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	a := math.Abs(float64(f))
	switch {
	case a != a:
		return sign | 0x7e00
	case math.IsInf(a, 0) || a >= 65520:
		return sign | 0x7c00
	case a < 0x1p-14: // subnormal (or zero): a multiple of 2^-24
		return sign | uint16(a/0x1p-24)
	}
	exp := int(b>>23&0xff) - 127 + 15
	return sign | uint16(exp)<<10 | uint16(b>>13&0x3ff)
}

// weightBytes is the size in bytes of one value of w of layer l as Keras counts it in a
// summary.
func weightBytes(l layers.Layer, w *layers.Weight) int64 {
	if dt := layers.VariableDType(l); dt != tensor.Invalid {
		return int64(dt.Size())
	}
	if w.SavedDType != tensor.Invalid {
		return int64(w.SavedDType.Size()) // Normalization's int64 count
	}
	return int64(w.Value.DType.Size())
}

// slots16 converts the optimizer slots of 16-bit variables to the variables' dtype, as Keras
// creates them.
func (m *Model) slots16(so *saved.Optimizer, d saved.Dialect) {
	var dts map[string]tensor.DType
	for _, l := range m.layers {
		if dt := layers.VariableDTypeIn(l, d); dt != tensor.Invalid {
			if dts == nil {
				dts = map[string]tensor.DType{}
			}
			dts[l.Name()] = dt
		}
	}
	for i, s := range so.Slots {
		dt, ok := dts[s.Layer]
		if !ok || s.Value == nil || s.Value.DType != tensor.Float32 {
			continue
		}
		so.Slots[i].Value = to16(s.Value, dt)
	}
}

// to16 converts a float32 tensor to float16 or bfloat16 (nearest, ties to even).
func to16(t *tensor.Tensor, dt tensor.DType) *tensor.Tensor {
	src := t.Float32s()
	v := make([]uint16, len(src))
	for i, f := range src {
		if dt == tensor.BFloat16 {
			v[i] = uint16(math.Float32bits(layers.RoundBFloat16(f)) >> 16)
		} else {
			v[i] = float16Bits(layers.RoundFloat16(f))
		}
	}
	return &tensor.Tensor{DType: dt, Shape: slices.Clone(t.Shape), Data: v}
}
