package layers

import (
	"math"
	"slices"
	"sync"

	"github.com/kerasgo/kerasgo/tensor"
)

// rnnCache keeps what Backward needs from a training Forward, per step in processing order.
type rnnCache struct {
	x      *tensor.Tensor
	batch  int
	hPrev  [][]float32   // state before each step (batch, units)
	cPrev  [][]float32   // LSTM cell state before each step
	pre    [][][]float32 // [step][gate] pre-activations (batch, units)
	post   [][][]float32 // [step][gate] activations
	extra  [][]float32   // LSTM act(c); GRU reset_after h·U_h+b; GRU !reset_after r·h
	yShape []int
	mask   []bool // the call's mask (batch·timesteps), nil when none
	nIn    int    // the tensors of the call (ForwardIO: 1 + initial states)
}

// initRecurrent fills the recurrent kernel as the Orthogonal initializer does (gain from the
// config), or with initializer o when it is another class.
func initRecurrent(w *Weight, o *kerasObject, rng *Rand) {
	if o != nil && o.Class != "Orthogonal" {
		initWeight(w, o, "Orthogonal", w.Value.Shape[0], w.Value.Shape[1], rng)
		return
	}
	if rng.noData() {
		return
	}
	if rng == nil {
		rng = NewRand(0)
	}
	gain := 1.0
	if o != nil {
		if g, ok := o.Config["gain"].(float64); ok {
			gain = g
		}
	}
	rows, cols := w.Value.Shape[0], w.Value.Shape[1]
	// Orthonormal rows (rows ≤ cols) or columns by Gram-Schmidt over normal samples.
	n, m := rows, cols
	if n > m {
		n, m = m, n
	}
	q := make([][]float64, n)
	for i := range q {
		for {
			v := make([]float64, m)
			for j := range v {
				v[j] = rng.Norm()
			}
			for _, p := range q[:i] {
				var d float64
				for j := range v {
					d += v[j] * p[j]
				}
				for j := range v {
					v[j] -= d * p[j]
				}
			}
			var s float64
			for _, e := range v {
				s += e * e
			}
			if s > 1e-12 {
				s = math.Sqrt(s)
				for j := range v {
					v[j] /= s
				}
				q[i] = v
				break
			}
		}
	}
	data := w.Value.Float32s()
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			v := 0.0
			if rows <= cols {
				v = q[i][j]
			} else {
				v = q[j][i]
			}
			data[i*cols+j] = float32(gain * v)
		}
	}
}

// Forward runs the cell over the time axis from a zero state.
func (l *rnn) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	y, _, _, err := l.forwardState(x, nil, nil, training)
	return y, err
}

// forwardState runs the cell over the time axis from the initial state h0 (and c0 for an
// LSTM; nil: zeros) and also returns the final state. Under a mask the outputs are Keras's:
// the steps' outputs start from zeros, not from the initial state (zeroedOutputs).
func (l *rnn) forwardState(x *tensor.Tensor, h0, c0 []float32, training bool) (*tensor.Tensor, []float32, []float32, error) {
	y, h, c, err := l.forwardRun(x, h0, c0, training)
	if err == nil && l.mask != nil {
		if z := l.zeroedOutputs(l.mask, x.Shape[0], h0 != nil); z != nil {
			l.applyZeroed(y.Float32s(), z, x.Shape[0])
		}
	}
	return y, h, c, err
}

// zeroedOutputs marks, per sample b and processing step s (b·T+s), the outputs that Keras's
// rnn gives as zeros where the kept state need not be: a masked step outputs the previous
// step's output, which starts from zeros (not from the initial state: the steps before a
// sample's first unmasked step, when the call was given initial states), or zeros with
// zero_output_for_mask. It is nil when no output is zeroed.
func (l *rnn) zeroedOutputs(mask []bool, B int, initial bool) []bool {
	if mask == nil || (!initial && !l.zeroOut) {
		return nil
	}
	T := l.steps
	var z []bool
	for b := 0; b < B; b++ {
		seen := false // an unmasked step came
		for s := 0; s < T; s++ {
			ts := s
			if l.backwards {
				ts = T - 1 - s
			}
			if mask[b*T+ts] {
				seen = true
				continue
			}
			if l.zeroOut || !seen {
				if z == nil {
					z = make([]bool, B*T)
				}
				z[b*T+s] = true
			}
		}
	}
	return z
}

// applyZeroed zeroes the outputs (or their gradients) that zeroedOutputs marks in y, the
// layer's output (B, T, units) or, without return_sequences, its last step's (B, units).
func (l *rnn) applyZeroed(y []float32, z []bool, B int) {
	T, U := l.steps, l.units
	for b := 0; b < B; b++ {
		if !l.returnSeq {
			if z[b*T+T-1] {
				clear(y[b*U : (b+1)*U])
			}
			continue
		}
		for s := 0; s < T; s++ {
			if z[b*T+s] {
				clear(y[(b*T+s)*U : (b*T+s+1)*U])
			}
		}
	}
}

// forwardRun is forwardState before the masked outputs are zeroed.
func (l *rnn) forwardRun(x *tensor.Tensor, h0, c0 []float32, training bool) (*tensor.Tensor, []float32, []float32, error) {
	if err := checkInput(x, l.inShape, l.class, l.name); err != nil {
		return nil, nil, nil, err
	}
	B, T, D, U, G := x.Shape[0], l.steps, l.inDim, l.units, l.gates()
	GU := G * U
	kd, rk := l.kernel.Value.Float32s(), l.recKernel.Value.Float32s()
	var inBias, recBias []float32
	if l.bb != nil {
		b := l.bb.Value.Float32s()
		inBias = b[:GU]
		if l.biasRows() == 2 {
			recBias = b[GU:]
		}
	}
	// Input projections of every step at once: (B·T, GU).
	xz := make([]float32, B*T*GU)
	if inBias != nil {
		for r := 0; r < B*T; r++ {
			copy(xz[r*GU:(r+1)*GU], inBias)
		}
	}
	beta := float32(0)
	if inBias != nil {
		beta = 1
	}
	xd := x.Float32s()
	parallelFor(B*T, func(_, lo, hi int) {
		gemm(false, false, hi-lo, GU, D, 1, xd[lo*D:hi*D], D, kd, GU, beta, xz[lo*GU:hi*GU], GU)
	})
	mask := l.mask
	if mask != nil && len(mask) != B*T {
		return nil, nil, nil, layerErr(ErrShape, l.class, l.name, "mask of %d steps for a batch of %d x %d", len(mask), B, T)
	}
	if !training {
		var y *tensor.Tensor
		var hT, cT []float32
		if l.kind == kindGRU {
			y, hT = l.forwardFusedGRU(xz, B, h0, recBias, mask)
		} else {
			y, hT, cT = l.forwardFused(xz, B, h0, c0, mask)
		}
		l.cache = nil
		return y, hT, cT, nil
	}
	var c *rnnCache
	if training {
		c = &rnnCache{x: x, batch: B, mask: mask}
	}
	var hOld, cOld []float32
	if mask != nil {
		hOld = make([]float32, B*U)
		cOld = make([]float32, B*U)
	}
	outShape, y, h, cs := l.initStates(B, h0, c0)
	hz := make([]float32, B*GU)
	// The recurrent kernel packed once for the call's T products (the columns of the gates
	// it feeds; GRU without reset_after multiplies its h-gate block by r·h separately).
	recCols := GU
	if l.kind == kindGRU && !l.resetAfter {
		recCols = 2 * U
	}
	pk := getPackedB()
	defer putPackedB(pk)
	packBFor(gemmKernel, pk, false, U, recCols, rk, GU)
	var pkh *packedB
	if l.kind == kindGRU && !l.resetAfter {
		pkh = getPackedB()
		defer putPackedB(pkh)
		packBFor(gemmKernel, pkh, false, U, U, rk[2*U:], GU)
	}
	// Training (inference returned above) keeps each step's buffers in the cache.
	var pre, post [][]float32
	var extra, cz, hh []float32
	newStep := func() {
		pre = make([][]float32, G)
		post = make([][]float32, G)
		for g := range pre {
			pre[g] = make([]float32, B*U)
			post[g] = make([]float32, B*U)
		}
		extra = nil
		if l.kind != kindSimple {
			extra = make([]float32, B*U)
		}
		if l.kind == kindLSTM {
			cz = make([]float32, B*U)
		}
		if pkh != nil {
			hh = make([]float32, B*U)
		}
	}
	for s := 0; s < T; s++ {
		ts := s
		if l.backwards {
			ts = T - 1 - s
		}
		if mask != nil {
			copy(hOld, h)
			copy(cOld, cs)
		}
		newStep()
		// pre[g] = xz[:, ts, g] (+ h·RK_g for all but GRU's h gate without reset_after).
		gemmPacked(B, h, U, pk, 0, hz, GU)
		if recBias != nil {
			for b := 0; b < B; b++ {
				r := hz[b*GU : (b+1)*GU]
				for j, v := range recBias {
					r[j] += v
				}
			}
		}
		for b := 0; b < B; b++ {
			xr := xz[(b*T+ts)*GU : (b*T+ts+1)*GU]
			hr := hz[b*GU : (b+1)*GU]
			for g := 0; g < G; g++ {
				p := pre[g][b*U : (b+1)*U]
				copy(p, xr[g*U:(g+1)*U])
				if l.kind == kindGRU && g == 2 {
					continue // the h gate combines below
				}
				for j := range p {
					p[j] += hr[g*U+j]
				}
			}
		}
		switch l.kind {
		case kindSimple:
			l.act.apply(pre[0], post[0], U)
		case kindLSTM:
			l.recAct.apply(pre[0], post[0], U)
			l.recAct.apply(pre[1], post[1], U)
			l.act.apply(pre[2], post[2], U)
			l.recAct.apply(pre[3], post[3], U)
			if training {
				c.cPrev = append(c.cPrev, slices.Clone(cs))
			}
			for i := range cs {
				cs[i] = post[1][i]*cs[i] + post[0][i]*post[2][i]
			}
			copy(cz, cs) // act may write its output over its input
			l.act.apply(cz, extra, U)
			if training && l.act.needZ {
				// act's backward needs its input: keep c in pre of a fifth slot.
				pre = append(pre, slices.Clone(cs))
			}
		case kindGRU:
			l.recAct.apply(pre[0], post[0], U)
			l.recAct.apply(pre[1], post[1], U)
			if l.resetAfter {
				for b := 0; b < B; b++ {
					copy(extra[b*U:(b+1)*U], hz[b*GU+2*U:(b+1)*GU])
				}
				for i := range extra {
					pre[2][i] += post[1][i] * extra[i]
				}
			} else {
				for i := range extra {
					extra[i] = post[1][i] * h[i]
				}
				gemmPacked(B, extra, U, pkh, 0, hh, U)
				for i := range hh {
					pre[2][i] += hh[i]
				}
			}
			l.act.apply(pre[2], post[2], U)
		}
		if training {
			c.hPrev = append(c.hPrev, slices.Clone(h))
			c.pre = append(c.pre, pre)
			c.post = append(c.post, post)
			c.extra = append(c.extra, extra)
		}
		switch l.kind {
		case kindSimple:
			copy(h, post[0])
		case kindLSTM:
			for i := range h {
				h[i] = post[3][i] * extra[i]
			}
		case kindGRU:
			for i := range h {
				z := post[0][i]
				h[i] = z*h[i] + (1-z)*post[2][i]
			}
		}
		// A masked step keeps the previous state (and output), as Keras's rnn does.
		for b := 0; mask != nil && b < B; b++ {
			if !mask[b*T+ts] {
				copy(h[b*U:(b+1)*U], hOld[b*U:(b+1)*U])
				if cs != nil {
					copy(cs[b*U:(b+1)*U], cOld[b*U:(b+1)*U])
				}
			}
		}
		if l.returnSeq {
			for b := 0; b < B; b++ {
				if mask != nil && !mask[b*T+ts] && l.zeroOut {
					continue // zero_output_for_mask: the output stays zero
				}
				copy(y[(b*T+s)*U:(b*T+s+1)*U], h[b*U:(b+1)*U])
			}
		}
	}
	if !l.returnSeq {
		copy(y, h)
	}
	if training {
		c.yShape = outShape
	}
	l.cache = c
	return tensor.MustFromFloat32(outShape, y), h, cs, nil
}

// initStates makes a call's buffers: the output y, of outShape ((B, U), or (B, T, U) with
// return_sequences), the state h and, for LSTM, the cell state c (nil for the others), B·U
// each, from h0 and c0 (zeros where nil).
func (l *rnn) initStates(B int, h0, c0 []float32) (outShape []int, y, h, c []float32) {
	outShape = []int{B, l.units}
	if l.returnSeq {
		outShape = []int{B, l.steps, l.units}
	}
	y = make([]float32, tensorLen(outShape))
	h = make([]float32, B*l.units)
	if h0 != nil {
		copy(h, h0)
	}
	if l.kind == kindLSTM {
		c = make([]float32, B*l.units)
		if c0 != nil {
			copy(c, c0)
		}
	}
	return outShape, y, h, c
}

// forwardFused is the inference recurrence of LSTM and SimpleRNN (no recurrent bias) over
// the input projections xz (B·T rows of G·U, bias included), which it overwrites: each
// step's recurrent product is added straight into the step's rows of xz (through the
// kernel packed once), then one pass per sample applies the gates and updates the state.
// A masked sample skips the update and keeps its state. The buffers are the call's, reused
// by every step.
func (l *rnn) forwardFused(xz []float32, B int, h0, c0 []float32, mask []bool) (*tensor.Tensor, []float32, []float32) {
	T, U, G := l.steps, l.units, l.gates()
	GU := G * U
	outShape, y, h, cs := l.initStates(B, h0, c0)
	pk := getPackedB()
	defer putPackedB(pk)
	packBFor(gemmKernel, pk, false, U, GU, l.recKernel.Value.Float32s(), GU)
	post := make([]float32, GU) // one sample's activated gates
	cz := make([]float32, 2*U)  // one sample's new cell state and act of it
	for s := 0; s < T; s++ {
		ts := s
		if l.backwards {
			ts = T - 1 - s
		}
		// Rows b·T+ts of xz, T·GU apart: z = x·W + b + h·U.
		zt := xz[ts*GU:]
		gemmPacked(B, h, U, pk, 1, zt, T*GU)
		for b := 0; b < B; b++ {
			if mask != nil && !mask[b*T+ts] {
				continue
			}
			z := zt[b*T*GU : b*T*GU+GU]
			hr := h[b*U : (b+1)*U]
			if l.kind == kindSimple {
				l.act.apply(z, post, U)
				copy(hr, post)
				continue
			}
			l.recAct.apply(z[:2*U], post[:2*U], U) // i, f
			l.act.apply(z[2*U:3*U], post[2*U:3*U], U)
			l.recAct.apply(z[3*U:], post[3*U:], U) // o
			ig, fg, gg, og := post[:U], post[U:2*U], post[2*U:3*U], post[3*U:]
			cr := cs[b*U : (b+1)*U]
			cn, ct := cz[:U], cz[U:]
			for j := range cr {
				cr[j] = fg[j]*cr[j] + ig[j]*gg[j]
			}
			copy(cn, cr)
			l.act.apply(cn, ct, U)
			for j := range hr {
				hr[j] = og[j] * ct[j]
			}
		}
		if l.returnSeq {
			for b := 0; b < B; b++ {
				if mask != nil && !mask[b*T+ts] && l.zeroOut {
					continue // zero_output_for_mask: the output stays zero
				}
				copy(y[(b*T+s)*U:(b*T+s+1)*U], h[b*U:(b+1)*U])
			}
		}
	}
	if !l.returnSeq {
		copy(y, h)
	}
	return tensor.MustFromFloat32(outShape, y), h, cs
}

// forwardFusedGRU is the inference recurrence of GRU over the input projections xz (B·T
// rows of 3·U, input bias included): per step one product h·U through the kernel packed
// once (all three gates with reset_after, whose recurrent bias recBias is added to it; z and
// r only without, where (r·h)·U_h is a second product), then one pass per sample over
// call-owned buffers. A masked sample keeps its state.
func (l *rnn) forwardFusedGRU(xz []float32, B int, h0, recBias []float32, mask []bool) (*tensor.Tensor, []float32) {
	T, U := l.steps, l.units
	GU := 3 * U
	outShape, y, h, _ := l.initStates(B, h0, nil)
	rk := l.recKernel.Value.Float32s()
	recCols := GU
	if !l.resetAfter {
		recCols = 2 * U
	}
	pk := getPackedB()
	defer putPackedB(pk)
	packBFor(gemmKernel, pk, false, U, recCols, rk, GU)
	var pkh *packedB
	var rh, hh []float32
	if !l.resetAfter {
		pkh = getPackedB()
		defer putPackedB(pkh)
		packBFor(gemmKernel, pkh, false, U, U, rk[2*U:], GU)
		rh, hh = make([]float32, B*U), make([]float32, B*U)
	}
	hz := make([]float32, B*GU)
	pre := make([]float32, GU)
	post := make([]float32, B*GU) // each sample's activated gates
	live := func(b, ts int) bool { return mask == nil || mask[b*T+ts] }
	// update finishes sample b's step from its h-gate pre-activation in pre[2U:].
	update := func(b int) {
		p := post[b*GU : (b+1)*GU]
		l.act.apply(pre[2*U:], p[2*U:], U)
		hr := h[b*U : (b+1)*U]
		zg, hg := p[:U], p[2*U:]
		for j := range hr {
			hr[j] = zg[j]*hr[j] + (1-zg[j])*hg[j]
		}
	}
	for s := 0; s < T; s++ {
		ts := s
		if l.backwards {
			ts = T - 1 - s
		}
		gemmPacked(B, h, U, pk, 0, hz, GU)
		for b := 0; b < B; b++ {
			if !live(b, ts) {
				continue
			}
			x := xz[(b*T+ts)*GU : (b*T+ts+1)*GU]
			r := hz[b*GU : (b+1)*GU]
			if recBias != nil {
				for j, v := range recBias {
					r[j] += v
				}
			}
			for j := range 2 * U {
				pre[j] = x[j] + r[j]
			}
			p := post[b*GU : (b+1)*GU]
			l.recAct.apply(pre[:2*U], p[:2*U], U) // z, r
			rg := p[U : 2*U]
			if l.resetAfter {
				for j := range U {
					pre[2*U+j] = x[2*U+j] + rg[j]*r[2*U+j]
				}
				update(b)
				continue
			}
			hr := h[b*U : (b+1)*U]
			for j := range U {
				rh[b*U+j] = rg[j] * hr[j]
			}
		}
		if !l.resetAfter {
			gemmPacked(B, rh, U, pkh, 0, hh, U)
			for b := 0; b < B; b++ {
				if !live(b, ts) {
					continue
				}
				x := xz[(b*T+ts)*GU+2*U : (b*T+ts+1)*GU]
				for j := range U {
					pre[2*U+j] = x[j] + hh[b*U+j]
				}
				update(b)
			}
		}
		if l.returnSeq {
			for b := 0; b < B; b++ {
				if !live(b, ts) && l.zeroOut {
					continue // zero_output_for_mask: the output stays zero
				}
				copy(y[(b*T+s)*U:(b*T+s+1)*U], h[b*U:(b+1)*U])
			}
		}
	}
	if !l.returnSeq {
		copy(y, h)
	}
	return tensor.MustFromFloat32(outShape, y), h
}

// packedBs recycles the packed recurrent kernels between calls.
var packedBs sync.Pool

func getPackedB() *packedB {
	if p, _ := packedBs.Get().(*packedB); p != nil {
		return p
	}
	return new(packedB)
}

func putPackedB(p *packedB) { packedBs.Put(p) }

func tensorLen(shape []int) int {
	n := 1
	for _, v := range shape {
		n *= v
	}
	return n
}

// actGrad writes dL/dz of activation a at (z, y) into dz.
func actGrad(a *activationFunc, z, y, dy []float32, last int) []float32 {
	dz := make([]float32, len(dy))
	a.grad(z, y, dy, dz, last)
	return dz
}

// Backward runs back through time: it fills the weight gradients and returns dL/dx.
func (l *rnn) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	dx, _, _, err := l.backwardState(dy, nil, nil)
	return dx, err
}

// backwardState is Backward given also the gradients of the final state (dhT, dcT; nil:
// zeros); it also returns the gradients of the initial state.
func (l *rnn) backwardState(dy *tensor.Tensor, dhT, dcT []float32) (*tensor.Tensor, []float32, []float32, error) {
	c := l.cache
	if c == nil {
		return nil, nil, nil, layerErr(ErrShape, l.class, l.name, "Backward without a training Forward")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, c.yShape) {
		return nil, nil, nil, layerErr(ErrShape, l.class, l.name, "dy shape mismatch, want %s", tensor.ShapeString(c.yShape))
	}
	B, T, D, U, G := c.batch, l.steps, l.inDim, l.units, l.gates()
	GU := G * U
	rk := l.recKernel.Value.Float32s()
	gy := dy.Float32s()
	if z := l.zeroedOutputs(c.mask, B, c.nIn > 1); z != nil {
		// Outputs forced to zeros take no gradient.
		gy = slices.Clone(gy)
		l.applyZeroed(gy, z, B)
	}
	dxz := make([]float32, B*T*GU)
	dRK := make([]float32, U*GU)
	var dRecBias []float32
	if l.biasRows() == 2 && l.bb != nil {
		dRecBias = make([]float32, GU)
	}
	dh := make([]float32, B*U)
	var dc []float32
	if l.kind == kindLSTM {
		dc = make([]float32, B*U)
	}
	if !l.returnSeq {
		copy(dh, gy)
	}
	for i, v := range dhT {
		dh[i] += v
	}
	for i, v := range dcT {
		dc[i] += v
	}
	da := make([]float32, B*GU) // gradients of the recurrent pre-activations per step
	for s := T - 1; s >= 0; s-- {
		ts := s
		if l.backwards {
			ts = T - 1 - s
		}
		masked := func(b int) bool { return c.mask != nil && !c.mask[b*T+ts] }
		if l.returnSeq {
			for b := 0; b < B; b++ {
				if masked(b) && l.zeroOut {
					continue
				}
				r := gy[(b*T+s)*U : (b*T+s+1)*U]
				for j, v := range r {
					dh[b*U+j] += v
				}
			}
		}
		// A masked step passes the state's gradient through unchanged: its rows take no part
		// in the step's gradients.
		var keepH, keepC map[int][]float32
		for b := 0; c.mask != nil && b < B; b++ {
			if masked(b) {
				if keepH == nil {
					keepH, keepC = map[int][]float32{}, map[int][]float32{}
				}
				keepH[b] = slices.Clone(dh[b*U : (b+1)*U])
				clear(dh[b*U : (b+1)*U])
				if dc != nil {
					keepC[b] = slices.Clone(dc[b*U : (b+1)*U])
					clear(dc[b*U : (b+1)*U])
				}
			}
		}
		pre, post, extra, hp := c.pre[s], c.post[s], c.extra[s], c.hPrev[s]
		dpre := make([][]float32, G)
		dhPrev := make([]float32, B*U)
		recCols := GU
		switch l.kind {
		case kindSimple:
			dpre[0] = actGrad(l.act, pre[0], post[0], dh, U)
		case kindLSTM:
			dtc := make([]float32, B*U)
			do := make([]float32, B*U)
			for i := range dh {
				do[i] = dh[i] * extra[i]
				dtc[i] = dh[i] * post[3][i]
			}
			var cz []float32
			if len(pre) > 4 {
				cz = pre[4]
			}
			dcz := actGrad(l.act, cz, extra, dtc, U)
			cp := c.cPrev[s]
			di, df, dg := make([]float32, B*U), make([]float32, B*U), make([]float32, B*U)
			for i := range dc {
				dc[i] += dcz[i]
				di[i] = dc[i] * post[2][i]
				df[i] = dc[i] * cp[i]
				dg[i] = dc[i] * post[0][i]
				dc[i] *= post[1][i]
			}
			dpre[0] = actGrad(l.recAct, pre[0], post[0], di, U)
			dpre[1] = actGrad(l.recAct, pre[1], post[1], df, U)
			dpre[2] = actGrad(l.act, pre[2], post[2], dg, U)
			dpre[3] = actGrad(l.recAct, pre[3], post[3], do, U)
		case kindGRU:
			dzg, dhh := make([]float32, B*U), make([]float32, B*U)
			for i := range dh {
				z := post[0][i]
				dzg[i] = dh[i] * (hp[i] - post[2][i])
				dhh[i] = dh[i] * (1 - z)
				dhPrev[i] = dh[i] * z
			}
			dpre[2] = actGrad(l.act, pre[2], post[2], dhh, U)
			dr := make([]float32, B*U)
			if l.resetAfter {
				for i := range dr {
					dr[i] = dpre[2][i] * extra[i]
				}
			} else {
				recCols = 2 * U
				// pre_h includes (r·h)·U_h: d(r·h) = dpre_h·U_hᵀ, dU_h = (r·h)ᵀ·dpre_h.
				drh := make([]float32, B*U)
				gemm(false, true, B, U, U, 1, dpre[2], U, rk[2*U:], GU, 0, drh, U)
				gemm(true, false, U, U, B, 1, extra, U, dpre[2], U, 1, dRK[2*U:], GU)
				for i := range dr {
					dr[i] = drh[i] * hp[i]
					dhPrev[i] += drh[i] * post[1][i]
				}
			}
			dpre[0] = actGrad(l.recAct, pre[0], post[0], dzg, U)
			dpre[1] = actGrad(l.recAct, pre[1], post[1], dr, U)
		}
		// Scatter into the step's input-projection gradient and the recurrent one.
		for b := 0; b < B; b++ {
			xr := dxz[(b*T+ts)*GU : (b*T+ts+1)*GU]
			ar := da[b*GU : (b+1)*GU]
			for g := 0; g < G; g++ {
				src := dpre[g][b*U : (b+1)*U]
				copy(xr[g*U:(g+1)*U], src)
				copy(ar[g*U:(g+1)*U], src)
				if l.kind == kindGRU && g == 2 && l.resetAfter {
					rr := post[1][b*U : (b+1)*U]
					for j := range src {
						ar[g*U+j] = src[j] * rr[j]
					}
				}
			}
		}
		// dRK[:, :recCols] += h_prevᵀ·da; dh_prev += da·RK[:, :recCols]ᵀ.
		gemm(true, false, U, recCols, B, 1, hp, U, da, GU, 1, dRK, GU)
		gemm(false, true, B, U, recCols, 1, da, GU, rk, GU, 1, dhPrev, U)
		if dRecBias != nil {
			for b := 0; b < B; b++ {
				for j, v := range da[b*GU : (b+1)*GU] {
					dRecBias[j] += v
				}
			}
		}
		for b, v := range keepH {
			copy(dhPrev[b*U:(b+1)*U], v)
			if dc != nil {
				copy(dc[b*U:(b+1)*U], keepC[b])
			}
		}
		dh = dhPrev
	}
	xd := c.x.Float32s()
	kd := l.kernel.Value.Float32s()
	dx := make([]float32, B*T*D)
	parallelFor(B*T, func(_, lo, hi int) {
		gemm(false, true, hi-lo, D, GU, 1, dxz[lo*GU:hi*GU], GU, kd, GU, 0, dx[lo*D:hi*D], D)
	})
	if l.trainable {
		gk := gradOf(l.kernel)
		gemm(true, false, D, GU, B*T, 1, xd, D, dxz, GU, 0, gk, GU)
		copy(gradOf(l.recKernel), dRK)
		if l.bb != nil {
			gb := gradOf(l.bb)
			clear(gb)
			for r := 0; r < B*T; r++ {
				for j, v := range dxz[r*GU : (r+1)*GU] {
					gb[j] += v
				}
			}
			if dRecBias != nil {
				copy(gb[GU:], dRecBias)
			}
		}
	}
	return tensor.MustFromFloat32(slices.Clone(c.x.Shape), dx), dh, dc, nil
}

// ForwardMasked is Forward skipping the time steps whose mask entry is false (mask:
// batch·timesteps, row-major), as Keras's recurrent layers do: a masked step keeps the
// previous state, and its output in a returned sequence is the previous output (zeros with
// zero_output_for_mask). A nil mask is Forward. Backward uses the call's mask.
func (l *rnn) ForwardMasked(x *tensor.Tensor, mask []bool, training bool) (*tensor.Tensor, error) {
	l.mask = mask
	defer func() { l.mask = nil }()
	return l.Forward(x, training)
}

// PassesMask reports whether the layer's output carries its input's mask on (a returned
// sequence).
func (l *rnn) PassesMask() bool { return l.returnSeq }
