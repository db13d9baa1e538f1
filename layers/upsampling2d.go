package layers

import (
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// UpSampling2DOptions are the optional arguments of NewUpSampling2D.
type UpSampling2DOptions struct {
	Name string
	// Interpolation is "nearest" (the default) or "bilinear".
	Interpolation string
	InputShape    []int
}

// UpSampling2D is Keras's UpSampling2D (channels_last): it enlarges each image by integer
// factors (size). "nearest" repeats rows and columns; "bilinear" is TensorFlow's bilinear
// resize with half-pixel centers and no antialiasing (tf.image.resize, which both Keras
// versions call).
type UpSampling2D struct {
	stateless
	size     [2]int
	bilinear bool
}

// NewUpSampling2D returns an UpSampling2D layer. It panics on a size below 1 or an unknown
// interpolation (programmer errors).
func NewUpSampling2D(size [2]int, opts ...UpSampling2DOptions) *UpSampling2D {
	o := optionsArg("NewUpSampling2D", opts)
	if size[0] < 1 || size[1] < 1 || size[0] > maxKernel || size[1] > maxKernel {
		panic("layers.NewUpSampling2D: size must be positive")
	}
	if o.Interpolation != "" && o.Interpolation != "nearest" && o.Interpolation != "bilinear" {
		panic("layers.NewUpSampling2D: interpolation must be \"nearest\" or \"bilinear\"")
	}
	return &UpSampling2D{stateless: stateless{base: newBase(o.Name, o.InputShape)}, size: size, bilinear: o.Interpolation == "bilinear"}
}

func init() {
	register(Spec{Classes: []string{"UpSampling2D"}, FromConfig: upSampling2DFromConfig})
}

func upSampling2DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("UpSampling2D", cfg)
	l := &UpSampling2D{}
	r.readBase(&l.base)
	l.size = r.pair([2]int{2, 2}, 1, maxKernel, "size")
	switch ip := r.str("nearest", "interpolation"); ip {
	case "nearest":
	case "bilinear":
		l.bilinear = true
	default:
		r.fail(ErrUnsupported, "interpolation %q (only nearest and bilinear are implemented)", ip)
	}
	r.dataFormat()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "UpSampling2D".
func (l *UpSampling2D) Class() string { return "UpSampling2D" }

// Size returns the (rows, columns) factors.
func (l *UpSampling2D) Size() [2]int { return l.size }

// Interpolation returns "nearest" or "bilinear".
func (l *UpSampling2D) Interpolation() string {
	if l.bilinear {
		return "bilinear"
	}
	return "nearest"
}

// OutputShape returns (height·size[0], width·size[1], channels).
func (l *UpSampling2D) OutputShape(in []int) ([]int, error) {
	if err := image3(in, "UpSampling2D", l.name); err != nil {
		return nil, err
	}
	if in[0] > maxDim/l.size[0] || in[1] > maxDim/l.size[1] {
		return nil, layerErr(ErrShape, "UpSampling2D", l.name, "input shape %s times %v is too large", tensor.ShapeString(in), l.size)
	}
	out := []int{in[0] * l.size[0], in[1] * l.size[1], in[2]}
	if err := checkElems(out, "UpSampling2D", l.name); err != nil {
		return nil, err
	}
	return out, nil
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *UpSampling2D) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Build records the input shape.
func (l *UpSampling2D) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.inShape = slices.Clone(in)
	return nil
}

// lerpAxis is one output coordinate's source rows (or columns) and weight of the upper one.
type lerpAxis struct {
	lo, hi int
	f      float32
}

// bilinearAxis computes TensorFlow's half-pixel-center source coordinates for resizing an
// axis of length in to out: src = (dst + 0.5)·(in/out) − 0.5 in float32, lower =
// max(floor(src), 0), upper = min(ceil(src), in−1), weight src − floor(src).
func bilinearAxis(in, out int) []lerpAxis {
	scale := float32(in) / float32(out)
	a := make([]lerpAxis, out)
	for i := range a {
		src := (float32(i)+0.5)*scale - 0.5
		fl := float32(math.Floor(float64(src)))
		a[i] = lerpAxis{lo: max(int(fl), 0), hi: min(int(math.Ceil(float64(src))), in-1), f: src - fl}
	}
	return a
}

// Forward enlarges x (batch, h, w, c).
func (l *UpSampling2D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "UpSampling2D", l.name); err != nil {
		return nil, err
	}
	out, _ := l.OutputShape(l.inShape)
	n, h, w, c := x.Shape[0], l.inShape[0], l.inShape[1], l.inShape[2]
	oh, ow := out[0], out[1]
	ys := append([]int{n}, out...)
	yt, err := tensor.New(tensor.Float32, ys)
	if err != nil {
		return nil, layerErr(ErrShape, "UpSampling2D", l.name, "output %s: %v", tensor.ShapeString(ys), err)
	}
	y, xd := yt.Float32s(), x.Float32s()
	if !l.bilinear {
		parallelFor(n, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				for oy := 0; oy < oh; oy++ {
					row := y[((i*oh+oy)*ow)*c : ((i*oh+oy+1)*ow)*c]
					src := xd[((i*h+oy/l.size[0])*w)*c:]
					for ox := 0; ox < ow; ox++ {
						s := (ox / l.size[1]) * c
						copy(row[ox*c:(ox+1)*c], src[s:s+c])
					}
				}
			}
		})
	} else {
		ay, ax := bilinearAxis(h, oh), bilinearAxis(w, ow)
		parallelFor(n, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				img := xd[i*h*w*c : (i+1)*h*w*c]
				for oy, py := range ay {
					top, bot := img[py.lo*w*c:(py.lo+1)*w*c], img[py.hi*w*c:(py.hi+1)*w*c]
					row := y[((i*oh+oy)*ow)*c : ((i*oh+oy+1)*ow)*c]
					for ox, px := range ax {
						tl, tr := top[px.lo*c:px.lo*c+c], top[px.hi*c:px.hi*c+c]
						bl, br := bot[px.lo*c:px.lo*c+c], bot[px.hi*c:px.hi*c+c]
						d := row[ox*c : ox*c+c]
						for ch := range d {
							t := tl[ch] + (tr[ch]-tl[ch])*px.f
							b := bl[ch] + (br[ch]-bl[ch])*px.f
							d[ch] = t + (b-t)*py.f
						}
					}
				}
			}
		})
	}
	l.xShape = slices.Clone(x.Shape)
	return yt, nil
}

// Backward sums each output gradient into the input cells it was interpolated from, with the
// same weights.
func (l *UpSampling2D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	out, _ := l.OutputShape(l.inShape)
	if err := l.checkDY(dy, out, "UpSampling2D"); err != nil {
		return nil, err
	}
	n, h, w, c := l.xShape[0], l.inShape[0], l.inShape[1], l.inShape[2]
	oh, ow := out[0], out[1]
	dx := make([]float32, n*h*w*c)
	g := dy.Float32s()
	if !l.bilinear {
		parallelFor(n, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				for oy := 0; oy < oh; oy++ {
					row := g[((i*oh+oy)*ow)*c : ((i*oh+oy+1)*ow)*c]
					dst := dx[((i*h+oy/l.size[0])*w)*c:]
					for ox := 0; ox < ow; ox++ {
						s := (ox / l.size[1]) * c
						d := dst[s : s+c]
						for ch, v := range row[ox*c : (ox+1)*c] {
							d[ch] += v
						}
					}
				}
			}
		})
	} else {
		ay, ax := bilinearAxis(h, oh), bilinearAxis(w, ow)
		parallelFor(n, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				img := dx[i*h*w*c : (i+1)*h*w*c]
				for oy, py := range ay {
					top, bot := img[py.lo*w*c:(py.lo+1)*w*c], img[py.hi*w*c:(py.hi+1)*w*c]
					row := g[((i*oh+oy)*ow)*c : ((i*oh+oy+1)*ow)*c]
					for ox, px := range ax {
						tl, tr := top[px.lo*c:px.lo*c+c], top[px.hi*c:px.hi*c+c]
						bl, br := bot[px.lo*c:px.lo*c+c], bot[px.hi*c:px.hi*c+c]
						for ch, v := range row[ox*c : ox*c+c] {
							t := v * (1 - py.f)
							b := v * py.f
							tl[ch] += t * (1 - px.f)
							tr[ch] += t * px.f
							bl[ch] += b * (1 - px.f)
							br[ch] += b * px.f
						}
					}
				}
			}
		})
	}
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// Graph returns the layer as TF's ResizeNearestNeighbor or ResizeBilinear op with half-pixel
// centers, as tf.image.resize writes it.
func (l *UpSampling2D) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("UpSampling2D", l.name)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	var b opsBuilder
	op := "ResizeNearestNeighbor"
	if l.bilinear {
		op = "ResizeBilinear"
	}
	size := b.int32Const("resize/size", nil, i32s(out[0], out[1])...)
	y := b.add("resize/"+op, op, []string{"$in", size}, map[string]saved.Attr{
		"T": f32Attr(), "align_corners": saved.BoolAttr(false), "half_pixel_centers": saved.BoolAttr(true),
	})
	return b.graph(l.inShape, out, y), nil
}

// Config returns the layer's Keras config in dialect d.
func (l *UpSampling2D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["size"] = intList(l.size[0], l.size[1])
	c["data_format"] = "channels_last"
	c["interpolation"] = l.Interpolation()
	return c
}
