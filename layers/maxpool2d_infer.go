package layers

import "github.com/kerasgo/kerasgo/tensor"

// MaxPooling2D in inference mode: the output lives in a buffer the layer reuses (see
// inferBufs), and valid padding (every window inside the image) runs without bounds
// clamping: eight channels at a time in AVX (maxWindow8) where the CPU has it, else Go loops
// with a dedicated one for 2×2 windows at stride 2. A NaN in a window gives NaN, as Go's max
// (the general loop) does.

// forwardInfer is Forward(x, false).
func (l *MaxPooling2D) forwardInfer(ws *Workspace, x *tensor.Tensor) *tensor.Tensor {
	b := ws.acquire(&l.infer)
	defer ws.release(b)
	g := &l.g
	n := x.Shape[0]
	inSize := g.h * g.w * g.c
	outSize := g.oh * g.ow * g.c
	y := b.out(0, n*outSize)
	xd := x.Float32s()
	parallelFor(n, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			l.poolImage(xd[i*inSize:(i+1)*inSize], y[i*outSize:(i+1)*outSize])
		}
	})
	return b.view(0, y, n, g.oh, g.ow, g.c)
}

// poolImage writes the window maxima of one image img into out.
func (l *MaxPooling2D) poolImage(img, out []float32) {
	g := &l.g
	switch {
	case !maxWindowAsm && g.pt == 0 && g.pl == 0 && g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && 2*g.oh <= g.h && 2*g.ow <= g.w:
		maxPool2x2(img, out, g)
	case g.pt == 0 && g.pl == 0 && (g.oh-1)*g.sh+g.kh <= g.h && (g.ow-1)*g.sw+g.kw <= g.w:
		maxPoolInside(img, out, g)
	default:
		maxPoolClamped(img, out, g)
	}
}

// maxPool2x2 pools one image with 2×2 windows at stride 2, all inside the image (the loop
// when maxWindow8 cannot run).
func maxPool2x2(img, out []float32, g *geom) {
	c, rowIn := g.c, g.w*g.c
	for oy := 0; oy < g.oh; oy++ {
		r0 := img[2*oy*rowIn : (2*oy+1)*rowIn]
		r1 := img[(2*oy+1)*rowIn : (2*oy+2)*rowIn]
		dst := out[oy*g.ow*c : (oy+1)*g.ow*c]
		for ox := 0; ox < g.ow; ox++ {
			o := 2 * ox * c
			a, b := r0[o:o+c], r0[o+c:o+2*c]
			p, q := r1[o:o+c], r1[o+c:o+2*c]
			d := dst[ox*c : ox*c+c]
			b, p, q = b[:len(a)], p[:len(a)], q[:len(a)]
			d = d[:len(a)]
			for j, v := range a {
				d[j] = max(max(v, b[j]), max(p[j], q[j]))
			}
		}
	}
}

// maxPoolInside pools one image whose windows all lie inside it (no clamping): one
// maxWindow per output position.
func maxPoolInside(img, out []float32, g *geom) {
	c, rowIn := g.c, g.w*g.c
	for oy := 0; oy < g.oh; oy++ {
		top := oy * g.sh * rowIn
		for ox := 0; ox < g.ow; ox++ {
			o := top + ox*g.sw*c
			maxWindow(out[(oy*g.ow+ox)*c:(oy*g.ow+ox+1)*c], img[o:o+(g.kh-1)*rowIn+g.kw*c], c, g.kw, g.kh, rowIn)
		}
	}
}

// maxWindow writes into d (c floats) the maximum over the kh×kw window of cells
// s[ky*rowStride + kx*c:][:c] (s holds the whole window): lanes in groups of eight by
// maxWindow8 where it runs, the rest with Go's max.
func maxWindow(d, s []float32, c, kw, kh, rowStride int) {
	d = d[:c]
	_ = s[(kh-1)*rowStride+kw*c-1]
	j := 0
	if maxWindowAsm && c >= 8 {
		maxWindow8(&d[0], &s[0], c/8, c, kw, kh, rowStride)
		j = c / 8 * 8
	}
	if j == c {
		return
	}
	copy(d[j:], s[j:c])
	for ky := 0; ky < kh; ky++ {
		seg := s[ky*rowStride : ky*rowStride+kw*c]
		for kx := 0; kx < kw; kx++ {
			src := seg[kx*c+j : kx*c+c]
			dd := d[j:]
			dd = dd[:len(src)]
			for i, v := range src {
				dd[i] = max(dd[i], v)
			}
		}
	}
}

// maxPoolClamped pools one image with windows clamped to it (padding "same").
func maxPoolClamped(img, out []float32, g *geom) {
	c := g.c
	for oy := 0; oy < g.oh; oy++ {
		y0, y1 := max(oy*g.sh-g.pt, 0), min(oy*g.sh-g.pt+g.kh, g.h)
		for ox := 0; ox < g.ow; ox++ {
			x0, x1 := max(ox*g.sw-g.pl, 0), min(ox*g.sw-g.pl+g.kw, g.w)
			d := out[(oy*g.ow+ox)*c : (oy*g.ow+ox+1)*c]
			first := (y0*g.w + x0) * c
			copy(d, img[first:first+c])
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					off := (iy*g.w + ix) * c
					s := img[off : off+c]
					s = s[:len(d)]
					for j, v := range s {
						d[j] = max(d[j], v)
					}
				}
			}
		}
	}
}
