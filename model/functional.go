package model

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds the Functional API: symbolic tensors (KerasTensor), calling a layer on them
// (Apply), and NewModel, which turns the graph between some input and output tensors into a
// Model, ordering its layers and nodes as Keras does.

// KerasTensor is a symbolic tensor of the Functional API, as keras.Input() and calling a
// layer on Keras tensors return: it has a shape (without the batch dimension) and remembers
// the layer call (node) that produced it. It holds no data.
type KerasTensor struct {
	shape []int
	batch int // the batch dimension, -1 for None
	node  *node
	// index is the tensor's place among its node's outputs (tensor_index in configs).
	index int
	// mask is what is known of the Keras mask reaching this tensor (model/masks.go).
	mask maskFlow
}

// Shape returns the tensor's shape without the batch dimension.
func (t *KerasTensor) Shape() []int { return slices.Clone(t.shape) }

// Layer returns the layer whose call produced the tensor (an *InputLayer for an input).
func (t *KerasTensor) Layer() layers.Layer { return t.node.layer }

// node is one call of a layer: the tensors it was called on and the tensor it returned.
type node struct {
	layer layers.Layer
	in    []*KerasTensor // nil for an InputLayer's node
	// list records that the layer was called with a list of tensors (a merge layer).
	list bool
	out  *KerasTensor
	// outs are all the tensors the call returned (out is outs[0]); multi records a call
	// through layers.MultiIO (initial states given, or several outputs).
	outs  []*KerasTensor
	multi bool
	// seq orders nodes by creation, which is how Keras numbers a layer's nodes.
	seq uint64
	// training is the call's training argument as a config records it (nil: not given).
	// It is kept in the configs Go writes; the graph runs every call in the mode of the
	// operation (predict, fit).
	training *bool
}

// nodeSeq numbers nodes in creation order across all models.
var nodeSeq atomic.Uint64

func (n *node) isInput() bool { _, ok := n.layer.(*InputLayer); return ok }

// Output returns the InputLayer's symbolic tensor, the value of keras.Input(...): call layers
// on it with Apply and pass it to NewModel as an input. Every call returns the same tensor.
func (l *InputLayer) Output() *KerasTensor {
	if l.out == nil {
		n := &node{layer: l, seq: nodeSeq.Add(1)}
		n.out = &KerasTensor{shape: slices.Clone(l.shape), batch: l.batch, node: n}
		n.outs = []*KerasTensor{n.out}
		l.out = n.out
	}
	return l.out
}

// Apply calls layer l on symbolic tensors, as l(x) (or l([x1, x2]) for a layer taking several
// inputs) does in Keras's Functional API, and returns the output tensor. The layer is not
// built yet: NewModel builds it. Calling one layer on several tensors shares its weights
// between the calls.
//
// Errors wrap ErrShape: a nil layer or tensor, a layer that takes several inputs given one or
// one that takes one given several, or input shapes the layer does not accept.
func Apply(l layers.Layer, xs ...*KerasTensor) (*KerasTensor, error) {
	out, err := applyLayer(l, xs)
	return out, apiErr("apply", err)
}

// MustApply is Apply that panics on error, for building models in code where an error is a
// programming error.
func MustApply(l layers.Layer, xs ...*KerasTensor) *KerasTensor {
	out, err := Apply(l, xs...)
	if err != nil {
		panic(err.Error())
	}
	return out
}

// ApplyMulti is Apply for a layer returning several tensors (a recurrent layer with
// return_state: the output, then the final states) or called with tensors beside its main
// input (a recurrent layer's initial states: ApplyMulti(lstm, seq, h, c)): it returns every
// output of the call, in Keras's order. For any other layer it returns Apply's one tensor.
func ApplyMulti(l layers.Layer, xs ...*KerasTensor) ([]*KerasTensor, error) {
	out, err := applyLayer(l, xs)
	if err != nil {
		return nil, apiErr("apply", err)
	}
	return slices.Clone(out.node.outs), nil
}

// MustApplyMulti is ApplyMulti that panics on error.
func MustApplyMulti(l layers.Layer, xs ...*KerasTensor) []*KerasTensor {
	out, err := ApplyMulti(l, xs...)
	if err != nil {
		panic(err.Error())
	}
	return out
}

func applyLayer(l layers.Layer, xs []*KerasTensor) (*KerasTensor, error) {
	if l == nil {
		return nil, fmt.Errorf("%w: nil layer", ErrShape)
	}
	who := layerWho(l)
	if _, ok := l.(*InputLayer); ok {
		return nil, fmt.Errorf("%w: an InputLayer is not called on tensors; use its Output()", ErrShape)
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("%w: layer %s called on no tensors", ErrShape, who)
	}
	shapes := make([][]int, len(xs))
	for i, x := range xs {
		if x == nil || x.node == nil {
			return nil, fmt.Errorf("%w: layer %s: input %d is nil", ErrShape, who, i)
		}
		shapes[i] = slices.Clone(x.shape)
	}
	n := &node{layer: l, in: slices.Clone(xs), seq: nodeSeq.Add(1)}
	var out []int
	var outShapes [][]int
	var err error
	if mo, ok := l.(layers.MultiIO); ok && mo.MultiIO(len(xs)) {
		n.multi = true
		if mi, isList := l.(layers.MultiInput); isList {
			// a layer taking a list and returning several tensors (attention scores)
			n.list = true
			if mi.Built() {
				shapes = mi.InputShapes()
			}
		} else if mo.Built() {
			shapes[0] = mo.InputShape()
		}
		if outShapes, err = mo.OutputShapesIO(shapes); err == nil {
			out = outShapes[0]
		}
	} else if mi, ok := l.(layers.MultiInput); ok {
		n.list = true
		if mi.Built() {
			out, err = mi.OutputShapeN(mi.InputShapes())
		} else {
			out, err = mi.OutputShapeN(shapes)
		}
	} else {
		if len(xs) != 1 {
			return nil, fmt.Errorf("%w: layer %s takes one input, called on %d", ErrShape, who, len(xs))
		}
		out, err = l.OutputShape(shapes[0])
	}
	if err != nil {
		return nil, &wrapped{msg: fmt.Sprintf("layer %s called on %s: %s", who, shapesString(xs), layerReason(l.Name(), l.Class(), err)), err: withShape(err)}
	}
	var mf maskFlow
	for _, x := range xs {
		if x.mask.by != "" {
			mf = x.mask
		}
	}
	if mn, ok := l.(layers.MaskedForwarderN); ok && mn.UsesMask() {
		mf, err = maskFlowN(mn, xs)
	} else {
		mf, err = mf.next(l, (len(xs) > 1 && !n.multi) || n.list)
	}
	if err != nil {
		return nil, err
	}
	n.out = &KerasTensor{shape: out, batch: xs[0].batch, node: n, mask: mf}
	n.outs = []*KerasTensor{n.out}
	for i, s := range outShapes[min(1, len(outShapes)):] {
		t := &KerasTensor{shape: s, batch: xs[0].batch, node: n, index: i + 1}
		if i+1 < maskedOutputs(l) {
			t.mask = mf
		}
		n.outs = append(n.outs, t)
	}
	return n.out, nil
}

func layerWho(l layers.Layer) string {
	if l.Name() != "" {
		return fmt.Sprintf("%q (%s)", l.Name(), l.Class())
	}
	return l.Class()
}

func shapesString(xs []*KerasTensor) string {
	if len(xs) == 1 {
		return shapeString(xs[0].batch, xs[0].shape)
	}
	s := "["
	for i, x := range xs {
		if i > 0 {
			s += ", "
		}
		s += shapeString(x.batch, x.shape)
	}
	return s + "]"
}

// graph is a Functional model's graph.
type graph struct {
	inputs  []*KerasTensor // from InputLayer nodes, in the model's input order
	outputs []*KerasTensor
	// nodes are the layer calls other than inputs, in an order that computes every tensor
	// before it is used (Keras's nodes in decreasing depth).
	nodes []*node
	// layerNodes lists each layer's nodes in this model in Keras's node-index order.
	layerNodes map[layers.Layer][]*node
	// consumers counts the nodes (and model outputs) that use each tensor.
	consumers map[*KerasTensor]int
	// depth is each node's depth (inputs included): its longest distance to an output.
	depth map[*node]int
	// masks are the Keras masks of the last forward's tensors that carry one.
	masks map[*KerasTensor][]bool
	// keras3Calls makes recurrent calls given initial_state run without the Keras mask
	// reaching their main input, as Keras 3 runs them (Model.callDialect).
	keras3Calls bool
}

// unmaskedCall reports whether node n runs without the Keras mask reaching its main input
// although the layer uses masks: in Keras 3, a recurrent layer (or Bidirectional) called with
// initial_state. Keras 3's Layer.__call__ fills the mask argument only for a call on one
// tensor argument; the call's output still carries the input's mask (compute_mask).
func (g *graph) unmaskedCall(n *node) bool {
	return g.keras3Calls && n.multi && !n.list && len(n.in) > 1
}

// sequentialLike reports whether Keras's summaries print the model as a plain stack of layers
// (no "Connected to" column): every depth holds one node, no node takes several tensors, and
// no layer is called twice.
func (g *graph) sequentialLike() bool {
	count := map[int]int{}
	for n, d := range g.depth {
		count[d]++
		if count[d] > 1 || len(n.in) > 1 {
			return false
		}
	}
	for _, ns := range g.layerNodes {
		if len(ns) > 1 {
			return false
		}
	}
	return true
}

// nodeIndex is the index of n among its layer's nodes in this model, as configs and
// summaries number them ("dense[1][0]").
func (g *graph) nodeIndex(n *node) int { return slices.Index(g.layerNodes[n.layer], n) }

// shared reports whether l is called more than once in the model.
func (g *graph) shared(l layers.Layer) bool { return len(g.layerNodes[l]) > 1 }

// ModelOptions are the optional arguments of NewModel.
type ModelOptions struct {
	// Name is the model's name; "functional" (Keras 3's default) when empty.
	Name string
	// CallDialect picks whose call semantics the model follows where tf_keras and Keras 3
	// differ: saved.Keras2 (the default, tf_keras's) or saved.Keras3, under which a recurrent
	// layer or Bidirectional called with initial_state receives no Keras mask (its output
	// still carries the input's mask on). Models read from files follow their config's
	// dialect (Model.CallDialect).
	CallDialect saved.Dialect
}

// NewModel returns the Functional model computing outputs from inputs, as
// keras.Model(inputs, outputs): every input must be an InputLayer's Output(), and every
// output must be computed from the inputs by layers called with Apply. Layers without a name
// get Keras's automatic names; the layers are then built, in the order of the graph.
//
// Errors: a graph that needs a tensor not computed from the inputs ("graph disconnected"),
// two layers with one name, a layer that does not fit its inputs.
func NewModel(inputs, outputs []*KerasTensor, opts ...ModelOptions) (*Model, error) {
	o := optionsArg("NewModel", opts)
	m := &Model{name: "functional", seed: DefaultSeed}
	m.in.batch = -1
	if o.Name != "" {
		m.name = o.Name
	}
	if o.CallDialect != saved.Keras2 && o.CallDialect != saved.Keras3 {
		return nil, apiErr("new model", fmt.Errorf("%w: unknown call dialect %d", ErrUnsupported, o.CallDialect))
	}
	m.callDialect = o.CallDialect
	if err := m.setGraph(inputs, outputs); err != nil {
		return nil, apiErr("new model", err)
	}
	return m, nil
}

// MustNewModel is NewModel that panics on error.
func MustNewModel(inputs, outputs []*KerasTensor, opts ...ModelOptions) *Model {
	m, err := NewModel(inputs, outputs, opts...)
	if err != nil {
		panic(err.Error())
	}
	return m
}

// CallDialect reports whose call semantics the model follows where tf_keras and Keras 3
// differ (see ModelOptions.CallDialect): saved.Keras3 for a model read from a Keras 3 config
// (a .keras file, Keras 3's .h5, Keras 3's to_json), saved.Keras2 otherwise.
func (m *Model) CallDialect() saved.Dialect { return m.callDialect }

// Functional reports whether the model is a Functional model (false: Sequential).
func (m *Model) Functional() bool { return m.fn != nil }

// Inputs returns a Functional model's input tensors (nil for a Sequential model).
func (m *Model) Inputs() []*KerasTensor {
	if m.fn == nil {
		return nil
	}
	return slices.Clone(m.fn.inputs)
}

// Outputs returns a Functional model's output tensors (nil for a Sequential model).
func (m *Model) Outputs() []*KerasTensor {
	if m.fn == nil {
		return nil
	}
	return slices.Clone(m.fn.outputs)
}

// InputNames returns the names of the model's inputs (the names of their InputLayers), in the
// model's input order.
func (m *Model) InputNames() []string {
	if m.fn == nil {
		return nil
	}
	out := make([]string, len(m.fn.inputs))
	for i, t := range m.fn.inputs {
		out[i] = t.node.layer.Name()
	}
	return out
}

// OutputNames returns the names of the layers producing the model's outputs, in order.
func (m *Model) OutputNames() []string {
	if m.fn == nil {
		if len(m.layers) == 0 {
			return nil
		}
		return []string{m.layers[len(m.layers)-1].Name()}
	}
	out := make([]string, len(m.fn.outputs))
	for i, t := range m.fn.outputs {
		out[i] = t.node.layer.Name()
	}
	return out
}

// maxGraphNodes bounds the size of a graph walked by setGraph.
const maxGraphNodes = 1 << 20

// setGraph maps the graph between inputs and outputs as Keras's map_graph does: a depth-first
// walk from the outputs gives a topological order of the nodes and a first-visit index of
// each layer; each node's depth is its longest distance to an output; the model's layers are
// ordered by decreasing depth (a layer at its deepest node), ties by first visit. It then
// names the unnamed layers and builds every layer.
func (m *Model) setGraph(inputs, outputs []*KerasTensor) error {
	if len(inputs) == 0 || len(outputs) == 0 {
		return fmt.Errorf("%w: a Functional model needs at least one input and one output", ErrShape)
	}
	for i, t := range inputs {
		if t == nil || t.node == nil || !t.node.isInput() {
			return fmt.Errorf("%w: input %d is not an InputLayer's output (use model.Input(...).Output())", ErrShape, i)
		}
		if slices.Index(inputs, t) != i {
			return fmt.Errorf("%w: input %d is given twice", ErrShape, i)
		}
	}
	for i, t := range outputs {
		if t == nil || t.node == nil {
			return fmt.Errorf("%w: output %d is nil", ErrShape, i)
		}
	}
	// Depth-first walk from the outputs (iterative, so deep graphs cannot overflow the stack).
	var order []*node // nodes in decreasing depth: inputs first
	layerIndex := map[layers.Layer]int{}
	done := map[*node]bool{}
	inProgress := map[*node]bool{}
	type frame struct {
		n    *node
		next int
	}
	for _, out := range outputs {
		stack := []frame{{n: out.node}}
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next == 0 {
				if done[f.n] {
					stack = stack[:len(stack)-1]
					continue
				}
				if _, seen := layerIndex[f.n.layer]; !seen {
					layerIndex[f.n.layer] = len(layerIndex)
				}
				inProgress[f.n] = true
				if len(done)+len(inProgress) > maxGraphNodes {
					return fmt.Errorf("%w: the graph has more than %d nodes", ErrUnsupported, maxGraphNodes)
				}
			}
			if f.next < len(f.n.in) {
				child := f.n.in[f.next].node
				f.next++
				if inProgress[child] {
					return fmt.Errorf("%w: the graph has a cycle through layer %s", ErrShape, layerWho(child.layer))
				}
				if !done[child] {
					stack = append(stack, frame{n: child})
				}
				continue
			}
			delete(inProgress, f.n)
			done[f.n] = true
			order = append(order, f.n)
			stack = stack[:len(stack)-1]
		}
	}
	// Every input node reached must be a model input.
	for _, n := range order {
		if n.isInput() && !slices.Contains(inputs, n.out) {
			return fmt.Errorf("%w: graph disconnected: the outputs need input %s, which is not among the model's inputs", ErrShape, layerWho(n.layer))
		}
	}
	// Depths.
	nodeDepth := map[*node]int{}
	layerDepth := map[layers.Layer]int{}
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		d := nodeDepth[n]
		d = max(d, layerDepth[n.layer])
		layerDepth[n.layer] = d
		nodeDepth[n] = d
		for _, x := range n.in {
			if done[x.node] {
				nodeDepth[x.node] = max(nodeDepth[x.node], d+1)
			}
		}
	}
	for _, t := range inputs {
		if _, ok := layerDepth[t.node.layer]; !ok { // an input no output needs
			nodeDepth[t.node] = 0
			layerDepth[t.node.layer] = 0
			layerIndex[t.node.layer] = -1
			order = append([]*node{t.node}, order...)
		}
	}
	var ls []layers.Layer
	for l := range layerDepth {
		ls = append(ls, l)
	}
	sort.SliceStable(ls, func(i, j int) bool {
		if layerDepth[ls[i]] != layerDepth[ls[j]] {
			return layerDepth[ls[i]] > layerDepth[ls[j]]
		}
		return layerIndex[ls[i]] < layerIndex[ls[j]]
	})

	g := &graph{inputs: slices.Clone(inputs), outputs: slices.Clone(outputs),
		layerNodes: map[layers.Layer][]*node{}, consumers: map[*KerasTensor]int{}, depth: nodeDepth}
	for _, n := range order {
		g.layerNodes[n.layer] = append(g.layerNodes[n.layer], n)
		if !n.isInput() {
			g.nodes = append(g.nodes, n)
		}
		for _, x := range n.in {
			g.consumers[x]++
		}
	}
	for _, t := range outputs {
		g.consumers[t]++
	}
	for l, ns := range g.layerNodes {
		sort.Slice(ns, func(i, j int) bool { return ns[i].seq < ns[j].seq })
		g.layerNodes[l] = ns
	}

	// Names: automatic names for unnamed layers, then uniqueness.
	m.layers = ls
	g.keras3Calls = m.callDialect == saved.Keras3
	m.fn = g
	m.names, m.nameNext = map[string]bool{}, nil
	for _, l := range ls {
		if l.Name() != "" {
			m.names[l.Name()] = true
		}
	}
	for _, l := range ls {
		if l.Name() == "" {
			base := layers.DefaultBaseName(l.Class())
			if _, ok := l.(*InputLayer); ok {
				base = "input_layer"
			}
			l.SetName(m.freeName(base))
			m.names[l.Name()] = true
		}
	}
	seen := map[string]bool{}
	for _, l := range ls {
		if seen[l.Name()] {
			m.layers, m.fn = nil, nil
			return fmt.Errorf("%w: the name %q is used by two layers of the model; all layer names must be unique", ErrFormat, l.Name())
		}
		seen[l.Name()] = true
	}
	if err := m.buildGraph(); err != nil {
		m.layers, m.fn = nil, nil
		return err
	}
	return nil
}

// freeName returns the first of base, base_1, base_2, ... that no layer of the model has.
// Names are only ever added to a model (Pop resets the hints), so a suffix found taken stays
// taken and the search resumes where the last one for the same base stopped: naming N
// layers probes O(N) names in all.
func (m *Model) freeName(base string) string {
	if m.nameNext == nil {
		m.nameNext = map[string]int{}
	}
	for i := m.nameNext[base]; ; i++ {
		m.nameProbes++
		n := base
		if i > 0 {
			n = base + "_" + strconv.Itoa(i)
		}
		if !m.hasName(n) {
			m.nameNext[base] = i + 1
			return n
		}
	}
}

// buildGraph builds every layer of a Functional model for the shapes of its first node and
// checks its other nodes against them.
func (m *Model) buildGraph() error {
	for _, n := range m.fn.nodes {
		shapes := make([][]int, len(n.in))
		for i, x := range n.in {
			shapes[i] = x.shape
		}
		var out []int
		var outShapes [][]int
		var err error
		if mi, ok := n.layer.(layers.MultiInput); ok && n.multi && n.list {
			if mi.Built() {
				if !equalShapes(mi.InputShapes(), shapes) {
					err = fmt.Errorf("%w: the layer is built for inputs %s", ErrShape, shapesList(mi.InputShapes()))
				}
			} else if err = m.checkBudgetN(mi, shapes); err == nil {
				err = mi.BuildN(cloneShapes(shapes), m.buildRand())
			}
			if err == nil {
				if outShapes, err = n.layer.(layers.MultiIO).OutputShapesIO(cloneShapes(shapes)); err == nil {
					out = outShapes[0]
					for i, t := range n.outs {
						if i >= len(outShapes) || !slices.Equal(outShapes[i], t.shape) {
							err = fmt.Errorf("%w: built, output %d differs from its call's", ErrShape, i)
						}
					}
				}
			}
		} else if mo, ok := n.layer.(layers.MultiIO); ok && n.multi {
			if mo.Built() {
				if !slices.Equal(mo.InputShape(), shapes[0]) {
					err = fmt.Errorf("%w: the layer is built for input shape %s", ErrShape, shapeString(-1, mo.InputShape()))
				}
			} else if err = m.checkBudget(mo, shapes[0]); err == nil {
				if err = mo.Build(slices.Clone(shapes[0]), m.buildRand()); err == nil {
					m.builtParams += countParams(mo.Weights())
				}
			}
			if err == nil {
				if outShapes, err = mo.OutputShapesIO(cloneShapes(shapes)); err == nil {
					out = outShapes[0]
					for i, t := range n.outs {
						if i >= len(outShapes) || !slices.Equal(outShapes[i], t.shape) {
							err = fmt.Errorf("%w: built, output %d differs from its call's", ErrShape, i)
						}
					}
				}
			}
		} else if mi, ok := n.layer.(layers.MultiInput); ok {
			if mi.Built() {
				if !equalShapes(mi.InputShapes(), shapes) {
					err = fmt.Errorf("%w: the layer is built for inputs %s", ErrShape, shapesList(mi.InputShapes()))
				}
			} else if err = m.checkBudgetN(mi, shapes); err == nil {
				err = mi.BuildN(cloneShapes(shapes), m.buildRand())
			}
			if err == nil {
				out, err = mi.OutputShapeN(cloneShapes(shapes))
			}
		} else {
			l := n.layer
			if l.Built() {
				if !slices.Equal(l.InputShape(), shapes[0]) {
					err = fmt.Errorf("%w: the layer is built for input shape %s", ErrShape, shapeString(-1, l.InputShape()))
				}
			} else if err = m.checkBudget(l, shapes[0]); err == nil {
				if err = l.Build(slices.Clone(shapes[0]), m.buildRand()); err == nil {
					m.builtParams += countParams(l.Weights())
				}
			}
			if err == nil {
				out, err = l.OutputShape(slices.Clone(shapes[0]))
			}
		}
		if err != nil {
			if _, named := err.(*wrapped); named {
				return err
			}
			return &wrapped{msg: fmt.Sprintf("layer %s, input %s: %s", layerWho(n.layer), shapesString(n.in), layerReason(n.layer.Name(), n.layer.Class(), err)), err: withShape(err)}
		}
		if !slices.Equal(out, n.out.shape) {
			return fmt.Errorf("%w: layer %s: built, it returns %s where its call returned %s", ErrShape, layerWho(n.layer), shapeString(-1, out), shapeString(-1, n.out.shape))
		}
	}
	m.outShape = slices.Clone(m.fn.outputs[0].shape)
	if len(m.fn.inputs) == 1 {
		in := m.fn.inputs[0].node.layer.(*InputLayer)
		m.in.shape, m.in.batch, m.in.kind, m.in.name = slices.Clone(in.shape), in.batch, inputExplicit, in.name
	}
	return nil
}

// checkBudgetN is checkBudget for a layer taking several inputs (merge layers have no
// weights; the budget counts the model's other layers).
func (m *Model) checkBudgetN(l layers.MultiInput, in [][]int) error {
	if m.maxParams <= 0 {
		return nil
	}
	total := m.builtParams
	if total > m.maxParams || total < 0 {
		return fmt.Errorf("%w: the model has %d parameters, over the limit of %d (LoadOptions.MaxParams)", ErrUnsupported, total, m.maxParams)
	}
	return nil
}

func equalShapes(a, b [][]int) bool {
	return slices.EqualFunc(a, b, func(x, y []int) bool { return slices.Equal(x, y) })
}

func cloneShapes(s [][]int) [][]int {
	out := make([][]int, len(s))
	for i, v := range s {
		out[i] = slices.Clone(v)
	}
	return out
}

func shapesList(s [][]int) string {
	out := "["
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += shapeString(-1, v)
	}
	return out + "]"
}

// inputShapes returns the shapes (without batch) of the model's inputs.
func (m *Model) inputShapes() [][]int {
	if m.fn == nil {
		return [][]int{m.in.shape}
	}
	out := make([][]int, len(m.fn.inputs))
	for i, t := range m.fn.inputs {
		out[i] = t.shape
	}
	return out
}

// outputShapes returns the shapes (without batch) of the model's outputs.
func (m *Model) outputShapes() [][]int {
	if m.fn == nil {
		return [][]int{m.outShape}
	}
	out := make([][]int, len(m.fn.outputs))
	for i, t := range m.fn.outputs {
		out[i] = t.shape
	}
	return out
}

var _ = tensor.Float32
