package checkpoint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
)

// maxNesting bounds how deep nested models are followed.
const maxNesting = 16

// layerGraph builds the node of one layer: its tracked children, then its variables; a
// nested model (l.Children) tracks its own layers as a model does (layer_with_weights-<j>,
// layer-<i>), so that its variables' keys are
// layer_with_weights-<j>/layer_with_weights-<k>/<weight>.
func layerGraph(l saved.Layer, varNodes map[[2]string]*node, depth int) (*node, error) {
	ln := &node{}
	if l.Children != nil {
		if depth >= maxNesting {
			return nil, fmt.Errorf("checkpoint: %w: models nested more than %d deep", ErrUnsupported, maxNesting)
		}
		withWeights := 0
		for i, c := range l.Children {
			cn, err := layerGraph(c, varNodes, depth+1)
			if err != nil {
				return nil, err
			}
			if len(c.Weights) > 0 {
				ln.add(fmt.Sprintf("layer_with_weights-%d", withWeights), cn)
				withWeights++
			}
			ln.add(fmt.Sprintf("layer-%d", i), cn)
		}
		return ln, nil
	}
	if obj := saved.WeightObjectOf(l.Class); obj != "" {
		return subObjectGraph(l, obj, varNodes)
	}
	if saved.SubLayersOf(l.Class) != nil {
		return subLayersGraph(l, varNodes)
	}
	// Tracked children without variables (BatchNormalization's axis list) come first.
	for _, name := range l.Tracked {
		ln.add(name, &node{})
	}
	for _, w := range l.Weights {
		if w.Value == nil {
			return nil, fmt.Errorf("checkpoint: layer %q weight %q has no value", l.Name, w.Name)
		}
		if _, dup := varNodes[[2]string{l.Name, w.Name}]; dup {
			return nil, fmt.Errorf("checkpoint: two weights named %q in layers named %q", w.Name, l.Name)
		}
		vn := variable(l.Name+"/"+w.Name, w.Value)
		ln.add(w.Name, vn)
		varNodes[[2]string{l.Name, w.Name}] = vn
	}
	return ln, nil
}

// layerRefs returns the layer-<i> children of a node in order (a model's layers), or nil.
func (gr *graphReader) layerRefs(id int32) []int32 {
	type ref struct {
		i  int
		id int32
	}
	var refs []ref
	for _, c := range gr.g.Nodes[id].Children {
		if n, ok := strings.CutPrefix(c.LocalName, "layer-"); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= 0 {
				refs = append(refs, ref{i, c.NodeId})
			}
		}
	}
	if len(refs) == 0 {
		return nil
	}
	sort.Slice(refs, func(a, b int) bool { return refs[a].i < refs[b].i })
	out := make([]int32, len(refs))
	for k, r := range refs {
		out[k] = r.id
	}
	return out
}

// nestedLayer reads a nested model's node: its layers become Children, their variables the
// layer's Weights (saved.NestedWeights).
func (gr *graphReader) nestedLayer(ids []int32, byNode map[int32]varRef, byFull map[string]varRef, depth int) (saved.Layer, error) {
	l := saved.Layer{Children: []saved.Layer{}}
	if depth >= maxNesting {
		return l, errorf(gr.file, ObjectGraphKey, -1, ErrUnsupported, "models nested more than %d deep", maxNesting)
	}
	for _, id := range ids {
		if int(id) < 0 || int(id) >= len(gr.g.Nodes) {
			return l, errorf(gr.file, ObjectGraphKey, -1, ErrFormat, "node %d out of range", id)
		}
		if sub := gr.layerRefs(id); sub != nil {
			c, err := gr.nestedLayer(sub, byNode, byFull, depth+1)
			if err != nil {
				return l, err
			}
			l.Children = append(l.Children, c)
			continue
		}
		c, err := gr.readLayer(id, byNode, byFull)
		if err != nil {
			return l, err
		}
		l.Children = append(l.Children, c)
	}
	l.Weights = saved.NestedWeights(l.Children)
	return l, nil
}

// setTrainable marks trainable exactly the variables in has (by saved.Layer.VarKey),
// re-ordering nested models' weights accordingly.
func setTrainable(ls []saved.Layer, has map[[2]string]bool) {
	for li := range ls {
		l := &ls[li]
		if l.Children != nil {
			setTrainable(l.Children, has)
			l.Weights = saved.NestedWeights(l.Children)
			continue
		}
		for wi := range l.Weights {
			w := &l.Weights[wi]
			w.Trainable = has[l.VarKey(*w)]
		}
	}
}
