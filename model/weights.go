package model

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Weights returns every weight of the model in Keras's model.weights order: layer by layer,
// each layer's trainable weights first, then its non-trainable ones. The weights are the
// layers' own (changing a Value changes the model).
func (m *Model) Weights() []*layers.Weight {
	var out []*layers.Weight
	for _, l := range m.layers {
		out = append(out, l.Weights()...)
	}
	return out
}

// SetWeights sets every weight of the model from values in Weights order, as Keras's
// model.set_weights. The count and every shape must match (the error names the layer and the
// expected and found shapes); nothing is changed unless everything matches. Values of
// another real dtype are converted to float32. The values are copied.
func (m *Model) SetWeights(values []*tensor.Tensor) error {
	return apiErr("set weights", m.setWeights(values))
}

func (m *Model) setWeights(values []*tensor.Tensor) error {
	m.dirty()
	var plan []assignment
	i := 0
	for _, l := range m.layers {
		ws := l.Weights()
		if len(ws) == 0 {
			continue
		}
		if i+len(ws) > len(values) {
			return fmt.Errorf("%w: %d values for a model with %d weights", errMismatch, len(values), len(m.Weights()))
		}
		p, err := planLayer(l, "", values[i:i+len(ws)])
		if err != nil {
			return err
		}
		plan = append(plan, p...)
		i += len(ws)
	}
	if i != len(values) {
		return fmt.Errorf("%w: %d values for a model with %d weights", errMismatch, len(values), i)
	}
	apply(plan)
	return nil
}

// SetLayerWeights sets the weights of the layer named name (in the layer's Weights order),
// as Keras's layer.set_weights, with the same checks as SetWeights.
func (m *Model) SetLayerWeights(name string, values []*tensor.Tensor) error {
	l := m.Layer(name)
	if l == nil {
		return apiErr("set layer weights", fmt.Errorf("%w: no layer named %q", ErrFormat, name))
	}
	plan, err := planLayer(l, "", values)
	if err != nil {
		return apiErr("set layer weights", err)
	}
	apply(plan)
	return nil
}

// assignment is one checked weight value waiting to be set.
type assignment struct {
	w   *layers.Weight
	val []float32
	src *tensor.Tensor // float32 tensor holding val
}

// apply copies the values into the weights (giving data to weights built without any).
func apply(plan []assignment) {
	for _, a := range plan {
		if d := a.w.Value.Float32s(); len(d) == a.w.Value.Len() {
			copy(d, a.val)
		} else {
			a.w.Value = tensor.MustFromFloat32(a.w.Value.Shape, slices.Clone(a.val))
		}
	}
}

// adopt makes each planned value the weight's own tensor, without copying.
func adopt(plan []assignment) error {
	for _, a := range plan {
		if err := a.w.SetValue(a.src); err != nil {
			return &wrapped{msg: strings.TrimPrefix(err.Error(), "layers: "), err: &multiError{[]error{err, ErrShape}}}
		}
	}
	return nil
}

// planLayer checks values against l's weights (count, shape, dtype) and returns the
// assignments, converting to float32. source names where the values came from.
func planLayer(l layers.Layer, source string, values []*tensor.Tensor) ([]assignment, error) {
	ws := l.Weights()
	if len(values) != len(ws) {
		return nil, &WeightMismatchError{Layer: l.Name(), Source: source, Count: true,
			Expected: []int{len(ws)}, Found: []int{len(values)}}
	}
	plan := make([]assignment, 0, len(ws))
	for j, w := range ws {
		v := values[j]
		wname := w.Name
		if wname == "" {
			wname = strconv.Itoa(j)
		}
		if v == nil {
			return nil, fmt.Errorf("%w: layer %q: weight %s: no value", ErrFormat, l.Name(), wname)
		}
		if w.Value == nil || !tensor.SameShape(w.Value.Shape, v.Shape) {
			var want []int
			if w.Value != nil {
				want = w.Value.Shape
			}
			return nil, &WeightMismatchError{Layer: l.Name(), Source: source, Weight: wname, Expected: want, Found: v.Shape}
		}
		f := v
		if v.DType != tensor.Float32 {
			c, err := v.ToFloat32()
			if err != nil {
				return nil, fmt.Errorf("%w: layer %q: weight %s: %v", ErrUnsupported, l.Name(), wname, err)
			}
			f = c
		}
		data, ok := f.Data.([]float32)
		if !ok || len(data) != w.Value.Len() {
			return nil, fmt.Errorf("%w: layer %q: weight %s: data does not match shape %s", ErrFormat, l.Name(), wname, tensor.ShapeString(v.Shape))
		}
		plan = append(plan, assignment{w: w, val: data, src: f})
	}
	return plan, nil
}

// ToSaved converts the model to the neutral saved form in dialect d: the config (for Keras2
// in the legacy {"class_name", "config"} form tf_keras writes into .h5 files, for Keras3 as
// a .keras config.json), every layer with its weights in Keras order and its graph
// (saved.Layer.Graph, nil for a layer whose options have no TF graph), the Keras version of
// the pinned reference stack for the dialect (Keras2Version or Keras3Version), backend
// "tensorflow", and the training config and optimizer state when the model is compiled.
//
// The weight tensors are the model's own, not copies: write them out before changing the
// model.
func (m *Model) ToSaved(d saved.Dialect) (*saved.Model, error) {
	sm, err := m.toSaved(d)
	return sm, apiErr("to saved", err)
}

func (m *Model) toSaved(d saved.Dialect) (*saved.Model, error) {
	if !m.Built() {
		return nil, fmt.Errorf("%w: the input shape is not known (give input_shape, an Input, or call Build)", ErrNotBuilt)
	}
	cfg, err := m.h5Config(d)
	if err != nil {
		return nil, err
	}
	sm := m.weightsToSaved(d)
	sm.Config = cfg
	if err := m.layerGraphs(sm, false); err != nil {
		return nil, err
	}
	tc, opt, err := m.trainingToSaved(d)
	if err != nil {
		return nil, within("training state", err)
	}
	sm.TrainingConfig, sm.Optimizer = tc, opt
	return sm, nil
}

// weightsToSaved returns the saved form without config or training state.
func (m *Model) weightsToSaved(d saved.Dialect) *saved.Model {
	sm := &saved.Model{Dialect: d, KerasVersion: Keras2Version, Backend: Backend}
	if d == saved.Keras3 {
		sm.KerasVersion = Keras3Version
	}
	sm.Layers = make([]saved.Layer, 0, len(m.layers))
	for _, l := range m.layers {
		if n, ok := l.(*Nested); ok {
			sm.Layers = append(sm.Layers, n.toSaved(d))
			continue
		}
		sl := saved.Layer{Name: l.Name(), Class: l.Class()}
		if tc, ok := l.(layers.TrackedChildren); ok {
			sl.Tracked = tc.Tracked()
		}
		if so, ok := l.(layers.SubObjectLayer); ok {
			sl.Subs = so.SubObjects()
		}
		for _, w := range l.Weights() {
			sl.Weights = append(sl.Weights, saved.Variable{Name: w.Name, Trainable: w.Trainable, Value: savedValueOf(l, w, d)})
		}
		sm.Layers = append(sm.Layers, sl)
	}
	return sm
}

// FromSaved builds a model from the neutral saved form: the architecture from sm.Config
// (either dialect), then the weights set positionally as Keras's load_model does (the
// model's layers that have weights are paired in order with sm's layers that have weights;
// counts and shapes must match, names need not), then the training config and optimizer
// state. A mismatch is an error naming the layer with the expected and found shapes.
//
// The weights are copied: sm and the model are independent afterwards (peak memory: sm's
// tensors plus the model's). AdoptSaved takes sm's tensors instead. opts (which may be
// omitted) bound what the config may allocate.
func FromSaved(sm *saved.Model, opts ...LoadOptions) (*Model, error) {
	m, err := fromSaved(sm, false, optionsArg("FromSaved", opts))
	return m, apiErr("from saved", err)
}

// AdoptSaved is FromSaved without copies: the model takes sm's float32 weight tensors as its
// own weights (tensors of another dtype are converted), so that loading needs no memory for
// the weights beyond what sm holds. sm's tensors must not be used afterwards (training the
// model changes them). Load uses it.
func AdoptSaved(sm *saved.Model, opts ...LoadOptions) (*Model, error) {
	m, err := fromSaved(sm, true, optionsArg("AdoptSaved", opts))
	return m, apiErr("adopt saved", err)
}

func fromSaved(sm *saved.Model, own bool, o LoadOptions) (*Model, error) {
	if sm == nil {
		return nil, fmt.Errorf("%w: nil saved model", ErrFormat)
	}
	if len(sm.Config) == 0 {
		return nil, ErrNoConfig
	}
	// The layers are built without weight data: every weight is set from sm below.
	m, err := fromConfig(sm.Config, true, o)
	if err != nil {
		return nil, err
	}
	if !m.Built() {
		return nil, fmt.Errorf("%w: the saved config does not give the input shape", ErrNotBuilt)
	}
	plan, _, _, err := m.planSavedWeights(sm, LoadWeightsOptions{})
	if err != nil {
		return nil, err
	}
	if own {
		err = adopt(plan)
	} else {
		apply(plan)
	}
	if err != nil {
		return nil, err
	}
	for _, w := range m.Weights() {
		if len(w.Value.Float32s()) != w.Value.Len() {
			return nil, fmt.Errorf("%w: weight %s has no saved value", ErrFormat, w.Name)
		}
	}
	if err := m.trainingFromSaved(sm); err != nil {
		return nil, within("training state", err)
	}
	return m, nil
}

// LoadWeightsOptions are the options of LoadWeights and LoadSavedWeights. The zero value
// matches layers by position and fails on any mismatch, as Keras does by default.
type LoadWeightsOptions struct {
	// ByName matches the saved layers to the model's layers by name (Keras's by_name=True);
	// model layers with no saved layer of their name are left as they are.
	ByName bool
	// SkipMismatch skips (and reports in Warnings) the layers whose weight count or shapes do
	// not match, instead of failing (Keras's skip_mismatch=True).
	SkipMismatch bool
}

// LoadSavedWeights sets the model's weights from the layers of sm (its config, if any, is
// not used). Without ByName, layers with weights are paired in order, as Keras loads .h5
// weights: the number of such layers must be equal. A Keras 3 weights file without config
// (sm.Dialect Keras3, sm.Config nil) is paired as Keras 3 pairs it: per class, in order. Everything is checked before anything is
// set: on error the model is unchanged.
func (m *Model) LoadSavedWeights(sm *saved.Model, opts ...LoadWeightsOptions) error {
	plan, skipped, _, err := m.planSavedWeights(sm, optionsArg("LoadSavedWeights", opts))
	if err != nil {
		return apiErr("load saved weights", err)
	}
	apply(plan)
	m.warnings = append(m.warnings, skipped...)
	return nil
}

// planSavedWeights checks sm's layers against the model's (see LoadSavedWeights) and returns
// the assignments, the warnings of skipped layers, and the pairing of each saved variable
// (saved layer name, weight name) with the model weight it goes to.
func (m *Model) planSavedWeights(sm *saved.Model, opts LoadWeightsOptions) ([]assignment, []string, map[[2]string]*layers.Weight, error) {
	if sm == nil {
		return nil, nil, nil, fmt.Errorf("%w: nil saved model", ErrFormat)
	}
	if !m.Built() {
		return nil, nil, nil, fmt.Errorf("%w: build the model before loading weights", ErrNotBuilt)
	}
	var plan []assignment
	pairs := map[[2]string]*layers.Weight{}
	var skipped []string
	try := func(l layers.Layer, sl *saved.Layer) error {
		if n, ok := l.(*Nested); ok && sl.Children != nil && sm.Config == nil && sm.Dialect == saved.Keras3 {
			// A Keras 3 weights file without config: the nested model's layers are paired
			// as the model's are (per class, in order).
			p, sk, pr, err := n.m.planSavedWeights(&saved.Model{Dialect: sm.Dialect, Layers: sl.Children}, opts)
			if err != nil {
				return within(fmt.Sprintf("layer %q", l.Name()), err)
			}
			plan, skipped = append(plan, p...), append(skipped, sk...)
			maps.Copy(pairs, pr)
			return nil
		}
		sw := keras3SubsOrder(l, sl)
		vals := make([]*tensor.Tensor, len(sw))
		for i, v := range sw {
			vals[i] = v.Value
		}
		p, err := planLayer(l, sl.Name, vals)
		if err != nil {
			if opts.SkipMismatch {
				skipped = append(skipped, fmt.Sprintf("layer %q skipped: %v", l.Name(), strings.TrimPrefix(err.Error(), fmt.Sprintf("layer %q", l.Name())+": ")))
				return nil
			}
			return err
		}
		plan = append(plan, p...)
		_, nested := l.(*Nested)
		for j, w := range l.Weights() {
			key := [2]string{sl.Name, sl.Weights[j].Name}
			if nested { // slots name a nested model's weights by their own layer
				if i := strings.LastIndexByte(key[1], '/'); i >= 0 {
					key = [2]string{key[1][:i], key[1][i+1:]}
				}
			}
			pairs[key] = w
		}
		return nil
	}
	if opts.ByName {
		byName := map[string]*saved.Layer{}
		for i := range sm.Layers {
			byName[sm.Layers[i].Name] = &sm.Layers[i]
		}
		for _, l := range m.layers {
			sl, ok := byName[l.Name()]
			if !ok {
				continue
			}
			if len(l.Weights()) == 0 && len(sl.Weights) == 0 {
				continue
			}
			if err := try(l, sl); err != nil {
				return nil, nil, nil, err
			}
		}
	} else {
		var mine []layers.Layer
		for _, l := range m.layers {
			if len(l.Weights()) > 0 {
				mine = append(mine, l)
			}
		}
		var theirs []*saved.Layer
		for i := range sm.Layers {
			if len(sm.Layers[i].Weights) > 0 {
				theirs = append(theirs, &sm.Layers[i])
			}
		}
		if sm.Config == nil && sm.Dialect == saved.Keras3 {
			theirs = keras3Order(mine, theirs)
		}
		if len(mine) != len(theirs) {
			return nil, nil, nil, fmt.Errorf("%w: the model has %d layers with weights, the saved weights have %d (%s)",
				errMismatch, len(mine), len(theirs), savedLayerNames(theirs))
		}
		for i, l := range mine {
			if err := try(l, theirs[i]); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	return plan, skipped, pairs, nil
}

// keras3Order puts the layers of a Keras 3 weights file (.weights.h5) without a config in
// the order of the model's layers. Keras 3 stores each layer under a path made of its
// snake-case class name, numbered per class in model order (dense, dense_1, ...), so a
// file's layers are ordered by path, not by position: the k-th file layer of a class goes
// with the model's k-th layer of that class. Layers left over (a class the model lacks) are
// appended, so that the count check reports them.
func keras3Order(mine []layers.Layer, theirs []*saved.Layer) []*saved.Layer {
	byClass := map[string][]*saved.Layer{}
	for _, l := range theirs {
		k := keras3Base(l)
		byClass[k] = append(byClass[k], l)
	}
	out := make([]*saved.Layer, 0, len(theirs))
	for _, l := range mine {
		k := layers.DefaultBaseName(l.Class())
		if q := byClass[k]; len(q) > 0 {
			out = append(out, q[0])
			byClass[k] = q[1:]
		}
	}
	for _, l := range theirs {
		k := keras3Base(l)
		if q := byClass[k]; len(q) > 0 && q[0] == l {
			out = append(out, l)
			byClass[k] = q[1:]
		}
	}
	return out
}

func savedLayerNames(ls []*saved.Layer) string {
	if len(ls) == 0 {
		return "none"
	}
	s := ""
	for i, l := range ls {
		if i > 0 {
			s += ", "
		}
		if i == 8 {
			return s + "..."
		}
		s += strconv.Quote(l.Name)
	}
	return s
}

// keras3Base is the class part of a Keras 3 weights-file layer's path ("max_pooling2d" for
// max_pooling2d_1); from the class when the file gave none.
func keras3Base(l *saved.Layer) string {
	if l.Path == "" {
		return layers.DefaultBaseName(l.Class)
	}
	if i := strings.LastIndexByte(l.Path, '_'); i >= 0 {
		if n, err := strconv.Atoi(l.Path[i+1:]); err == nil && n > 0 && strconv.Itoa(n) == l.Path[i+1:] {
			return l.Path[:i]
		}
	}
	return l.Path
}

// savedValue is w's value as Keras stores it: converted to w.SavedDType when the weight has
// one (Normalization's int64 count), else the weight's own tensor.
func savedValue(w *layers.Weight) *tensor.Tensor {
	if w.SavedDType != tensor.Int64 || w.Value.DType != tensor.Float32 {
		return w.Value
	}
	src := w.Value.Float32s()
	v := make([]int64, len(src))
	for i, f := range src {
		v[i] = int64(f)
	}
	return &tensor.Tensor{DType: tensor.Int64, Shape: slices.Clone(w.Value.Shape), Data: v}
}
