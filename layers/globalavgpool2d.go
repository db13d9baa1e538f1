package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// GlobalPoolingOptions are the optional arguments of NewGlobalAveragePooling2D and
// NewGlobalMaxPooling2D.
type GlobalPoolingOptions struct {
	Name string
	// Keepdims keeps the spatial dimensions as size 1: output (1, 1, channels) instead of
	// (channels).
	Keepdims   bool
	InputShape []int
}

// globalPool2D is what GlobalAveragePooling2D and GlobalMaxPooling2D share.
type globalPool2D struct {
	stateless
	keepdims bool
	arg      []float32 // GlobalMaxPooling2D: per input cell, its share of the gradient
}

func globalPoolFromConfig(class string, cfg map[string]any, g *globalPool2D) ([]string, error) {
	r := newCfgReader(class, cfg)
	r.readBase(&g.base)
	g.keepdims = r.boolean(false, "keepdims")
	r.dataFormat()
	return r.finish()
}

// Keepdims reports whether the output keeps the spatial dimensions (as size 1).
func (g *globalPool2D) Keepdims() bool { return g.keepdims }

func (g *globalPool2D) outputShape(in []int, class string) ([]int, error) {
	if err := image3(in, class, g.name); err != nil {
		return nil, err
	}
	if g.keepdims {
		return []int{1, 1, in[2]}, nil
	}
	return []int{in[2]}, nil
}

func (g *globalPool2D) build(in []int, class string) error {
	if _, err := g.outputShape(in, class); err != nil {
		return err
	}
	g.inShape = slices.Clone(in)
	return nil
}

// graph returns the layer as a TF reduction (Mean or Max) over axes 1 and 2.
func (g *globalPool2D) graph(class, op string) (*saved.LayerGraph, error) {
	if g.inShape == nil {
		return nil, notBuilt(class, g.name)
	}
	out, err := g.outputShape(g.inShape, class)
	if err != nil {
		return nil, err
	}
	var b opsBuilder
	axes := b.int32Const(op+"/reduction_indices", nil, 1, 2)
	y := b.add(op, op, []string{"$in", axes}, map[string]saved.Attr{
		"T": f32Attr(), "Tidx": saved.TypeAttr(tensor.Int32), "keep_dims": saved.BoolAttr(g.keepdims),
	})
	return b.graph(g.inShape, out, y), nil
}

func (g *globalPool2D) config(d saved.Dialect) map[string]any {
	c := g.baseConfig(d)
	c["data_format"] = "channels_last"
	c["keepdims"] = g.keepdims
	return c
}

// GlobalAveragePooling2D is Keras's GlobalAveragePooling2D (channels_last): the mean of each
// channel over height and width.
type GlobalAveragePooling2D struct{ globalPool2D }

// NewGlobalAveragePooling2D returns a GlobalAveragePooling2D layer.
func NewGlobalAveragePooling2D(opts ...GlobalPoolingOptions) *GlobalAveragePooling2D {
	o := optionsArg("NewGlobalAveragePooling2D", opts)
	return &GlobalAveragePooling2D{globalPool2D{stateless: stateless{base: newBase(o.Name, o.InputShape)}, keepdims: o.Keepdims}}
}

func init() {
	register(Spec{Classes: []string{"GlobalAveragePooling2D", "GlobalAvgPool2D"}, FromConfig: func(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
		l := &GlobalAveragePooling2D{}
		w, err := globalPoolFromConfig("GlobalAveragePooling2D", cfg, &l.globalPool2D)
		if err != nil {
			return nil, nil, err
		}
		return l, w, nil
	}})
}

// Class returns "GlobalAveragePooling2D".
func (l *GlobalAveragePooling2D) Class() string { return "GlobalAveragePooling2D" }

// OutputShape returns (channels), or (1, 1, channels) with keepdims.
func (l *GlobalAveragePooling2D) OutputShape(in []int) ([]int, error) {
	return l.outputShape(in, "GlobalAveragePooling2D")
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *GlobalAveragePooling2D) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Build records the input shape.
func (l *GlobalAveragePooling2D) Build(in []int, _ *Rand) error {
	return l.build(in, "GlobalAveragePooling2D")
}

// Forward averages x (batch, h, w, c) over h and w.
func (l *GlobalAveragePooling2D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "GlobalAveragePooling2D", l.name); err != nil {
		return nil, err
	}
	n, hw, c := x.Shape[0], l.inShape[0]*l.inShape[1], l.inShape[2]
	xd := x.Float32s()
	y := make([]float32, n*c)
	parallelFor(n, func(_, lo, hi int) {
		acc := make([]float64, c)
		for i := lo; i < hi; i++ {
			clear(acc)
			for p := 0; p < hw; p++ {
				for ch, v := range xd[(i*hw+p)*c : (i*hw+p+1)*c] {
					acc[ch] += float64(v)
				}
			}
			for ch, s := range acc {
				y[i*c+ch] = float32(s / float64(hw))
			}
		}
	})
	l.xShape = slices.Clone(x.Shape)
	out, _ := l.OutputShape(l.inShape)
	return tensor.MustFromFloat32(append([]int{n}, out...), y), nil
}

// Backward spreads dy evenly over each channel's cells.
func (l *GlobalAveragePooling2D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	out, _ := l.OutputShape(l.inShape)
	if err := l.checkDY(dy, out, "GlobalAveragePooling2D"); err != nil {
		return nil, err
	}
	n, hw, c := l.xShape[0], l.inShape[0]*l.inShape[1], l.inShape[2]
	g := dy.Float32s()
	dx := make([]float32, n*hw*c)
	inv := 1 / float32(hw)
	for i := 0; i < n; i++ {
		for p := 0; p < hw; p++ {
			d := dx[(i*hw+p)*c : (i*hw+p+1)*c]
			for ch := range d {
				d[ch] = g[i*c+ch] * inv
			}
		}
	}
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// Graph returns the layer as a TF Mean op over axes 1 and 2.
func (l *GlobalAveragePooling2D) Graph() (*saved.LayerGraph, error) {
	return l.graph("GlobalAveragePooling2D", "Mean")
}

// Config returns the layer's Keras config in dialect d.
func (l *GlobalAveragePooling2D) Config(d saved.Dialect) map[string]any { return l.config(d) }

// Keras 3 writes no build_config for GlobalAveragePooling2D (see BuildConfig).
func (*GlobalAveragePooling2D) noKeras3BuildConfig() {}
