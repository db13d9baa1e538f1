package model

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/layers"
)

// Keras 3 computes masks with operations (NotEqual for Embedding's mask_zero, NotEqual and
// Any for Masking, ConvertToTensor for the attention layers' output mask) that become nodes
// of a Functional graph when a later call takes the mask as an argument (recurrent layers,
// Bidirectional, TimeDistributed, GlobalAveragePooling1D...). Its summaries list them as rows
// and the mask among the call's connections. kerasgo does not keep them as layers (it drops
// them when it reads a config, and computes masks from the layers); this file rebuilds them
// for SummaryKeras3 of a model read from a Keras 3 config that held them (Keras 3 itself does
// not list them for a model read from a config without them), ordered as Keras's map_graph
// orders operations.

// maskOp is one of Keras 3's mask operations.
type maskOp struct {
	class, name string
	batch       int
	shape       []int
	// from is the operation's input: a real node's output (node) or another operation.
	node *node
	op   *maskOp
}

// k3Row is one row of Keras 3's summary: a layer or a mask operation.
type k3Row struct {
	layer layers.Layer
	op    *maskOp
}

// keras3Rows returns the rows of Keras 3's summary of a Functional model in Keras's order and
// the mask operation each node takes as its mask argument; ops is false when no mask
// operation is in the graph (the rows are then m.layers).
func (m *Model) keras3Rows() (rows []k3Row, maskArg map[*node]*maskOp, ops bool) {
	g := m.fn
	if !m.maskOpsRead {
		// Keras 3 lists them for a model it built by calling layers, or read from a config
		// holding them; not for one read from a config without them (tf_keras's, Go's).
		return nil, nil, false
	}
	src := map[*KerasTensor]*maskOp{} // the operation computing each tensor's mask
	maskArg = map[*node]*maskOp{}
	taken := map[string]bool{}
	for _, l := range m.layers {
		taken[l.Name()] = true
	}
	next := map[string]int{}
	newOp := func(class, base string, batch int, shape []int, n *node, from *maskOp) *maskOp {
		name := base
		for k := next[base]; ; k++ {
			name = base
			if k > 0 {
				name = fmt.Sprintf("%s_%d", base, k)
			}
			if !taken[name] {
				next[base] = k + 1
				break
			}
		}
		taken[name] = true
		return &maskOp{class: class, name: name, batch: batch, shape: shape, node: n, op: from}
	}
	for _, n := range g.nodes {
		if len(n.in) == 0 {
			continue
		}
		in := n.in[0]
		var mask *maskOp
		if mn, ok := n.layer.(layers.MaskedForwarderN); ok && mn.UsesMask() {
			if i := mn.OutputMaskFrom(); i >= 0 && i < len(n.in) {
				mask = src[n.in[i]]
			}
		} else if len(n.in) == 1 {
			mask = src[in]
		}
		opsOf := layers.Keras3MaskOps(n.layer)
		if _, isAttn := n.layer.(layers.MaskedForwarderN); isAttn {
			if mask == nil {
				continue
			}
			if len(opsOf) == 0 { // MultiHeadAttention: the query's mask itself
				src[n.out] = mask
				continue
			}
			// The attention layers' output mask: ConvertToTensor of the query's.
			src[n.out] = newOp(opsOf[0][0], opsOf[0][1], mask.batch, mask.shape, nil, mask)
			continue
		}
		if len(opsOf) > 0 {
			// A mask computed from the input: NotEqual(input[, value]) [then Any over the
			// last axis].
			var prev *maskOp
			shape := in.shape
			for i, o := range opsOf {
				if i > 0 {
					shape = shape[:len(shape)-1]
					prev = newOp(o[0], o[1], in.batch, shape, nil, prev)
				} else {
					prev = newOp(o[0], o[1], in.batch, shape, in.node, nil)
				}
			}
			src[n.out] = prev
			continue
		}
		if mask == nil || len(n.in) != 1 {
			continue
		}
		if layers.Keras3TakesMask(n.layer) {
			maskArg[n] = mask
		}
		if mp, ok := n.layer.(layers.MaskPasser); ok && mp.PassesMask() {
			for _, t := range n.outs[:min(len(n.outs), maskedOutputs(n.layer))] {
				src[t] = mask
			}
		}
	}
	if len(maskArg) == 0 {
		return nil, nil, false
	}
	// map_graph: a depth-first walk from the outputs (parents: the call's tensors, then its
	// mask argument) numbers operations at their first visit; each vertex's depth is its
	// longest distance to an output; rows by decreasing depth, ties by first visit.
	type vertex struct {
		n  *node
		op *maskOp
	}
	parents := func(v vertex) []vertex {
		var out []vertex
		if v.n != nil {
			for _, x := range v.n.in {
				out = append(out, vertex{n: x.node})
			}
			if o := maskArg[v.n]; o != nil {
				out = append(out, vertex{op: o})
			}
			return out
		}
		if v.op.node != nil {
			return []vertex{{n: v.op.node}}
		}
		return []vertex{{op: v.op.op}}
	}
	key := func(v vertex) any {
		if v.n != nil {
			return v.n.layer
		}
		return v.op
	}
	index := map[any]int{}
	done := map[vertex]bool{}
	var order []vertex
	var visit func(v vertex)
	visit = func(v vertex) {
		if done[v] {
			return
		}
		if _, ok := index[key(v)]; !ok {
			index[key(v)] = len(index)
		}
		for _, p := range parents(v) {
			visit(p)
		}
		done[v] = true
		order = append(order, v)
	}
	for _, t := range g.outputs {
		visit(vertex{n: t.node})
	}
	depth := map[vertex]int{}
	opDepth := map[any]int{}
	for i := len(order) - 1; i >= 0; i-- {
		v := order[i]
		d := max(depth[v], opDepth[key(v)])
		opDepth[key(v)] = d
		depth[v] = d
		for _, p := range parents(v) {
			depth[p] = max(depth[p], d+1)
		}
	}
	for _, t := range g.inputs {
		if _, ok := opDepth[t.node.layer]; !ok {
			opDepth[t.node.layer] = 0
			index[t.node.layer] = -1
		}
	}
	var keys []any
	for k := range opDepth {
		keys = append(keys, k)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if opDepth[keys[i]] != opDepth[keys[j]] {
			return opDepth[keys[i]] > opDepth[keys[j]]
		}
		return index[keys[i]] < index[keys[j]]
	})
	for _, k := range keys {
		if o, ok := k.(*maskOp); ok {
			rows = append(rows, k3Row{op: o})
		} else {
			rows = append(rows, k3Row{layer: k.(layers.Layer)})
		}
	}
	return rows, maskArg, true
}

// maskOpConnections is the "Connected to" cell of a mask operation's row.
func (m *Model) maskOpConnections(o *maskOp) string {
	if o.node != nil {
		return o.node.layer.Name() + "[" + strconv.Itoa(m.fn.nodeIndex(o.node)) + "][0]"
	}
	return o.op.name + "[0][0]"
}

// connectionsWithMasks is connections (Keras 3) with each node's mask argument after its
// tensors.
func (m *Model) connectionsWithMasks(l layers.Layer, maskArg map[*node]*maskOp) string {
	var parts []string
	for _, n := range m.fn.layerNodes[l] {
		for _, x := range n.in {
			parts = append(parts, x.node.layer.Name()+"["+strconv.Itoa(m.fn.nodeIndex(x.node))+"]["+strconv.Itoa(x.index)+"]")
		}
		if o := maskArg[n]; o != nil {
			parts = append(parts, o.name+"[0][0]")
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
