package layers

import "unsafe"

// Conv2D's kernel gradient without im2col rows (AVX-512): for each output row of an image,
// convDW9x16 adds x[tap] · dL/dz[position, 16 filters] over the row's positions for nine
// taps (kernel cells (ky, kx, channel)) at a time, reading x in place. It applies to
// ordinary convolutions whose windows all lie inside the image (valid padding, or "same"
// that pads nothing) with filters in multiples of 16.

// directDW reports whether Backward computes the kernel gradient with convDW9x16.
func (l *Conv2D) directDW() bool {
	g := &l.g
	return hasConv512 && l.plain() && !g.trivial() && l.filters%16 == 0 && g.pt == 0 && g.pl == 0 &&
		g.oh > 0 && g.ow > 0 && (g.oh-1)*g.sh+g.kh <= g.h && (g.ow-1)*g.sw+g.kw <= g.w
}

// dwTaps returns the byte offsets of the kernel's taps from a window's first cell, nine per
// pass (the last pass padded with offset 0, whose sums are dropped).
func (g *geom) dwTaps() [][9]int {
	_, K := g.patch()
	taps := make([][9]int, (K+8)/9)
	t := 0
	for ky := range g.kh {
		for kx := range g.kw {
			for ci := range g.c {
				taps[t/9][t%9] = ((ky*g.w+kx)*g.c + ci) * 4
				t++
			}
		}
	}
	return taps
}

// kernelGradDirect adds the kernel gradient of images x (whole images, h·w·c each) with
// dL/dz dz (their outputs' rows, F filters) into acc, laid out as pass × 16-filter block ×
// 9 taps × 16 (see foldDW).
func (l *Conv2D) kernelGradDirect(x, dz, acc []float32, taps [][9]int) {
	g := &l.g
	F := l.filters
	nb := F / 16
	inSize, outSize := g.h*g.w*g.c, g.oh*g.ow*F
	n := len(x) / inSize
	_ = acc[len(taps)*nb*144-1]
	_ = dz[n*outSize-1]
	for i := range n {
		img := x[i*inSize : (i+1)*inSize]
		dzi := dz[i*outSize : (i+1)*outSize]
		for p := range taps {
			for b := range nb {
				a := &acc[(p*nb+b)*144]
				for oy := range g.oh {
					convDW9x16(&img[oy*g.sh*g.w*g.c], &dzi[oy*g.ow*F+b*16], a, g.ow, g.sw*g.c*4, F*4, &taps[p])
				}
			}
		}
	}
}

// foldDW adds acc (kernelGradDirect's layout) into the kernel gradient pw (K × F).
func foldDW(pw, acc []float32, K, F int) {
	nb := F / 16
	for t := range K {
		p, k := t/9, t%9
		row := pw[t*F : (t+1)*F]
		for b := range nb {
			src := acc[(p*nb+b)*144+k*16 : (p*nb+b)*144+k*16+16]
			dst := row[b*16 : b*16+16]
			for j, v := range src {
				dst[j] += v
			}
		}
	}
}

// convDW9x16Go is convDW9x16 in Go (the reference of its test, and the kernel where there
// is no assembly).
func convDW9x16Go(x, dz unsafe.Pointer, acc *float32, npos, xstep, dzstep int, offs *[9]int) {
	a := (*[144]float32)(unsafe.Pointer(acc))
	for p := range npos {
		d := (*[16]float32)(unsafe.Add(dz, p*dzstep))
		for t, o := range offs {
			v := *(*float32)(unsafe.Add(x, p*xstep+o))
			r := a[t*16 : t*16+16]
			for j := range r {
				r[j] += v * d[j]
			}
		}
	}
}

// sumRows16Go is sumRows16 in Go.
func sumRows16Go(acc *float32, d unsafe.Pointer, rows, stride int) {
	a := (*[16]float32)(unsafe.Pointer(acc))
	for r := range rows {
		row := (*[16]float32)(unsafe.Add(d, r*stride))
		for j := range a {
			a[j] += row[j]
		}
	}
}

// winArg16Go is winArg16 in Go: per lane, windowArg's cell as an offset from s.
func winArg16Go(s unsafe.Pointer, m *float32, idx *[16]int32, kh, kw, c, wc int) {
	ms := (*[16]float32)(unsafe.Pointer(m))
	for lane, mv := range ms {
		idx[lane] = 0
	cells:
		for iy := range kh {
			for ix := range kw {
				o := iy*wc + ix*c
				v := *(*float32)(unsafe.Add(s, 4*(o+lane)))
				if v == mv || (mv != mv && v != v) {
					idx[lane] = int32(o)
					break cells
				}
			}
		}
	}
}
