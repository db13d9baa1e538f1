package layers

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds what the wrapper layers (Bidirectional, TimeDistributed) share: an inner
// layer read from and written to a config, where the inner layer's variables live in files
// (saved.SubObject), and the splicing of the inner layer's TF graph into the wrapper's.

// SubObjectLayer is implemented by layers whose variables belong to tracked sub-objects (the
// wrappers' inner layers). Package model copies SubObjects to saved.Layer.Subs.
type SubObjectLayer interface {
	SubObjects() []saved.SubObject
}

// wrapped is one inner layer of a wrapper.
type wrapped struct {
	layer Layer
	// object is the tracked child name under the wrapper ("forward_layer", "layer").
	object string
	// scope is the name scope tf_keras puts between the wrapper's name and the inner
	// layer's variables ("forward_lstm" for Bidirectional; "" for TimeDistributed, whose
	// inner layer builds in the wrapper's scope).
	scope string
}

// subObject returns where the inner layer's variables live (an RNN's cell one level below).
func (w *wrapped) subObject() saved.SubObject {
	so := saved.SubObject{Path: []string{w.object}, Names: []string{w.layer.Name()}, N: len(w.layer.Weights())}
	f, _ := saved.Facts(w.layer.Class())
	if f.WeightObject != "" {
		so.Path = append(so.Path, f.WeightObject)
		so.Names = append(so.Names, f.WeightScope)
	}
	return so
}

// prefix is what the wrapper puts before the inner layer's short weight names:
// "forward_lstm/lstm_cell/", "" (TimeDistributed(Dense)), "lstm_cell/".
func (w *wrapped) prefix() string {
	var parts []string
	if w.scope != "" {
		parts = append(parts, w.scope)
	}
	if sc := saved.WeightScopeOf(w.layer.Class()); sc != "" {
		parts = append(parts, sc)
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "/") + "/"
}

// nameWeights names the inner layer's built weights by their path inside the wrapper.
func (w *wrapped) nameWeights() {
	p := w.prefix()
	for _, wt := range w.layer.Weights() {
		if i := strings.LastIndexByte(wt.Name, '/'); i >= 0 {
			wt.Name = wt.Name[i+1:]
		}
		wt.Name = p + wt.Name
	}
}

// innerFromConfig builds the inner layer of a wrapper from its serialized form
// ({"class_name", "config", ...}).
func innerFromConfig(r *cfgReader, key string) Layer {
	v, _, ok := r.get(key)
	if !ok || v == nil {
		r.fail(ErrFormat, "missing %s", key)
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		r.fail(ErrFormat, "%s is %s, want an object", key, jsonType(v))
		return nil
	}
	class, _ := obj["class_name"].(string)
	cfg, _ := obj["config"].(map[string]any)
	if class == "" {
		r.fail(ErrFormat, "%s has no class_name", key)
		return nil
	}
	l, warns, err := FromConfig(class, maps.Clone(cfg), r.dialect)
	if err != nil {
		r.fail(ErrUnsupported, "%s: %v", key, err)
		return nil
	}
	for _, w := range warns {
		r.warn("%s: %s", key, w)
	}
	if _, multi := l.(MultiInput); multi {
		r.fail(ErrUnsupported, "%s: a layer with several inputs (%s)", key, class)
		return nil
	}
	if _, sub := l.(SubObjectLayer); sub {
		r.fail(ErrUnsupported, "%s: a wrapper inside a wrapper (%s)", key, class)
		return nil
	}
	return l
}

// innerConfig serializes an inner layer as both libraries do inside a wrapper's config,
// with a build_config when inShape is not nil.
func innerConfig(l Layer, d saved.Dialect, inShape []int) map[string]any {
	e := map[string]any{"module": "keras.layers", "class_name": l.Class(), "config": l.Config(d), "registered_name": nil}
	if inShape != nil {
		if _, none := l.(noKeras3BuildConfig); !none {
			e["build_config"] = map[string]any{"input_shape": batchShapeJSON(inShape)}
		}
	}
	return e
}

// spliceGraph appends the ops of an inner layer's graph to g under scope, reading in as its
// input and its weights under their names in the wrapper (prefix + name), and returns the
// reference of its output.
func (g *graphBuilder) spliceGraph(inner *saved.LayerGraph, scope, in, prefix string) string {
	return g.spliceGraphOuts(inner, scope, prefix, in)[0]
}

// spliceGraphOuts is spliceGraph for an inner graph of several inputs (ins[k] is read as
// "$in" or "$in<k>") returning the references of all its outputs (Output, then MoreOutputs).
func (g *graphBuilder) spliceGraphOuts(inner *saved.LayerGraph, scope, prefix string, ins ...string) []string {
	if g.err != nil {
		return make([]string, 1+len(inner.MoreOutputs))
	}
	in := ins[0]
	names := map[string]string{}
	ref := func(r string) string {
		switch {
		case r == "$in":
			return in
		case r == "$mask": // the Keras mask reaching the wrapper
			return r
		case strings.HasPrefix(r, "$var:"):
			return "$var:" + prefix + strings.TrimPrefix(r, "$var:")
		case strings.HasPrefix(r, "$in"):
			if k, err := strconv.Atoi(r[3:]); err == nil && k > 0 && k < len(ins) {
				return ins[k]
			}
			if g.err == nil {
				g.err = layerErr(ErrUnsupported, g.class, g.name, "inner graph input %s not given", r)
			}
			return r
		}
		name, idx := r, ""
		if i := strings.LastIndexByte(r, ':'); i >= 0 {
			name, idx = r[:i], r[i:]
		}
		return names[name] + idx
	}
	for _, op := range inner.Ops {
		o := op
		o.Name = g.unique(scope + "/" + op.Name)
		o.Inputs = make([]string, len(op.Inputs))
		for i, r := range op.Inputs {
			o.Inputs[i] = ref(r)
		}
		names[op.Name] = o.Name
		g.ops = append(g.ops, o)
	}
	outs := []string{ref(inner.Output)}
	for _, o := range inner.MoreOutputs {
		outs = append(outs, ref(o))
	}
	return outs
}

// setInnerTrainable sets Keras's trainable flag of an inner layer.
func setInnerTrainable(l Layer, t bool) {
	if tf, ok := l.(TrainableFlag); ok {
		tf.SetTrainable(t)
	}
}

// reverseTime returns x (batch, timesteps, ...) with its time axis reversed.
func reverseTime(x *tensor.Tensor) *tensor.Tensor {
	B, T := x.Shape[0], x.Shape[1]
	row := x.Len() / max(B*T, 1)
	src := x.Float32s()
	out := make([]float32, len(src))
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			copy(out[(b*T+t)*row:(b*T+t+1)*row], src[(b*T+T-1-t)*row:(b*T+T-t)*row])
		}
	}
	return tensor.MustFromFloat32(slices.Clone(x.Shape), out)
}

// jsonConfig returns a config as a decoded JSON object (numbers float64), as readers take it.
func jsonConfig(cfg map[string]any) (map[string]any, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = json.Unmarshal(b, &out)
	return out, err
}

// ParamCount counts the forward and backward layers' parameters.
func (l *Bidirectional) ParamCount(in []int) (int64, error) {
	a, err := ParamCount(l.fwd.layer, in)
	if err != nil {
		return 0, err
	}
	b, err := ParamCount(l.bwd.layer, in)
	return a + b, err
}

// ParamCount counts the inner layer's parameters for one time step.
func (l *TimeDistributed) ParamCount(in []int) (int64, error) {
	if _, err := l.OutputShape(in); err != nil {
		return 0, err
	}
	return ParamCount(l.in.layer, in[1:])
}
