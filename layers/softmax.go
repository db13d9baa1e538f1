package layers

import (
	"math"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Softmax is Keras's Softmax layer: softmax over one axis of the input (batch axis included
// in the numbering; negative axes count from the end; -1 by default).
type Softmax struct {
	ewise
	axis     int
	axisList bool // the config gave the axis as a one-element list
}

// SoftmaxOptions are the optional arguments of NewSoftmax.
type SoftmaxOptions struct {
	Name       string
	InputShape []int
}

// NewSoftmax returns a Softmax layer over axis (Keras's default is -1).
func NewSoftmax(axis int, opts ...SoftmaxOptions) *Softmax {
	o := optionsArg("NewSoftmax", opts)
	return &Softmax{ewise: ewise{base: newBase(o.Name, o.InputShape), class: "Softmax"}, axis: axis}
}

func init() { register(Spec{Classes: []string{"Softmax"}, FromConfig: softmaxFromConfig}) }

func softmaxFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Softmax", cfg)
	l := &Softmax{ewise: ewise{class: "Softmax"}, axis: -1}
	r.readBase(&l.base)
	if v, _, ok := r.get("axis"); ok && v != nil {
		if list, isList := v.([]any); isList {
			if len(list) != 1 {
				r.fail(ErrUnsupported, "axis %s (only one axis is implemented)", jsonValue(v))
			} else if n, ok := toInt(list[0], -32, 32); ok {
				l.axis, l.axisList = n, true
			} else {
				r.fail(ErrFormat, "axis %s", jsonValue(v))
			}
		} else {
			l.axis = r.integer(-1, -32, 32, "axis")
		}
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Softmax".
func (l *Softmax) Class() string { return "Softmax" }

// Axis returns the axis as configured (negative values count from the end).
func (l *Softmax) Axis() int { return l.axis }

// resolve returns the axis as an index into the batch shape of rank len(in)+1.
func (l *Softmax) resolve(in []int) (int, error) {
	rank := len(in) + 1
	a := l.axis
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		return 0, layerErr(ErrShape, "Softmax", l.name, "axis %d out of range for input %s", l.axis, tensor.ShapeString(append([]int{-1}, in...)))
	}
	return a, nil
}

// OutputShape returns the input shape once the axis fits it.
func (l *Softmax) OutputShape(in []int) ([]int, error) {
	if _, err := l.resolve(in); err != nil {
		return nil, err
	}
	return l.ewise.OutputShape(in)
}

// Build checks the axis and records the input shape.
func (l *Softmax) Build(in []int, rng *Rand) error {
	if _, err := l.resolve(in); err != nil {
		return err
	}
	return l.ewise.Build(in, rng)
}

// ParamCount returns 0 once the axis fits the input.
func (l *Softmax) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// split returns (outer, n, inner) for the axis of a batch shape.
func splitAxis(shape []int, a int) (outer, n, inner int) {
	outer, inner = 1, 1
	for i, d := range shape {
		switch {
		case i < a:
			outer *= d
		case i > a:
			inner *= d
		}
	}
	return outer, shape[a], inner
}

// Forward applies softmax over the axis.
func (l *Softmax) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Softmax", l.name); err != nil {
		return nil, err
	}
	a, _ := l.resolve(l.inShape)
	outer, n, inner := splitAxis(x.Shape, a)
	return l.forward(x, training, func(x, y []float32) {
		if inner == 1 { // the axis is the last: contiguous rows
			softmaxF(x, y, n)
			return
		}
		for o := 0; o < outer; o++ {
			for in := 0; in < inner; in++ {
				base := o*n*inner + in
				m := float32(math.Inf(-1))
				for k := 0; k < n; k++ {
					m = max(m, x[base+k*inner])
				}
				var s float32
				for k := 0; k < n; k++ {
					e := float32(math.Exp(float64(x[base+k*inner] - m)))
					y[base+k*inner] = e
					s += e
				}
				for k := 0; k < n; k++ {
					y[base+k*inner] /= s
				}
			}
		}
	})
}

// Backward returns y·(dy - Σ y·dy) over the axis.
func (l *Softmax) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.y == nil {
		return l.backward(dy, nil)
	}
	a, _ := l.resolve(l.inShape)
	outer, n, inner := splitAxis(l.y.Shape, a)
	return l.backward(dy, func(_, y, dy, dx []float32) {
		for o := 0; o < outer; o++ {
			for in := 0; in < inner; in++ {
				base := o*n*inner + in
				var s float32
				for k := 0; k < n; k++ {
					s += y[base+k*inner] * dy[base+k*inner]
				}
				for k := 0; k < n; k++ {
					i := base + k*inner
					dx[i] = y[i] * (dy[i] - s)
				}
			}
		}
	})
}

// Config returns the layer's Keras config in dialect d.
func (l *Softmax) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	if l.axisList {
		c["axis"] = []any{l.axis}
	} else {
		c["axis"] = l.axis
	}
	return c
}

// Graph returns Softmax over the last axis; another axis is moved last and back with
// Transpose, as tf.nn.softmax does.
func (l *Softmax) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, layerErr(ErrShape, "Softmax", l.name, "Graph before Build")
	}
	a, err := l.resolve(l.inShape)
	if err != nil {
		return nil, err
	}
	g := newGraphBuilder(l.Class(), l.Name())
	rank := len(l.inShape) + 1
	if a == rank-1 {
		return g.graphOut(l.inShape, l.inShape, false, g.fop("Softmax", "Softmax", "$in"))
	}
	perm := make([]int32, rank)
	for i := range perm {
		perm[i] = int32(i)
	}
	perm[a], perm[rank-1] = int32(rank-1), int32(a)
	tp := func(name, x string) string {
		p := g.int32s(name+"/perm", []int{rank}, perm...)
		return g.op(name, "Transpose", []string{x, p}, map[string]saved.Attr{
			"T": saved.TypeAttr(tensor.Float32), "Tperm": saved.TypeAttr(tensor.Int32)})
	}
	s := g.fop("Softmax", "Softmax", tp("transpose", "$in"))
	return g.graphOut(l.inShape, l.inShape, false, tp("transpose_1", s))
}

// Keras 3 writes no build_config for Softmax (see BuildConfig).
func (*Softmax) noKeras3BuildConfig() {}

// keras3CallKwargs: Softmax's call takes a mask, which Keras 3 records as null.
func (l *Softmax) keras3CallKwargs() map[string]any { return map[string]any{"mask": nil} }
