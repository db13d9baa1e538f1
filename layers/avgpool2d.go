package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// AveragePoolingOptions are the optional arguments of NewAveragePooling2D. The zero value
// means Keras's defaults: strides equal to the pool size, padding "valid".
type AveragePoolingOptions struct {
	Name       string
	Strides    [2]int // zero means the pool size
	Padding    string // "valid" (default) or "same"
	InputShape []int
}

// AveragePooling2D is Keras's 2D average pooling over NHWC input. With padding "same" each
// window averages only the input cells it covers (the padded cells are not counted), as
// TensorFlow's AvgPool does.
type AveragePooling2D struct {
	pool2D
	xShape []int // input shape of the last training Forward
}

// NewAveragePooling2D returns an AveragePooling2D layer. It panics on a pool size below 1 or
// an unknown padding (programmer errors).
func NewAveragePooling2D(poolSize [2]int, opts ...AveragePoolingOptions) *AveragePooling2D {
	o := optionsArg("NewAveragePooling2D", opts)
	return &AveragePooling2D{pool2D: newPool2D("AveragePooling2D", "NewAveragePooling2D", poolSize, o.Name, o.Strides, o.Padding, o.InputShape)}
}

func init() {
	register(Spec{Classes: []string{"AveragePooling2D", "AvgPool2D"}, FromConfig: averagePooling2DFromConfig})
}

func averagePooling2DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("AveragePooling2D", cfg)
	l := &AveragePooling2D{}
	l.readPool2D(r, "AveragePooling2D")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// window returns the input rows [y0, y1) and columns [x0, x1) output cell (oy, ox) covers.
func (g *geom) window(oy, ox int) (y0, y1, x0, x1 int) {
	y0, y1 = max(oy*g.sh-g.pt, 0), min(oy*g.sh-g.pt+g.kh, g.h)
	x0, x1 = max(ox*g.sw-g.pl, 0), min(ox*g.sw-g.pl+g.kw, g.w)
	return
}

// Forward pools x (batch, h, w, c) into (batch, out_h, out_w, c).
func (l *AveragePooling2D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "AveragePooling2D", l.name); err != nil {
		return nil, err
	}
	g := l.g
	n := x.Shape[0]
	inSize, outSize := g.h*g.w*g.c, g.oh*g.ow*g.c
	y := make([]float32, n*outSize)
	xd := x.Float32s()
	parallelFor(n, func(_, lo, hi int) {
		c := g.c
		for i := lo; i < hi; i++ {
			img := xd[i*inSize : (i+1)*inSize]
			for oy := 0; oy < g.oh; oy++ {
				for ox := 0; ox < g.ow; ox++ {
					y0, y1, x0, x1 := g.window(oy, ox)
					o := i*outSize + (oy*g.ow+ox)*c
					sum := y[o : o+c]
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							off := (iy*g.w + ix) * c
							for ch, v := range img[off : off+c] {
								sum[ch] += v
							}
						}
					}
					inv := 1 / float32((y1-y0)*(x1-x0))
					for ch := range sum {
						sum[ch] *= inv
					}
				}
			}
		}
	})
	if training {
		l.xShape = slices.Clone(x.Shape)
	} else {
		l.xShape = nil
	}
	return tensor.MustFromFloat32([]int{n, g.oh, g.ow, g.c}, y), nil
}

// Backward spreads each output gradient evenly over the input cells of its window.
func (l *AveragePooling2D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.xShape == nil {
		return nil, layerErr(ErrShape, "AveragePooling2D", l.name, "Backward without a training Forward")
	}
	g := l.g
	n := l.xShape[0]
	if dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, []int{n, g.oh, g.ow, g.c}) {
		return nil, layerErr(ErrShape, "AveragePooling2D", l.name, "dy shape %s, want %s", tensor.ShapeString(dy.Shape), tensor.ShapeString([]int{n, g.oh, g.ow, g.c}))
	}
	dyd := dy.Float32s()
	inSize, outSize := g.h*g.w*g.c, g.oh*g.ow*g.c
	dx := make([]float32, n*inSize)
	parallelFor(n, func(_, lo, hi int) {
		c := g.c
		for i := lo; i < hi; i++ {
			d := dx[i*inSize : (i+1)*inSize]
			for oy := 0; oy < g.oh; oy++ {
				for ox := 0; ox < g.ow; ox++ {
					y0, y1, x0, x1 := g.window(oy, ox)
					o := i*outSize + (oy*g.ow+ox)*c
					inv := 1 / float32((y1-y0)*(x1-x0))
					src := dyd[o : o+c]
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							off := (iy*g.w + ix) * c
							dst := d[off : off+c]
							for ch, v := range src {
								dst[ch] += v * inv
							}
						}
					}
				}
			}
		}
	})
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// Config returns the layer's Keras config in dialect d.
func (l *AveragePooling2D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["pool_size"] = intList(l.pool[0], l.pool[1])
	c["padding"] = paddingName(l.same)
	c["strides"] = intList(l.strides[0], l.strides[1])
	c["data_format"] = "channels_last"
	return c
}

// Graph returns the layer's TF op: AvgPool (NHWC).
func (l *AveragePooling2D) Graph() (*saved.LayerGraph, error) {
	g := newGraphBuilder("AveragePooling2D", l.name)
	g.op("AvgPool", "AvgPool", []string{"$in"}, poolAttrs(l.pool, l.strides, l.same))
	return g.graph(l, false)
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *AveragePooling2D) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }
