package layers

import "github.com/kerasgo/kerasgo/tensor"

// Inference of an Add or Multiply of two inputs followed by an activation (ResNet's
// Add → Activation("relu")) as one layer: each chunk of the output is merged and activated
// while it is in cache, in parallel, so the activation makes no pass of its own over the
// tensor and writes no buffer of its own. The operations are the layers' (a + b, then the
// activation, in chunks of 64 floats as Activation's workspace inference cuts them), so the
// result is bit-identical to running the two layers.

// elemMergeOf returns the element-wise merge inside an Add or Multiply layer, or nil.
func elemMergeOf(l Layer) *elemMerge {
	switch m := l.(type) {
	case *Add:
		return &m.elemMerge
	case *Multiply:
		return &m.elemMerge
	}
	return nil
}

// CanFoldMerge reports whether InferMergeAct runs merge (an Add or Multiply layer) followed
// by act (a layer FoldActivation accepts whose activation works element by element and in
// place: not one that needs its input z beside its output, as swish does).
func CanFoldMerge(merge, act Layer) bool {
	if foldOff || elemMergeOf(merge) == nil || policyRound(PolicyOf(merge)) != nil {
		return false
	}
	a := FoldActivation(act)
	return a != nil && !a.rows && !a.needZ
}

// InferMergeAct is InferN of merge on xs, then Infer of act, for layers CanFoldMerge accepts.
// Two inputs of one shape take one pass; others run the merge's own inference and the
// activation in place on its output. The result is merge's inference output buffer (valid
// until the next use of ws for merge).
func InferMergeAct(ws *Workspace, merge, act Layer, xs []*tensor.Tensor) (*tensor.Tensor, error) {
	m := elemMergeOf(merge)
	a := FoldActivation(act)
	if err := checkInputsN(m.class, m.name, xs, m.inShapes); err != nil {
		return nil, err
	}
	if ws == nil || len(xs) != 2 || !m.sameShapes(xs) {
		y, err := InferN(ws, merge.(MultiInput), xs)
		if err != nil {
			return nil, err
		}
		d := y.Float32s()
		applyUnits(d, d, 64, func(z, y []float32) { a.apply(z, y, 0) })
		return y, nil
	}
	if m.vals != nil || m.sel != nil || m.yShape != nil || m.xShapes != nil {
		m.vals, m.sel, m.yShape, m.xShapes = nil, nil, nil, nil
	}
	b := ws.acquire(m.infer)
	defer ws.release(b)
	u, v := xs[0].Float32s(), xs[1].Float32s()
	y := b.out(0, len(u))
	v = v[:len(u)]
	add := m.op == opAdd
	forUnits(len(u), 64, func(lo, hi int) {
		uc, vc, yc := u[lo:hi], v[lo:hi], y[lo:hi]
		if add {
			for j, p := range uc {
				yc[j] = p + vc[j]
			}
		} else {
			for j, p := range uc {
				yc[j] = p * vc[j]
			}
		}
		a.apply(yc, yc, 0)
	})
	return b.view(0, y, xs[0].Shape...), nil
}
