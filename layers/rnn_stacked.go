package layers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// StackedRNN is Keras's RNN layer over StackedRNNCells: at each time step the first cell
// reads the input, each further cell the previous cell's output. It runs as a stack of
// recurrences, one per cell, each returning its whole sequence to the next (in processing
// order: only the first reads the input backwards with go_backwards); the last returns what
// the RNN layer returns. Its states (return_state, initial_state) are every cell's, in cell
// order. Variables: each cell's, named "stacked_rnn_cells/<cell>/kernel", kept in tf_keras
// HDF5 under those names, in Keras 3 files in layers/<rnn>/cell/cells/<cell>/vars and in TF
// checkpoints under the layer's cell/cells/<i> children.
type StackedRNN struct {
	base
	cells     []*RNN
	stackName string
	returnSeq bool
	retState  bool
	backwards bool
	zeroOut   bool
}

// NewStackedRNN returns an RNN layer over StackedRNNCells of the given cells (made with
// NewRNN, whose own return_sequences, return_state and go_backwards are ignored), with the
// RNN layer's options. It panics on no cells (a programmer error).
func NewStackedRNN(name string, cells []*RNN, returnSequences, returnState, goBackwards bool) *StackedRNN {
	if len(cells) == 0 {
		panic("layers.NewStackedRNN: no cells")
	}
	l := &StackedRNN{base: newBase(name, nil), cells: cells, stackName: "stacked_rnn_cells",
		returnSeq: returnSequences, retState: returnState, backwards: goBackwards}
	l.setCells()
	return l
}

// setCells sets each cell's recurrence options from the layer's.
func (l *StackedRNN) setCells() {
	for i, c := range l.cells {
		last := i == len(l.cells)-1
		c.returnSeq = !last || l.returnSeq
		c.returnState = l.retState
		c.backwards = i == 0 && l.backwards
		c.zeroOut = last && l.zeroOut
		c.trainable = l.trainable
	}
}

func stackedFromConfig(cfg map[string]any, cell map[string]any, d saved.Dialect) (Layer, []string, error) {
	name := strName(cfg)
	sc, _ := cell["config"].(map[string]any)
	list, _ := sc["cells"].([]any)
	if len(list) == 0 {
		return nil, nil, layerErr(ErrFormat, "RNN", name, "StackedRNNCells without cells")
	}
	r := newCfgReader("RNN", cfg)
	r.dialect = d
	l := &StackedRNN{}
	r.readBase(&l.base)
	l.returnSeq = r.boolean(false, "return_sequences")
	l.retState = r.boolean(false, "return_state")
	l.backwards = r.boolean(false, "go_backwards")
	if r.boolean(false, "stateful") {
		r.fail(ErrUnsupported, "stateful true")
	}
	if r.boolean(false, "time_major") {
		r.fail(ErrUnsupported, "time_major true")
	}
	r.boolean(false, "unroll")
	l.zeroOut = r.boolean(false, "zero_output_for_mask")
	r.ignore("cell")
	warns, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	l.stackName, _ = sc["name"].(string)
	if l.stackName == "" {
		l.stackName = "stacked_rnn_cells"
	}
	for i, e := range list {
		em, _ := e.(map[string]any)
		inner := map[string]any{"name": name, "cell": em}
		c, ws, err := rnnCellFromConfig(inner, d)
		if err != nil {
			return nil, nil, layerErr(ErrUnsupported, "RNN", name, "StackedRNNCells cell %d: %v", i, err)
		}
		rc, ok := c.(*RNN)
		if !ok {
			return nil, nil, layerErr(ErrUnsupported, "RNN", name, "StackedRNNCells cell %d: a nested StackedRNNCells", i)
		}
		warns = append(warns, ws...)
		l.cells = append(l.cells, rc)
	}
	names := map[string]bool{}
	for _, c := range l.cells {
		if names[c.cellName] {
			return nil, nil, layerErr(ErrFormat, "RNN", name, "two cells named %q", c.cellName)
		}
		names[c.cellName] = true
	}
	l.setCells()
	return l, warns, nil
}

// Class returns "RNN".
func (l *StackedRNN) Class() string { return "RNN" }

// SetTrainable sets Keras's layer.trainable.
func (l *StackedRNN) SetTrainable(t bool) {
	l.trainable = t
	for _, c := range l.cells {
		c.SetTrainable(t)
	}
}

// NumStates is the number of state tensors: every cell's.
func (l *StackedRNN) NumStates() int {
	n := 0
	for _, c := range l.cells {
		n += c.NumStates()
	}
	return n
}

// ReturnState reports whether the layer also returns its final states.
func (l *StackedRNN) ReturnState() bool { return l.retState }

// OutputShape is the last cell's output shape.
func (l *StackedRNN) OutputShape(in []int) ([]int, error) {
	s := slices.Clone(in)
	for _, c := range l.cells {
		out, err := c.OutputShape(s)
		if err != nil {
			return nil, err
		}
		s = out
	}
	return s, nil
}

// Build builds each cell for the previous one's output and names the variables.
func (l *StackedRNN) Build(in []int, rng *Rand) error {
	s := slices.Clone(in)
	for _, c := range l.cells {
		if err := c.Build(s, rng); err != nil {
			return err
		}
		for _, w := range c.rnn.Weights() {
			w.Name = l.stackName + "/" + c.cellName + "/" + w.Name[strings.LastIndexByte(w.Name, '/')+1:]
		}
		out, err := c.OutputShape(s)
		if err != nil {
			return err
		}
		s = out
	}
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns every cell's variables, in cell order.
func (l *StackedRNN) Weights() []*Weight {
	var out []*Weight
	for _, c := range l.cells {
		out = append(out, c.rnn.Weights()...)
	}
	return out
}

// SubObjects says where files keep the variables: each cell under cell/cells/<i> (Keras 3:
// cell/cells/<class-based name>, the vars group named after the cell).
func (l *StackedRNN) SubObjects() []saved.SubObject {
	out := make([]saved.SubObject, len(l.cells))
	seen := map[string]int{}
	for i, c := range l.cells {
		// Keras 3 names each cell's group after its class, numbered per class (gru_cell,
		// gru_cell_1), as it names a model's layers.
		k3 := DefaultBaseName(c.cellClass)
		if n := seen[k3]; n > 0 {
			seen[k3]++
			k3 = fmt.Sprintf("%s_%d", k3, n)
		} else {
			seen[k3] = 1
		}
		out[i] = saved.SubObject{Path: []string{"cell", "cells", fmt.Sprint(i)},
			Names: []string{l.stackName, "cells", c.cellName}, N: len(c.rnn.Weights()),
			Keras3Path: []string{"cell", "cells", k3}, Keras3Names: []string{l.stackName, "", c.cellName}}
	}
	return out
}

// Config returns the RNN layer's config with the StackedRNNCells cell.
func (l *StackedRNN) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["return_sequences"] = l.returnSeq
	c["return_state"] = l.retState
	c["go_backwards"] = l.backwards
	c["stateful"] = false
	c["unroll"] = false
	if d == saved.Keras3 {
		c["zero_output_for_mask"] = l.zeroOut
	} else {
		c["time_major"] = false
		if l.zeroOut {
			c["zero_output_for_mask"] = true
		}
	}
	cells := make([]any, len(l.cells))
	for i, cl := range l.cells {
		cells[i] = cl.Config(d)["cell"]
	}
	sc := map[string]any{"name": l.stackName, "trainable": c["trainable"], "dtype": c["dtype"], "cells": cells}
	e := map[string]any{"module": "keras.layers", "class_name": "StackedRNNCells", "config": sc, "registered_name": nil}
	if l.Built() {
		e["build_config"] = map[string]any{"input_shape": []any{nil, l.inShape[len(l.inShape)-1]}}
	}
	c["cell"] = e
	return c
}

// UsesMask reports true: masked steps keep every cell's state.
func (l *StackedRNN) UsesMask() bool { return true }

// PassesMask reports whether the output carries the input's mask (a returned sequence).
func (l *StackedRNN) PassesMask() bool { return l.returnSeq }

// keras3CallKwargs: Keras 3 records an RNN call's mask and training arguments.
func (l *StackedRNN) keras3CallKwargs() map[string]any {
	return map[string]any{"mask": nil, "training": false}
}

// Graph is the stack of the cells' recurrences (as Forward runs them): each cell's graph
// (the recurrent layers' unrolled graph) reads the previous cell's whole sequence, in
// processing order, under the cell's scope, its variables by their names in the stack
// ("stacked_rnn_cells/<cell>/kernel"). With return_state its MoreOutputs are every cell's
// states, in cell order.
func (l *StackedRNN) Graph() (*saved.LayerGraph, error) { return l.graph(false) }

// GraphInitialState is Graph for a call passing initial_state: every cell's states, in cell
// order, are the call's inputs after the first ("$in1", ...).
func (l *StackedRNN) GraphInitialState() (*saved.LayerGraph, error) { return l.graph(true) }

func (l *StackedRNN) graph(initial bool) (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("RNN", l.name)
	}
	g := newGraphBuilder("RNN", l.name)
	seq := "$in"
	var states []string
	var shapes, stateIn [][]int
	k := 1
	for _, c := range l.cells {
		if c.NumStates() > 1 && (l.retState || initial) {
			return nil, layerErr(ErrUnsupported, "RNN", l.name, "return_state or initial_state of StackedRNNCells with an LSTMCell (Keras nests its two states)")
		}
		cg, err := c.rnn.graphMask(false, initial)
		if err != nil {
			return nil, err
		}
		ins := []string{seq}
		for range c.NumStates() {
			if initial {
				ins = append(ins, fmt.Sprintf("$in%d", k))
				stateIn = append(stateIn, []int{c.units})
			}
			k++
		}
		outs := g.spliceGraphOuts(cg, c.cellName, l.stackName+"/"+c.cellName+"/", ins...)
		seq = outs[0]
		states = append(states, outs[1:]...)
		shapes = append(shapes, cg.MoreOutputShapes...)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	gr, err := g.graphOut(l.inShape, out, false, seq)
	if err != nil {
		return nil, err
	}
	gr.InputShapes = append(gr.InputShapes, stateIn...)
	gr.MoreOutputs, gr.MoreOutputShapes = states, shapes
	return gr, nil
}

// Forward runs the cells from zero states.
func (l *StackedRNN) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	return l.ForwardMasked(x, nil, training)
}

// ForwardMasked is Forward skipping the masked steps.
func (l *StackedRNN) ForwardMasked(x *tensor.Tensor, mask []bool, training bool) (*tensor.Tensor, error) {
	ys, err := l.ForwardIO([]*tensor.Tensor{x}, mask, training)
	if err != nil {
		return nil, err
	}
	return ys[0], nil
}

// Backward runs back through the cells.
func (l *StackedRNN) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	dys := []*tensor.Tensor{dy}
	if l.retState {
		dys = append(dys, make([]*tensor.Tensor, l.NumStates())...)
	}
	dxs, err := l.BackwardIO(dys)
	if err != nil {
		return nil, err
	}
	return dxs[0], nil
}

// MultiIO reports true when the layer returns its states or is given initial states.
func (l *StackedRNN) MultiIO(nIn int) bool { return l.retState || nIn > 1 }

// OutputShapesIO returns the output's shape, then with return_state every cell's states'.
func (l *StackedRNN) OutputShapesIO(in [][]int) ([][]int, error) {
	if len(in) > 1 && len(in) != 1+l.NumStates() {
		return nil, layerErr(ErrShape, "RNN", l.name, "called with %d initial states, the cells have %d", len(in)-1, l.NumStates())
	}
	for _, c := range l.cells {
		if c.NumStates() > 1 && (l.retState || len(in) > 1) {
			return nil, layerErr(ErrUnsupported, "RNN", l.name, "return_state or initial_state of StackedRNNCells with an LSTMCell (Keras nests its two states)")
		}
	}
	y, err := l.OutputShape(in[0])
	if err != nil {
		return nil, err
	}
	out := [][]int{y}
	k := 1
	for _, c := range l.cells {
		for range c.NumStates() {
			if len(in) > 1 && !slices.Equal(in[k], []int{c.units}) {
				return nil, layerErr(ErrShape, "RNN", l.name, "initial state %d has shape %s, want (None, %d)", k-1, tensor.ShapeString(in[k]), c.units)
			}
			if l.retState {
				out = append(out, []int{c.units})
			}
			k++
		}
	}
	return out, nil
}

// ForwardIO runs the cells from the given initial states (every cell's, in order) and returns
// the output, then with return_state every cell's final states.
func (l *StackedRNN) ForwardIO(xs []*tensor.Tensor, mask []bool, training bool) ([]*tensor.Tensor, error) {
	if len(xs) == 0 {
		return nil, layerErr(ErrShape, "RNN", l.name, "called on no tensor")
	}
	if len(xs) > 1 && len(xs) != 1+l.NumStates() {
		return nil, layerErr(ErrShape, "RNN", l.name, "called with %d initial states, the cells have %d", len(xs)-1, l.NumStates())
	}
	seq := xs[0]
	var states []*tensor.Tensor
	k := 1
	for i, c := range l.cells {
		in := []*tensor.Tensor{seq}
		if len(xs) > 1 {
			in = append(in, xs[k:k+c.NumStates()]...)
		}
		k += c.NumStates()
		m := mask
		if i > 0 && l.backwards && mask != nil {
			m = reverseMask(mask, seq.Shape[0], seq.Shape[1])
		}
		ys, err := c.ForwardIO(in, m, training)
		if err != nil {
			return nil, err
		}
		seq = ys[0]
		states = append(states, ys[1:]...)
	}
	return append([]*tensor.Tensor{seq}, states...), nil
}

// reverseMask reverses a batch·steps mask along the steps.
func reverseMask(mask []bool, b, t int) []bool {
	out := make([]bool, len(mask))
	for r := 0; r < b; r++ {
		for s := 0; s < t; s++ {
			out[r*t+s] = mask[r*t+t-1-s]
		}
	}
	return out
}

// BackwardIO runs back through the cells and returns dL/dx and, when the call was given
// initial states, their gradients.
func (l *StackedRNN) BackwardIO(dys []*tensor.Tensor) ([]*tensor.Tensor, error) {
	want := 1
	if l.retState {
		want += l.NumStates()
	}
	if len(dys) != want {
		return nil, layerErr(ErrShape, "RNN", l.name, "%d output gradients for %d outputs", len(dys), want)
	}
	dseq := dys[0]
	dInit := make([][]*tensor.Tensor, len(l.cells))
	k := l.NumStates() + 1
	for i := len(l.cells) - 1; i >= 0; i-- {
		c := l.cells[i]
		k -= c.NumStates()
		d := []*tensor.Tensor{dseq}
		if l.retState {
			d = append(d, dys[k:k+c.NumStates()]...)
		}
		dx, err := c.BackwardIO(d)
		if err != nil {
			return nil, err
		}
		dseq = dx[0]
		dInit[i] = dx[1:]
	}
	out := []*tensor.Tensor{dseq}
	for _, d := range dInit {
		out = append(out, d...)
	}
	return out, nil
}

// ParamCount returns the number of variables' elements for an input shape.
func (l *StackedRNN) ParamCount(in []int) (int64, error) {
	var n int64
	s := slices.Clone(in)
	for _, c := range l.cells {
		k, err := c.ParamCount(s)
		if err != nil {
			return 0, err
		}
		n += k
		if s, err = c.OutputShape(s); err != nil {
			return 0, err
		}
	}
	return n, nil
}
