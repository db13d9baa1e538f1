package layers

import (
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// The depthwise convolution shared by DepthwiseConv2D and SeparableConv2D. Every input
// channel ci is convolved on its own with dm filters; output channel j = ci·dm + m. With the
// kernel (kh, kw, c, dm) seen as kh·kw rows of c·dm values, the row of tap (ky, kx) lines up
// with the output channels, so one tap adds x[pixel, j/dm] · k[tap, j] to output j.

// dwForward writes the depthwise convolution of x (n, h, w, c) by k into z (n, oh, ow, c·dm),
// starting from the bias bd (nil: zero), for the output rows [lo, hi) counted over all images
// (row u is row u%oh of image u/oh). g may be dilated.
func dwForward(g *geom, dm int, x, k, bd, z []float32, lo, hi int) {
	c, cd := g.c, g.c*dm
	inSize := g.h * g.w * c
	for u := lo; u < hi; u++ {
		i, oy := u/g.oh, u%g.oh
		img := x[i*inSize : (i+1)*inSize]
		zrow := z[u*g.ow*cd : (u+1)*g.ow*cd]
		iy0 := oy*g.sh - g.pt
		for ox := 0; ox < g.ow; ox++ {
			zr := zrow[ox*cd : (ox+1)*cd]
			if bd != nil {
				copy(zr, bd)
			} else {
				clear(zr)
			}
			ix0 := ox*g.sw - g.pl
			for ky := 0; ky < g.kh; ky++ {
				iy := iy0 + ky*g.dh
				if iy < 0 || iy >= g.h {
					continue
				}
				for kx := 0; kx < g.kw; kx++ {
					ix := ix0 + kx*g.dw
					if ix < 0 || ix >= g.w {
						continue
					}
					pix, tap := iy*g.w+ix, ky*g.kw+kx
					xr := img[pix*c : (pix+1)*c]
					kr := k[tap*cd : (tap+1)*cd]
					if dm == 1 {
						mulAdd(zr, xr, kr)
						continue
					}
					for ci, v := range xr {
						o := ci * dm
						for m := o; m < o+dm; m++ {
							zr[m] += v * kr[m]
						}
					}
				}
			}
		}
	}
}

// mulAdd adds a[j]·b[j] to dst[j] (all of dst's length).
func mulAdd(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	j := 0
	for ; j+4 <= n; j += 4 {
		d := dst[j : j+4 : j+4]
		x := a[j : j+4 : j+4]
		y := b[j : j+4 : j+4]
		d[0] += x[0] * y[0]
		d[1] += x[1] * y[1]
		d[2] += x[2] * y[2]
		d[3] += x[3] * y[3]
	}
	for ; j < n; j++ {
		dst[j] += a[j] * b[j]
	}
}

// dwBackward adds, for images [lo, hi), the kernel gradient into dk (when non-nil) and
// dL/dx into dx (when non-nil; the images' slices must be zero or partial sums) given dL/dz.
func dwBackward(g *geom, dm int, x, k, dz, dk, dx []float32, lo, hi int) {
	c, cd := g.c, g.c*dm
	inSize, outSize := g.h*g.w*c, g.oh*g.ow*cd
	for i := lo; i < hi; i++ {
		img := x[i*inSize : (i+1)*inSize]
		dzi := dz[i*outSize : (i+1)*outSize]
		var dxi []float32
		if dx != nil {
			dxi = dx[i*inSize : (i+1)*inSize]
		}
		for oy := 0; oy < g.oh; oy++ {
			for ox := 0; ox < g.ow; ox++ {
				dzr := dzi[(oy*g.ow+ox)*cd : (oy*g.ow+ox+1)*cd]
				g.eachTap(oy, ox, func(tap, pix int) {
					if dk != nil {
						xr := img[pix*c : (pix+1)*c]
						dkr := dk[tap*cd : (tap+1)*cd]
						for j, v := range dzr {
							dkr[j] += xr[j/dm] * v
						}
					}
					if dxi != nil {
						dxr := dxi[pix*c : (pix+1)*c]
						kr := k[tap*cd : (tap+1)*cd]
						for j, v := range dzr {
							dxr[j/dm] += kr[j] * v
						}
					}
				})
			}
		}
	}
}

// eachTap calls fn with the tap index ky·kw+kx and the input pixel iy·w+ix of every tap of
// output position (oy, ox) that falls inside the image (padding taps are skipped).
func (g *geom) eachTap(oy, ox int, fn func(tap, pix int)) {
	iy0, ix0 := oy*g.sh-g.pt, ox*g.sw-g.pl
	for ky := 0; ky < g.kh; ky++ {
		iy := iy0 + ky*g.dh
		if iy < 0 || iy >= g.h {
			continue
		}
		for kx := 0; kx < g.kw; kx++ {
			ix := ix0 + kx*g.dw
			if ix < 0 || ix >= g.w {
				continue
			}
			fn(ky*g.kw+kx, iy*g.w+ix)
		}
	}
}

// dwGraph appends the TF ops of a depthwise convolution of x by the kernel read as k, as
// tf.nn.depthwise_conv2d writes them under scope: one DepthwiseConv2dNative, and for a
// dilated kernel the SpaceToBatchND / BatchToSpaceND around it with the paddings and crops
// TF computes for the static input shape. It returns the result.
func dwGraph(b *graphBuilder, g *geom, same bool, scope, x, k string) string {
	strides := []int64{1, int64(g.sh), int64(g.sw), 1}
	padding := "VALID"
	if same {
		padding = "SAME"
	}
	if !g.dilated() {
		return b.op(scope, "DepthwiseConv2dNative", []string{x, k}, tAttrs(map[string]saved.Attr{
			"strides": saved.IntsAttr(strides...), "padding": saved.StringAttr(padding),
			"dilations": saved.IntsAttr(1, 1, 1, 1), "data_format": saved.StringAttr("NHWC"),
		}))
	}
	// Space-to-batch: the input padded (the "same" padding of the dilated window, then up to
	// a multiple of the rate) and split into rate² interleaved images, each convolved VALID
	// with the undilated kernel.
	pads := make([]int32, 0, 4)
	crops := make([]int32, 0, 4)
	for _, ax := range [2][3]int{{g.h, g.kh, g.dh}, {g.w, g.kw, g.dw}} {
		n, k, d := ax[0], ax[1], ax[2]
		before, after := 0, 0
		if same {
			total := (k - 1) * d
			before, after = total/2, total-total/2
		}
		extra := (d - (n+before+after)%d) % d
		pads = append(pads, int32(before), int32(after+extra))
		crops = append(crops, 0, int32(extra))
	}
	block := b.int32Const(scope+"/SpaceToBatchND/block_shape", []int32{int32(g.dh), int32(g.dw)})
	pc := b.int32s(scope+"/SpaceToBatchND/paddings", []int{2, 2}, pads...)
	s2b := b.op(scope+"/SpaceToBatchND", "SpaceToBatchND", []string{x, block, pc}, tAttrs(map[string]saved.Attr{
		"Tblock_shape": saved.TypeAttr(tensor.Int32), "Tpaddings": saved.TypeAttr(tensor.Int32)}))
	conv := b.op(scope, "DepthwiseConv2dNative", []string{s2b, k}, tAttrs(map[string]saved.Attr{
		"strides": saved.IntsAttr(1, 1, 1, 1), "padding": saved.StringAttr("VALID"),
		"dilations": saved.IntsAttr(1, 1, 1, 1), "data_format": saved.StringAttr("NHWC"),
	}))
	block2 := b.int32Const(scope+"/BatchToSpaceND/block_shape", []int32{int32(g.dh), int32(g.dw)})
	cc := b.int32s(scope+"/BatchToSpaceND/crops", []int{2, 2}, crops...)
	return b.op(scope+"/BatchToSpaceND", "BatchToSpaceND", []string{conv, block2, cc}, tAttrs(map[string]saved.Attr{
		"Tblock_shape": saved.TypeAttr(tensor.Int32), "Tcrops": saved.TypeAttr(tensor.Int32)}))
}
