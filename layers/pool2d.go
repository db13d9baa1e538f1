package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/tensor"
)

// pool2D is what MaxPooling2D and AveragePooling2D share: the window, strides and padding,
// their config keys, and the output geometry.
type pool2D struct {
	base
	class   string
	pool    [2]int
	strides [2]int
	same    bool
	g       geom
}

// newPool2D checks the constructor arguments of a pooling layer; it panics on a pool size
// below 1 or an unknown padding (programmer errors), naming the constructor fn.
func newPool2D(class, fn string, poolSize [2]int, name string, strides [2]int, padding string, in []int) pool2D {
	if poolSize[0] < 1 || poolSize[1] < 1 || strides[0] < 0 || strides[1] < 0 {
		panic("layers." + fn + ": pool size and strides must be positive")
	}
	same, ok := parsePadding(padding)
	if !ok {
		panic("layers." + fn + ": padding must be \"valid\" or \"same\"")
	}
	if strides == [2]int{} {
		strides = poolSize
	}
	return pool2D{base: newBase(name, in), class: class, pool: poolSize, strides: strides, same: same}
}

// readPool2D reads the config keys pooling layers share (pool_size, strides, padding,
// data_format) in either dialect.
func (l *pool2D) readPool2D(r *cfgReader, class string) {
	l.class = class
	r.readBase(&l.base)
	l.pool = r.pair([2]int{2, 2}, 1, maxKernel, "pool_size")
	l.strides = r.pair(l.pool, 1, maxKernel, "strides")
	l.same = r.padding() == "same"
	r.dataFormat()
}

// Class returns the Keras class name ("MaxPooling2D", "AveragePooling2D").
func (l *pool2D) Class() string { return l.class }

// PoolSize returns the window size.
func (l *pool2D) PoolSize() [2]int { return l.pool }

// Strides returns the strides.
func (l *pool2D) Strides() [2]int { return l.strides }

// Padding returns "valid" or "same".
func (l *pool2D) Padding() string { return paddingName(l.same) }

// SetTrainable sets Keras's layer.trainable (no effect: the layer has no weights).
func (l *pool2D) SetTrainable(t bool) { l.trainable = t }

func (l *pool2D) geometry(in []int) (geom, error) {
	if len(in) != 3 || in[0] < 1 || in[1] < 1 || in[2] < 1 {
		return geom{}, layerErr(ErrShape, l.class, l.name, "input shape %s: want (height, width, channels)", tensor.ShapeString(in))
	}
	g, err := newGeom(in[0], in[1], in[2], l.pool[0], l.pool[1], l.strides[0], l.strides[1], l.same)
	if err != nil {
		return g, layerErr(ErrShape, l.class, l.name, "%v", err)
	}
	return g, nil
}

// OutputShape returns (out_h, out_w, channels).
func (l *pool2D) OutputShape(in []int) ([]int, error) {
	g, err := l.geometry(in)
	if err != nil {
		return nil, err
	}
	return []int{g.oh, g.ow, g.c}, nil
}

// Build records the input shape (the layer has no weights).
func (l *pool2D) Build(in []int, _ *Rand) error {
	g, err := l.geometry(in)
	if err != nil {
		return err
	}
	l.g = g
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns nil.
func (l *pool2D) Weights() []*Weight { return nil }

// Keras 3 writes no build_config for pool2D (see BuildConfig).
func (*pool2D) noKeras3BuildConfig() {}
