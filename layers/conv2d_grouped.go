package layers

import "github.com/kerasgo/kerasgo/tensor"

// The path of a dilated or grouped Conv2D. Image by image and group by group, it gathers the
// group's channels at the dilated taps into an im2col matrix (oh·ow) × (kh·kw·in/groups) and
// multiplies it by the group's columns of the kernel, seen as a (kh·kw·in/groups) × filters
// matrix: group gi reads input channels [gi·cg, (gi+1)·cg) and writes filters
// [gi·fg, (gi+1)·fg). Plain convolutions (dilation 1, one group) never come here.

// groupDims returns the output positions per image P, the input channels cg and filters fg
// per group and the rows of one group's im2col matrix kg.
func (l *Conv2D) groupDims() (P, cg, fg, kg int) {
	g := &l.g
	cg = g.c / l.groups
	return g.oh * g.ow, cg, l.filters / l.groups, g.kh * g.kw * cg
}

// forwardGrouped is Forward for a dilated or grouped layer (x already checked).
// In inference its scratch comes from ws (see Workspace) and it writes nothing in the layer.
func (l *Conv2D) forwardGrouped(ws *Workspace, x *tensor.Tensor, training bool) *tensor.Tensor {
	var b *inferBufs
	if !training {
		b = ws.acquire(&l.infer)
		defer ws.release(b)
	}
	g := l.g
	n := x.Shape[0]
	P, cg, fg, kg := l.groupDims()
	F := l.filters
	inSize := g.h * g.w * g.c
	outShape := []int{n, g.oh, g.ow, F}
	z := make([]float32, n*P*F)
	y := z
	if l.act.needZ {
		y = make([]float32, len(z))
	}
	xd, kd := x.Float32s(), l.kernel.Value.Float32s()
	var bd []float32
	if l.bias != nil {
		bd = l.bias.Value.Float32s()
	}
	nw := workers(n)
	colsBuf := make([][]float32, nw)
	for w := range nw {
		if b != nil {
			colsBuf[w] = b.get(w, P*kg)
		} else {
			colsBuf[w] = l.buf(w, P*kg)
		}
	}
	if training {
		l.colsValid = false
	}
	parallelFor(n, func(wi, lo, hi int) {
		cols := colsBuf[wi]
		for i := lo; i < hi; i++ {
			img := xd[i*inSize : (i+1)*inSize]
			zi := z[i*P*F : (i+1)*P*F]
			beta := float32(0)
			if bd != nil {
				for p := 0; p < P; p++ {
					copy(zi[p*F:(p+1)*F], bd)
				}
				beta = 1
			}
			for gi := 0; gi < l.groups; gi++ {
				g.im2colGroup(img, cols, gi*cg, cg)
				gemm(false, false, P, fg, kg, 1, cols, kg, kd[gi*fg:], F, beta, zi[gi*fg:], F)
			}
			l.act.apply(zi, y[i*P*F:(i+1)*P*F], F)
		}
	})
	out := tensor.MustFromFloat32(outShape, y)
	if training {
		l.x, l.z, l.y = x, tensor.MustFromFloat32(outShape, z), out
	} else {
		l.clearTrainCache()
	}
	return out
}

// backwardGrouped is Backward for a dilated or grouped layer (dy already checked).
func (l *Conv2D) backwardGrouped(dy *tensor.Tensor) *tensor.Tensor {
	g := l.g
	n := l.x.Shape[0]
	P, cg, fg, kg := l.groupDims()
	F := l.filters
	inSize := g.h * g.w * g.c
	xd, kd := l.x.Float32s(), l.kernel.Value.Float32s()
	zd, yd, dyd := l.z.Float32s(), l.y.Float32s(), dy.Float32s()
	if cap(l.dzBuf) < len(dyd) {
		l.dzBuf = make([]float32, len(dyd))
	}
	dz := l.dzBuf[:len(dyd)]
	var dx []float32
	if !l.skipDX {
		dx = make([]float32, len(xd))
	}
	w := workers(n)
	dW := make([][]float32, w)
	dB := make([][]float32, w)
	colsBuf := make([][]float32, w)
	for i := range w {
		colsBuf[i] = l.buf(i, P*kg)
	}
	parallelFor(n, func(wi, lo, hi int) {
		pw := make([]float32, kg*F)
		pb := make([]float32, F)
		cols := colsBuf[wi]
		for i := lo; i < hi; i++ {
			s, e := i*P*F, (i+1)*P*F
			l.act.grad(zd[s:e], yd[s:e], dyd[s:e], dz[s:e], F)
			dzi := dz[s:e]
			for r := 0; r < P; r++ {
				for j, v := range dzi[r*F : (r+1)*F] {
					pb[j] += v
				}
			}
			img := xd[i*inSize : (i+1)*inSize]
			for gi := 0; gi < l.groups; gi++ {
				if l.trainable {
					g.im2colGroup(img, cols, gi*cg, cg)
					gemm(true, false, kg, fg, P, 1, cols, kg, dzi[gi*fg:], F, 1, pw[gi*fg:], F)
				}
				if dx != nil {
					// cols is free again: it takes dL/d(cols) of this group.
					gemm(false, true, P, kg, fg, 1, dzi[gi*fg:], F, kd[gi*fg:], F, 0, cols, kg)
					g.col2imGroup(cols, dx[i*inSize:(i+1)*inSize], gi*cg, cg)
				}
			}
		}
		dW[wi], dB[wi] = pw, pb
	})
	if l.trainable {
		sumInto(gradOf(l.kernel), dW)
		if l.bias != nil {
			sumInto(gradOf(l.bias), dB)
		}
	}
	if dx == nil {
		return nil
	}
	return tensor.MustFromFloat32(l.x.Shape, dx)
}
