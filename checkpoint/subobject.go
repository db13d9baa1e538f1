package checkpoint

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
)

// readLayer reads the variables of one layer node: its children with a VARIABLE_VALUE, in
// order, and those of a child object that holds the layer's variables (an RNN layer's
// "cell", see saved.ClassFacts.WeightObject): a child without a value whose own children
// have values. Children without variables are kept in Tracked ("axis"; a sub-object's as
// "cell/state_size"). The layer's name is its variables' full name without the short name
// (and without the sub-object's scope: "lstm/lstm_cell/kernel" → "lstm").
func (gr *graphReader) readLayer(id int32, byNode map[int32]varRef, byFull map[string]varRef) (saved.Layer, error) {
	var l saved.Layer
	// Only a layer without variables of its own has its variables in a sub-object, the first
	// child holding some (a SavedModel's object graph also lists them in "variables",
	// "trainable_variables", ... after it).
	descend := !gr.holdsVariables(id)
	// A layer whose variables belong to several sub-layers (MultiHeadAttention) has them all
	// read (a SavedModel's "variables" list holds none: it is not a child without a value).
	multi := descend && subPrefixes(gr, id) > 1
	// A wrapper (Bidirectional) holds its variables two levels down, in its inner layers'
	// cells, in several sub-objects (an RNN over StackedRNNCells three): each is read, and its variables are named by their full
	// names inside the layer ("forward_lstm/lstm_cell/kernel").
	deep := descend && !gr.childHoldsVariables(id)
	// A variable tracked under two names (tf_keras's Normalization: mean and adapt_mean,
	// variance and adapt_variance) is one weight, under its first name.
	seen := map[int32]bool{}
	var walk func(id int32, prefix string, depth int) error
	walk = func(id int32, prefix string, depth int) error {
		for _, c := range gr.g.Nodes[id].Children {
			if int(c.NodeId) < 0 || int(c.NodeId) >= len(gr.g.Nodes) {
				return errorf(gr.file, ObjectGraphKey, -1, ErrFormat, "node %d out of range", c.NodeId)
			}
			if seen[c.NodeId] {
				continue
			}
			seen[c.NodeId] = true
			a, ok := gr.value(c.NodeId)
			if !ok {
				// Two levels (a wrapper's inner layer's cell) or three (an RNN's
				// StackedRNNCells: cell/cells/<i>).
				if deep && depth < 3 && gr.holdsVariablesBelow(c.NodeId, 3-depth) {
					if err := walk(c.NodeId, prefix+c.LocalName+"/", depth+1); err != nil {
						return err
					}
					continue
				}
				if depth == 0 && gr.holdsVariables(c.NodeId) && (descend || (multi && gr.namedVariables(c.NodeId))) {
					descend = false
					if err := walk(c.NodeId, c.LocalName+"/", depth+1); err != nil {
						return err
					}
					continue
				}
				l.Tracked = append(l.Tracked, prefix+c.LocalName)
				continue
			}
			t, err := gr.read(a)
			if err != nil {
				return err
			}
			if l.Name == "" {
				n := a.FullName
				for k := 0; k <= depth; k++ {
					if i := strings.LastIndex(n, "/"); i > 0 {
						n = n[:i]
					}
				}
				if n != a.FullName {
					l.Name = n
				}
			}
			name := c.LocalName
			if deep {
				if n, ok := strings.CutPrefix(a.FullName, l.Name+"/"); ok && l.Name != "" {
					name = n
				}
			}
			if depth == 1 && multi {
				// Variables of several sub-layers (MultiHeadAttention's "_query_dense",
				// "_key_dense", ...) are named by the end of their full names: "query/kernel".
				if parts := strings.Split(a.FullName, "/"); len(parts) >= 3 {
					name = strings.Join(parts[len(parts)-2:], "/")
				}
			}
			l.Weights = append(l.Weights, saved.Variable{Name: name, Value: t,
				Trainable: c.LocalName != "moving_mean" && c.LocalName != "moving_variance"})
			vr := varRef{l.Name, name}
			byNode[c.NodeId] = vr
			byFull[a.FullName] = vr
		}
		return nil
	}
	err := walk(id, "", 0)
	return l, err
}

// childHoldsVariables reports whether a child of node id holds variables itself.
func (gr *graphReader) childHoldsVariables(id int32) bool {
	for _, c := range gr.g.Nodes[id].Children {
		if int(c.NodeId) >= 0 && int(c.NodeId) < len(gr.g.Nodes) && gr.holdsVariables(c.NodeId) {
			return true
		}
	}
	return false
}

// holdsVariablesBelow reports whether node id has a descendant with a VARIABLE_VALUE at most
// depth levels down.
func (gr *graphReader) holdsVariablesBelow(id int32, depth int) bool {
	if depth <= 0 {
		return false
	}
	if gr.holdsVariables(id) {
		return true
	}
	for _, c := range gr.g.Nodes[id].Children {
		if int(c.NodeId) >= 0 && int(c.NodeId) < len(gr.g.Nodes) && gr.holdsVariablesBelow(c.NodeId, depth-1) {
			return true
		}
	}
	return false
}

// holdsVariables reports whether any child of node id has a VARIABLE_VALUE.
func (gr *graphReader) holdsVariables(id int32) bool {
	for _, c := range gr.g.Nodes[id].Children {
		if int(c.NodeId) >= 0 && int(c.NodeId) < len(gr.g.Nodes) {
			if _, ok := gr.value(c.NodeId); ok {
				return true
			}
		}
	}
	return false
}

// subObjectGraph builds the node of a layer whose variables belong to a sub-object (see
// saved.ClassFacts.WeightObject): the sub-object first, holding its tracked children
// (Tracked entries "cell/<name>") and the variables, named "<layer>/<scope>/<name>"; then the
// layer's other tracked children.
func subObjectGraph(l saved.Layer, obj string, varNodes map[[2]string]*node) (*node, error) {
	ln, cn := &node{}, &node{}
	ln.add(obj, cn)
	for _, name := range l.Tracked {
		if sub, ok := strings.CutPrefix(name, obj+"/"); ok {
			cn.add(sub, &node{})
		}
	}
	for _, name := range l.Tracked {
		if !strings.HasPrefix(name, obj+"/") {
			ln.add(name, &node{})
		}
	}
	scope := l.Name + "/"
	if sc := saved.WeightScopeOf(l.Class); sc != "" {
		scope += sc + "/"
	}
	for _, w := range l.Weights {
		if w.Value == nil {
			return nil, fmt.Errorf("checkpoint: layer %q weight %q has no value", l.Name, w.Name)
		}
		if _, dup := varNodes[[2]string{l.Name, w.Name}]; dup {
			return nil, fmt.Errorf("checkpoint: two weights named %q in layers named %q", w.Name, l.Name)
		}
		vn := variable(scope+w.Name, w.Value)
		cn.add(w.Name, vn)
		varNodes[[2]string{l.Name, w.Name}] = vn
	}
	return ln, nil
}

// subPrefixes counts the children of node id without a value that hold variables under
// their names (sub-layers, not the numbered lists "variables", "trainable_variables" of a
// SavedModel).
func subPrefixes(gr *graphReader, id int32) int {
	n := 0
	for _, c := range gr.g.Nodes[id].Children {
		if int(c.NodeId) < 0 || int(c.NodeId) >= len(gr.g.Nodes) {
			continue
		}
		if _, ok := gr.value(c.NodeId); !ok && gr.namedVariables(c.NodeId) {
			n++
		}
	}
	return n
}

// namedVariables reports whether node id has a child with a VARIABLE_VALUE whose local name
// is not a number.
func (gr *graphReader) namedVariables(id int32) bool {
	for _, c := range gr.g.Nodes[id].Children {
		if int(c.NodeId) >= 0 && int(c.NodeId) < len(gr.g.Nodes) {
			if _, ok := gr.value(c.NodeId); ok {
				if _, err := strconv.Atoi(c.LocalName); err != nil {
					return true
				}
			}
		}
	}
	return false
}

// subLayersGraph builds the node of a layer whose variables belong to several sub-layers
// (saved.ClassFacts.SubLayers: MultiHeadAttention's "_query_dense" ...): tracked children
// "<child>/<name>" and "<child>" (l.Tracked, in tf_keras's order) make the child objects,
// then each variable "<sub-layer>/<short>" goes to its sub-layer's child under its short
// name, with the full name "<layer>/<sub-layer>/<short>".
func subLayersGraph(l saved.Layer, varNodes map[[2]string]*node) (*node, error) {
	ln := &node{}
	kids := map[string]*node{}
	child := func(name string) *node {
		c, ok := kids[name]
		if !ok {
			c = &node{}
			kids[name] = c
			ln.add(name, c)
		}
		return c
	}
	for _, name := range l.Tracked {
		obj, sub, nested := strings.Cut(name, "/")
		c := child(obj)
		if nested {
			c.add(sub, &node{})
		}
	}
	for _, w := range l.Weights {
		if w.Value == nil {
			return nil, fmt.Errorf("checkpoint: layer %q weight %q has no value", l.Name, w.Name)
		}
		sub, short, ok := saved.SubLayerOf(l.Class, w.Name)
		if !ok {
			return nil, fmt.Errorf("checkpoint: layer %q (%s): weight %q belongs to no sub-layer", l.Name, l.Class, w.Name)
		}
		if _, dup := varNodes[[2]string{l.Name, w.Name}]; dup {
			return nil, fmt.Errorf("checkpoint: two weights named %q in layers named %q", w.Name, l.Name)
		}
		vn := variable(l.Name+"/"+w.Name, w.Value)
		child(sub.Checkpoint).add(short, vn)
		varNodes[[2]string{l.Name, w.Name}] = vn
	}
	return ln, nil
}

// subsGraph builds the node of a layer whose variables belong to tracked sub-objects (a
// wrapper's inner layers, saved.SubObject): each sub-object's path of children from the layer,
// the variables under the last one by their short names, with full names "<layer>/<weight
// name>" ("bidirectional/forward_lstm/lstm_cell/kernel").
func subsGraph(l saved.Layer, varNodes map[[2]string]*node) (*node, error) {
	if err := saved.CheckSubs(&l); err != nil {
		return nil, fmt.Errorf("checkpoint: layer %q: %w: %v", l.Name, ErrFormat, err)
	}
	ln := &node{}
	child := func(n *node, name string) *node {
		for _, e := range n.children {
			if e.name == name {
				return e.n
			}
		}
		c := &node{}
		n.add(name, c)
		return c
	}
	for i, so := range l.Subs {
		n := ln
		for _, step := range so.Path {
			n = child(n, step)
		}
		lo, hi := l.SubRange(i)
		for _, w := range l.Weights[lo:hi] {
			if w.Value == nil {
				return nil, fmt.Errorf("checkpoint: layer %q weight %q has no value", l.Name, w.Name)
			}
			if _, dup := varNodes[[2]string{l.Name, w.Name}]; dup {
				return nil, fmt.Errorf("checkpoint: two weights named %q in layers named %q", w.Name, l.Name)
			}
			short := w.Name[strings.LastIndexByte(w.Name, '/')+1:]
			vn := variable(l.Name+"/"+w.Name, w.Value)
			n.add(short, vn)
			varNodes[[2]string{l.Name, w.Name}] = vn
		}
	}
	return ln, nil
}
