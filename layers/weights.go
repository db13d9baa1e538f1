package layers

import (
	"fmt"
	"math"

	"github.com/kerasgo/kerasgo/tensor"
)

// newWeight creates a zeroed float32 weight, or with the NoData source a weight with its
// shape and no data (the size is checked either way).
func newWeight(name string, trainable bool, shape []int, rng *Rand) (*Weight, error) {
	if rng.noData() {
		if _, err := tensor.CheckShape(tensor.Float32, shape, 0); err != nil {
			return nil, err
		}
		return &Weight{Name: name, Trainable: trainable,
			Value: &tensor.Tensor{DType: tensor.Float32, Shape: append([]int(nil), shape...), Data: []float32(nil)}}, nil
	}
	t, err := tensor.New(tensor.Float32, shape)
	if err != nil {
		return nil, err
	}
	return &Weight{Name: name, Trainable: trainable, Value: t}, nil
}

// NoData returns a source that draws the same random stream as r (layers that keep their
// source, such as Dropout, use it for masks) but makes Build create weights with their
// shapes and no data (Value.Data is a nil []float32), without initialising them: for a
// layer whose every weight is then given a value with SetValue, as when loading a saved model
// (no memory is spent on weights that are replaced at once). A layer built this way must not
// be used before all its weights are set.
func (r *Rand) NoData() *Rand { return &Rand{r: r.r, skipData: true} }

func (r *Rand) noData() bool { return r != nil && r.skipData }

// SetValue makes v the weight's value (not a copy: the weight adopts v). v must be a float32
// tensor of the weight's shape with its data; the error says what differs.
func (w *Weight) SetValue(v *tensor.Tensor) error {
	if v == nil {
		return fmt.Errorf("%w: weight %s: no value", ErrShape, w.Name)
	}
	if w.Value != nil && !tensor.SameShape(w.Value.Shape, v.Shape) {
		return fmt.Errorf("%w: weight %s: shape %s, the weight's is %s", ErrShape, w.Name, tensor.ShapeString(v.Shape), tensor.ShapeString(w.Value.Shape))
	}
	data, ok := v.Data.([]float32)
	if v.DType != tensor.Float32 || !ok {
		return fmt.Errorf("%w: weight %s: dtype %v, want float32", ErrUnsupported, w.Name, v.DType)
	}
	if len(data) != v.Len() {
		return fmt.Errorf("%w: weight %s: %d values for shape %s", ErrShape, w.Name, len(data), tensor.ShapeString(v.Shape))
	}
	w.Value = v
	return nil
}

// weightList returns the non-nil weights in order.
func weightList(ws ...*Weight) []*Weight {
	var out []*Weight
	for _, w := range ws {
		if w != nil {
			out = append(out, w)
		}
	}
	return out
}

func setTrainable(t bool, ws ...*Weight) {
	for _, w := range ws {
		if w != nil {
			w.Trainable = t
		}
	}
}

// gradOf returns w.Grad, allocating it on first use.
func gradOf(w *Weight) []float32 {
	n := w.Value.Len()
	if len(w.Grad) != n {
		w.Grad = make([]float32, n)
	}
	return w.Grad
}

// initWeight fills w as the Keras initializer o does (def when o is nil). fanIn and fanOut
// are the Keras fans of the kernel (receptive field × in, receptive field × out). Unknown
// initializers fall back to def.
func initWeight(w *Weight, o *kerasObject, def string, fanIn, fanOut int, rng *Rand) {
	class := def
	var cfg map[string]any
	if o != nil {
		if o.Raw != nil {
			if s, ok := o.Raw.(string); ok {
				class = s
			}
		} else {
			class, cfg = o.Class, o.Config
		}
	}
	num := func(k string, d float64) float64 {
		if v, ok := cfg[k].(float64); ok {
			return v
		}
		return d
	}
	str := func(k, d string) string {
		if v, ok := cfg[k].(string); ok {
			return v
		}
		return d
	}
	data := w.Value.Float32s()
	fill := func(v float32) {
		for i := range data {
			data[i] = v
		}
	}
	if rng.noData() {
		return
	}
	if rng == nil {
		rng = NewRand(0)
	}
	switch class {
	case "Zeros", "zeros", "zero", "Zero":
		fill(0)
	case "Ones", "ones", "one", "One":
		fill(1)
	case "Constant", "constant":
		fill(float32(num("value", 0)))
	case "RandomUniform", "random_uniform", "uniform":
		lo, hi := float32(num("minval", -0.05)), float32(num("maxval", 0.05))
		for i := range data {
			data[i] = rng.Uniform(lo, hi)
		}
	case "RandomNormal", "random_normal", "normal":
		m, s := num("mean", 0), num("stddev", 0.05)
		for i := range data {
			data[i] = float32(m + s*rng.Norm())
		}
	case "TruncatedNormal", "truncated_normal":
		m, s := num("mean", 0), num("stddev", 0.05)
		for i := range data {
			data[i] = float32(m + s*rng.TruncNorm())
		}
	default:
		scale, mode, dist := 1.0, "fan_avg", "uniform"
		switch class {
		case "GlorotNormal", "glorot_normal":
			dist = "truncated_normal"
		case "HeUniform", "he_uniform":
			scale, mode = 2, "fan_in"
		case "HeNormal", "he_normal":
			scale, mode, dist = 2, "fan_in", "truncated_normal"
		case "LecunUniform", "lecun_uniform":
			mode = "fan_in"
		case "LecunNormal", "lecun_normal":
			mode, dist = "fan_in", "truncated_normal"
		case "VarianceScaling", "variance_scaling":
			scale, mode, dist = num("scale", 1), str("mode", "fan_in"), str("distribution", "truncated_normal")
		}
		n := float64(fanIn+fanOut) / 2
		switch mode {
		case "fan_in":
			n = float64(fanIn)
		case "fan_out":
			n = float64(fanOut)
		}
		v := scale / math.Max(1, n)
		switch dist {
		case "uniform":
			lim := float32(math.Sqrt(3 * v))
			for i := range data {
				data[i] = rng.Uniform(-lim, lim)
			}
		case "untruncated_normal":
			s := math.Sqrt(v)
			for i := range data {
				data[i] = float32(s * rng.Norm())
			}
		default: // truncated_normal, normal
			s := math.Sqrt(v) / .87962566103423978
			for i := range data {
				data[i] = float32(s * rng.TruncNorm())
			}
		}
	}
}

// kernelBiasNames names the variables of a layer with a kernel and an optional bias (Dense,
// Conv2D): kernel, then bias when use_bias is on.
func kernelBiasNames(on func(string) bool) []string {
	if on("use_bias") {
		return []string{"kernel", "bias"}
	}
	return []string{"kernel"}
}
