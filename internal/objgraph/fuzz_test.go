package objgraph_test

import (
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/objgraph"
	"github.com/kerasgo/kerasgo/tensor"
)

// FuzzParseTrackable parses arbitrary bytes as a checkpoint's object graph: errors are fine;
// a graph that parses must have every node reference in range (what the readers of the graph
// rely on), and nothing may panic.
func FuzzParseTrackable(f *testing.F) {
	for _, p := range []string{"tfkeras/ckpt/weights", "tfcheckpoint/plain/ckpt-1", "tfkeras/savedmodel/variables/variables"} {
		r, err := checkpoint.Open(filepath.Join("..", "..", "testdata", "formats", "seed", filepath.FromSlash(p)))
		if err != nil {
			continue
		}
		if t, err := r.Read(checkpoint.ObjectGraphKey); err == nil {
			f.Add(t.Data.([][]byte)[0])
		}
		r.Close()
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := objgraph.ParseTrackable(&tensor.Tensor{DType: tensor.String, Shape: []int{}, Data: [][]byte{b}})
		if err != nil {
			return
		}
		for i, n := range g.Nodes {
			for _, c := range n.Children {
				if c.NodeId < 0 || int(c.NodeId) >= len(g.Nodes) {
					t.Fatalf("node %d: child %d of %d nodes accepted", i, c.NodeId, len(g.Nodes))
				}
			}
			for _, s := range n.SlotVariables {
				if int(s.OriginalVariableNodeId) >= len(g.Nodes) || int(s.SlotVariableNodeId) >= len(g.Nodes) ||
					s.OriginalVariableNodeId < 0 || s.SlotVariableNodeId < 0 {
					t.Fatalf("node %d: slot variable reference out of range accepted", i)
				}
			}
		}
	})
}
