package model

import (
	"fmt"
	"slices"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file runs a Functional model's graph: forward over its nodes in order, backward in
// reverse, and PredictN.

// fnRun is the state of one forward over a graph: the values and Keras masks of its
// tensors, and the inference buffers of its layers (ws; nil: the layers' own). Predict keeps
// one per call in its workspace, so concurrent calls share nothing.
type fnRun struct {
	ws    *layers.Workspace
	vals  map[*KerasTensor]*tensor.Tensor
	masks map[*KerasTensor][]bool
	in    []*tensor.Tensor // the inputs of a list node (reused)
	xs    []*tensor.Tensor // the model's inputs of one call (reused)
	ys    []*tensor.Tensor // the model's outputs of one call (reused)
	// folds are the graph's Conv2D/DepthwiseConv2D → BatchNormalization → [activation]
	// chains that inference runs as one layer (layers.InferFolded), by head node, planned
	// once per fnRun (planned); skip marks the nodes a call has run inside a chain.
	folds map[*node]foldStep
	// mfolds are the Add/Multiply → activation chains (layers.InferMergeAct), by merge node.
	mfolds  map[*node]*node
	planned bool
	skip    map[*node]bool
}

// foldStep is one chain: the head node (a convolution), the BatchNormalization node and the
// activation node (nil: none) after it; pad is a ZeroPadding2D node before the head (nil:
// none), and then the chain is keyed by pad.
type foldStep struct{ pad, head, bn, act *node }

// planFolds finds the chains of r.folds: a head node whose output only the BatchNormalization
// node reads, and (when there is one) an activation node that alone reads the
// normalisation's output; no layer of a chain is called at several nodes, and no tensor but
// the chain's last is a model output.
func (g *graph) planFolds(r *fnRun) {
	r.planned = true
	r.folds = map[*node]foldStep{}
	r.mfolds = map[*node]*node{}
	r.skip = map[*node]bool{}
	reader := map[*KerasTensor]*node{}
	for _, n := range g.nodes {
		if !n.multi && !n.list && len(n.in) == 1 {
			reader[n.in[0]] = n
		}
	}
	sole := func(n *node) *node {
		if g.consumers[n.out] != 1 || len(n.outs) > 1 {
			return nil
		}
		c := reader[n.out]
		if c == nil || g.shared(c.layer) {
			return nil
		}
		return c
	}
	for _, n := range g.nodes {
		if n.multi || n.list || len(n.in) != 1 || g.shared(n.layer) {
			continue
		}
		bn := sole(n)
		if bn == nil || !layers.CanFold(n.layer, bn.layer, nil) {
			continue
		}
		st := foldStep{head: n, bn: bn}
		if a := sole(bn); a != nil && layers.CanFold(n.layer, bn.layer, a.layer) {
			st.act = a
		}
		r.folds[n] = st
	}
	for _, n := range g.nodes {
		if n.multi || n.list || len(n.in) != 1 || g.shared(n.layer) {
			continue
		}
		if h := sole(n); h != nil && layers.CanPad(n.layer, h.layer) {
			if st, ok := r.folds[h]; ok {
				st.pad = n
				r.folds[n] = st
			}
		}
	}
	for _, n := range g.nodes {
		if !n.list || n.multi || g.shared(n.layer) {
			continue
		}
		if a := sole(n); a != nil && layers.CanFoldMerge(n.layer, a.layer) {
			r.mfolds[n] = a
		}
	}
}

// runMergeFolded runs the merge node n and the activation after it as one layer when it can
// (no Keras mask on the inputs, the layers still foldable) and reports whether it did.
func (g *graph) runMergeFolded(r *fnRun, n *node) (bool, error) {
	a, ok := r.mfolds[n]
	if !ok || r.hasMask(n.in) || !layers.CanFoldMerge(n.layer, a.layer) {
		return false, nil
	}
	r.in = r.in[:0]
	for _, x := range n.in {
		r.in = append(r.in, r.vals[x])
	}
	y, err := layers.InferMergeAct(r.ws, n.layer, a.layer, r.in)
	if err != nil {
		return false, layerErr(-1, n.layer.Name(), n.layer.Class(), err)
	}
	r.vals[a.out] = y
	r.skip[a] = true
	return true, nil
}

// runFolded runs the chain headed by n as one layer when it can (inference with a
// workspace, no Keras mask, the layers still foldable) and reports whether it did.
func (g *graph) runFolded(r *fnRun, n *node) (bool, error) {
	st, ok := r.folds[n]
	if !ok || r.masks[n.in[0]] != nil {
		return false, nil
	}
	var act, pad layers.Layer
	last := st.bn
	if st.act != nil {
		act, last = st.act.layer, st.act
	}
	if st.pad != nil {
		pad = st.pad.layer
		if !layers.CanPad(pad, st.head.layer) {
			return false, nil
		}
	}
	if !layers.CanFold(st.head.layer, st.bn.layer, act) {
		return false, nil
	}
	y, err := layers.InferFolded(r.ws, pad, st.head.layer, st.bn.layer, act, r.vals[n.in[0]])
	if err != nil {
		return false, layerErr(-1, st.head.layer.Name(), st.head.layer.Class(), err)
	}
	r.vals[last.out] = y
	if st.pad != nil {
		r.skip[st.head] = true
	}
	r.skip[st.bn] = true
	if st.act != nil {
		r.skip[st.act] = true
	}
	return true, nil
}

// forward runs every node of the graph on one batch of each input and returns the model's
// outputs and every tensor's value; the masks go to g.masks. With training, layers cache
// what backward needs.
func (g *graph) forward(xs []*tensor.Tensor, training bool) ([]*tensor.Tensor, map[*KerasTensor]*tensor.Tensor, error) {
	r := &fnRun{vals: make(map[*KerasTensor]*tensor.Tensor, len(g.nodes)+len(g.inputs))}
	outs, err := g.run(r, xs, training, nil)
	g.masks = r.masks
	if err != nil {
		return nil, nil, err
	}
	return outs, r.vals, nil
}

// run is forward in the state r (its maps are cleared first); it returns the outputs in outs
// (reused when it has the capacity).
func (g *graph) run(r *fnRun, xs []*tensor.Tensor, training bool, outs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	clear(r.vals)
	clear(r.masks)
	for i, t := range g.inputs {
		r.vals[t] = xs[i]
	}
	fold := !training && r.ws != nil
	if fold {
		if !r.planned {
			g.planFolds(r)
		}
		clear(r.skip)
	}
	for _, n := range g.nodes {
		if fold {
			if r.skip[n] {
				continue
			}
			if done, err := g.runFolded(r, n); err != nil {
				return nil, err
			} else if done {
				continue
			}
			if done, err := g.runMergeFolded(r, n); err != nil {
				return nil, err
			} else if done {
				continue
			}
		}
		y, err := g.call(r, n, training)
		if err != nil {
			return nil, err
		}
		r.vals[n.out] = y
	}
	outs = slices.Grow(outs[:0], len(g.outputs))[:len(g.outputs)]
	for i, t := range g.outputs {
		outs[i] = r.vals[t]
	}
	return outs, nil
}

// setMask records the mask of tensor t in r.
func (r *fnRun) setMask(t *KerasTensor, m []bool) {
	if r.masks == nil {
		r.masks = map[*KerasTensor][]bool{}
	}
	r.masks[t] = m
}

// call runs one node on the values computed so far.
func (g *graph) call(r *fnRun, n *node, training bool) (*tensor.Tensor, error) {
	if !training {
		if mu := guardOf(r.ws, n.layer); mu != nil {
			mu.Lock()
			defer mu.Unlock()
		}
	}
	var y *tensor.Tensor
	var err error
	if n.multi {
		return g.callMulti(r, n, training)
	}
	if n.list {
		r.in = r.in[:0]
		for _, x := range n.in {
			r.in = append(r.in, r.vals[x])
		}
		in := r.in
		if mn, ok := n.layer.(layers.MaskedForwarderN); ok && mn.UsesMask() && r.hasMask(n.in) {
			in = slices.Clone(in)
			y, err = g.callMaskedN(r, mn, n, in, training)
		} else if !training {
			y, err = layers.InferN(r.ws, n.layer.(layers.MultiInput), in)
		} else {
			y, err = layers.ForwardN(n.layer.(layers.MultiInput), slices.Clone(in), training)
		}
	} else {
		var m []bool
		y, m, err = callMaskedWS(r.ws, n.layer, r.vals[n.in[0]], r.masks[n.in[0]], training)
		if m != nil {
			r.setMask(n.out, m)
		}
	}
	if err != nil {
		return nil, layerErr(-1, n.layer.Name(), n.layer.Class(), err)
	}
	// A layer may return a buffer it reuses on its next call: a shared layer's outputs are
	// copied so that its later calls do not overwrite them.
	if g.shared(n.layer) {
		y = y.Clone()
	}
	return y, nil
}

// callMulti runs a node called through layers.MultiIO and stores every output in r.vals; it
// returns the first.
func (g *graph) callMulti(r *fnRun, n *node, training bool) (*tensor.Tensor, error) {
	in := make([]*tensor.Tensor, len(n.in))
	for i, x := range n.in {
		in[i] = r.vals[x]
	}
	mask := r.masks[n.in[0]]
	var ys []*tensor.Tensor
	var err error
	mm, listMasks := n.layer.(layers.MaskedMultiIO)
	var masks [][]bool
	if listMasks && n.list {
		masks = make([][]bool, len(n.in))
		for i, x := range n.in {
			masks[i] = r.masks[x]
		}
		ys, err = mm.ForwardIOMasks(in, masks, training)
	} else if g.unmaskedCall(n) {
		ys, err = n.layer.(layers.MultiIO).ForwardIO(in, nil, training)
	} else {
		ys, err = n.layer.(layers.MultiIO).ForwardIO(in, mask, training)
	}
	if err == nil && len(ys) != len(n.outs) {
		err = fmt.Errorf("%w: %d outputs where the call has %d", ErrShape, len(ys), len(n.outs))
	}
	if err != nil {
		return nil, layerErr(-1, n.layer.Name(), n.layer.Class(), err)
	}
	for i, y := range ys {
		if g.shared(n.layer) {
			y = y.Clone()
		}
		r.vals[n.outs[i]] = y
	}
	m := outMask(n.layer, in[0], mask)
	if listMasks && n.list {
		m = mm.OutputMaskN(masks)
	}
	if m != nil {
		for _, t := range n.outs[:min(len(n.outs), maskedOutputs(n.layer))] {
			r.setMask(t, m)
		}
	}
	return r.vals[n.out], nil
}

// backward propagates the gradients dys of the outputs (nil entries: no gradient) back
// through the graph of the last training forward, whose values are vals, filling the Grad
// of every trainable weight. logits[i] tells that dys[i] is the gradient with respect to the
// pre-activation of output i's layer (see logitsBackwarder). A layer called at several nodes
// is run forward again for each node but its last before that node's backward, and its
// weight gradients are summed over its nodes.
func (g *graph) backward(dys []*tensor.Tensor, logits []bool, vals map[*KerasTensor]*tensor.Tensor) error {
	_, err := g.backwardGrads(dys, logits, vals, false)
	return err
}

// backwardGrads is backward; with inputs, it also returns the gradient of every model input
// (nil for an input that no gradient reaches), as a model used as a layer needs.
func (g *graph) backwardGrads(dys []*tensor.Tensor, logits []bool, vals map[*KerasTensor]*tensor.Tensor, inputs bool) ([]*tensor.Tensor, error) {
	grads := map[*KerasTensor]*tensor.Tensor{}
	owned := map[*KerasTensor]bool{} // grads[t] is our own buffer, safe to add into
	addGrad := func(t *KerasTensor, d *tensor.Tensor) {
		if d == nil {
			return
		}
		cur, ok := grads[t]
		if !ok {
			grads[t] = d
			return
		}
		if !owned[t] {
			cur = cur.Clone()
			grads[t] = cur
			owned[t] = true
		}
		a, b := cur.Float32s(), d.Float32s()
		for i := range a {
			a[i] += b[i]
		}
	}
	logitsOut := map[*KerasTensor]bool{}
	for i, t := range g.outputs {
		if i < len(logits) && logits[i] {
			logitsOut[t] = true
		}
		addGrad(t, dys[i])
	}
	// Weight gradients of shared layers, summed over their nodes.
	sums := map[*layers.Weight][]float32{}
	lastForward := map[layers.Layer]*node{}
	for _, n := range g.nodes {
		lastForward[n.layer] = n
	}
	for i := len(g.nodes) - 1; i >= 0; i-- {
		n := g.nodes[i]
		dy := grads[n.out]
		if dy == nil && !n.multi {
			continue
		}
		if n.multi && !slices.ContainsFunc(n.outs, func(t *KerasTensor) bool { return grads[t] != nil }) {
			continue
		}
		shared := g.shared(n.layer)
		if shared && lastForward[n.layer] != n {
			r := &fnRun{vals: vals, masks: g.masks}
			_, err := g.call(r, n, true)
			g.masks = r.masks
			if err != nil {
				return nil, err
			}
			lastForward[n.layer] = n
		}
		var dxs []*tensor.Tensor
		var err error
		switch {
		case n.multi:
			dys := make([]*tensor.Tensor, len(n.outs))
			for j, t := range n.outs {
				dys[j] = grads[t]
			}
			dxs, err = n.layer.(layers.MultiIO).BackwardIO(dys)
		case logitsOut[n.out] && g.consumers[n.out] == 1:
			var dx *tensor.Tensor
			dx, err = n.layer.(logitsBackwarder).BackwardLogits(dy)
			dxs = []*tensor.Tensor{dx}
		case n.list:
			dxs, err = n.layer.(layers.MultiInput).BackwardN(dy)
		default:
			var dx *tensor.Tensor
			dx, err = n.layer.Backward(dy)
			dxs = []*tensor.Tensor{dx}
		}
		if err != nil {
			return nil, &wrapped{msg: fmt.Sprintf("backward through layer %q (%s): %s", n.layer.Name(), n.layer.Class(), layerReason(n.layer.Name(), n.layer.Class(), err)), err: withShape(err)}
		}
		if shared {
			for _, w := range n.layer.Weights() {
				if w.Grad == nil {
					continue
				}
				s, ok := sums[w]
				if !ok {
					sums[w] = slices.Clone(w.Grad)
					continue
				}
				for j, v := range w.Grad {
					s[j] += v
				}
			}
		}
		for j, x := range n.in {
			if j < len(dxs) && (inputs || !x.node.isInput()) {
				// The layer's dx buffer may be reused by its next backward (shared layers):
				// keep a copy when the layer runs again.
				d := dxs[j]
				if shared && d != nil {
					d = d.Clone()
				}
				addGrad(x, d)
			}
		}
	}
	for w, s := range sums {
		copy(w.Grad, s)
	}
	if !inputs {
		return nil, nil
	}
	out := make([]*tensor.Tensor, len(g.inputs))
	for i, t := range g.inputs {
		out[i] = grads[t]
	}
	return out, nil
}

// skipInputGradients tells layers whose every call takes only model inputs that they need
// not compute the gradient of their input (Conv2D saves its largest backward product).
func (g *graph) skipInputGradients(skip bool) {
	for l, ns := range g.layerNodes {
		s, ok := l.(interface{ SetSkipInputGradient(bool) })
		if !ok {
			continue
		}
		all := true
		for _, n := range ns {
			for _, x := range n.in {
				if !x.node.isInput() {
					all = false
				}
			}
		}
		s.SetSkipInputGradient(skip && all)
	}
}

// PredictN runs a model with several inputs or outputs in inference mode: xs holds one
// tensor per model input, in the model's input order (InputNames), all with the same number
// of samples; it returns one tensor per output (OutputNames order). It works for every model
// (a Sequential model has one input and one output).
// Like Predict, it is safe for concurrent use.
func (m *Model) PredictN(xs []*tensor.Tensor, opts ...PredictOptions) ([]*tensor.Tensor, error) {
	ys, err := m.predictN(xs, optionsArg("PredictN", opts).BatchSize)
	return ys, apiErr("predict", err)
}

func (m *Model) predictN(xs []*tensor.Tensor, batchSize int) ([]*tensor.Tensor, error) {
	ws, alone := m.beginPredict()
	ys, err := m.predictNTo(ws, nil, xs, batchSize)
	m.endPredict(ws, alone, err == nil)
	return ys, err
}

// predictNTo is predictN into dsts (nil: new tensors; else one per output, of its shape)
// with the workspace ws.
func (m *Model) predictNTo(ws *predictWS, dsts, xs []*tensor.Tensor, batchSize int) ([]*tensor.Tensor, error) {
	if m.fn == nil {
		if len(xs) != 1 {
			return nil, fmt.Errorf("%w: %d inputs for a model with 1 input", ErrShape, len(xs))
		}
		var dst *tensor.Tensor
		if dsts != nil {
			dst = dsts[0]
		}
		y, err := m.predictTo(ws, dst, xs[0], batchSize)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{y}, nil
	}
	if m.dyn != nil {
		t, unlock, err := m.dynTwin(xs)
		if err != nil {
			return nil, err
		}
		if t != m {
			defer unlock()
			return t.predictNTo(ws, dsts, xs, batchSize)
		}
	}
	var err error
	ws.ins, err = m.checkInputsInto(ws.ins[:0], xs)
	if err != nil {
		return nil, err
	}
	xs = ws.ins
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	n := xs[0].Shape[0]
	if dsts != nil {
		if len(dsts) != len(m.fn.outputs) {
			return nil, fmt.Errorf("%w: %d destinations for %d outputs", ErrShape, len(dsts), len(m.fn.outputs))
		}
		for i, t := range m.fn.outputs {
			if err := checkDst(dsts[i], n, t.shape); err != nil {
				return nil, err
			}
		}
	}
	outs := dsts
	if outs == nil {
		outs = make([]*tensor.Tensor, len(m.fn.outputs))
	}
	for i, t := range m.fn.outputs {
		if dsts != nil {
			break
		}
		shape := append([]int{n}, t.shape...)
		if _, err := tensor.CheckShape(tensor.Float32, shape, 0); err != nil {
			return nil, within("output "+tensor.ShapeString(shape), err)
		}
		if outs[i], err = tensor.New(tensor.Float32, shape); err != nil {
			return nil, err
		}
	}
	r := fnRunOf(ws.lw, m.fn)
	ws.batch = slices.Grow(ws.batch[:0], len(xs))[:len(xs)]
	if len(ws.hdrs) < len(xs) {
		ws.hdrs = make([]tensor.Tensor, len(xs))
	}
	for lo := 0; lo < n; lo += batchSize {
		hi := min(lo+batchSize, n)
		for i, x := range xs {
			if lo == 0 && hi == n {
				ws.batch[i] = x // the whole input: no copy or header needed
			} else {
				ws.batch[i] = rowsInto(&ws.hdrs[i], x, lo, hi)
			}
		}
		ys, err := m.fn.run(r, ws.batch, false, ws.ys)
		if err != nil {
			return nil, err
		}
		ws.ys = ys
		for i, y := range ys {
			row := rowLen(m.fn.outputs[i].shape)
			if y == nil || len(y.Float32s()) != (hi-lo)*row {
				return nil, fmt.Errorf("%w: output %d (%s) has the wrong size", ErrShape, i, m.fn.outputs[i].node.layer.Name())
			}
			copy(outs[i].Float32s()[lo*row:], y.Float32s())
		}
	}
	return outs, nil
}

// checkInputs checks a Functional model's inputs (count, shapes, one batch size) and returns
// them as float32.
func (m *Model) checkInputs(xs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return m.checkInputsInto(nil, xs)
}

// checkInputsInto is checkInputs appending the inputs to out.
func (m *Model) checkInputsInto(out, xs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	ins := m.fn.inputs
	if len(xs) != len(ins) {
		return nil, fmt.Errorf("%w: %d inputs for a model with %d (%v)", ErrShape, len(xs), len(ins), m.InputNames())
	}
	for i, x := range xs {
		name := ins[i].node.layer.Name()
		if x == nil {
			return nil, fmt.Errorf("%w: input %q is nil", ErrShape, name)
		}
		if len(x.Shape) < 1 || !slices.Equal(x.Shape[1:], ins[i].shape) {
			return nil, fmt.Errorf("%w: input %q has shape %s, the model expects %s", ErrShape, name, tensor.ShapeString(x.Shape), shapeString(ins[i].batch, ins[i].shape))
		}
		if x.Shape[0] != xs[0].Shape[0] {
			return nil, fmt.Errorf("%w: input %q has %d samples, input %q %d", ErrShape, name, x.Shape[0], ins[0].node.layer.Name(), xs[0].Shape[0])
		}
		if x.DType != tensor.Float32 {
			c, err := x.ToFloat32()
			if err != nil {
				return nil, within("input "+name, err)
			}
			x = c
		}
		out = append(out, x)
	}
	return out, nil
}
