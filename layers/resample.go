package layers

import (
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds what Resizing, CenterCrop and RandomCrop share: an optional crop box of the
// input image, then an optional resize to the output size as tf.image.resize does it (half-
// pixel centers, no antialiasing), on (batch, h, w, c) images.

// resample is a crop box (rows y0.., columns x0.., size ch×cw) of an h×w input, then a
// resize to oh×ow (none when the box already has that size).
type resample struct {
	h, w, c        int
	y0, x0, ch, cw int
	oh, ow         int
	bilinear       bool
}

// centerBox is the crop of Keras's crop_to_aspect_ratio (smart_resize): the largest box of
// the target's aspect ratio, centred, its sizes computed in float32 and truncated.
func centerBox(h, w, th, tw int) (y0, x0, ch, cw int) {
	ch = max(min(h, int(float32(w*th)/float32(tw))), 1)
	cw = max(min(w, int(float32(h*tw)/float32(th))), 1)
	return int(float32(h-ch) / 2), int(float32(w-cw) / 2), ch, cw
}

// nearestAxis is TF's half-pixel-center nearest source index for each of out positions:
// min(floor((dst + 0.5)·(in/out)), in−1) in float32.
func nearestAxis(in, out int) []int {
	scale := float32(in) / float32(out)
	a := make([]int, out)
	for i := range a {
		a[i] = max(min(int(math.Floor(float64((float32(i)+0.5)*scale))), in-1), 0)
	}
	return a
}

// resized says whether the crop box is resized.
func (r *resample) resized() bool { return r.ch != r.oh || r.cw != r.ow }

// forward crops and resizes x (n images).
func (r *resample) forward(x *tensor.Tensor) *tensor.Tensor {
	n, c := x.Shape[0], r.c
	xd := x.Float32s()
	y := make([]float32, n*r.oh*r.ow*c)
	r.each(n, func(img int, oy, ox int, src []int, wts []float32) {
		d := y[((img*r.oh+oy)*r.ow+ox)*c:][:c]
		if len(src) == 1 {
			copy(d, xd[src[0]:src[0]+c])
			return
		}
		tl, tr, bl, br := xd[src[0]:][:c], xd[src[1]:][:c], xd[src[2]:][:c], xd[src[3]:][:c]
		fx, fy := wts[0], wts[1]
		for ch := range d {
			t := tl[ch] + (tr[ch]-tl[ch])*fx
			b := bl[ch] + (br[ch]-bl[ch])*fx
			d[ch] = t + (b-t)*fy
		}
	})
	return tensor.MustFromFloat32([]int{n, r.oh, r.ow, c}, y)
}

// backward scatters dy back to the input cells with the forward's weights.
func (r *resample) backward(dy *tensor.Tensor) *tensor.Tensor {
	n, c := dy.Shape[0], r.c
	g := dy.Float32s()
	dx := make([]float32, n*r.h*r.w*c)
	r.each(n, func(img int, oy, ox int, src []int, wts []float32) {
		gv := g[((img*r.oh+oy)*r.ow+ox)*c:][:c]
		if len(src) == 1 {
			d := dx[src[0]:][:c]
			for ch, v := range gv {
				d[ch] += v
			}
			return
		}
		fx, fy := wts[0], wts[1]
		ws := [4]float32{(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx}
		for k, s := range src {
			d := dx[s:][:c]
			for ch, v := range gv {
				d[ch] += v * ws[k]
			}
		}
	})
	return tensor.MustFromFloat32([]int{n, r.h, r.w, r.c}, dx)
}

// each calls f for every output cell with the element offsets of its source cells in the
// input batch (one, or the four bilinear corners tl, tr, bl, br) and the bilinear weights
// (fx, fy). It runs sequentially (backward accumulates).
func (r *resample) each(n int, f func(img, oy, ox int, src []int, wts []float32)) {
	c := r.c
	src := make([]int, 4)
	wts := make([]float32, 2)
	switch {
	case !r.resized():
		for img := range n {
			for oy := range r.oh {
				for ox := range r.ow {
					src[0] = ((img*r.h+r.y0+oy)*r.w + r.x0 + ox) * c
					f(img, oy, ox, src[:1], nil)
				}
			}
		}
	case r.bilinear:
		ay, ax := bilinearAxis(r.ch, r.oh), bilinearAxis(r.cw, r.ow)
		for img := range n {
			for oy, py := range ay {
				for ox, px := range ax {
					top, bot := (img*r.h+r.y0+py.lo)*r.w+r.x0, (img*r.h+r.y0+py.hi)*r.w+r.x0
					src[0], src[1] = (top+px.lo)*c, (top+px.hi)*c
					src[2], src[3] = (bot+px.lo)*c, (bot+px.hi)*c
					wts[0], wts[1] = px.f, py.f
					f(img, oy, ox, src, wts)
				}
			}
		}
	default:
		ny, nx := nearestAxis(r.ch, r.oh), nearestAxis(r.cw, r.ow)
		for img := range n {
			for oy, sy := range ny {
				for ox, sx := range nx {
					src[0] = ((img*r.h+r.y0+sy)*r.w + r.x0 + sx) * c
					f(img, oy, ox, src[:1], nil)
				}
			}
		}
	}
}

// graph appends the ops: a Slice for a crop, then ResizeBilinear or ResizeNearestNeighbor
// with half-pixel centers for a resize.
func (r *resample) graph(g *graphBuilder) string {
	x := "$in"
	if r.ch != r.h || r.cw != r.w {
		b := g.int32Const("crop/begin", i32s(0, r.y0, r.x0, 0))
		s := g.int32Const("crop/size", i32s(-1, r.ch, r.cw, -1))
		x = g.op("crop", "Slice", []string{x, b, s}, tAttrs(map[string]saved.Attr{"Index": saved.TypeAttr(tensor.Int32)}))
	}
	if !r.resized() {
		if x == "$in" {
			x = g.fop("Identity", "Identity", x)
		}
		return x
	}
	op := "ResizeNearestNeighbor"
	if r.bilinear {
		op = "ResizeBilinear"
	}
	size := g.int32Const("resize/size", i32s(r.oh, r.ow))
	return g.op("resize/"+op, op, []string{x, size}, tAttrs(map[string]saved.Attr{
		"align_corners": saved.BoolAttr(false), "half_pixel_centers": saved.BoolAttr(true)}))
}

// imageLayer is the shared part of Resizing, CenterCrop and RandomCrop: the target size, the
// plan for the built input (the last input shape for Backward is stateless.xShape).
type imageLayer struct {
	stateless
	class      string
	height     int
	width      int
	plan       *resample
	planFor    func(h, w int) (*resample, error)
	extraCheck func(in []int) error
}

// OutputShape returns (height, width, channels) for an image input.
func (l *imageLayer) OutputShape(in []int) ([]int, error) {
	if err := image3(in, l.class, l.name); err != nil {
		return nil, err
	}
	if l.extraCheck != nil {
		if err := l.extraCheck(in); err != nil {
			return nil, err
		}
	}
	return []int{l.height, l.width, in[2]}, nil
}

// ParamCount returns 0.
func (l *imageLayer) ParamCount(in []int) (int64, error) {
	_, err := l.OutputShape(in)
	return 0, err
}

// Build plans the crop and resize for the input shape.
func (l *imageLayer) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	p, err := l.planFor(in[0], in[1])
	if err != nil {
		return err
	}
	p.c = in[2]
	l.plan = p
	l.inShape = slices.Clone(in)
	return nil
}

// forward runs the plan on x.
func (l *imageLayer) forward(x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, l.class, l.name); err != nil {
		return nil, err
	}
	l.xShape = slices.Clone(x.Shape)
	return l.plan.forward(x), nil
}

// Backward returns dL/dx of the last Forward.
func (l *imageLayer) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if err := l.checkDY(dy, []int{l.height, l.width, l.inShape[2]}, l.class); err != nil {
		return nil, err
	}
	return l.plan.backward(dy), nil
}

// Graph returns the crop and resize ops.
func (l *imageLayer) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, notBuilt(l.class, l.name)
	}
	g := newGraphBuilder(l.class, l.name)
	out := l.plan.graph(g)
	return g.graphOut(l.inShape, []int{l.height, l.width, l.inShape[2]}, false, out)
}

// readSize reads height and width (required, positive).
func (l *imageLayer) readSize(r *cfgReader) {
	for _, k := range []string{"height", "width"} {
		if _, _, ok := r.get(k); !ok {
			r.fail(ErrFormat, "no %s", k)
		}
	}
	l.height = r.integer(1, 1, maxDim, "height")
	l.width = r.integer(1, 1, maxDim, "width")
}
