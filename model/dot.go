package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// DotOptions are the options of Model.Dot, named after keras.utils.model_to_dot's.
type DotOptions struct {
	// Dialect picks whose drawing to reproduce: saved.Keras2 (tf_keras 2.21's record-shaped
	// labels) or saved.Keras3 (Keras 3.15's HTML-like table labels).
	Dialect saved.Dialect
	// ShowShapes adds each layer's input and output shapes; ShowDtype its dtype;
	// ShowLayerNames its name (model_to_dot's default is true: see DefaultDotOptions).
	ShowShapes, ShowDtype, ShowLayerNames bool
	// RankDir is Graphviz's rankdir: "TB" (top to bottom, the default when empty) or "LR".
	RankDir string
	// ExpandNested draws the layers of nested models inside dashed clusters.
	ExpandNested bool
	// ShowLayerActivations adds the activation of layers that have one; ShowTrainable
	// whether each layer is trainable.
	ShowLayerActivations, ShowTrainable bool
	// DPI is the graph's dpi attribute; 0 means Keras's default (96 for tf_keras, 200 for
	// Keras 3).
	DPI int
}

// DefaultDotOptions returns model_to_dot's defaults for a dialect: layer names shown,
// top-to-bottom, the dialect's dpi.
func DefaultDotOptions(d saved.Dialect) DotOptions {
	o := DotOptions{Dialect: d, ShowLayerNames: true, RankDir: "TB"}
	o.DPI = o.dpi()
	return o
}

func (o DotOptions) dpi() int {
	if o.DPI > 0 {
		return o.DPI
	}
	if o.Dialect == saved.Keras3 {
		return 200
	}
	return 96
}

// Dot returns the Graphviz DOT text keras.utils.model_to_dot gives for the model in the
// options' dialect: the same graph attributes, nodes (one per layer, labelled as Keras labels
// them), clusters for expanded nested models, and edges, in the same order. Node ids are the
// layers' names (Keras uses Python object ids), prefixed by the path of nested models when
// they are expanded.
//
// A model that is not built is an error for Keras 3 (as model_to_dot refuses it); tf_keras
// draws it as a single node labelled with the model's name.
func (m *Model) Dot(opts DotOptions) (string, error) {
	if opts.Dialect != saved.Keras2 && opts.Dialect != saved.Keras3 {
		return "", fmt.Errorf("%w: dot: unknown dialect %d", ErrUnsupported, opts.Dialect)
	}
	switch opts.RankDir {
	case "":
		opts.RankDir = "TB"
	case "TB", "LR":
	default:
		return "", fmt.Errorf("%w: dot: rankdir %q (want TB or LR)", ErrUnsupported, opts.RankDir)
	}
	if opts.Dialect == saved.Keras3 && !m.Built() {
		return "", fmt.Errorf("%w: dot: model %q is not built; build it (or give its input shape) before drawing it", ErrShape, m.name)
	}
	d := &dotDrawer{opts: opts, k3: opts.Dialect == saved.Keras3, ids: map[layers.Layer]string{}, used: map[string]bool{}}
	g, err := d.model(m, "", false)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	g.write(&b)
	return b.String(), nil
}

// dotStmt is one statement of a graph, in the order Keras (pydot) adds them: a node, a
// cluster, or an edge.
type dotStmt struct {
	id    string // a node's id
	label string // a node's label, already in DOT syntax (quoted or <...>)
	sub   *dotGraph
	edge  [2]string
}

// dotGraph is the graph or one cluster of it.
type dotGraph struct {
	name  string // cluster name; "" for the top graph
	attrs [][2]string
	k3    bool
	stmts []dotStmt
	edges map[[2]string]bool
}

func (g *dotGraph) addNode(id, label string) {
	g.stmts = append(g.stmts, dotStmt{id: id, label: label})
}

// addEdge adds an edge unless the graph has it already (Keras's add_edge).
func (g *dotGraph) addEdge(src, dst string) {
	e := [2]string{src, dst}
	if g.edges[e] {
		return
	}
	if g.edges == nil {
		g.edges = map[[2]string]bool{}
	}
	g.edges[e] = true
	g.stmts = append(g.stmts, dotStmt{edge: e})
}

// nodes returns the ids of the graph's own nodes (not those of its clusters), as pydot's
// get_nodes does.
func (g *dotGraph) nodes() []string {
	var ids []string
	for _, s := range g.stmts {
		if s.id != "" {
			ids = append(ids, s.id)
		}
	}
	return ids
}

func (g *dotGraph) write(b *strings.Builder) {
	if g.name == "" {
		b.WriteString("digraph G {\n")
	} else {
		b.WriteString("subgraph " + dotID("cluster_"+g.name) + " {\n")
	}
	for _, a := range g.attrs {
		b.WriteString(a[0] + "=" + a[1] + ";\n")
	}
	if g.name == "" {
		b.WriteString("node [shape=record];\n")
	}
	for _, s := range g.stmts {
		switch {
		case s.sub != nil:
			s.sub.write(b)
		case s.id != "":
			b.WriteString(dotID(s.id) + " [label=" + s.label)
			if g.k3 {
				b.WriteString(", fontname=Helvetica, border=0, margin=0")
			}
			b.WriteString("];\n")
		default:
			b.WriteString(dotID(s.edge[0]) + " -> " + dotID(s.edge[1]))
			if g.k3 {
				b.WriteString(" [penwidth=2]")
			}
			b.WriteString(";\n")
		}
	}
	b.WriteString("}\n")
}

// dotID returns s as a DOT id: bare when it is a plain identifier or number, quoted otherwise.
func dotID(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return dotQuote(s)
}

// dotQuote returns s in double quotes, with quotes escaped.
func dotQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// dotDrawer walks a model (and its nested models) into a dotGraph.
type dotDrawer struct {
	opts DotOptions
	k3   bool
	ids  map[layers.Layer]string
	used map[string]bool
	// seqInputs holds the InputLayer tf_keras draws for each Sequential model.
	seqInputs map[*Model]*InputLayer
	// frozen is set while drawing the layers of a nested model that is not trainable:
	// tf_keras's InputLayers there are not trainable either.
	frozen bool
}

// id returns the node id of a layer: its name, prefixed by the nested models holding it,
// made unique.
func (d *dotDrawer) id(l layers.Layer, prefix string) string {
	if id, ok := d.ids[l]; ok {
		return id
	}
	id := prefix + l.Name()
	for i := 1; d.used[id]; i++ {
		id = prefix + l.Name() + "#" + strconv.Itoa(i)
	}
	d.used[id] = true
	d.ids[l] = id
	return id
}

// model draws m as the top graph or (sub) as the cluster of an expanded nested model.
func (d *dotDrawer) model(m *Model, prefix string, sub bool) (*dotGraph, error) {
	g := &dotGraph{k3: d.k3}
	if sub {
		g.name = m.name
		g.attrs = [][2]string{{"style", "dashed"}, {"label", dotID(m.name)}, {"labeljust", "l"}}
	} else {
		g.attrs = [][2]string{{"rankdir", d.opts.RankDir}, {"concentrate", "true"}, {"dpi", strconv.Itoa(d.opts.dpi())}}
		if d.k3 {
			g.attrs = append(g.attrs, [2]string{"splines", "ortho"})
		}
	}
	if !m.Built() && !d.k3 {
		// tf_keras draws a model that is not a graph network as one node named after it.
		g.addNode(prefix+m.name, dotQuote(m.name))
		return g, nil
	}
	ls := d.drawnLayers(m)
	subs := map[layers.Layer]*dotGraph{}
	for _, l := range ls {
		if n, ok := l.(*Nested); ok && d.opts.ExpandNested {
			frozen := d.frozen
			d.frozen = frozen || !n.Trainable()
			sg, err := d.model(n.m, prefix+n.m.name+"/", true)
			d.frozen = frozen
			if err != nil {
				return nil, err
			}
			subs[l] = sg
			g.stmts = append(g.stmts, dotStmt{sub: sg})
			continue
		}
		label, err := d.label(m, l)
		if err != nil {
			return nil, err
		}
		g.addNode(d.id(l, prefix), label)
	}
	if d.k3 {
		d.edgesKeras3(g, m, ls, prefix)
	} else {
		d.edgesKeras2(g, m, ls, subs, prefix)
	}
	return g, nil
}

// drawnLayers are the layers Keras draws for m: tf_keras adds the InputLayer of a Sequential
// model; Keras 3 draws a Sequential model's layers only.
func (d *dotDrawer) drawnLayers(m *Model) []layers.Layer {
	if m.fn != nil || d.k3 {
		return m.layers
	}
	in := d.sequentialInput(m)
	return append([]layers.Layer{in}, m.layers...)
}

// sequentialInput is the InputLayer tf_keras gives a built Sequential model (one per model,
// so that its node id is stable).
func (d *dotDrawer) sequentialInput(m *Model) *InputLayer {
	if in, ok := d.seqInputs[m]; ok {
		return in
	}
	first := ""
	if len(m.layers) > 0 {
		first = m.layers[0].Name()
	}
	name := m.in.name
	if name == "" {
		name = m.in.autoName
	}
	if name == "" {
		name = defaultInputName(saved.Keras2, m.in.kind, first)
	}
	in := &InputLayer{name: name, shape: m.in.shape, batch: m.in.batch}
	if d.seqInputs == nil {
		d.seqInputs = map[*Model]*InputLayer{}
	}
	d.seqInputs[m] = in
	return in
}

// edgesKeras2 adds tf_keras's edges: each layer's calls in the model, from the layers of
// their inputs; with ExpandNested, edges into an expanded model go to the first node of its
// cluster and edges out of it leave from the last one.
func (d *dotDrawer) edgesKeras2(g *dotGraph, m *Model, ls []layers.Layer, subs map[layers.Layer]*dotGraph, prefix string) {
	first := func(l layers.Layer) string { ns := subs[l].nodes(); return ns[0] }
	last := func(l layers.Layer) string { ns := subs[l].nodes(); return ns[len(ns)-1] }
	for i, l := range ls {
		var inbound []layers.Layer
		if m.fn != nil {
			for _, n := range m.fn.layerNodes[l] {
				for _, x := range n.in {
					inbound = append(inbound, x.node.layer)
				}
			}
		} else if i > 0 {
			inbound = []layers.Layer{ls[i-1]}
		}
		for _, src := range inbound {
			_, srcSub := subs[src]
			_, dstSub := subs[l]
			switch {
			case srcSub && len(subs[src].nodes()) == 0, dstSub && len(subs[l].nodes()) == 0:
				// A cluster with no nodes of its own: nothing for tf_keras to connect.
			case !srcSub && !dstSub:
				g.addEdge(d.id(src, prefix), d.id(l, prefix))
			case !srcSub:
				g.addEdge(d.id(src, prefix), first(l))
			case dstSub:
				g.addEdge(last(src), first(l))
			default:
				g.addEdge(last(src), d.id(l, prefix))
			}
		}
	}
}

// edgesKeras3 adds Keras 3's edges: consecutive layers of a Sequential model, or each call of
// a layer in a Functional model from the layers that produced its inputs; with
// ExpandNested, edges reach into nested models, to the layer that takes the input (a
// Functional model's InputLayer, a Sequential model's first layer) and from the layer that
// gives the output.
func (d *dotDrawer) edgesKeras3(g *dotGraph, m *Model, ls []layers.Layer, prefix string) {
	if m.fn == nil && !d.opts.ExpandNested {
		for i := 1; i < len(ls); i++ {
			g.addEdge(d.id(ls[i-1], prefix), d.id(ls[i], prefix))
		}
		return
	}
	type call struct {
		dst  layers.Layer
		srcs []layers.Layer
	}
	var calls []call
	if m.fn == nil {
		for i := 1; i < len(ls); i++ {
			calls = append(calls, call{ls[i], []layers.Layer{ls[i-1]}})
		}
	} else {
		for _, l := range ls {
			for _, n := range m.fn.layerNodes[l] {
				c := call{dst: l}
				for _, x := range n.in {
					c.srcs = append(c.srcs, x.node.layer)
				}
				calls = append(calls, c)
			}
		}
	}
	for _, c := range calls {
		for idx, src := range c.srcs {
			if !d.opts.ExpandNested {
				g.addEdge(d.id(src, prefix), d.id(c.dst, prefix))
				continue
			}
			srcPrefix, dstPrefix := prefix, prefix
			for {
				n, ok := src.(*Nested)
				if !ok {
					break
				}
				if n.m.fn == nil && len(n.m.layers) == 0 {
					break
				}
				srcPrefix += n.m.name + "/"
				if n.m.fn != nil {
					src = n.m.fn.outputs[0].node.layer
				} else {
					src = n.m.layers[len(n.m.layers)-1]
				}
			}
			dst := c.dst
			for {
				n, ok := dst.(*Nested)
				if !ok {
					break
				}
				if n.m.fn == nil && len(n.m.layers) == 0 {
					break
				}
				dstPrefix += n.m.name + "/"
				if n.m.fn != nil && idx < len(n.m.fn.inputs) {
					dst = n.m.fn.inputs[idx].node.layer
				} else {
					dst = n.m.layers[0]
				}
			}
			g.addEdge(d.id(src, srcPrefix), d.id(dst, dstPrefix))
		}
	}
}
