package checkpoint

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/tensor"
)

// Object is one object of an object-based checkpoint's graph (its TrackableObjectGraph),
// for reading and writing checkpoints of any object structure: a Keras model whose layers
// kerasgo does not implement, a nested model, an RNN layer's cell. Objects may be shared and
// the graph may have cycles (tf_keras lists the root as its own child "root").
type Object struct {
	// Children are the object's dependencies in the order the graph lists them, by local
	// name ("layer_with_weights-0", "kernel", "cell").
	Children []ObjectChild
	// Key is the checkpoint key of the object's VARIABLE_VALUE attribute
	// ("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"); "" for an object without
	// a value. ObjectGraph sets it; WriteObjects derives it from the object's first path.
	Key string
	// FullName is the variable's name as TF recorded it ("conv_a/kernel").
	FullName string
	// Value is the variable's value to write (WriteObjects); ObjectGraph leaves it nil:
	// read it with Reader.Read(Key).
	Value *tensor.Tensor
}

// ObjectChild is a named dependency of an Object.
type ObjectChild struct {
	Name   string
	Object *Object
}

// Child returns the child of o called name, or nil.
func (o *Object) Child(name string) *Object {
	for _, c := range o.Children {
		if c.Name == name {
			return c.Object
		}
	}
	return nil
}

// ObjectGraph returns the root of the bundle's object graph (its _CHECKPOINTABLE_OBJECT_GRAPH)
// with each variable's key and full name; values are not read.
func (r *Reader) ObjectGraph() (*Object, error) {
	g, err := r.objectGraph()
	if err != nil {
		if !r.Has(ObjectGraphKey) {
			return nil, errorf(IndexFile(r.prefix), ObjectGraphKey, -1, ErrUnsupported, "not an object-based (TF2) checkpoint")
		}
		return nil, err
	}
	if len(g.Nodes) == 0 {
		return nil, errorf(IndexFile(r.prefix), ObjectGraphKey, -1, ErrFormat, "empty object graph")
	}
	objs := make([]*Object, len(g.Nodes))
	for i := range objs {
		objs[i] = &Object{}
	}
	for i, n := range g.Nodes {
		for _, c := range n.Children {
			if c.NodeId < 0 || int(c.NodeId) >= len(objs) {
				return nil, errorf(IndexFile(r.prefix), ObjectGraphKey, -1, ErrFormat, "node %d: child %q refers to node %d of %d", i, c.LocalName, c.NodeId, len(objs))
			}
			objs[i].Children = append(objs[i].Children, ObjectChild{Name: c.LocalName, Object: objs[c.NodeId]})
		}
		for _, a := range n.Attributes {
			if a.Name == variableValue {
				objs[i].Key, objs[i].FullName = a.CheckpointKey, a.FullName
			}
		}
	}
	return objs[0], nil
}

// WriteObjects writes an object-based bundle at prefix holding the graph rooted at root:
// every object with a Value becomes a variable keyed by its first breadth-first path from
// the root, as TF keys it ("layer_with_weights-1/layer_with_weights-0/kernel/.ATTRIBUTES/
// VARIABLE_VALUE"), and the object graph is stored under _CHECKPOINTABLE_OBJECT_GRAPH. It does
// not touch the folder's `checkpoint` state file (see WriteState).
func WriteObjects(prefix string, root *Object, opts ...WriterOptions) error {
	if root == nil {
		return fmt.Errorf("checkpoint: WriteObjects: no root object")
	}
	nodes := map[*Object]*node{}
	var conv func(o *Object) *node
	conv = func(o *Object) *node {
		if n, ok := nodes[o]; ok {
			return n
		}
		n := &node{fullName: o.FullName, value: o.Value}
		nodes[o] = n
		for _, c := range o.Children {
			n.add(c.Name, conv(c.Object))
		}
		return n
	}
	order, g := serialize(conv(root))
	gb, err := proto.MarshalOptions{Deterministic: true}.Marshal(g)
	if err != nil {
		return fmt.Errorf("checkpoint: object graph: %w", err)
	}
	w, err := NewWriter(prefix, opts...)
	if err != nil {
		return err
	}
	for _, n := range order {
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
