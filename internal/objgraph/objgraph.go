// Package objgraph parses the object graph TensorFlow stores in a checkpoint under
// _CHECKPOINTABLE_OBJECT_GRAPH (a scalar string tensor holding a TrackableObjectGraph).
// It is internal so that the generated protobuf types stay out of kerasgo's public API.
package objgraph

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/tensor"
)

// ErrFormat reports a tensor that does not hold a valid object graph.
var ErrFormat = errcat.New("objgraph: invalid object graph", errcat.ErrFormat)

// ParseTrackable decodes the object graph held in t, a string tensor of one element, and
// checks every node reference. Errors wrap ErrFormat and do not name the file: the caller
// does.
func ParseTrackable(t *tensor.Tensor) (*tfpb.TrackableObjectGraph, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: no tensor", ErrFormat)
	}
	vals, ok := t.Data.([][]byte)
	if t.DType != tensor.String || !ok {
		return nil, fmt.Errorf("%w: tensor is %v %v, want a string scalar", ErrFormat, t.DType, t.Shape)
	}
	if len(vals) != 1 {
		return nil, fmt.Errorf("%w: tensor has %d elements, want 1", ErrFormat, len(vals))
	}
	g := &tfpb.TrackableObjectGraph{}
	if err := proto.Unmarshal(vals[0], g); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	for i, n := range g.Nodes {
		for _, c := range n.Children {
			if c.NodeId < 0 || int(c.NodeId) >= len(g.Nodes) {
				return nil, fmt.Errorf("%w: node %d: child %q points to node %d of %d", ErrFormat, i, c.LocalName, c.NodeId, len(g.Nodes))
			}
		}
		for _, s := range n.SlotVariables {
			if s.OriginalVariableNodeId < 0 || int(s.OriginalVariableNodeId) >= len(g.Nodes) ||
				s.SlotVariableNodeId < 0 || int(s.SlotVariableNodeId) >= len(g.Nodes) {
				return nil, fmt.Errorf("%w: node %d: slot variable reference out of range", ErrFormat, i)
			}
		}
	}
	return g, nil
}
