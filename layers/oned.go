package layers

import (
	"strings"

	"github.com/kerasgo/kerasgo/tensor"
)

// The 1D layers (Conv1D, the 1D poolings, ZeroPadding1D, ...) work on (batch, steps,
// channels) inputs. Those with a 2D counterpart run it on a view of the input as a one-row
// image: (batch, steps, channels) and (batch, 1, steps, channels) are the same memory.

// view returns t with another shape of the same number of elements, sharing its data.
func view(t *tensor.Tensor, shape ...int) *tensor.Tensor {
	return &tensor.Tensor{DType: t.DType, Shape: shape, Data: t.Data}
}

// single reads a 1D size or stride: an integer or a one-element list.
func (r *cfgReader) single(def, lo, hi int, keys ...string) int {
	v, k, ok := r.get(keys...)
	if !ok || v == nil {
		return def
	}
	if n, ok := toInt(v, lo, hi); ok {
		return n
	}
	if l, ok := v.([]any); ok && len(l) == 1 {
		if n, ok := toInt(l[0], lo, hi); ok {
			return n
		}
	}
	r.fail(ErrFormat, "%s: want an integer or a list of one integer in [%d, %d], have %s", k, lo, hi, jsonValue(v))
	return def
}

// padding1D reads a Conv1D padding: "valid", "same" or "causal".
func (r *cfgReader) padding1D() string {
	p := strings.ToLower(r.str("valid", "padding", "border_mode"))
	if p != "valid" && p != "same" && p != "causal" {
		r.fail(ErrUnsupported, "padding %q", p)
	}
	return p
}

// steps2 checks a (steps, channels) input shape.
func steps2(in []int, class, name string) error {
	if len(in) != 2 || in[0] < 1 || in[1] < 1 || in[0] > maxDim || in[1] > maxDim {
		return layerErr(ErrShape, class, name, "input shape %s: want (steps, channels)", tensor.ShapeString(in))
	}
	return nil
}
