package layers

import "fmt"

// geom is the spatial arithmetic shared by Conv2D and the pooling layers (NHWC, one image).
type geom struct {
	h, w, c int // input height, width, channels
	kh, kw  int // window
	sh, sw  int // strides
	dh, dw  int // dilation (1 but for a dilated Conv2D)
	oh, ow  int // output height, width
	pt, pl  int // padding before (top, left)
}

// outLen returns the output length and the padding before for one spatial axis, as
// TensorFlow computes them: valid = ceil((in-k+1)/s); same = ceil(in/s) with
// pad_total = max((out-1)*s + k - in, 0) and pad_before = pad_total/2.
func outLen(in, k, s int, same bool) (out, before int) {
	if same {
		out = (in + s - 1) / s
		total := max((out-1)*s+k-in, 0)
		return out, total / 2
	}
	if in < k {
		return 0, 0
	}
	return (in-k)/s + 1, 0
}

func newGeom(h, w, c, kh, kw, sh, sw int, same bool) (geom, error) {
	return newDilatedGeom(h, w, c, kh, kw, sh, sw, 1, 1, same)
}

// newDilatedGeom is newGeom for a window whose taps are dh rows and dw columns apart: it
// spans (kh-1)·dh+1 × (kw-1)·dw+1 cells, and TensorFlow computes the output size and the
// "same" padding from that span.
func newDilatedGeom(h, w, c, kh, kw, sh, sw, dh, dw int, same bool) (geom, error) {
	g := geom{h: h, w: w, c: c, kh: kh, kw: kw, sh: sh, sw: sw, dh: dh, dw: dw}
	eh, ew := (kh-1)*dh+1, (kw-1)*dw+1
	g.oh, g.pt = outLen(h, eh, sh, same)
	g.ow, g.pl = outLen(w, ew, sw, same)
	if g.oh < 1 || g.ow < 1 {
		if dh != 1 || dw != 1 {
			return g, fmt.Errorf("input %dx%d is smaller than the %dx%d window dilated by (%d, %d) to %dx%d", h, w, kh, kw, dh, dw, eh, ew)
		}
		return g, fmt.Errorf("input %dx%d is smaller than the %dx%d window", h, w, kh, kw)
	}
	return g, nil
}

// dilated reports whether the window's taps are spaced apart.
func (g *geom) dilated() bool { return g.dh != 1 || g.dw != 1 }

// patch returns the number of rows (output positions) and columns (kh*kw*c) of one image's
// im2col matrix.
func (g *geom) patch() (p, k int) { return g.oh * g.ow, g.kh * g.kw * g.c }

// trivial reports whether the im2col matrix equals the image (1x1 window, stride 1, no pad).
func (g *geom) trivial() bool {
	return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0
}

// patchRow writes the im2col row of output position (oy, ox) of image x into dst (K values).
func (g *geom) patchRow(x []float32, oy, ox int, dst []float32) {
	c, kwc := g.c, g.kw*g.c
	iy0, ix0 := oy*g.sh-g.pt, ox*g.sw-g.pl
	for ky := 0; ky < g.kh; ky++ {
		d := dst[ky*kwc : (ky+1)*kwc]
		iy := iy0 + ky
		if iy < 0 || iy >= g.h {
			clear(d)
			continue
		}
		base := iy * g.w
		for kx := 0; kx < g.kw; kx++ {
			ix := ix0 + kx
			if ix < 0 || ix >= g.w {
				clear(d[kx*c : (kx+1)*c])
			} else {
				copy(d[kx*c:(kx+1)*c], x[(base+ix)*c:(base+ix+1)*c])
			}
		}
	}
}

// interiorX returns the range [lo, hi) of output columns whose window lies inside the
// image horizontally.
func (g *geom) interiorX() (lo, hi int) {
	lo = (g.pl + g.sw - 1) / g.sw
	if g.w-g.kw+g.pl < 0 {
		return 0, 0
	}
	hi = min(g.ow, (g.w-g.kw+g.pl)/g.sw+1)
	return lo, max(hi, lo)
}

// im2col writes one image x (h*w*c) as a (oh*ow) × (kh*kw*c) matrix into cols; column order
// (ky, kx, c) matches a Keras kernel (kh, kw, in, out) seen as a (kh*kw*in) × out matrix.
func (g *geom) im2col(x, cols []float32) {
	c, kwc := g.c, g.kw*g.c
	row := 0
	_, K := g.patch()
	for oy := 0; oy < g.oh; oy++ {
		iy0 := oy*g.sh - g.pt
		for ox := 0; ox < g.ow; ox++ {
			ix0 := ox*g.sw - g.pl
			dst := cols[row*K : (row+1)*K]
			row++
			for ky := 0; ky < g.kh; ky++ {
				d := dst[ky*kwc : (ky+1)*kwc]
				iy := iy0 + ky
				if iy < 0 || iy >= g.h {
					clear(d)
					continue
				}
				base := iy * g.w
				if ix0 >= 0 && ix0+g.kw <= g.w {
					src := x[(base+ix0)*c : (base+ix0+g.kw)*c]
					if len(src) < 32 {
						// Short rows: eight floats per move, then a loop; both beat a memmove
						// call.
						d = d[:len(src)]
						t := 0
						for ; t+8 <= len(src); t += 8 {
							*(*[8]float32)(d[t : t+8]) = *(*[8]float32)(src[t : t+8])
						}
						for ; t < len(src); t++ {
							d[t] = src[t]
						}
					} else {
						copy(d, src)
					}
					continue
				}
				for kx := 0; kx < g.kw; kx++ {
					ix := ix0 + kx
					if ix < 0 || ix >= g.w {
						clear(d[kx*c : (kx+1)*c])
					} else {
						copy(d[kx*c:(kx+1)*c], x[(base+ix)*c:(base+ix+1)*c])
					}
				}
			}
		}
	}
}

// col2im adds a (oh*ow) × (kh*kw*c) matrix back into one image dx (h*w*c); the adjoint of
// im2col.
func (g *geom) col2im(cols, dx []float32) {
	c, kwc := g.c, g.kw*g.c
	_, K := g.patch()
	row := 0
	for oy := 0; oy < g.oh; oy++ {
		iy0 := oy*g.sh - g.pt
		for ox := 0; ox < g.ow; ox++ {
			ix0 := ox*g.sw - g.pl
			src := cols[row*K : (row+1)*K]
			row++
			for ky := 0; ky < g.kh; ky++ {
				iy := iy0 + ky
				if iy < 0 || iy >= g.h {
					continue
				}
				s := src[ky*kwc : (ky+1)*kwc]
				base := iy * g.w
				if ix0 >= 0 && ix0+g.kw <= g.w {
					d := dx[(base+ix0)*c : (base+ix0+g.kw)*c]
					d = d[:len(s)]
					for t, v := range s {
						d[t] += v
					}
					continue
				}
				for kx := 0; kx < g.kw; kx++ {
					ix := ix0 + kx
					if ix < 0 || ix >= g.w {
						continue
					}
					d := dx[(base+ix)*c : (base+ix+1)*c]
					for i, v := range s[kx*c : (kx+1)*c] {
						d[i] += v
					}
				}
			}
		}
	}
}

// im2colGroup is im2col for any dilation and for the cg channels from c0 on: it writes one
// image x (h*w*c) as a (oh*ow) × (kh*kw*cg) matrix, columns in (ky, kx, channel) order, the
// layout of one group's slice of a grouped Conv2D kernel (kh, kw, cg, filters).
func (g *geom) im2colGroup(x, cols []float32, c0, cg int) {
	kcg := g.kw * cg
	K := g.kh * kcg
	row := 0
	for oy := 0; oy < g.oh; oy++ {
		iy0 := oy*g.sh - g.pt
		for ox := 0; ox < g.ow; ox++ {
			ix0 := ox*g.sw - g.pl
			dst := cols[row*K : (row+1)*K]
			row++
			for ky := 0; ky < g.kh; ky++ {
				d := dst[ky*kcg : (ky+1)*kcg]
				iy := iy0 + ky*g.dh
				if iy < 0 || iy >= g.h {
					clear(d)
					continue
				}
				base := iy * g.w
				for kx := 0; kx < g.kw; kx++ {
					ix := ix0 + kx*g.dw
					if ix < 0 || ix >= g.w {
						clear(d[kx*cg : (kx+1)*cg])
					} else {
						o := (base+ix)*g.c + c0
						copy(d[kx*cg:(kx+1)*cg], x[o:o+cg])
					}
				}
			}
		}
	}
}

// col2imGroup adds a matrix laid out as im2colGroup writes it back into one image dx; the
// adjoint of im2colGroup.
func (g *geom) col2imGroup(cols, dx []float32, c0, cg int) {
	kcg := g.kw * cg
	K := g.kh * kcg
	row := 0
	for oy := 0; oy < g.oh; oy++ {
		iy0 := oy*g.sh - g.pt
		for ox := 0; ox < g.ow; ox++ {
			ix0 := ox*g.sw - g.pl
			src := cols[row*K : (row+1)*K]
			row++
			for ky := 0; ky < g.kh; ky++ {
				iy := iy0 + ky*g.dh
				if iy < 0 || iy >= g.h {
					continue
				}
				base := iy * g.w
				for kx := 0; kx < g.kw; kx++ {
					ix := ix0 + kx*g.dw
					if ix < 0 || ix >= g.w {
						continue
					}
					o := (base+ix)*g.c + c0
					d := dx[o : o+cg]
					for i, v := range src[ky*kcg+kx*cg : ky*kcg+(kx+1)*cg] {
						d[i] += v
					}
				}
			}
		}
	}
}
