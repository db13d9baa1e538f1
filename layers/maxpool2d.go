package layers

import (
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// MaxPoolingOptions are the optional arguments of NewMaxPooling2D. The zero value means
// Keras's defaults: strides equal to the pool size, padding "valid".
type MaxPoolingOptions struct {
	Name       string
	Strides    [2]int // zero means the pool size
	Padding    string // "valid" (default) or "same"
	InputShape []int
}

// MaxPooling2D is Keras's 2D max pooling over NHWC input. With padding "same" the padded
// cells are ignored, as in TensorFlow. The gradient goes to the first maximum of each window
// in row-major scan order, as TensorFlow's CPU kernel routes it.
type MaxPooling2D struct {
	pool2D
	inLen  int
	xShape []int
	infer  inferBufs // the inference output, reused across calls
	// Training buffers, reused: the output (valid until the next training Forward), the
	// argmax, and dL/dx (valid until the next Backward).
	trainY, dxBuf []float32
	// trainX, trainOut: the input and output of the last training Forward (Backward finds
	// the maxima's cells from them); nil before one.
	trainX, trainOut []float32
	trained          bool // a training Forward ran since the last inference one
}

// NewMaxPooling2D returns a MaxPooling2D layer. It panics on a pool size below 1 or an
// unknown padding (programmer errors).
func NewMaxPooling2D(poolSize [2]int, opts ...MaxPoolingOptions) *MaxPooling2D {
	o := optionsArg("NewMaxPooling2D", opts)
	return &MaxPooling2D{pool2D: newPool2D("MaxPooling2D", "NewMaxPooling2D", poolSize, o.Name, o.Strides, o.Padding, o.InputShape)}
}

func init() {
	register(Spec{Classes: []string{"MaxPooling2D", "MaxPool2D"}, FromConfig: maxPooling2DFromConfig})
}

func maxPooling2DFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("MaxPooling2D", cfg)
	l := &MaxPooling2D{}
	l.readPool2D(r, "MaxPooling2D")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// ForwardWS is Forward(x, false) with the buffers of ws (see Workspace).
func (l *MaxPooling2D) ForwardWS(ws *Workspace, x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "MaxPooling2D", l.name); err != nil {
		return nil, err
	}
	l.clearTrainCache()
	return l.forwardInfer(ws, x), nil
}

// clearTrainCache drops what a training Forward cached, writing only what is set.
func (l *MaxPooling2D) clearTrainCache() {
	if l.trainX != nil || l.trainOut != nil || l.trained {
		l.trainX, l.trainOut, l.trained = nil, nil, false
	}
}

// Forward pools x (batch, h, w, c) into (batch, out_h, out_w, c). ForwardWS reuses the
// inference output buffer instead (see Workspace).
func (l *MaxPooling2D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "MaxPooling2D", l.name); err != nil {
		return nil, err
	}
	if !training {
		l.clearTrainCache()
		return l.forwardInfer(nil, x), nil
	}
	// The maxima as in inference (the same kernels), into the layer's training buffer;
	// Backward finds each window's first maximal cell in x, which it keeps.
	g := &l.g
	n := x.Shape[0]
	inSize := g.h * g.w * g.c
	outSize := g.oh * g.ow * g.c
	l.trainY = reuseBuf(l.trainY, n*outSize)
	y := l.trainY
	xd := x.Float32s()
	parallelFor(n, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			l.poolImage(xd[i*inSize:(i+1)*inSize], y[i*outSize:(i+1)*outSize])
		}
	})
	l.trainX, l.inLen, l.xShape = xd, inSize, append(l.xShape[:0], x.Shape...)
	l.trainOut, l.trained = y, true
	return tensor.MustFromFloat32([]int{n, g.oh, g.ow, g.c}, y), nil
}

// Backward routes each output gradient to the input cell that was the window's maximum:
// the first cell in scan order (rows, then columns) holding the maximum, as TF's MaxPoolGrad
// picks it; a window whose maximum is NaN sends it to its first NaN. dx is the layer's
// buffer (valid until the next Backward), cleared image by image by the worker that then
// writes one cell per output element while the image is in cache.
func (l *MaxPooling2D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if !l.trained {
		return nil, layerErr(ErrShape, "MaxPooling2D", l.name, "Backward without a training Forward")
	}
	g := &l.g
	n := l.xShape[0]
	if dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, []int{n, g.oh, g.ow, g.c}) {
		return nil, layerErr(ErrShape, "MaxPooling2D", l.name, "dy shape %s, want %s", tensor.ShapeString(dy.Shape), tensor.ShapeString([]int{n, g.oh, g.ow, g.c}))
	}
	dyd := dy.Float32s()
	outSize := g.oh * g.ow * g.c
	l.dxBuf = reuseBuf(l.dxBuf, n*l.inLen)
	dx := l.dxBuf
	xd, yd := l.trainX, l.trainOut
	parallelFor(n, func(_, lo, hi int) {
		c := g.c
		for i := lo; i < hi; i++ {
			d := dx[i*l.inLen : (i+1)*l.inLen]
			clear(d)
			img := xd[i*l.inLen : (i+1)*l.inLen]
			for oy := 0; oy < g.oh; oy++ {
				y0 := max(oy*g.sh-g.pt, 0)
				y1 := min(oy*g.sh-g.pt+g.kh, g.h)
				for ox := 0; ox < g.ow; ox++ {
					x0 := max(ox*g.sw-g.pl, 0)
					x1 := min(ox*g.sw-g.pl+g.kw, g.w)
					o := i*outSize + (oy*g.ow+ox)*c
					first := (y0*g.w + x0) * c
					for ch, m := range yd[o : o+c] {
						at := windowArg(img, m, first+ch, y0, y1, x0, x1, g.w, c, ch)
						d[at] += dyd[o+ch]
					}
				}
			}
		}
	})
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// windowArg returns the index in img of the first cell of channel ch in the window
// [y0, y1) × [x0, x1) equal to m (NaN matching NaN), or first when none is.
func windowArg(img []float32, m float32, first, y0, y1, x0, x1, w, c, ch int) int {
	if m != m {
		for iy := y0; iy < y1; iy++ {
			for ix := x0; ix < x1; ix++ {
				if v := img[(iy*w+ix)*c+ch]; v != v {
					return (iy*w+ix)*c + ch
				}
			}
		}
		return first
	}
	for iy := y0; iy < y1; iy++ {
		at := (iy*w+x0)*c + ch
		row := img[at : (iy*w+x1-1)*c+ch+1]
		for o := 0; o < len(row); o += c {
			if row[o] == m {
				return at + o
			}
		}
	}
	return first
}

// Config returns the layer's Keras config in dialect d.
func (l *MaxPooling2D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["pool_size"] = intList(l.pool[0], l.pool[1])
	c["padding"] = paddingName(l.same)
	c["strides"] = intList(l.strides[0], l.strides[1])
	c["data_format"] = "channels_last"
	return c
}

// Graph returns the layer's TF op: MaxPool (NHWC).
func (l *MaxPooling2D) Graph() (*saved.LayerGraph, error) {
	g := newGraphBuilder("MaxPooling2D", l.name)
	g.op("MaxPool", "MaxPool", []string{"$in"}, poolAttrs(l.pool, l.strides, l.same))
	return g.graph(l, false)
}

// poolAttrs are the attrs of TF's MaxPool and AvgPool ops.
func poolAttrs(pool, strides [2]int, same bool) map[string]saved.Attr {
	return tAttrs(map[string]saved.Attr{
		"ksize":       saved.IntsAttr(1, int64(pool[0]), int64(pool[1]), 1),
		"strides":     saved.IntsAttr(1, int64(strides[0]), int64(strides[1]), 1),
		"padding":     saved.StringAttr(strings.ToUpper(paddingName(same))),
		"data_format": saved.StringAttr("NHWC"),
	})
}
