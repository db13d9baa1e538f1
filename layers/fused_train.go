package layers

import (
	"math"

	"github.com/kerasgo/kerasgo/tensor"
)

// Fused training backward of Conv2D (relu or linear) → MaxPooling2D: the pool's dL/dx is
// never materialised. Conv2D's backward asks, chunk by chunk of images, for dL/dz; the
// pool's output gradients are routed straight into that chunk (in cache) to each window's
// first maximal cell, masked by the ReLU gradient of that cell. Windows whose maximum is
// not above zero send nothing through a ReLU and are not searched. The result is the
// unfused layers' (the same sums in the same order; the mask is per cell).

// BackwardFused runs the backward pass of the pair Conv2D → MaxPooling2D that ends ls
// (ls[len(ls)-2], ls[len(ls)-1]), when the pair's last training Forward calls chained (the
// pool pooled the convolution's output) and the pair qualifies (an ordinary convolution
// with relu or no activation, float32 policies). It returns the convolution's dL/dx and 2
// (the number of layers it ran); 0 layers (and no error) means the caller runs the layers
// one by one.
func BackwardFused(ls []Layer, dy *tensor.Tensor) (*tensor.Tensor, int, error) {
	if len(ls) < 2 {
		return nil, 0, nil
	}
	conv, _ := ls[len(ls)-2].(*Conv2D)
	pool, _ := ls[len(ls)-1].(*MaxPooling2D)
	if conv == nil || pool == nil || !fusableTrain(conv, pool) {
		return nil, 0, nil
	}
	g := &pool.g
	n := pool.xShape[0]
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, []int{n, g.oh, g.ow, g.c}) {
		return nil, 0, nil // the layer's own Backward reports it
	}
	dyd := dy.Float32s()
	relu := conv.act == reluActivation
	xd, yd := pool.trainX, pool.trainOut
	inLen, outSize, c := pool.inLen, g.oh*g.ow*g.c, g.c
	wide := hasConv512 && c%16 == 0
	fill := func(i0, i1 int, dz []float32) {
		var idx [16]int32
		clear(dz)
		for i := i0; i < i1; i++ {
			d := dz[(i-i0)*inLen : (i-i0+1)*inLen]
			img := xd[i*inLen : (i+1)*inLen]
			for oy := 0; oy < g.oh; oy++ {
				y0 := max(oy*g.sh-g.pt, 0)
				y1 := min(oy*g.sh-g.pt+g.kh, g.h)
				for ox := 0; ox < g.ow; ox++ {
					x0 := max(ox*g.sw-g.pl, 0)
					x1 := min(ox*g.sw-g.pl+g.kw, g.w)
					o := i*outSize + (oy*g.ow+ox)*c
					first := (y0*g.w + x0) * c
					dyo := dyd[o : o+c]
					if wide {
						// 16 channels at a time: the cells from winArg16, in cache.
						for b := 0; b < c; b += 16 {
							winArg16(&img[first+b], &yd[o+b], &idx, y1-y0, x1-x0, c, g.w*c)
							for lane, m := range yd[o+b : o+b+16] {
								if relu && m <= 0 {
									continue
								}
								at := first + b + lane + int(idx[lane])
								v := dyo[b+lane]
								if relu {
									mask := uint32((0 - int32(math.Float32bits(img[at]))) >> 31)
									v = math.Float32frombits(math.Float32bits(v) & mask)
								}
								d[at] += v
							}
						}
						continue
					}
					for ch, m := range yd[o : o+c] {
						if relu && m <= 0 {
							continue // the maximal cell's ReLU gradient is 0
						}
						at := windowArg(img, m, first+ch, y0, y1, x0, x1, g.w, c, ch)
						v := dyo[ch]
						if relu {
							// reluB's mask of the cell: y's bits as int32 above 0.
							mask := uint32((0 - int32(math.Float32bits(img[at]))) >> 31)
							v = math.Float32frombits(math.Float32bits(v) & mask)
						}
						d[at] += v
					}
				}
			}
		}
	}
	dx, err := conv.backward(nil, fill)
	if err != nil {
		return nil, 0, err
	}
	return dx, 2, nil
}

// fusableTrain reports whether BackwardFused can run conv → pool's backward: the pool's
// last training Forward pooled conv's last training output.
func fusableTrain(conv *Conv2D, pool *MaxPooling2D) bool {
	if conv.x == nil || conv.kernel == nil || !conv.plain() || !pool.trained {
		return false
	}
	if conv.act != reluActivation && !conv.act.identity {
		return false
	}
	if PolicyOf(conv) != PolicyFloat32 || PolicyOf(pool) != PolicyFloat32 {
		return false
	}
	yd := conv.y.Float32s()
	if len(yd) == 0 || len(pool.trainX) != len(yd) || &pool.trainX[0] != &yd[0] {
		return false
	}
	pg, cg := &pool.g, &conv.g
	return pg.h == cg.oh && pg.w == cg.ow && pg.c == conv.filters && pool.inLen == cg.oh*cg.ow*conv.filters
}
