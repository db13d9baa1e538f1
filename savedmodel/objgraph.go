package savedmodel

import (
	"strings"

	pb "github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/tensor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The writer builds one tree of trackable objects and derives from it both the
// SavedObjectGraph of saved_model.pb and the TrackableObjectGraph stored in the variables
// bundle. Some nodes and edges belong to only one of the two (the signature map only to the
// SavedObjectGraph, the optimizer only to the checkpoint).

type graphMask uint8

const (
	inSaved graphMask = 1 << iota
	inCkpt
	inBoth = inSaved | inCkpt
)

type tvar struct {
	name      string // TF variable name, "conv_1/kernel"
	value     *tensor.Tensor
	trainable bool
	onRead    bool // BatchNormalization moving statistics: ON_READ / MEAN
	key       string
}

type tedge struct {
	name string
	node int
	mask graphMask
}

// tslot records a legacy (optimizer_v2) slot variable on its optimizer's node.
type tslot struct {
	orig, slot int
	name       string
}

type tnode struct {
	mask       graphMask
	slots      []tslot
	identifier string // user_object identifier
	producer   int32
	variable   *tvar
	bareFn     *pb.SavedBareConcreteFunction
	children   []tedge
}

type tree struct {
	nodes   []*tnode
	subVars bool // some variable belongs to a sub-layer (see addLayerVariables)
}

func (t *tree) add(n *tnode) int {
	t.nodes = append(t.nodes, n)
	return len(t.nodes) - 1
}

func (t *tree) user(mask graphMask, identifier string) int {
	return t.add(&tnode{mask: mask, identifier: identifier, producer: 1})
}

func (t *tree) variable(mask graphMask, v *tvar) int {
	return t.add(&tnode{mask: mask, variable: v})
}

func (t *tree) link(parent int, name string, child int, mask graphMask) {
	t.nodes[parent].children = append(t.nodes[parent].children, tedge{name, child, mask})
}

// ids numbers the nodes present in the graph selected by mask, keeping tree order.
func (t *tree) ids(mask graphMask) []int {
	ids := make([]int, len(t.nodes))
	n := 0
	for i, nd := range t.nodes {
		ids[i] = -1
		if nd.mask&mask != 0 {
			ids[i] = n
			n++
		}
	}
	return ids
}

// escapeName escapes one object-path component as TF's checkpoint naming does.
func escapeName(s string) string {
	return strings.NewReplacer(".", "..", "/", ".S").Replace(s)
}

// assignKeys gives every checkpointed variable its key: the breadth-first path of local names
// from the root in the checkpoint graph.
func (t *tree) assignKeys() {
	path := make([]string, len(t.nodes))
	seen := make([]bool, len(t.nodes))
	seen[0] = true
	queue := []int{0}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range t.nodes[n].children {
			if e.mask&inCkpt == 0 || seen[e.node] {
				continue
			}
			seen[e.node] = true
			if path[n] == "" {
				path[e.node] = escapeName(e.name)
			} else {
				path[e.node] = path[n] + "/" + escapeName(e.name)
			}
			queue = append(queue, e.node)
		}
	}
	for i, nd := range t.nodes {
		if nd.variable != nil && nd.mask&inCkpt != 0 && seen[i] {
			nd.variable.key = path[i] + attributesSuffix
		}
	}
	// Legacy slot variables hang off their optimizer, keyed under the original variable.
	for i, nd := range t.nodes {
		for _, s := range nd.slots {
			if seen[i] && seen[s.orig] {
				t.nodes[s.slot].variable.key = path[s.orig] + "/.OPTIMIZER_SLOT/" + path[i] + "/" + escapeName(s.name) + attributesSuffix
			}
		}
	}
}

func (t *tree) refs(n *tnode, mask graphMask, ids []int) []*pb.TrackableObjectGraph_TrackableObject_ObjectReference {
	var out []*pb.TrackableObjectGraph_TrackableObject_ObjectReference
	for _, e := range n.children {
		if e.mask&mask == 0 || ids[e.node] < 0 {
			continue
		}
		out = append(out, &pb.TrackableObjectGraph_TrackableObject_ObjectReference{NodeId: int32(ids[e.node]), LocalName: e.name})
	}
	return out
}

// savedObjectGraph builds the SavedObjectGraph part of the tree.
func (t *tree) savedObjectGraph() (*pb.SavedObjectGraph, []int) {
	ids := t.ids(inSaved)
	g := &pb.SavedObjectGraph{}
	for _, n := range t.nodes {
		if n.mask&inSaved == 0 {
			continue
		}
		o := &pb.SavedObject{Children: t.refs(n, inSaved, ids)}
		switch {
		case n.variable != nil:
			v := n.variable
			sv := &pb.SavedVariable{Dtype: pb.DataType(v.value.DType), Shape: shapeProto(v.value.Shape), Trainable: v.trainable, Name: v.name}
			if v.onRead {
				sv.Synchronization = pb.VariableSynchronization_VARIABLE_SYNCHRONIZATION_ON_READ
				sv.Aggregation = pb.VariableAggregation_VARIABLE_AGGREGATION_MEAN
			}
			o.Kind = &pb.SavedObject_Variable{Variable: sv}
		case n.bareFn != nil:
			o.Kind = &pb.SavedObject_BareConcreteFunction{BareConcreteFunction: n.bareFn}
		default:
			o.Kind = &pb.SavedObject_UserObject{UserObject: &pb.SavedUserObject{
				Identifier: n.identifier, Version: &pb.VersionDef{Producer: n.producer, MinConsumer: 1}}}
		}
		g.Nodes = append(g.Nodes, o)
	}
	return g, ids
}

// checkpointGraph builds the TrackableObjectGraph stored under _CHECKPOINTABLE_OBJECT_GRAPH.
// assignKeys must have run.
func (t *tree) checkpointGraph() *pb.TrackableObjectGraph {
	ids := t.ids(inCkpt)
	// has_checkpoint_values: the node or something below it holds a value.
	memo := make([]int8, len(t.nodes))
	var hasValues func(i int) bool
	hasValues = func(i int) bool {
		switch memo[i] {
		case 1:
			return true
		case 2, 3:
			return false // 3: in progress (cycle)
		}
		memo[i] = 3
		r := t.nodes[i].variable != nil
		for _, e := range t.nodes[i].children {
			if e.mask&inCkpt != 0 && hasValues(e.node) {
				r = true
			}
		}
		memo[i] = 2
		if r {
			memo[i] = 1
		}
		return r
	}
	g := &pb.TrackableObjectGraph{}
	for i, n := range t.nodes {
		if n.mask&inCkpt == 0 {
			continue
		}
		o := &pb.TrackableObjectGraph_TrackableObject{Children: t.refs(n, inCkpt, ids)}
		for _, s := range n.slots {
			o.SlotVariables = append(o.SlotVariables, &pb.TrackableObjectGraph_TrackableObject_SlotVariableReference{
				OriginalVariableNodeId: int32(ids[s.orig]), SlotName: s.name, SlotVariableNodeId: int32(ids[s.slot])})
		}
		if v := n.variable; v != nil {
			o.Attributes = []*pb.TrackableObjectGraph_TrackableObject_SerializedTensor{{
				Name: "VARIABLE_VALUE", FullName: v.name, CheckpointKey: v.key}}
		}
		o.HasCheckpointValues = wrapperspb.Bool(hasValues(i))
		g.Nodes = append(g.Nodes, o)
	}
	return g
}
