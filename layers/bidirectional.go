package layers

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// BidirectionalOptions are the optional arguments of NewBidirectional. The zero value means
// Keras's defaults: merge_mode "concat".
type BidirectionalOptions struct {
	Name      string
	MergeMode string // "concat", "sum", "mul", "ave", "none" (Keras's None); "" is "concat"
}

// Bidirectional is Keras's Bidirectional wrapper over a recurrent layer (SimpleRNN, LSTM,
// GRU): a forward copy reads the sequence as given, a backward copy (go_backwards flipped)
// from its end; with return_sequences the backward outputs are put back in time order; the
// two are merged by merge_mode (concat on the last axis, sum, mul, ave). merge_mode None
// ("none" here) merges nothing: the call returns two outputs, the forward layer's and the
// backward layer's (in time order with return_sequences), through MultiIO. Weights: the forward layer's, then the backward layer's,
// named "forward_<name>/<cell scope>/kernel", ...
type Bidirectional struct {
	base
	fwd, bwd wrapped
	inner    string // the wrapped layer's own name, without "forward_"
	merge    string
	yf, yb   *tensor.Tensor // training Forward's outputs (mul)
	nIn      int            // the tensors of the last ForwardIO call (initial states after the first)
}

// recurrent is what Bidirectional needs of its inner layers.
type recurrent interface {
	Layer
	MaskedForwarder
	ReturnSequences() bool
	GoBackwards() bool
	setZeroOutput(bool)
}

func init() {
	register(Spec{Classes: []string{"Bidirectional"}, FromConfig: bidirectionalFromConfig,
		SubObjects: []string{"forward_layer", "backward_layer"}})
}

var mergeModes = []string{"concat", "sum", "mul", "ave", mergeNone}

// mergeNone is merge_mode None: two outputs, unmerged.
const mergeNone = "none"

// NewBidirectional wraps a SimpleRNN, LSTM or GRU layer. It panics on another layer or an
// unknown merge mode (programmer errors).
func NewBidirectional(layer Layer, opts ...BidirectionalOptions) *Bidirectional {
	o := optionsArg("NewBidirectional", opts)
	if o.MergeMode == "" {
		o.MergeMode = "concat"
	}
	if !slices.Contains(mergeModes, o.MergeMode) {
		panic("layers.NewBidirectional: unknown merge mode " + o.MergeMode)
	}
	l := &Bidirectional{base: newBase(o.Name, nil), merge: o.MergeMode}
	if err := l.setLayers(layer, nil, saved.Keras3); err != nil {
		panic("layers.NewBidirectional: " + err.Error())
	}
	if d := DeclaredInputShape(layer); d != nil {
		l.declared = d
	}
	return l
}

// setLayers makes the forward layer from layer and the backward one from backward, or, when
// nil, from layer's config with go_backwards flipped.
func (l *Bidirectional) setLayers(layer, backward Layer, d saved.Dialect) error {
	f, ok := layer.(recurrent)
	if !ok {
		return layerErr(ErrUnsupported, "Bidirectional", l.name, "wrapping %s (only SimpleRNN, LSTM and GRU)", layer.Class())
	}
	l.inner = strings.TrimPrefix(f.Name(), "forward_")
	if l.inner == "" {
		l.inner = DefaultBaseName(f.Class())
	}
	f.SetName("forward_" + l.inner)
	if backward == nil {
		cfg, err := jsonConfig(f.Config(d))
		if err != nil {
			return layerErr(ErrFormat, "Bidirectional", l.name, "layer config: %v", err)
		}
		cfg["go_backwards"] = !f.GoBackwards()
		cfg["name"] = "backward_" + l.inner
		b, _, err := FromConfig(f.Class(), cfg, d)
		if err != nil {
			return err
		}
		backward = b
	}
	b, ok := backward.(recurrent)
	if !ok || b.Class() != f.Class() {
		return layerErr(ErrUnsupported, "Bidirectional", l.name, "backward_layer %s with layer %s", backward.Class(), f.Class())
	}
	if b.GoBackwards() == f.GoBackwards() || b.ReturnSequences() != f.ReturnSequences() {
		return layerErr(ErrFormat, "Bidirectional", l.name, "backward_layer must differ from layer in go_backwards only")
	}
	// As Keras forces it: masked steps of returned sequences are zeros.
	f.setZeroOutput(f.ReturnSequences())
	b.setZeroOutput(b.ReturnSequences())
	l.fwd = wrapped{layer: f, object: "forward_layer", scope: f.Name()}
	l.bwd = wrapped{layer: b, object: "backward_layer", scope: b.Name()}
	return nil
}

func bidirectionalFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Bidirectional", cfg)
	r.dialect = d
	l := &Bidirectional{}
	r.readBase(&l.base)
	if v, _, ok := r.get("merge_mode"); ok && v == nil {
		l.merge = mergeNone
	} else {
		l.merge = r.str("concat", "merge_mode")
	}
	if !slices.Contains(mergeModes, l.merge) || (l.merge == mergeNone && cfg["merge_mode"] != nil) {
		r.fail(ErrFormat, "merge_mode %q", l.merge)
	}
	if v, _, ok := r.get("num_constants"); ok && v != nil && v != 0.0 {
		r.fail(ErrUnsupported, "num_constants")
	}
	inner := innerFromConfig(r, "layer")
	var back Layer
	if v, _, ok := r.get("backward_layer"); ok && v != nil {
		back = innerFromConfig(r, "backward_layer")
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	if err := l.setLayers(inner, back, d); err != nil {
		return nil, nil, err
	}
	if d := DeclaredInputShape(inner); d != nil && l.declared == nil {
		l.declared = d
	}
	return l, w, nil
}

// Class returns "Bidirectional".
func (l *Bidirectional) Class() string { return "Bidirectional" }

// MergeMode returns the merge mode ("concat", "sum", "mul", "ave", "none" for Keras's None).
func (l *Bidirectional) MergeMode() string { return l.merge }

// Forward returns the forward inner layer; Backward the backward one.
func (l *Bidirectional) ForwardLayer() Layer  { return l.fwd.layer }
func (l *Bidirectional) BackwardLayer() Layer { return l.bwd.layer }

// Config returns the layer's Keras config in dialect d: tf_keras writes the wrapped layer
// under its own name; Keras 3 writes the forward layer and the backward layer, both with
// zero_output_for_mask as Bidirectional forces it (return_sequences).
func (l *Bidirectional) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["merge_mode"] = l.merge
	if l.merge == mergeNone {
		c["merge_mode"] = nil
	}
	in := l.inShape
	if d == saved.Keras2 {
		fc := innerConfig(l.fwd.layer, d, nil)
		cfg := maps.Clone(fc["config"].(map[string]any))
		cfg["name"] = l.inner
		delete(cfg, "zero_output_for_mask") // forced on the copies, not on the wrapped layer
		fc["config"] = cfg
		c["layer"] = fc
		return c
	}
	for _, w := range []struct {
		key string
		l   Layer
	}{{"layer", l.fwd.layer}, {"backward_layer", l.bwd.layer}} {
		e := innerConfig(w.l, d, in)
		cfg := maps.Clone(e["config"].(map[string]any))
		cfg["zero_output_for_mask"] = l.returnSeq()
		e["config"] = cfg
		c[w.key] = e
	}
	return c
}

// SetTrainable sets Keras's layer.trainable of the wrapper and both inner layers.
func (l *Bidirectional) SetTrainable(t bool) {
	l.trainable = t
	setInnerTrainable(l.fwd.layer, t)
	setInnerTrainable(l.bwd.layer, t)
}

// OutputShape is the inner layer's, with the last axis doubled by concat (merge_mode None:
// each output's).
func (l *Bidirectional) OutputShape(in []int) ([]int, error) {
	out, err := l.fwd.layer.OutputShape(in)
	if err != nil {
		return nil, err
	}
	if l.merge == "concat" {
		out[len(out)-1] *= 2
	}
	return out, nil // merge_mode None: the first output's (both are alike)
}

// Build builds both inner layers.
func (l *Bidirectional) Build(in []int, rng *Rand) error {
	if err := l.fwd.layer.Build(in, rng); err != nil {
		return err
	}
	if err := l.bwd.layer.Build(in, rng); err != nil {
		return err
	}
	l.fwd.nameWeights()
	l.bwd.nameWeights()
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns the forward layer's weights, then the backward layer's.
func (l *Bidirectional) Weights() []*Weight {
	return append(l.fwd.layer.Weights(), l.bwd.layer.Weights()...)
}

// SubObjects says where files keep the weights: under forward_layer and backward_layer.
func (l *Bidirectional) SubObjects() []saved.SubObject {
	return []saved.SubObject{l.fwd.subObject(), l.bwd.subObject()}
}

func (l *Bidirectional) returnSeq() bool { return l.fwd.layer.(recurrent).ReturnSequences() }

// Forward runs both layers and merges their outputs. With merge_mode None the layer has two
// outputs: call it through ForwardIO.
func (l *Bidirectional) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	return l.forward(x, nil, training)
}

func (l *Bidirectional) forward(x *tensor.Tensor, mask []bool, training bool) (*tensor.Tensor, error) {
	if l.merge == mergeNone {
		return nil, layerErr(ErrUnsupported, "Bidirectional", l.name, "merge_mode None returns two outputs (the forward and backward layers'); call the layer in a Functional model")
	}
	yf, yb, err := l.run(x, mask, training)
	if err != nil {
		return nil, err
	}
	return l.mergeOut(yf, yb, training), nil
}

// run runs both layers on x and returns their outputs (the backward one in processing order).
func (l *Bidirectional) run(x *tensor.Tensor, mask []bool, training bool) (*tensor.Tensor, *tensor.Tensor, error) {
	l.nIn = 1
	if err := checkInput(x, l.inShape, "Bidirectional", l.name); err != nil {
		return nil, nil, err
	}
	yf, err := l.fwd.layer.(recurrent).ForwardMasked(x, mask, training)
	if err != nil {
		return nil, nil, err
	}
	yb, err := l.bwd.layer.(recurrent).ForwardMasked(x, mask, training)
	if err != nil {
		return nil, nil, err
	}
	return yf, yb, nil
}

// outputs returns the call's outputs from the forward and backward layers' (the backward one
// in processing order): the merged output, or with merge_mode None both, the backward one
// in time order with return_sequences.
func (l *Bidirectional) outputs(yf, yb *tensor.Tensor, training bool) []*tensor.Tensor {
	if l.merge != mergeNone {
		return []*tensor.Tensor{l.mergeOut(yf, yb, training)}
	}
	if l.returnSeq() {
		yb = reverseTime(yb)
	}
	if training {
		l.yf, l.yb = yf, yb
	}
	return []*tensor.Tensor{yf, yb}
}

// mergeOut merges the forward and backward layers' outputs (the backward one in processing
// order).
func (l *Bidirectional) mergeOut(yf, yb *tensor.Tensor, training bool) *tensor.Tensor {
	if l.returnSeq() {
		yb = reverseTime(yb)
	}
	if training {
		l.yf, l.yb = yf, yb
	}
	a, b := yf.Float32s(), yb.Float32s()
	if l.merge == "concat" {
		u := yf.Shape[len(yf.Shape)-1]
		rows := len(a) / u
		out := make([]float32, 2*len(a))
		for r := 0; r < rows; r++ {
			copy(out[2*r*u:], a[r*u:(r+1)*u])
			copy(out[(2*r+1)*u:], b[r*u:(r+1)*u])
		}
		shape := slices.Clone(yf.Shape)
		shape[len(shape)-1] *= 2
		return tensor.MustFromFloat32(shape, out)
	}
	out := make([]float32, len(a))
	for i := range out {
		switch l.merge {
		case "sum":
			out[i] = a[i] + b[i]
		case "mul":
			out[i] = a[i] * b[i]
		case "ave":
			out[i] = (a[i] + b[i]) / 2
		}
	}
	return tensor.MustFromFloat32(slices.Clone(yf.Shape), out)
}

// Backward splits dL/dy between the two layers and sums their dL/dx. With merge_mode None
// the layer has two outputs: use BackwardIO.
func (l *Bidirectional) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.merge == mergeNone {
		return nil, layerErr(ErrUnsupported, "Bidirectional", l.name, "merge_mode None returns two outputs; their gradients go through BackwardIO")
	}
	if l.yf == nil {
		return nil, layerErr(ErrShape, "Bidirectional", l.name, "Backward without a training Forward")
	}
	want := slices.Clone(l.yf.Shape)
	if l.merge == "concat" {
		want[len(want)-1] *= 2
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, want) {
		return nil, layerErr(ErrShape, "Bidirectional", l.name, "dy shape mismatch, want %s", tensor.ShapeString(want))
	}
	dyf, dyb := l.splitGrad(dy)
	dxf, err := l.fwd.layer.Backward(dyf)
	if err != nil {
		return nil, err
	}
	dxb, err := l.bwd.layer.Backward(dyb)
	if err != nil {
		return nil, err
	}
	return addTensors(dxf, dxb), nil
}

// addTensors returns a + b (same shapes).
func addTensors(a, b *tensor.Tensor) *tensor.Tensor {
	out := slices.Clone(a.Float32s())
	for i, v := range b.Float32s() {
		out[i] += v
	}
	return tensor.MustFromFloat32(slices.Clone(a.Shape), out)
}

// splitGrad splits dL/dy of the merged output into the forward and backward layers' output
// gradients (the backward one in its processing order).
func (l *Bidirectional) splitGrad(dy *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor) {
	g := dy.Float32s()
	n := l.yf.Len()
	df, db := make([]float32, n), make([]float32, n)
	switch l.merge {
	case "concat":
		u := l.yf.Shape[len(l.yf.Shape)-1]
		for r := 0; r < n/u; r++ {
			copy(df[r*u:(r+1)*u], g[2*r*u:])
			copy(db[r*u:(r+1)*u], g[(2*r+1)*u:])
		}
	case "sum":
		copy(df, g)
		copy(db, g)
	case "ave":
		for i, v := range g {
			df[i], db[i] = v/2, v/2
		}
	case "mul":
		a, b := l.yf.Float32s(), l.yb.Float32s()
		for i, v := range g {
			df[i], db[i] = v*b[i], v*a[i]
		}
	}
	dyb := tensor.MustFromFloat32(slices.Clone(l.yf.Shape), db)
	if l.returnSeq() {
		dyb = reverseTime(dyb)
	}
	return tensor.MustFromFloat32(slices.Clone(l.yf.Shape), df), dyb
}

// Graph returns both inner layers' graphs, the backward output reversed in time (ReverseV2)
// with return_sequences, and the merge (ConcatV2, AddV2, Mul, or AddV2 and Mul by 0.5).
// With merge_mode None the output is the forward layer's and the first of MoreOutputs the
// backward layer's (reversed in time with return_sequences). With return_state the
// MoreOutputs (then) are the forward layer's states, then the backward layer's, as Keras
// returns them.
func (l *Bidirectional) Graph() (*saved.LayerGraph, error) { return l.graphMask(false, false) }

// GraphInitialState is Graph for a call passing initial_state: the forward layer's states are
// the call's inputs "$in1".."$ink", the backward layer's the next k.
func (l *Bidirectional) GraphInitialState() (*saved.LayerGraph, error) {
	return l.graphMask(false, true)
}

// GraphMasked is Graph for a call that a Keras mask reaches: both inner layers read it.
func (l *Bidirectional) GraphMasked() (*saved.LayerGraph, error) {
	g, err := l.graphMask(true, false)
	if err == nil {
		g.PassesMask = l.returnSeq()
	}
	return g, err
}

// GraphMaskedInitialState is GraphInitialState for a call that a Keras mask reaches: both
// inner layers read it and start from their initial states (their GraphMaskedInitialState).
func (l *Bidirectional) GraphMaskedInitialState() (*saved.LayerGraph, error) {
	g, err := l.graphMask(true, true)
	if err == nil {
		g.PassesMask = l.returnSeq()
	}
	return g, err
}

func (l *Bidirectional) graphMask(masked, initial bool) (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("Bidirectional", l.name)
	}
	inner := func(x Layer) (*saved.LayerGraph, error) {
		if initial && masked {
			sg, ok := x.(MaskedStateGrapher)
			if !ok {
				return nil, layerErr(ErrUnsupported, "Bidirectional", l.name, "initial_state of inner layer %s with a Keras mask in a TF graph", x.Class())
			}
			return sg.GraphMaskedInitialState()
		}
		if initial {
			sg, ok := x.(StateGrapher)
			if !ok {
				return nil, layerErr(ErrUnsupported, "Bidirectional", l.name, "initial_state of inner layer %s in a TF graph", x.Class())
			}
			return sg.GraphInitialState()
		}
		if mg, ok := x.(MaskedGrapher); ok && masked {
			return mg.GraphMasked()
		}
		if masked {
			return nil, layerErr(ErrUnsupported, "Bidirectional", l.name, "a mask in the TF graph of inner layer %s", x.Class())
		}
		return x.(Grapher).Graph()
	}
	gf, err := inner(l.fwd.layer)
	if err != nil {
		return nil, err
	}
	gb, err := inner(l.bwd.layer)
	if err != nil {
		return nil, err
	}
	g := newGraphBuilder("Bidirectional", l.name)
	fin, bin := []string{"$in"}, []string{"$in"}
	var stateIn [][]int
	if initial {
		k := len(gf.InputShapes) - 1
		for i := 1; i <= k; i++ {
			fin = append(fin, fmt.Sprintf("$in%d", i))
			bin = append(bin, fmt.Sprintf("$in%d", k+i))
		}
		stateIn = append(slices.Clone(gf.InputShapes[1:]), gb.InputShapes[1:]...)
	}
	ofs := g.spliceGraphOuts(gf, l.fwd.layer.Name(), l.fwd.prefix(), fin...)
	obs := g.spliceGraphOuts(gb, l.bwd.layer.Name(), l.bwd.prefix(), bin...)
	of, ob := ofs[0], obs[0]
	if l.returnSeq() {
		axis := g.int32Const("ReverseV2/axis", []int32{1})
		ob = g.op("ReverseV2", "ReverseV2", []string{ob, axis}, tAttrs(map[string]saved.Attr{"Tidx": saved.TypeAttr(tensor.Int32)}))
	}
	var out string
	switch l.merge {
	case mergeNone:
		out = of
	case "concat":
		axis := g.int32s("concat/axis", []int{}, -1)
		out = g.op("concat", "ConcatV2", []string{of, ob, axis}, tAttrs(map[string]saved.Attr{
			"N": saved.IntAttr(2), "Tidx": saved.TypeAttr(tensor.Int32)}))
	case "sum":
		out = g.fop("add", "AddV2", of, ob)
	case "mul":
		out = g.fop("mul", "Mul", of, ob)
	case "ave":
		s := g.fop("add", "AddV2", of, ob)
		out = g.fop("truediv", "Mul", s, g.scalar("truediv/y", 0.5))
	}
	outShape, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	gr, err := g.graphOut(l.inShape, outShape, false, out)
	if err != nil {
		return nil, err
	}
	// return_state: the forward layer's states, then the backward layer's.
	if len(gf.MoreOutputs) != len(gb.MoreOutputs) {
		return nil, layerErr(ErrFormat, "Bidirectional", l.name, "forward and backward layers return %d and %d states", len(gf.MoreOutputs), len(gb.MoreOutputs))
	}
	gr.InputShapes = append(gr.InputShapes, stateIn...)
	if l.merge == mergeNone {
		// The backward layer's output is the second output; with return_sequences it carries
		// the mask too.
		gr.MoreOutputs = append(gr.MoreOutputs, ob)
		gr.MoreOutputShapes = append(gr.MoreOutputShapes, slices.Clone(outShape))
		gr.MoreMasked = 1
	}
	gr.MoreOutputs = append(gr.MoreOutputs, ofs[1:]...)
	gr.MoreOutputs = append(gr.MoreOutputs, obs[1:]...)
	gr.MoreOutputShapes = append(gr.MoreOutputShapes, gf.MoreOutputShapes...)
	gr.MoreOutputShapes = append(gr.MoreOutputShapes, gb.MoreOutputShapes...)
	return gr, nil
}

// keras3CallKwargs: Keras 3 records a Bidirectional call's mask argument.
func (l *Bidirectional) keras3CallKwargs() map[string]any {
	return map[string]any{"mask": nil}
}
