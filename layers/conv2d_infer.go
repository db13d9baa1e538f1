package layers

import "github.com/kerasgo/kerasgo/tensor"

// Conv2D in inference mode. The output lives in a buffer the layer reuses (see inferBufs);
// the bias is written into each output row before its products are added, and the
// activation runs on the row right after, while it is still in cache: there is no separate
// pass over the activations, and no buffer is cleared that is overwritten anyway.

// convRowTile bounds the output floats one im2col GEMM call writes before its activation.
const convRowTile = 1 << 14

// forwardInfer is Forward(x, false) for a plain convolution.
func (l *Conv2D) forwardInfer(ws *Workspace, x *tensor.Tensor) *tensor.Tensor {
	p := l.ownParams()
	return l.forwardInferP(ws, x, &p)
}

// convParams are the weights and activation of one Conv2D inference call: the layer's own,
// or with a BatchNormalization's scale and shift applied to each row or tile before the
// activation (see InferFolded).
type convParams struct {
	kd, bd []float32 // kernel (kh, kw, c, F); bias (F; nil: none)
	sc, sh []float32 // per-channel scale and shift (nil: none)
	act    *activationFunc
}

// ownParams returns the layer's own weights and activation.
func (l *Conv2D) ownParams() convParams {
	p := convParams{kd: l.kernel.Value.Float32s(), act: l.act}
	if l.bias != nil {
		p.bd = l.bias.Value.Float32s()
	}
	return p
}

// forwardInferP is forwardInfer with the weights and activation p.
func (l *Conv2D) forwardInferP(ws *Workspace, x *tensor.Tensor, p *convParams) *tensor.Tensor {
	b := ws.acquire(&l.infer)
	defer ws.release(b)
	g := &l.g
	n := x.Shape[0]
	P, K := g.patch()
	F := l.filters
	y := b.out(0, n*P*F)
	z := y
	if p.act.needZ {
		z = b.get(1, n*P*F)
	}
	xd := x.Float32s()
	if l.direct512() && !g.trivial() && n > 0 {
		l.forwardInfer512P(b, xd, z, y, n, p)
		return b.view(0, y, n, g.oh, g.ow, F)
	}
	nw := workers(n)
	if hasDirectConvKernel && hasFMA && F%8 == 0 && !g.trivial() {
		scratch := make([][]float32, nw)
		for w := range nw {
			scratch[w] = b.get(2+w, directLeft*(K+F)+4*F)
		}
		parallelFor(n, func(wi, lo, hi int) {
			d := directConv{l: l, p: p, scratch: scratch[wi]}
			for i := lo; i < hi; i++ {
				d.image(xd, z, y, i)
			}
		})
	} else if g.trivial() {
		// A 1×1 convolution with stride 1: the input's rows are the GEMM's A as they are, so
		// the n·P rows are split in whole row tiles (gemmRows' own), and one image still uses
		// every core.
		rows, tile := n*P, max(1, convRowTile/F)
		parallelFor((rows+tile-1)/tile, func(_, lo, hi int) {
			r0, r1 := lo*tile, min(hi*tile, rows)
			l.gemmRows(xd[r0*K:r1*K], z[r0*F:r1*F], y[r0*F:r1*F], r1-r0, p)
		})
	} else {
		chunk := imagesPerChunk(P)
		cols := make([][]float32, nw)
		if !g.trivial() {
			for w := range nw {
				cols[w] = b.get(2+w, min(chunk, n)*P*K)
			}
		}
		parallelFor(n, func(wi, lo, hi int) {
			inSize := g.h * g.w * g.c
			for i0 := lo; i0 < hi; i0 += chunk {
				i1 := min(i0+chunk, hi)
				a := xd[i0*inSize : i1*inSize]
				if !g.trivial() {
					for i := i0; i < i1; i++ {
						g.im2col(xd[i*inSize:(i+1)*inSize], cols[wi][(i-i0)*P*K:(i-i0+1)*P*K])
					}
					a = cols[wi][:(i1-i0)*P*K]
				}
				l.gemmRows(a, z[i0*P*F:i1*P*F], y[i0*P*F:i1*P*F], (i1-i0)*P, p)
			}
		})
	}
	return b.view(0, y, n, g.oh, g.ow, F)
}

// gemmRows computes m output rows z = a·kernel + bias and y = act(z), in tiles of rows small
// enough that each tile's bias and activation run while it is in cache.
func (l *Conv2D) gemmRows(a, z, y []float32, m int, p *convParams) {
	_, K := l.g.patch()
	F := l.filters
	kd := p.kd
	tile := max(1, convRowTile/F)
	for r0 := 0; r0 < m; r0 += tile {
		r1 := min(r0+tile, m)
		zt := z[r0*F : r1*F]
		beta := float32(0)
		if p.bd != nil {
			fillRows(zt, p.bd)
			beta = 1
		}
		gemm(false, false, r1-r0, F, K, 1, a[r0*K:r1*K], K, kd, F, beta, zt, F)
		l.activateRowP(zt, y[r0*F:r1*F], p)
	}
}

// fillRows writes row (len(row) floats) into every row of dst (a whole number of rows),
// doubling the filled part with each copy.
func fillRows(dst, row []float32) {
	n := copy(dst, row)
	for n > 0 && n < len(dst) {
		n += copy(dst[n:], dst[:n])
	}
}

// reluActivation is the plain "relu" activation, which activateRow runs in AVX.
var reluActivation = activations["relu"]

// activateRowP applies p's scale and shift (when set), then p's activation, to one block of
// rows z into y.
func (l *Conv2D) activateRowP(z, y []float32, p *convParams) {
	if p.sc != nil {
		affineRows(z, p.sc, p.sh)
	}
	act := p.act
	act.apply(z, y, l.filters) // relu: eight floats at a time where the CPU can (reluF)
}

// directLeft is how many gathered output positions directConv multiplies at once.
const directLeft = 64

// directConv computes images without materialising the im2col matrix, one output row at a
// time: blocks of four positions whose windows lie inside the image go straight through the
// implicit-im2col kernel (convBlock); a row's last positions that do not fill a block are
// taken from one more block that overlaps the previous one; the remaining positions
// (padding) are gathered into a small im2col buffer and multiplied by one GEMM per row.
type directConv struct {
	l       *Conv2D
	p       *convParams
	scratch []float32 // directLeft*K gathered rows, directLeft*F their products, a 4×F tile
	idx     [directLeft]int
	nLeft   int
}

// image computes output image i of z (pre-activation) and y = act(z).
func (d *directConv) image(xd, z, y []float32, i int) {
	l := d.l
	g := &l.g
	P, K := g.patch()
	F := l.filters
	kd, bd := d.p.kd, d.p.bd
	inSize := g.h * g.w * g.c
	img := xd[i*inSize : (i+1)*inSize]
	xlo, xhi := g.interiorX()
	rowLen := g.ow * F
	for oy := 0; oy < g.oh; oy++ {
		o := i*P*F + oy*rowLen
		row := z[o : o+rowLen]
		if bd != nil {
			fillRows(row, bd)
		} else {
			clear(row)
		}
		iy0 := oy*g.sh - g.pt
		if iy0 < 0 || iy0+g.kh > g.h {
			for ox := 0; ox < g.ow; ox++ {
				d.gather(img, row, oy, ox)
			}
		} else {
			ox := 0
			for ; ox < xlo; ox++ {
				d.gather(img, row, oy, ox)
			}
			block := func(ox int, c []float32, coff int) {
				convBlock(g.kh, g.kw*g.c, g.w*g.c, g.sw*g.c, img, (iy0*g.w+ox*g.sw-g.pl)*g.c, kd, F, F, c, coff, F)
			}
			for ; ox+4 <= xhi; ox += 4 {
				block(ox, row, ox*F)
			}
			if ox < xhi && xhi-xlo >= 4 {
				// The last block overlaps the previous one: compute it aside, keep the
				// new positions.
				base := xhi - 4
				t := d.scratch[directLeft*(K+F) : directLeft*(K+F)+4*F]
				clear(t)
				block(base, t, 0)
				addRows(row[ox*F:xhi*F], t[(ox-base)*F:])
				ox = xhi
			}
			for ; ox < g.ow; ox++ {
				d.gather(img, row, oy, ox)
			}
		}
		d.flush(row)
		l.activateRowP(row, y[o:o+rowLen], d.p)
	}
}

// gather adds output position (oy, ox) to the rows multiplied by the next flush.
func (d *directConv) gather(img, row []float32, oy, ox int) {
	_, K := d.l.g.patch()
	d.l.g.patchRow(img, oy, ox, d.scratch[d.nLeft*K:(d.nLeft+1)*K])
	d.idx[d.nLeft] = ox
	d.nLeft++
	if d.nLeft == directLeft {
		d.flush(row)
	}
}

// flush multiplies the gathered rows by the kernel and adds the products into row.
func (d *directConv) flush(row []float32) {
	m := d.nLeft
	if m == 0 {
		return
	}
	_, K := d.l.g.patch()
	F := d.l.filters
	out := d.scratch[directLeft*K : directLeft*K+m*F]
	gemm(false, false, m, F, K, 1, d.scratch[:m*K], K, d.p.kd, F, 0, out, F)
	for r, ox := range d.idx[:m] {
		addRows(row[ox*F:(ox+1)*F], out[r*F:(r+1)*F])
	}
	d.nLeft = 0
}

// addRows adds src into dst (len(dst) floats).
func addRows(dst, src []float32) {
	src = src[:len(dst)]
	for j, v := range src {
		dst[j] += v
	}
}
