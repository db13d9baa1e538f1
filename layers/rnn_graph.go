package layers

import (
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Graph returns the recurrent layer's inference computation as TF ops, unrolled over the
// input's known number of time steps (TF's own graph has a While loop; the input shapes of a
// saved model are fixed, so the unrolled graph computes the same): per step a StridedSlice of
// x, the kernel and recurrent-kernel MatMuls, the gates' StridedSlices and activations; the
// zero initial state drops the recurrent terms of the first step. return_sequences stacks the
// steps' outputs with Pack (in processing order, as Keras returns them with go_backwards).
func (l *rnn) Graph() (*saved.LayerGraph, error) { return l.graphMask(false, false) }

// GraphInitialState is Graph for a call passing initial_state: the states are the call's
// inputs after the first ("$in1": h, "$in2": LSTM's c), of shape (units).
func (l *rnn) GraphInitialState() (*saved.LayerGraph, error) { return l.graphMask(false, true) }

// StateGrapher is a recurrent layer whose TF graph can take initial_state as extra inputs
// (GraphInitialState); its return_state outputs are LayerGraph.MoreOutputs.
type StateGrapher interface {
	GraphInitialState() (*saved.LayerGraph, error)
}

// GraphMasked is Graph for a call that a Keras mask reaches (read as "$mask", bool (batch,
// steps)): a masked step keeps the previous state (zeros before the first step) and output,
// as Keras's backend rnn; with zero_output_for_mask the masked steps' outputs are zeros.
func (l *rnn) GraphMasked() (*saved.LayerGraph, error) {
	g, err := l.graphMask(true, false)
	if err == nil {
		g.PassesMask = l.returnSeq
	}
	return g, err
}

// GraphMaskedInitialState is GraphMasked for a call passing initial_state ("$in1", LSTM's
// "$in2"): a masked step keeps the previous state, from the initial one; its output keeps the
// previous output, which (as in Keras's backend rnn) starts from zeros, not from the initial
// state: the steps before a sample's first unmasked step output zeros, and a fully masked
// sample's last output is zeros while its returned states are the initial ones.
func (l *rnn) GraphMaskedInitialState() (*saved.LayerGraph, error) {
	g, err := l.graphMask(true, true)
	if err == nil {
		g.PassesMask = l.returnSeq
	}
	return g, err
}

// MaskedStateGrapher is a StateGrapher whose call passing initial_state can also use a Keras
// mask reaching it (GraphMaskedInitialState, reading "$mask").
type MaskedStateGrapher interface {
	GraphMaskedInitialState() (*saved.LayerGraph, error)
}

func (l *rnn) graphMask(masked, initial bool) (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph(l.class, l.name)
	}
	g := newGraphBuilder(l.class, l.name)
	T, U := l.steps, l.units
	i32 := saved.TypeAttr(tensor.Int32)
	slice := func(name, x string, begin, end, strides []int32, beginMask, endMask, shrink int64) string {
		b := g.int32Const(name+"/stack", begin)
		e := g.int32Const(name+"/stack_1", end)
		st := g.int32Const(name+"/stack_2", strides)
		return g.op(name, "StridedSlice", []string{x, b, e, st}, map[string]saved.Attr{
			"T": saved.TypeAttr(tensor.Float32), "Index": i32,
			"begin_mask": saved.IntAttr(beginMask), "end_mask": saved.IntAttr(endMask),
			"ellipsis_mask": saved.IntAttr(0), "new_axis_mask": saved.IntAttr(0), "shrink_axis_mask": saved.IntAttr(shrink)})
	}
	// cols takes columns [lo, hi) of a (batch, n) matrix; vec the entries [lo, hi) of a vector.
	cols := func(x string, lo, hi int) string {
		return slice("strided_slice", x, []int32{0, int32(lo)}, []int32{0, int32(hi)}, []int32{1, 1}, 1, 1, 0)
	}
	vec := func(x string, lo, hi int) string {
		return slice("strided_slice", x, []int32{int32(lo)}, []int32{int32(hi)}, []int32{1}, 0, 0, 0)
	}
	add := func(a, b string) string { return g.fop("add", "AddV2", a, b) }
	mul := func(a, b string) string { return g.fop("mul", "Mul", a, b) }
	matmul := func(a, b string) string {
		return g.op("MatMul", "MatMul", []string{a, b}, tAttrs(map[string]saved.Attr{
			"transpose_a": saved.BoolAttr(false), "transpose_b": saved.BoolAttr(false)}))
	}
	k := g.read("kernel", "MatMul")
	rk := g.read("recurrent_kernel", "MatMul_1")
	var inB, recB string
	if l.bb != nil {
		b := g.read("bias", "BiasAdd")
		inB = b
		if l.biasRows() == 2 {
			// (2, 3·units): the input bias, then the recurrent one.
			inB = slice("unstack", b, []int32{0, 0}, []int32{1, 0}, []int32{1, 1}, 2, 2, 1)
			recB = slice("unstack", b, []int32{1, 0}, []int32{2, 0}, []int32{1, 1}, 2, 2, 1)
		}
	}
	var rkZR, rkH string
	if l.kind == kindGRU && !l.resetAfter {
		rkZR, rkH = cols(rk, 0, 2*U), cols(rk, 2*U, 3*U)
	}
	one := ""
	if l.kind == kindGRU {
		one = g.scalar("sub/x", 1)
	}
	h, c := "", "" // "" is the zero initial state
	nStates := 1
	if l.kind == kindLSTM {
		nStates = 2
	}
	if initial {
		h = "$in1"
		if l.kind == kindLSTM {
			c = "$in2"
		}
	}
	var outs []string
	o := "" // the output of the last step ("" is zeros: Keras's outputs start from zeros)
	for s := 0; s < T; s++ {
		ts := int32(s)
		if l.backwards {
			ts = int32(T - 1 - s)
		}
		hPrev, cPrev := h, c
		mt := ""
		if masked {
			b := g.int32Const("mask_slice/stack", []int32{0, ts})
			e := g.int32Const("mask_slice/stack_1", []int32{0, ts + 1})
			st := g.int32Const("mask_slice/stack_2", []int32{1, 1})
			mt = g.op("mask_slice", "StridedSlice", []string{"$mask", b, e, st}, map[string]saved.Attr{
				"T": saved.TypeAttr(tensor.Bool), "Index": i32,
				"begin_mask": saved.IntAttr(1), "end_mask": saved.IntAttr(1),
				"ellipsis_mask": saved.IntAttr(0), "new_axis_mask": saved.IntAttr(0), "shrink_axis_mask": saved.IntAttr(0)})
		}
		xt := slice("strided_slice", "$in", []int32{0, ts, 0}, []int32{0, ts + 1, 0}, []int32{1, 1, 1}, 5, 5, 2)
		xz := matmul(xt, k)
		if inB != "" {
			xz = g.fop("BiasAdd", "BiasAdd", xz, inB)
		}
		switch l.kind {
		case kindSimple:
			a := xz
			if h != "" {
				a = add(a, matmul(h, rk))
			}
			h = g.activation(l.act, a)
		case kindLSTM:
			z := xz
			if h != "" {
				z = add(z, matmul(h, rk))
			}
			ig := g.activation(l.recAct, cols(z, 0, U))
			fg := g.activation(l.recAct, cols(z, U, 2*U))
			cg := g.activation(l.act, cols(z, 2*U, 3*U))
			og := g.activation(l.recAct, cols(z, 3*U, 4*U))
			if c == "" {
				c = mul(ig, cg)
			} else {
				c = add(mul(fg, c), mul(ig, cg))
			}
			h = mul(og, g.activation(l.act, c))
		case kindGRU:
			xZ, xR, xH := cols(xz, 0, U), cols(xz, U, 2*U), cols(xz, 2*U, 3*U)
			var rZ, rR, rH string // recurrent terms ("" when zero)
			if l.resetAfter {
				switch {
				case h != "":
					hz := matmul(h, rk)
					if recB != "" {
						hz = g.fop("BiasAdd", "BiasAdd", hz, recB)
					}
					rZ, rR, rH = cols(hz, 0, U), cols(hz, U, 2*U), cols(hz, 2*U, 3*U)
				case recB != "":
					rZ, rR, rH = vec(recB, 0, U), vec(recB, U, 2*U), vec(recB, 2*U, 3*U)
				}
			} else if h != "" {
				hzr := matmul(h, rkZR)
				rZ, rR = cols(hzr, 0, U), cols(hzr, U, 2*U)
			}
			if rZ != "" {
				xZ, xR = add(xZ, rZ), add(xR, rR)
			}
			zg := g.activation(l.recAct, xZ)
			rg := g.activation(l.recAct, xR)
			switch {
			case l.resetAfter && rH != "":
				xH = add(xH, mul(rg, rH))
			case !l.resetAfter && h != "":
				xH = add(xH, matmul(mul(rg, h), rkH))
			}
			hh := g.activation(l.act, xH)
			nh := mul(g.fop("sub", "Sub", one, zg), hh)
			if h != "" {
				nh = add(mul(zg, h), nh)
			}
			h = nh
		}
		if masked {
			// A masked step keeps the previous state: SelectV2(mask_t, new, previous).
			keep := func(nw, prev string) string {
				if prev == "" {
					prev = g.fop("zeros_like", "ZerosLike", nw)
				}
				return g.fop("Select", "SelectV2", mt, nw, prev)
			}
			nh := h
			h = keep(nh, hPrev)
			if l.kind == kindLSTM {
				c = keep(c, cPrev)
			}
			switch {
			case l.zeroOut: // zero_output_for_mask: a masked step outputs zeros
				o = keep(nh, "")
			case initial:
				// The output keeps the previous output, which starts from zeros and not
				// from the initial state: zeros until the first unmasked step.
				o = keep(nh, o)
			default: // from zero states the kept output is the kept state
				o = h
			}
			outs = append(outs, o)
			continue
		}
		o = h
		outs = append(outs, h)
	}
	in := l.InputShape()
	out, err := l.OutputShape(in)
	if err != nil {
		return nil, err
	}
	res := o // the last step's output (the state h without a mask)
	if l.returnSeq {
		res = g.op("stack", "Pack", outs, tAttrs(map[string]saved.Attr{"N": saved.IntAttr(int64(T)), "axis": saved.IntAttr(1)}))
	}
	gr, err := g.graphOut(in, out, false, res)
	if err != nil {
		return nil, err
	}
	if initial {
		for i := 0; i < nStates; i++ {
			gr.InputShapes = append(gr.InputShapes, []int{U})
		}
	}
	if l.returnState {
		gr.MoreOutputs = append(gr.MoreOutputs, h)
		if l.kind == kindLSTM {
			gr.MoreOutputs = append(gr.MoreOutputs, c)
		}
		for i := 0; i < nStates; i++ {
			gr.MoreOutputShapes = append(gr.MoreOutputShapes, []int{U})
		}
	}
	return gr, nil
}
