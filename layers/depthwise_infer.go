package layers

import "github.com/kerasgo/kerasgo/tensor"

// Depthwise convolution inference: the output rows are computed from the bias, with the
// activation applied to each row while it is in cache, into workspace buffers. Where the CPU
// has AVX-512 (and the layer has depth multiplier 1 and no dilation), the generated kernels
// dwZ1..dwZ8 (depthwise_amd64.s) compute up to 8 pixels of a row × every channel group,
// reading the input in place: the taps of a window cut by the image edge are skipped by
// starting later in the input and the kernel and shortening the window (no padded copy).
// Elsewhere dwForward runs, then the activation.

// dwKernelFunc is one generated kernel (see scripts/gen_depthwise_amd64.py).
type dwKernelFunc func(x, k, out, bias, scale, shift *float32, kh, kw, kskip, rowstride, pixstride, c, groups, mask, act int)

// dwMaxP is the widest kernel (pixels per call).
const dwMaxP = 8

// Activations the kernels apply in registers.
const (
	dwActNone = iota
	dwActReLU
	dwActReLU6
)

// dwParams are the weights and activation of one depthwise inference call: the layer's own,
// or with a BatchNormalization's scale and shift applied before the activation (see
// InferFolded).
type dwParams struct {
	kd, bd []float32 // kernel (kh, kw, c·dm); bias (c·dm; nil: zero)
	sc, sh []float32 // per-channel scale and shift (nil: none)
	act    *activationFunc
	// g, when set, is the geometry of an unpadded input whose ZeroPadding2D the convolution
	// applies itself (see InferFolded); nil: the layer's.
	g *geom
}

// dw512 reports whether the AVX-512 kernels run for l.
func (l *DepthwiseConv2D) dw512() bool {
	return hasConv512 && dwKernels[1] != nil && l.dm == 1 && l.g.dh == 1 && l.g.dw == 1
}

// ForwardWS is Forward(x, false) with the buffers of ws (see Workspace).
func (l *DepthwiseConv2D) ForwardWS(ws *Workspace, x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "DepthwiseConv2D", l.name); err != nil {
		return nil, err
	}
	l.clearTrainCache()
	p := dwParams{kd: l.kernel.Value.Float32s(), act: l.act}
	if l.bias != nil {
		p.bd = l.bias.Value.Float32s()
	}
	return l.forwardInfer(ws, x, &p), nil
}

// clearTrainCache drops what a training Forward cached, writing only what is set.
func (l *DepthwiseConv2D) clearTrainCache() {
	if l.x != nil || l.z != nil || l.y != nil {
		l.x, l.z, l.y = nil, nil, nil
	}
}

// forwardInfer computes act(depthwise(x) + bias) with p's weights into the buffers of ws.
func (l *DepthwiseConv2D) forwardInfer(ws *Workspace, x *tensor.Tensor, p *dwParams) *tensor.Tensor {
	b := ws.acquire(&l.infer)
	defer ws.release(b)
	g := &l.g
	if p.g != nil {
		g = p.g
	}
	n, cd := x.Shape[0], g.c*l.dm
	y := b.out(0, n*g.oh*g.ow*cd)
	z := y
	if p.act.needZ {
		z = b.get(1, len(y))
	}
	xd := x.Float32s()
	per := g.ow * cd
	fast := l.dw512()
	kact := dwActNone
	if fast && &z[0] == &y[0] {
		switch p.act {
		case reluActivation:
			kact = dwActReLU
		case activations["relu6"]:
			kact = dwActReLU6
		}
	}
	parallelFor(n*g.oh, func(_, lo, hi int) {
		for u := lo; u < hi; u++ {
			zr := z[u*per : (u+1)*per]
			if fast {
				dwRow512(g, xd, p, zr, u, kact)
			} else {
				dwForward(g, l.dm, xd, p.kd, p.bd, z, u, u+1)
				if p.sc != nil {
					affineRows(zr, p.sc, p.sh)
				}
			}
			if kact == dwActNone && !p.act.identity {
				p.act.apply(zr, y[u*per:(u+1)*per], cd)
			}
		}
	})
	return b.view(0, y, n, g.oh, g.ow, cd)
}

// dwZeroBias is the bias of a layer without one (grown as needed, never written).
var dwZeroBias = make([]float32, 1024)

// dwRow512 computes output row u (row u%oh of image u/oh) of a depthwise convolution with
// depth multiplier 1 and no dilation into zr, with the kernels.
func dwRow512(g *geom, x []float32, p *dwParams, zr []float32, u, act int) {
	c := g.c
	k, bias := p.kd, p.bd
	var sp, tp *float32
	if p.sc != nil {
		sp, tp = &p.sc[0], &p.sh[0]
	}
	if bias == nil {
		if len(dwZeroBias) < c {
			bias = make([]float32, c)
		} else {
			bias = dwZeroBias[:c]
		}
	}
	i, oy := u/g.oh, u%g.oh
	img := x[i*g.h*g.w*c : (i+1)*g.h*g.w*c]
	iy0 := oy*g.sh - g.pt
	ky0, ky1 := max(0, -iy0), min(g.kh, g.h-iy0)
	if ky1 <= ky0 {
		// The window misses the image: the row is the bias (and its activation).
		for ox := 0; ox < g.ow; ox++ {
			dwBiasOnly(zr[ox*c:(ox+1)*c], bias, p, act)
		}
		return
	}
	groups := (c + 15) / 16
	mask := 0xffff
	if r := c % 16; r != 0 {
		mask = 1<<r - 1
	}
	kh := ky1 - ky0
	rowstride := g.w * c
	call := func(P, ox, kx0, kx1 int) {
		ix := ox*g.sw - g.pl + kx0
		xp := &img[((iy0+ky0)*g.w+ix)*c]
		kp := &k[(ky0*g.kw+kx0)*c]
		dwKernels[P](xp, kp, &zr[ox*c], &bias[0], sp, tp, kh, kx1-kx0, (g.kw-(kx1-kx0))*c, rowstride, g.sw*c, c, groups, mask, act)
	}
	// Columns whose window lies inside the image's width: [oxa, oxb).
	oxa := min((g.pl+g.sw-1)/g.sw, g.ow)
	oxb := max(oxa, min(g.ow, (g.w-g.kw+g.pl)/g.sw+1))
	if g.w-g.kw+g.pl < 0 {
		oxb = oxa
	}
	edge := func(ox int) {
		ix0 := ox*g.sw - g.pl
		kx0, kx1 := max(0, -ix0), min(g.kw, g.w-ix0)
		if kx1 <= kx0 {
			dwBiasOnly(zr[ox*c:(ox+1)*c], bias, p, act)
			return
		}
		call(1, ox, kx0, kx1)
	}
	for ox := 0; ox < oxa; ox++ {
		edge(ox)
	}
	for ox := oxa; ox < oxb; {
		P := min(dwMaxP, oxb-ox)
		call(P, ox, 0, g.kw)
		ox += P
	}
	for ox := oxb; ox < g.ow; ox++ {
		edge(ox)
	}
}

// dwBiasOnly writes the output of a pixel whose window misses the image: the bias, scaled and
// shifted, with the kernel activation act.
func dwBiasOnly(o, bias []float32, p *dwParams, act int) {
	copy(o, bias)
	if p.sc != nil {
		for j, v := range o {
			o[j] = v*p.sc[j] + p.sh[j]
		}
	}
	if act != dwActNone {
		for j, v := range o {
			o[j] = min(max(v, 0), dwActCap(act))
		}
	}
}

// dwActCap is the upper bound of a kernel activation.
func dwActCap(act int) float32 {
	if act == dwActReLU6 {
		return 6
	}
	return float32(3.4028234663852886e38)
}
