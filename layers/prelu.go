package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// PReLU is Keras's PReLU layer: max(x, 0) + alpha·min(x, 0) with a learned alpha of the
// input's shape (without the batch), of size 1 along the shared axes (1-based, as in Keras).
type PReLU struct {
	ewise
	sharedAxes                  []int
	alphaInit, alphaReg, alphaC *kerasObject
	alpha                       *Weight
}

// PReLUOptions are the optional arguments of NewPReLU.
type PReLUOptions struct {
	Name string
	// SharedAxes are the axes (1 is the first after the batch) along which alpha is shared.
	SharedAxes []int
	InputShape []int
}

// NewPReLU returns a PReLU layer (alpha initialised to zeros).
func NewPReLU(opts ...PReLUOptions) *PReLU {
	o := optionsArg("NewPReLU", opts)
	return &PReLU{ewise: ewise{base: newBase(o.Name, o.InputShape), class: "PReLU"}, sharedAxes: slices.Clone(o.SharedAxes)}
}

func init() {
	register(Spec{Classes: []string{"PReLU"}, FromConfig: preluFromConfig,
		WeightNames: func(func(string) bool) []string { return []string{"alpha"} }})
}

func preluFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("PReLU", cfg)
	l := &PReLU{ewise: ewise{class: "PReLU"}}
	r.readBase(&l.base)
	l.alphaInit = r.object("initializers", "alpha_initializer")
	l.alphaReg = r.objectKept("regularizers", "alpha_regularizer")
	l.alphaC = r.objectKept("constraints", "alpha_constraint")
	if v, _, ok := r.get("shared_axes"); ok && v != nil {
		if n, ok := toInt(v, 1, 32); ok {
			l.sharedAxes = []int{n}
		} else if list, ok := v.([]any); ok && len(list) <= 32 {
			for _, e := range list {
				n, ok := toInt(e, 1, 32)
				if !ok {
					r.fail(ErrFormat, "shared_axes %s", jsonValue(v))
					break
				}
				l.sharedAxes = append(l.sharedAxes, n)
			}
		} else {
			r.fail(ErrFormat, "shared_axes %s", jsonValue(v))
		}
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "PReLU".
func (l *PReLU) Class() string { return "PReLU" }

// SetTrainable sets Keras's layer.trainable.
func (l *PReLU) SetTrainable(t bool) { l.trainable = t; setTrainable(t, l.alpha) }

func (l *PReLU) alphaShape(in []int) ([]int, error) {
	s := slices.Clone(in)
	for _, a := range l.sharedAxes {
		if a < 1 || a > len(in) {
			return nil, layerErr(ErrShape, "PReLU", l.name, "shared axis %d out of range for input %s", a, tensor.ShapeString(append([]int{-1}, in...)))
		}
		s[a-1] = 1
	}
	return s, nil
}

// OutputShape returns the input shape once the shared axes fit it.
func (l *PReLU) OutputShape(in []int) ([]int, error) {
	if _, err := l.alphaShape(in); err != nil {
		return nil, err
	}
	return slices.Clone(in), nil
}

// ParamCount returns the size of alpha.
func (l *PReLU) ParamCount(in []int) (int64, error) {
	s, err := l.alphaShape(in)
	if err != nil {
		return 0, err
	}
	n := int64(1)
	for _, d := range s {
		if n, err = product("PReLU", l.name, n, int64(d)); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Build creates alpha.
func (l *PReLU) Build(in []int, rng *Rand) error {
	s, err := l.alphaShape(in)
	if err != nil {
		return err
	}
	w, err := newWeight("alpha", l.trainable, s, rng)
	if err != nil {
		return layerErr(ErrShape, "PReLU", l.name, "alpha: %v", err)
	}
	n := w.Value.Len()
	initWeight(w, l.alphaInit, "Zeros", n, n, rng)
	l.alpha = w
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns alpha.
func (l *PReLU) Weights() []*Weight { return weightList(l.alpha) }

// alphaIndex maps element i of one sample to its alpha index (broadcast over shared axes).
func (l *PReLU) alphaIndex() []int {
	in := l.inShape
	as := l.alpha.Value.Shape
	n := 1
	for _, d := range in {
		n *= d
	}
	idx := make([]int, n)
	coords := make([]int, len(in))
	for i := 0; i < n; i++ {
		j := 0
		for k := range in {
			c := coords[k]
			if as[k] == 1 {
				c = 0
			}
			j = j*as[k] + c
		}
		idx[i] = j
		for k := len(in) - 1; k >= 0; k-- {
			coords[k]++
			if coords[k] < in[k] {
				break
			}
			coords[k] = 0
		}
	}
	return idx
}

// Forward applies max(x, 0) + alpha·min(x, 0).
func (l *PReLU) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	idx := l.alphaIndex()
	a := l.alpha.Value.Float32s()
	return l.forward(x, training, func(x, y []float32) {
		for i, v := range x {
			if v < 0 {
				v *= a[idx[i%len(idx)]]
			}
			y[i] = v
		}
	})
}

// Backward fills alpha's gradient (Σ dy·min(x, 0) over the batch and shared axes) and returns
// dy where x > 0 and alpha·dy elsewhere.
func (l *PReLU) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.y == nil {
		return l.backward(dy, nil)
	}
	idx := l.alphaIndex()
	a := l.alpha.Value.Float32s()
	var ga []float32
	if l.trainable {
		ga = gradOf(l.alpha)
		clear(ga)
	}
	return l.backward(dy, func(x, _, dy, dx []float32) {
		for i, v := range x {
			j := idx[i%len(idx)]
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = a[j] * dy[i]
				if ga != nil {
					ga[j] += dy[i] * v
				}
			}
		}
	})
}

// Config returns the layer's Keras config in dialect d.
func (l *PReLU) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["alpha_initializer"] = initializerValue(l.alphaInit, "Zeros", d)
	c["alpha_regularizer"] = l.alphaReg.value(d)
	c["alpha_constraint"] = l.alphaC.value(d)
	if l.sharedAxes == nil {
		c["shared_axes"] = nil
	} else {
		c["shared_axes"] = intList(l.sharedAxes...)
	}
	return c
}

// Graph returns relu(x) + (-alpha)·relu(-x), the ops TF's graph has.
func (l *PReLU) Graph() (*saved.LayerGraph, error) {
	if l.alpha == nil {
		return nil, layerErr(ErrShape, "PReLU", l.name, "Graph before Build")
	}
	g := newGraphBuilder(l.Class(), l.Name())
	pos := g.fop("Relu", "Relu", "$in")
	na := g.fop("Neg", "Neg", g.readAs("ReadVariableOp", "alpha"))
	neg := g.fop("Relu_1", "Relu", g.fop("Neg_1", "Neg", "$in"))
	out := g.fop("add", "AddV2", pos, g.fop("mul", "Mul", na, neg))
	return g.graphOut(l.inShape, l.inShape, false, out)
}
