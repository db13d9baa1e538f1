package layers

import "github.com/kerasgo/kerasgo/tensor"

// Inference of the activation layers (Activation, ReLU) with workspace buffers: the output
// is the workspace's buffer (a warm Predict allocates none for it), and a large tensor is cut
// into chunks that the worker pool runs in parallel: whole rows of the last axis for the
// activations that work on rows (softmax), else multiples of 64 floats, so that the vector
// loops meet the same tail as one call over the whole tensor and each element is computed
// as Forward computes it, bit for bit.

// actParallelMin is the number of floats below which an activation runs on the caller alone.
const actParallelMin = 1 << 15

// applyUnits runs f(z, y) over chunks of whole units of unit floats (see forUnits).
func applyUnits(z, y []float32, unit int, f func(z, y []float32)) {
	y = y[:len(z)]
	forUnits(len(z), unit, func(a, b int) { f(z[a:b], y[a:b]) })
}

// forUnits runs f(a, b) over chunks [a, b) of [0, n) made of whole units of unit floats
// (the last chunk may end in a partial unit), in parallel when n is large.
func forUnits(n, unit int, f func(a, b int)) {
	if n < actParallelMin || unit <= 0 {
		f(0, n)
		return
	}
	parallelFor((n+unit-1)/unit, func(_, lo, hi int) { f(lo*unit, min(hi*unit, n)) })
}

// ForwardWS is Forward(x, false) with the output buffer from ws (see Workspace); it records
// nothing in the layer.
func (l *Activation) ForwardWS(ws *Workspace, x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Activation", l.name); err != nil {
		return nil, err
	}
	if l.z != nil || l.y != nil {
		l.z, l.y = nil, nil
	}
	if l.act == glu {
		return gluForward(x), nil // halves the last axis: its own output
	}
	last := 1
	if len(x.Shape) > 0 {
		last = x.Shape[len(x.Shape)-1]
	}
	z := x.Float32s()
	b := ws.acquire(&l.infer)
	defer ws.release(b)
	y := b.out(0, len(z))
	a, unit := l.act, 64
	if a.rows {
		unit = last
	}
	applyUnits(z, y, unit, func(z, y []float32) { a.apply(z, y, last) })
	return b.view(0, y, x.Shape...), nil
}

// ForwardWS is Forward(x, false) with the output buffer from ws (see Workspace); it records
// nothing in the layer.
func (l *ReLU) ForwardWS(ws *Workspace, x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, l.class, l.name); err != nil {
		return nil, err
	}
	if l.x != nil || l.y != nil {
		l.x, l.y = nil, nil
	}
	z := x.Float32s()
	b := ws.acquire(&l.infer)
	defer ws.release(b)
	y := b.out(0, len(z))
	applyUnits(z, y, 64, l.apply)
	return b.view(0, y, x.Shape...), nil
}

// apply computes the rectifier of z into y: plain relu and relu6 (Keras's defaults, and
// max_value 6) with the activation functions' loops, which map negatives and -0 to +0 as
// tf.nn.relu and relu6 do; other settings element by element.
func (l *ReLU) apply(z, y []float32) {
	if l.slope == 0 && l.threshold == 0 {
		if l.maxValue == nil {
			reluF(z, y, 0)
			return
		}
		if *l.maxValue == 6 {
			relu6F(z, y, 0)
			return
		}
	}
	for i, v := range z {
		y[i] = l.f(v)
	}
}
