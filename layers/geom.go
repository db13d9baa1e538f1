package layers

import "fmt"

// geom is the spatial arithmetic shared by Conv2D and MaxPooling2D (NHWC, one image).
type geom struct {
	h, w, c int // input height, width, channels
	kh, kw  int // window
	sh, sw  int // strides
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
	g := geom{h: h, w: w, c: c, kh: kh, kw: kw, sh: sh, sw: sw}
	g.oh, g.pt = outLen(h, kh, sh, same)
	g.ow, g.pl = outLen(w, kw, sw, same)
	if g.oh < 1 || g.ow < 1 {
		return g, fmt.Errorf("input %dx%d is smaller than the %dx%d window", h, w, kh, kw)
	}
	return g, nil
}

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
						// Short rows: a loop beats a memmove call.
						for t, v := range src {
							d[t] = v
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
