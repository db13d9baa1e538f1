package layers

import "fmt"

// ParamCounter is implemented by layers that can count the parameters Build would create
// for an input shape, without building (every layer of this package does).
type ParamCounter interface {
	ParamCount(inputShape []int) (int64, error)
}

// ParamCount returns the number of parameters (trainable and not) l has, or would have,
// when built for inputShape (without the batch dimension), without allocating any weight:
// Dense in·units (+units), Conv2D kh·kw·in·filters (+filters), BatchNormalization
// channels × (moving mean and variance, +gamma, +beta), 0 for layers without weights. The
// input shape is checked as Build checks it; a count beyond int64 is an ErrShape error.
// A layer of another package counts with its own ParamCount method, or, when built for the
// same shape, by its weights; otherwise ParamCount is an ErrUnsupported error.
func ParamCount(l Layer, inputShape []int) (int64, error) {
	if pc, ok := l.(ParamCounter); ok {
		return pc.ParamCount(inputShape)
	}
	if l.Built() && sameInts(l.InputShape(), inputShape) {
		var n int64
		for _, w := range l.Weights() {
			n += int64(w.Value.Len())
		}
		return n, nil
	}
	return 0, fmt.Errorf("%w: %s: cannot count parameters without building", ErrUnsupported, l.Class())
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// product multiplies non-negative factors, failing past 2^62.
func product(class, name string, fs ...int64) (int64, error) {
	const big = int64(1) << 62
	n := int64(1)
	for _, f := range fs {
		if f < 0 || (f != 0 && n > big/f) {
			return 0, layerErr(ErrShape, class, name, "parameter count overflows (factors %v)", fs)
		}
		n *= f
	}
	return n, nil
}

// ParamCount returns in·units, plus units with a bias.
func (l *Dense) ParamCount(in []int) (int64, error) {
	if _, err := l.OutputShape(in); err != nil {
		return 0, err
	}
	n, err := product("Dense", l.name, int64(in[len(in)-1]), int64(l.units))
	if err == nil && l.useBias {
		n += int64(l.units)
	}
	return n, err
}

// ParamCount returns kh·kw·(in/groups)·filters, plus filters with a bias.
func (l *Conv2D) ParamCount(in []int) (int64, error) {
	if _, err := l.geometry(in); err != nil {
		return 0, err
	}
	n, err := product("Conv2D", l.name, int64(l.ksize[0]), int64(l.ksize[1]), int64(in[2]/l.groups), int64(l.filters))
	if err == nil && l.useBias {
		n += int64(l.filters)
	}
	return n, err
}

// ParamCount returns channels × (2 + scale + center).
func (l *BatchNormalization) ParamCount(in []int) (int64, error) {
	if _, err := l.OutputShape(in); err != nil {
		return 0, err
	}
	k := int64(2)
	if l.scale {
		k++
	}
	if l.center {
		k++
	}
	ax, _ := l.axis(in)
	return product("BatchNormalization", l.name, int64(in[ax]), k)
}

// zeroParams is the ParamCount of a layer without weights: 0 once the input shape fits.
func zeroParams(l Layer, in []int) (int64, error) {
	_, err := l.OutputShape(in)
	return 0, err
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *Activation) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *Dropout) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *Flatten) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *MaxPooling2D) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }
