package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// GlobalMaxPooling2D is Keras's GlobalMaxPooling2D (channels_last): the maximum of each
// channel over height and width. As TensorFlow's gradient of reduce_max, Backward shares a
// channel's gradient equally among the cells that equal its maximum.
type GlobalMaxPooling2D struct{ globalPool2D }

// NewGlobalMaxPooling2D returns a GlobalMaxPooling2D layer.
func NewGlobalMaxPooling2D(opts ...GlobalPoolingOptions) *GlobalMaxPooling2D {
	o := optionsArg("NewGlobalMaxPooling2D", opts)
	return &GlobalMaxPooling2D{globalPool2D{stateless: stateless{base: newBase(o.Name, o.InputShape)}, keepdims: o.Keepdims}}
}

func init() {
	register(Spec{Classes: []string{"GlobalMaxPooling2D", "GlobalMaxPool2D"}, FromConfig: func(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
		l := &GlobalMaxPooling2D{}
		w, err := globalPoolFromConfig("GlobalMaxPooling2D", cfg, &l.globalPool2D)
		if err != nil {
			return nil, nil, err
		}
		return l, w, nil
	}})
}

// Class returns "GlobalMaxPooling2D".
func (l *GlobalMaxPooling2D) Class() string { return "GlobalMaxPooling2D" }

// OutputShape returns (channels), or (1, 1, channels) with keepdims.
func (l *GlobalMaxPooling2D) OutputShape(in []int) ([]int, error) {
	return l.outputShape(in, "GlobalMaxPooling2D")
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *GlobalMaxPooling2D) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Build records the input shape.
func (l *GlobalMaxPooling2D) Build(in []int, _ *Rand) error {
	return l.build(in, "GlobalMaxPooling2D")
}

// Forward takes the maximum of x (batch, h, w, c) over h and w; in training it records each
// cell's share of the gradient.
func (l *GlobalMaxPooling2D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "GlobalMaxPooling2D", l.name); err != nil {
		return nil, err
	}
	n, hw, c := x.Shape[0], l.inShape[0]*l.inShape[1], l.inShape[2]
	xd := x.Float32s()
	y := make([]float32, n*c)
	var share []float32
	if training {
		share = make([]float32, len(xd))
	}
	parallelFor(n, func(_, lo, hi int) {
		count := make([]float32, c)
		for i := lo; i < hi; i++ {
			m := y[i*c : (i+1)*c]
			copy(m, xd[i*hw*c:(i*hw+1)*c])
			for p := 1; p < hw; p++ {
				for ch, v := range xd[(i*hw+p)*c : (i*hw+p+1)*c] {
					m[ch] = max(m[ch], v)
				}
			}
			if share == nil {
				continue
			}
			clear(count)
			for p := 0; p < hw; p++ {
				for ch, v := range xd[(i*hw+p)*c : (i*hw+p+1)*c] {
					if v == m[ch] {
						count[ch]++
					}
				}
			}
			for p := 0; p < hw; p++ {
				o := (i*hw + p) * c
				for ch, v := range xd[o : o+c] {
					if v == m[ch] {
						share[o+ch] = 1 / count[ch]
					}
				}
			}
		}
	})
	l.xShape = slices.Clone(x.Shape)
	l.arg = share
	out, _ := l.OutputShape(l.inShape)
	return tensor.MustFromFloat32(append([]int{n}, out...), y), nil
}

// Backward routes each channel's gradient to the cells holding its maximum.
func (l *GlobalMaxPooling2D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.arg == nil {
		return nil, layerErr(ErrShape, "GlobalMaxPooling2D", l.name, "Backward without a training Forward")
	}
	out, _ := l.OutputShape(l.inShape)
	if err := l.checkDY(dy, out, "GlobalMaxPooling2D"); err != nil {
		return nil, err
	}
	n, hw, c := l.xShape[0], l.inShape[0]*l.inShape[1], l.inShape[2]
	g := dy.Float32s()
	dx := make([]float32, n*hw*c)
	for i := 0; i < n; i++ {
		for p := 0; p < hw; p++ {
			o := (i*hw + p) * c
			for ch := 0; ch < c; ch++ {
				dx[o+ch] = g[i*c+ch] * l.arg[o+ch]
			}
		}
	}
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// Graph returns the layer as a TF Max op over axes 1 and 2.
func (l *GlobalMaxPooling2D) Graph() (*saved.LayerGraph, error) {
	return l.graph("GlobalMaxPooling2D", "Max")
}

// Config returns the layer's Keras config in dialect d.
func (l *GlobalMaxPooling2D) Config(d saved.Dialect) map[string]any { return l.config(d) }

// Keras 3 writes no build_config for GlobalMaxPooling2D (see BuildConfig).
func (*GlobalMaxPooling2D) noKeras3BuildConfig() {}
