package optimizers

import "math"

// ClipGradients returns the gradients to apply, per variable, with o's clipping: clipnorm
// (per variable), else global_clipnorm, else clipvalue, as tf_keras's
// Optimizer._clip_gradients (tf.clip_by_norm, tf.clip_by_global_norm, tf.clip_by_value).
// grads holds each variable's gradient (nil for a variable without one). Clipped gradients
// go to buffers in bufs, reused across calls; the slices of grads are left as computed.
func ClipGradients(o Optimizer, grads [][]float32, bufs *[][]float32) [][]float32 {
	c := o.base()
	out := make([][]float32, len(grads))
	copy(out, grads)
	clipped := func(i int) []float32 {
		if len(*bufs) < len(grads) {
			*bufs = make([][]float32, len(grads))
		}
		b := (*bufs)[i]
		if cap(b) < len(out[i]) {
			b = make([]float32, len(out[i]))
		}
		b = b[:len(out[i])]
		(*bufs)[i] = b
		return b
	}
	switch {
	case c.clipnorm != nil && *c.clipnorm > 0:
		cn := float32(*c.clipnorm)
		for i, g := range out {
			var ss float32
			for _, x := range g {
				ss += x * x
			}
			if ss <= 0 {
				continue
			}
			den := max(float32(math.Sqrt(float64(ss))), cn)
			b := clipped(i)
			for j, x := range g {
				b[j] = x * cn / den
			}
			out[i] = b
		}
	case c.globalClipnorm != nil && *c.globalClipnorm > 0:
		cn := float32(*c.globalClipnorm)
		var ss float32
		for _, g := range out {
			var s float32
			for _, x := range g {
				s += x * x
			}
			ss += s
		}
		norm := float32(math.Sqrt(float64(ss)))
		scale := cn * min(1/norm, 1/cn)
		for i, g := range out {
			b := clipped(i)
			for j, x := range g {
				b[j] = x * scale
			}
			out[i] = b
		}
	case c.clipvalue != nil && *c.clipvalue > 0:
		cv := float32(*c.clipvalue)
		for i, g := range out {
			b := clipped(i)
			for j, x := range g {
				b[j] = min(max(x, -cv), cv)
			}
			out[i] = b
		}
	}
	return out
}

// WeightDecay returns o's weight_decay, or 0 when it has none.
func WeightDecay(o Optimizer) float32 {
	if wd := o.base().weightDecay; wd != nil {
		return float32(*wd)
	}
	return 0
}
