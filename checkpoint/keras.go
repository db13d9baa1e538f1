package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/kerasgo/kerasgo/internal/objgraph"
	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// node is one trackable object of the graph being written.
type node struct {
	children []edge
	fullName string         // variables only
	value    *tensor.Tensor // variables only
	id       int
	path     []string
}

type edge struct {
	name string
	n    *node
}

func (n *node) add(name string, c *node) { n.children = append(n.children, edge{name, c}) }

func variable(fullName string, v *tensor.Tensor) *node { return &node{fullName: fullName, value: v} }

// kerasGraph builds the object graph tf_keras 2.x saves for a Sequential model from
// model.save_weights(prefix): the model is the root; each layer is a child "layer-<i>", and
// layers with weights are also reached first as "layer_with_weights-<j>"; the optimizer
// follows, then the train function placeholders and a "root" self-reference.
func kerasGraph(m *saved.Model, functions []string) (*node, error) {
	root := &node{}
	varNodes := map[[2]string]*node{}
	withWeights := 0
	for i, l := range m.Layers {
		ln, err := layerGraph(l, varNodes, 0)
		if err != nil {
			return nil, err
		}
		if len(l.Weights) > 0 {
			root.add(fmt.Sprintf("layer_with_weights-%d", withWeights), ln)
			withWeights++
		}
		root.add(fmt.Sprintf("layer-%d", i), ln)
	}
	if o := m.Optimizer; o != nil {
		on, err := optimizerGraph(o, m, varNodes)
		if err != nil {
			return nil, err
		}
		root.add("optimizer", on)
		if functions == nil && len(o.Slots) > 0 {
			functions = []string{"train"}
		}
	}
	for _, f := range functions {
		switch f {
		case "train":
			// tf_keras tracks the traced train function under two names.
			tf := &node{}
			root.add("train_tf_function", tf)
			root.add("train_function", tf)
		case "test", "predict":
			root.add(f+"_function", &node{})
		default:
			return nil, fmt.Errorf("checkpoint: unknown Keras function %q (want train, test or predict)", f)
		}
	}
	root.add("root", root)
	return root, nil
}

// optimizerGraph builds the node of a tf_keras 2.11+ optimizer: "_variables" lists the
// iteration counter and every slot variable, "_iterations" and "_learning_rate" are its
// scalars, and, once built, "_index_dict" and one list per slot kind follow.
func optimizerGraph(o *saved.Optimizer, m *saved.Model, varNodes map[[2]string]*node) (*node, error) {
	on := &node{}
	vars := &node{}
	iter := variable("iteration", tensor.Scalar(o.Iterations))
	lr := o.LearningRate
	if lr == 0 && len(o.Config) > 0 {
		var c struct {
			LearningRate *float64 `json:"learning_rate"`
		}
		if json.Unmarshal(o.Config, &c) == nil && c.LearningRate != nil {
			lr = float32(*c.LearningRate)
		}
	}
	lrn := variable("learning_rate", tensor.Scalar(lr))
	on.add("_variables", vars)
	on.add("_iterations", iter)
	on.add("_learning_rate", lrn)
	vars.add("0", iter)
	slots := o.Slots
	if len(slots) == 0 && o.Class == "SGD" && o.Iterations > 0 {
		// tf_keras SGD keeps a momentum slot even with momentum 0 (Keras 3 keeps none).
		for _, lw := range m.TrainableVariables() {
			v := varNodes[lw].value
			z, err := tensor.New(v.DType, v.Shape)
			if err != nil {
				return nil, fmt.Errorf("checkpoint: %w", err)
			}
			slots = append(slots, saved.Slot{Layer: lw[0], Weight: lw[1], Name: "momentum", Value: z})
		}
	}
	if len(slots) == 0 {
		return on, nil
	}
	on.add("_index_dict", &node{})

	// Slots grouped by kind, in model-variable order, and the kinds in first-seen order.
	var kinds []string
	byKind := map[string][]saved.Slot{}
	for _, s := range slots {
		k := saved.Keras2SlotName(o.Class, s.Name)
		if _, ok := byKind[k]; !ok {
			kinds = append(kinds, k)
		}
		if s.Value == nil {
			return nil, fmt.Errorf("checkpoint: optimizer slot %s of %s/%s has no value", s.Name, s.Layer, s.Weight)
		}
		if _, ok := varNodes[[2]string{s.Layer, s.Weight}]; !ok {
			// Slots of a nested model's weights name the layer that owns them.
			return nil, fmt.Errorf("checkpoint: optimizer slot %s names unknown variable %s/%s", s.Name, s.Layer, s.Weight)
		}
		byKind[k] = append(byKind[k], s)
	}
	slotNode := func(k string, s saved.Slot) *node {
		// The model variable's full name ("dense/kernel", "lstm/lstm_cell/kernel").
		return variable(fmt.Sprintf("%s/%s/%s", o.Class, k, varNodes[[2]string{s.Layer, s.Weight}].fullName), s.Value)
	}
	nodes := map[string][]*node{}
	for _, k := range kinds {
		for _, s := range byKind[k] {
			nodes[k] = append(nodes[k], slotNode(k, s))
		}
	}
	// The order in which tf_keras creates slot variables (and so lists them in _variables),
	// and the attribute names of the per-kind lists.
	var order []*node
	var lists []edge
	listName := func(k string) string {
		switch k {
		case "m", "momentum":
			return "_momentums"
		case "v", "velocity":
			return "_velocities"
		case "vhat":
			return "_velocity_hats"
		}
		return "_" + k + "s"
	}
	switch o.Class {
	case "Adam", "AdamW":
		// m and v interleaved per variable, then every vhat.
		for i := range nodes["m"] {
			order = append(order, nodes["m"][i])
			if i < len(nodes["v"]) {
				order = append(order, nodes["v"][i])
			}
		}
		order = append(order, nodes["vhat"]...)
		for _, k := range []string{"m", "v", "vhat"} {
			if len(nodes[k]) > 0 {
				lists = append(lists, edge{listName(k), listNode(nodes[k])})
			}
		}
	case "SGD":
		order = nodes["m"]
		lists = append(lists, edge{"momentums", listNode(nodes["m"])})
	case "RMSprop":
		// Every kind in full; the three lists exist even when momentum or centering is off.
		for _, k := range []string{"velocity", "momentum", "average_gradient"} {
			order = append(order, nodes[k]...)
			lists = append(lists, edge{listName(k), listNode(nodes[k])})
		}
	default:
		// RMSprop and others: each kind in full, in first-seen order.
		for _, k := range kinds {
			order = append(order, nodes[k]...)
			lists = append(lists, edge{listName(k), listNode(nodes[k])})
		}
	}
	for i, n := range order {
		vars.add(strconv.Itoa(i+1), n)
	}
	on.children = append(on.children, lists...)
	return on, nil
}

func listNode(ns []*node) *node {
	l := &node{}
	for i, n := range ns {
		l.add(strconv.Itoa(i), n)
	}
	return l
}

// escapeName escapes one object name of a checkpoint key as TF does.
func escapeName(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, ".", ".."), "/", ".S")
}

// serialize numbers the graph breadth-first from root (as TF does), gives each variable the
// key of its first path, and returns the nodes in id order and the TrackableObjectGraph.
func serialize(root *node) ([]*node, *tfpb.TrackableObjectGraph) {
	var order []*node
	seen := map[*node]bool{root: true}
	root.id = 0
	queue := []*node{root}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		order = append(order, n)
		for _, c := range n.children {
			if !seen[c.n] {
				seen[c.n] = true
				c.n.id = len(seen) - 1
				c.n.path = append(append([]string(nil), n.path...), escapeName(c.name))
				queue = append(queue, c.n)
			}
		}
	}
	has := map[*node]bool{}
	var hasValues func(n *node, visiting map[*node]bool) bool
	hasValues = func(n *node, visiting map[*node]bool) bool {
		if v, ok := has[n]; ok {
			return v
		}
		if visiting[n] {
			return false
		}
		visiting[n] = true
		v := n.value != nil
		for _, c := range n.children {
			if hasValues(c.n, visiting) {
				v = true
			}
		}
		has[n] = v
		return v
	}
	g := &tfpb.TrackableObjectGraph{}
	for _, n := range order {
		o := &tfpb.TrackableObjectGraph_TrackableObject{}
		for _, c := range n.children {
			o.Children = append(o.Children, &tfpb.TrackableObjectGraph_TrackableObject_ObjectReference{
				NodeId: int32(c.n.id), LocalName: c.name})
		}
		if n.value != nil {
			o.Attributes = []*tfpb.TrackableObjectGraph_TrackableObject_SerializedTensor{{
				Name: variableValue, FullName: n.fullName, CheckpointKey: n.key()}}
		}
		o.HasCheckpointValues = wrapperspb.Bool(hasValues(n, map[*node]bool{}))
		g.Nodes = append(g.Nodes, o)
	}
	return order, g
}

func (n *node) key() string { return strings.Join(n.path, "/") + attributesSuffix }

// SaveKerasWeights writes what tf_keras 2.x model.save_weights(prefix) writes for m (TF
// format, no .h5 suffix): the object-based bundle at prefix, keyed as tf_keras keys it, with
// the optimizer's state when m.Optimizer is set, then the folder's `checkpoint` state file
// naming prefix as the latest checkpoint. m.Layers must list every layer of model.layers,
// weightless ones included, since the layer-<i> numbering counts them all.
func SaveKerasWeights(prefix string, m *saved.Model) error {
	return KerasOptions{}.Save(prefix, m)
}

// KerasOptions configures SaveKerasWeights. The zero value matches a model that was
// compiled and trained with fit() (or not compiled, when the Model has no optimizer).
type KerasOptions struct {
	// Functions lists the Keras functions the model has traced, in the order it first ran
	// them: "train" (fit, train_on_batch), "test" (evaluate), "predict" (predict). tf_keras
	// records each as an empty object in the checkpoint's object graph; they carry no values
	// and restoring ignores them, but they are part of the bytes. Nil means {"train"} when
	// the optimizer has slots, none otherwise.
	Functions []string
	// Writer configures the bundle writer.
	Writer WriterOptions
}

// Save writes the checkpoint of SaveKerasWeights with these options. The bundle is built
// under a temporary prefix; the folder's state file then names it while it is put in place at
// prefix, and names prefix at the end (see "Saving" in the package documentation). A file named
// `checkpoint` in the folder is replaced only if it is a checkpoint state file.
func (o KerasOptions) Save(prefix string, m *saved.Model) error {
	return o.write(prefix, m, true)
}

// WriteBundle writes the object-based bundle of Save without touching the state file.
func (o KerasOptions) WriteBundle(prefix string, m *saved.Model) error {
	return o.write(prefix, m, false)
}

func (o KerasOptions) write(prefix string, m *saved.Model, state bool) error {
	root, err := kerasGraph(m, o.Functions)
	if err != nil {
		return err
	}
	nodes, g := serialize(root)
	gb, err := proto.MarshalOptions{Deterministic: true}.Marshal(g)
	if err != nil {
		return fmt.Errorf("checkpoint: object graph: %w", err)
	}
	w, err := newWriter(prefix, o.Writer, state)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if n.value != nil {
			if err := w.Add(n.key(), n.value); err != nil {
				w.Abort()
				return err
			}
		}
	}
	graph := &tensor.Tensor{DType: tensor.String, Shape: []int{}, Data: [][]byte{gb}}
	if err := w.Add(ObjectGraphKey, graph); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// KerasFunctions returns the traced Keras functions an object-based checkpoint records
// under its root, in order ("train", "test", "predict"); see KerasOptions.Functions.
func (r *Reader) KerasFunctions() ([]string, error) {
	g, err := r.objectGraph()
	if err != nil {
		return nil, err
	}
	var out []string
	if len(g.Nodes) == 0 {
		return nil, nil
	}
	for _, c := range g.Nodes[0].Children {
		switch c.LocalName {
		case "train_function":
			out = append(out, "train")
		case "test_function":
			out = append(out, "test")
		case "predict_function":
			out = append(out, "predict")
		}
	}
	return out, nil
}

// objectGraph reads and parses the bundle's _CHECKPOINTABLE_OBJECT_GRAPH.
func (r *Reader) objectGraph() (*tfpb.TrackableObjectGraph, error) {
	t, err := r.Read(ObjectGraphKey)
	if err != nil {
		return nil, err
	}
	g, err := objgraph.ParseTrackable(t)
	if err != nil {
		return nil, errorf(IndexFile(r.prefix), ObjectGraphKey, -1, ErrFormat, "%v", err)
	}
	return g, nil
}

// LoadKerasWeights reads an object-based checkpoint written by tf_keras model.save_weights
// (or by tf.train.Checkpoint(model=..., optimizer=...)): layers by position (layer-<i>), each
// with its variables in the order the object graph lists them and named from the variables'
// full names, and the optimizer's iteration count, learning rate and slots (with Keras 3 slot
// names). Weightless layers are returned with an empty Name and Class: the checkpoint does
// not record them. Config and the optimizer's Config are nil. prefix may also be a folder
// holding a `checkpoint` state file.
func LoadKerasWeights(prefix string) (*saved.Model, error) {
	return ReaderOptions{}.LoadKerasWeights(prefix)
}

// LoadKerasWeights is the package-level LoadKerasWeights with these options.
func (o ReaderOptions) LoadKerasWeights(prefix string) (*saved.Model, error) {
	if o.OpenFile != nil {
		// A remote bundle: the caller resolved any state file.
	} else if _, err := ReadState(prefix); err == nil {
		p, err := Latest(prefix)
		if err != nil {
			return nil, err
		}
		prefix = p
	}
	r, err := o.Open(prefix)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := r.checkTotal(); err != nil {
		return nil, err
	}
	g, err := r.objectGraph()
	if err != nil {
		if !r.Has(ObjectGraphKey) {
			return nil, errorf(IndexFile(prefix), ObjectGraphKey, -1, ErrUnsupported, "not an object-based (TF2) checkpoint")
		}
		return nil, err
	}
	return kerasFromGraph(r, g)
}

type varRef struct{ layer, weight string }

type graphReader struct {
	r    *Reader
	g    *tfpb.TrackableObjectGraph
	file string
}

func (gr *graphReader) child(id int32, name string) (int32, bool) {
	for _, c := range gr.g.Nodes[id].Children {
		if c.LocalName == name {
			return c.NodeId, true
		}
	}
	return 0, false
}

// value returns the VARIABLE_VALUE attribute of a node, if it has one.
func (gr *graphReader) value(id int32) (*tfpb.TrackableObjectGraph_TrackableObject_SerializedTensor, bool) {
	for _, a := range gr.g.Nodes[id].Attributes {
		if a.Name == variableValue {
			return a, true
		}
	}
	return nil, false
}

func (gr *graphReader) read(a *tfpb.TrackableObjectGraph_TrackableObject_SerializedTensor) (*tensor.Tensor, error) {
	t, err := gr.r.Read(a.CheckpointKey)
	if errors.Is(err, ErrNotFound) {
		// The object graph names a tensor the index does not hold: the checkpoint
		// contradicts itself.
		return nil, errorf(IndexFile(gr.r.prefix), a.CheckpointKey, -1, ErrFormat, "named by the object graph but not in the index")
	}
	return t, err
}

func kerasFromGraph(r *Reader, g *tfpb.TrackableObjectGraph) (*saved.Model, error) {
	gr := &graphReader{r: r, g: g, file: IndexFile(r.prefix)}
	if len(g.Nodes) == 0 {
		return nil, errorf(gr.file, ObjectGraphKey, -1, ErrFormat, "empty object graph")
	}
	modelID := int32(0)
	if _, ok := gr.child(0, "layer-0"); !ok {
		if id, ok := gr.child(0, "model"); ok {
			modelID = id
		}
	}
	type layerRef struct {
		i  int
		id int32
	}
	var refs []layerRef
	for _, c := range g.Nodes[modelID].Children {
		if n, ok := strings.CutPrefix(c.LocalName, "layer-"); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= 0 {
				refs = append(refs, layerRef{i, c.NodeId})
			}
		}
	}
	if len(refs) == 0 {
		return nil, errorf(gr.file, ObjectGraphKey, -1, ErrUnsupported, "object graph has no Keras layers (no layer-<i> children)")
	}
	sort.Slice(refs, func(a, b int) bool { return refs[a].i < refs[b].i })
	for k, ref := range refs {
		if ref.i != k {
			return nil, errorf(gr.file, ObjectGraphKey, -1, ErrFormat, "layer numbering has a gap before layer-%d", ref.i)
		}
	}
	m := &saved.Model{Dialect: saved.Keras2, Backend: "tensorflow"}
	byNode := map[int32]varRef{}
	byFull := map[string]varRef{}
	for _, ref := range refs {
		if sub := gr.layerRefs(ref.id); sub != nil {
			l, err := gr.nestedLayer(sub, byNode, byFull, 0)
			if err != nil {
				return nil, err
			}
			m.Layers = append(m.Layers, l)
			continue
		}
		l, err := gr.readLayer(ref.id, byNode, byFull)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, l)
	}
	optID, ok := gr.child(modelID, "optimizer")
	if !ok && modelID != 0 {
		optID, ok = gr.child(0, "optimizer")
	}
	if ok {
		o, err := gr.optimizer(optID, byNode, func(full string) (string, string, bool) {
			v, ok := byFull[full]
			return v.layer, v.weight, ok
		})
		if err != nil {
			return nil, err
		}
		m.Optimizer = o
		// Trainable: exactly the variables the optimizer keeps slots for.
		if len(o.Slots) > 0 {
			has := map[[2]string]bool{}
			for _, s := range o.Slots {
				has[[2]string{s.Layer, s.Weight}] = true
			}
			setTrainable(m.Layers, has)
		}
	}
	return m, nil
}

func (gr *graphReader) scalar(id int32, names ...string) (*tensor.Tensor, bool, error) {
	for _, n := range names {
		if c, ok := gr.child(id, n); ok {
			if a, ok := gr.value(c); ok {
				t, err := gr.read(a)
				if err != nil {
					return nil, false, err
				}
				if t.Len() != 1 {
					return nil, false, errorf(gr.file, a.CheckpointKey, -1, ErrFormat, "optimizer %s is not a scalar", n)
				}
				return t, true, nil
			}
		}
	}
	return nil, false, nil
}

func (gr *graphReader) optimizer(id int32, byNode map[int32]varRef, lookup func(string) (string, string, bool)) (*saved.Optimizer, error) {
	o := &saved.Optimizer{}
	it, ok, err := gr.scalar(id, "_iterations", "iter")
	if err != nil {
		return nil, err
	}
	if ok {
		f, err := it.ToFloat32()
		if err != nil {
			return nil, errorf(gr.file, "", -1, ErrFormat, "optimizer iterations: %v", err)
		}
		switch x := it.Data.(type) {
		case []int64:
			o.Iterations = x[0]
		default:
			o.Iterations = int64(f.Float32s()[0])
		}
	}
	lr, ok, err := gr.scalar(id, "_learning_rate", "learning_rate")
	if err != nil {
		return nil, err
	}
	if ok {
		f, err := lr.ToFloat32()
		if err != nil {
			return nil, errorf(gr.file, "", -1, ErrFormat, "optimizer learning rate: %v", err)
		}
		o.LearningRate = f.Float32s()[0]
	}

	type slot struct {
		layer, weight, kind string
		value               *tensor.Tensor
	}
	var slots []slot
	var kinds []string
	seenKind := map[string]bool{}
	addKind := func(k string) {
		if !seenKind[k] {
			seenKind[k] = true
			kinds = append(kinds, k)
		}
	}
	if vars, ok := gr.child(id, "_variables"); ok {
		// tf_keras 2.11+ optimizer: slot full names are <Class>/<slot>/<layer>/<weight>.
		for _, c := range gr.g.Nodes[vars].Children {
			a, ok := gr.value(c.NodeId)
			if !ok || a.FullName == "iteration" {
				continue
			}
			parts := strings.SplitN(a.FullName, "/", 3)
			if len(parts) != 3 {
				continue
			}
			layer, weight, ok := lookup(parts[2])
			if !ok {
				return nil, errorf(gr.file, a.CheckpointKey, -1, ErrFormat, "optimizer variable %q belongs to no model variable", a.FullName)
			}
			t, err := gr.read(a)
			if err != nil {
				return nil, err
			}
			o.Class = parts[0]
			addKind(parts[1])
			slots = append(slots, slot{layer, weight, parts[1], t})
		}
	}
	// Legacy (optimizer_v2) slots are recorded as slot-variable references.
	for _, s := range gr.g.Nodes[id].SlotVariables {
		v, ok := byNode[s.OriginalVariableNodeId]
		if !ok {
			continue
		}
		a, ok := gr.value(s.SlotVariableNodeId)
		if !ok {
			continue
		}
		t, err := gr.read(a)
		if err != nil {
			return nil, err
		}
		if o.Class == "" {
			if i := strings.Index(a.FullName, "/"); i > 0 {
				o.Class = a.FullName[:i]
			}
		}
		addKind(s.SlotName)
		slots = append(slots, slot{v.layer, v.weight, s.SlotName, t})
	}
	// Keras 3 order: per model variable (model order), its slots in the optimizer's order.
	kindRank := map[string]int{}
	for i, k := range kinds {
		kindRank[k] = i
	}
	order := gr.modelOrder(byNode)
	sort.SliceStable(slots, func(a, b int) bool {
		ka, kb := order[[2]string{slots[a].layer, slots[a].weight}], order[[2]string{slots[b].layer, slots[b].weight}]
		if ka != kb {
			return ka < kb
		}
		return kindRank[slots[a].kind] < kindRank[slots[b].kind]
	})
	for _, s := range slots {
		o.Slots = append(o.Slots, saved.Slot{Layer: s.layer, Weight: s.weight,
			Name: saved.Keras3SlotName(o.Class, s.kind), Value: s.value})
	}
	return o, nil
}

// modelOrder ranks model variables by node id, which follows layer order and, within a
// layer, weight order.
func (gr *graphReader) modelOrder(byNode map[int32]varRef) map[[2]string]int {
	ids := make([]int32, 0, len(byNode))
	for id := range byNode {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	out := map[[2]string]int{}
	for i, id := range ids {
		v := byNode[id]
		out[[2]string{v.layer, v.weight}] = i
	}
	return out
}
