package layers

import "github.com/kerasgo/kerasgo/tensor"

// Fused inference of Conv2D → [BatchNormalization] → MaxPooling2D → [BatchNormalization]
// (channels last) for Sequential models: each unit of work is one pooled output row of one
// image; the kh conv rows it pools are computed by the AVX-512 direct kernels into a small
// per-worker band (bias and ReLU in the kernel), the first BatchNormalization's scale and
// shift are applied to the band, the band is max-pooled while in cache (16 lanes at a time)
// and the second BatchNormalization is applied to the pooled row. Conv columns and rows no
// window reads are never computed, and the conv activations never reach memory. The result
// equals the unfused layers' (same operations on the same values; max is exact). The output
// is the last layer's inference buffer (valid until that layer's next inference Forward).

// fusedChain is a fusable run of layers found at the start of a layer list.
type fusedChain struct {
	conv     *Conv2D
	bn1, bn2 *BatchNormalization
	pool     *MaxPooling2D
	n        int // layers consumed
}

// findFusedChain returns the chain at the start of ls, or ok false.
func findFusedChain(ls []Layer) (fc fusedChain, ok bool) {
	if len(ls) < 2 {
		return fc, false
	}
	conv, _ := ls[0].(*Conv2D)
	if conv == nil || conv.kernel == nil || !conv.plain() || !conv.direct512() || conv.act.needZ {
		return fc, false
	}
	fc.conv = conv
	i := 1
	if bn, _ := ls[i].(*BatchNormalization); bn != nil {
		fc.bn1 = bn
		i++
	}
	if i >= len(ls) {
		return fc, false
	}
	pool, _ := ls[i].(*MaxPooling2D)
	if pool == nil {
		return fc, false
	}
	fc.pool = pool
	i++
	if i < len(ls) {
		if bn, _ := ls[i].(*BatchNormalization); bn != nil {
			fc.bn2 = bn
			i++
		}
	}
	fc.n = i
	F := conv.filters
	for _, bn := range []*BatchNormalization{fc.bn1, fc.bn2} {
		if bn != nil && (bn.mean == nil || bn.inner != 1 || bn.ch != F || len(bn.inShape) != 3) {
			return fc, false
		}
	}
	pg, cg := &pool.g, &conv.g
	if pg.c != F || pg.h != cg.oh || pg.w != cg.ow || pg.pt != 0 || pg.pl != 0 ||
		pg.sh < pg.kh || pg.sw < pg.kw || pg.oh < 1 || pg.ow < 1 ||
		(pg.oh-1)*pg.sh+pg.kh > pg.h || (pg.ow-1)*pg.sw+pg.kw > pg.w {
		return fc, false
	}
	for _, l := range ls[:i] {
		if PolicyOf(l) != PolicyFloat32 { // layers.Forward rounds other policies' values
			return fc, false
		}
	}
	return fc, true
}

// ForwardFused runs, in inference mode, the fusable chain Conv2D → [BatchNormalization] →
// MaxPooling2D → [BatchNormalization] at the start of ls on x, when there is one and this
// CPU runs the fused kernels, and returns its output and the number of layers it consumed;
// 0 layers (and no error) means no chain applies and the caller runs the layers one by one.
func ForwardFused(ls []Layer, x *tensor.Tensor) (*tensor.Tensor, int, error) {
	fc, ok := findFusedChain(ls)
	if !ok || x == nil || x.DType != tensor.Float32 {
		return nil, 0, nil
	}
	if err := checkInput(x, fc.conv.inShape, "Conv2D", fc.conv.name); err != nil {
		return nil, 0, err
	}
	return fc.forward(x), fc.n, nil
}

func (fc *fusedChain) forward(x *tensor.Tensor) *tensor.Tensor {
	conv, pool := fc.conv, fc.pool
	// What the layers' own inference Forward calls reset.
	conv.x, conv.z, conv.y, conv.colsValid = nil, nil, nil, false
	pool.trainX, pool.trainOut, pool.trained = nil, nil, false
	for _, bn := range []*BatchNormalization{fc.bn1, fc.bn2} {
		if bn != nil {
			bn.x, bn.xhat, bn.invStd, bn.trained = nil, nil, nil, false
		}
	}
	last := &pool.infer
	if fc.bn2 != nil {
		last = &fc.bn2.infer
	}
	ob := last.acquire()
	defer ob.release()
	b := conv.infer.acquire()
	defer b.release()

	cg, pg := &conv.g, &pool.g
	F := conv.filters
	n := x.Shape[0]
	outRow := pg.ow * F
	y := ob.get(0, n*pg.oh*outRow)
	bias := b.get(10, F)
	if conv.bias != nil {
		copy(bias, conv.bias.Value.Float32s())
	} else {
		clear(bias)
	}
	var sc1, sh1, sc2, sh2 []float32
	if fc.bn1 != nil {
		sc1, sh1 = b.get(11, F), b.get(12, F)
		fc.bn1.foldInto(sc1, sh1)
	}
	if fc.bn2 != nil {
		sc2, sh2 = b.get(13, F), b.get(14, F)
		fc.bn2.foldInto(sc2, sh2)
	}
	relu := conv.act == reluActivation
	c := conv.newConvRows512(bias, relu)
	ncols := (pg.ow-1)*pg.sw + pg.kw
	bandRow := ncols * F
	units := n * pg.oh
	nw := workers(units)
	per := c.bandSz + pg.kh*bandRow
	scratch := b.get(15, nw*per)
	inSize := cg.h * cg.w * cg.c
	parallelFor(units, func(wi, lo, hi int) {
		s := scratch[wi*per : (wi+1)*per]
		band, rows := s[:c.bandSz], s[c.bandSz:]
		for u := lo; u < hi; u++ {
			i, py := u/pg.oh, u%pg.oh
			img := x.Float32s()[i*inSize : (i+1)*inSize]
			for r := 0; r < pg.kh; r++ {
				row := rows[r*bandRow : (r+1)*bandRow]
				c.row(img, py*pg.sh+r, ncols, row, band)
				if !relu {
					conv.act.apply(row, row, F)
				}
				if sc1 != nil {
					affineRows(row, sc1, sh1)
				}
			}
			dst := y[u*outRow : (u+1)*outRow]
			for px := 0; px < pg.ow; px++ {
				maxWindowWide(dst[px*F:(px+1)*F], rows[px*pg.sw*F:], F, pg.kw, pg.kh, bandRow)
			}
			if sc2 != nil {
				affineRows(dst, sc2, sh2)
			}
		}
	})
	return tensor.MustFromFloat32([]int{n, pg.oh, pg.ow, F}, y)
}

// affineRows applies v*scale[j] + shift[j] to every row of len(scale) channels of d, as
// BatchNormalization's inference Forward does.
func affineRows(d, scale, shift []float32) {
	c := len(scale)
	shift = shift[:c]
	if len(d)%c != 0 {
		panic("layers: affineRows over a partial row")
	}
	if hasConv512 && c%16 == 0 && len(d) > 0 {
		affineRows16(&d[0], &scale[0], &shift[0], len(d)/c, c/16)
		return
	}
	for len(d) >= c {
		r := d[:c]
		for j, v := range r {
			r[j] = v*scale[j] + shift[j]
		}
		d = d[c:]
	}
}

// maxWindowWide is maxWindow with the lanes in groups of 16 (AVX-512) where the CPU has it.
func maxWindowWide(d, s []float32, c, kw, kh, rowStride int) {
	d = d[:c]
	_ = s[(kh-1)*rowStride+kw*c-1]
	if hasConv512 && c >= 16 {
		g := c / 16
		maxWindow16(&d[0], &s[0], g, c, kw, kh, rowStride)
		if j := g * 16; j < c {
			copy(d[j:], s[j:c])
			for ky := 0; ky < kh; ky++ {
				for kx := 0; kx < kw; kx++ {
					o := ky*rowStride + kx*c
					src := s[o+j : o+c]
					dd := d[j:]
					dd = dd[:len(src)]
					for i, v := range src {
						dd[i] = max(dd[i], v)
					}
				}
			}
		}
		return
	}
	maxWindow(d, s, c, kw, kh, rowStride)
}
