package model

import (
	"fmt"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// optimizerRestore is the checked optimizer state LoadWeights restores from a TF checkpoint.
// It is planned before anything changes and applied together with the weights.
type optimizerRestore struct {
	iterations int64
	lr         float32
	lrSet      bool // set the learning rate even when it is 0 (a Keras 3 variable)
	slots      []slotAssignment
	warnings   []string
	skip       bool // the model is not compiled: nothing to restore
}

type slotAssignment struct {
	w    *layers.Weight
	name string // Keras 3 slot name
	val  []float32
}

// planOptimizerRestore checks the optimizer state o against the compiled optimizer: every slot
// must belong, through pairs (saved layer/weight → model weight), to a weight of the model and
// have its shape. Slots the compiled optimizer does not have, or of variables the model does
// not train, are reported as warnings and ignored (as tf_keras leaves unmatched checkpoint
// values unused).
func (m *Model) planOptimizerRestore(o *saved.Optimizer, pairs map[[2]string]*layers.Weight) (*optimizerRestore, error) {
	r := &optimizerRestore{iterations: o.Iterations, lr: o.LearningRate}
	t := m.train
	if t == nil {
		r.skip = true
		if len(o.Slots) > 0 || o.Iterations != 0 {
			r.warnings = append(r.warnings, "the checkpoint holds optimizer state; the model is not compiled, so it is not loaded")
		}
		return r, nil
	}
	if o.Class != "" && o.Class != t.opt.ClassName() {
		r.warnings = append(r.warnings, fmt.Sprintf("the checkpoint's optimizer is %s, the model's %s; slots restored by name", o.Class, t.opt.ClassName()))
	}
	names := t.opt.Slots(t.slotsKeras2)
	trainable := map[*layers.Weight]bool{}
	for _, v := range m.trainableVars() {
		trainable[v.w] = true
	}
	for _, s := range o.Slots {
		where := fmt.Sprintf("optimizer slot %s of %s/%s", s.Name, s.Layer, s.Weight)
		w := pairs[[2]string{s.Layer, s.Weight}]
		if w == nil || !trainable[w] {
			r.warnings = append(r.warnings, fmt.Sprintf("%s has no matching trainable variable; ignored", where))
			continue
		}
		if !containsStr(names, s.Name) {
			r.warnings = append(r.warnings, fmt.Sprintf("%s: the compiled %s has no such slot; ignored", where, t.opt.ClassName()))
			continue
		}
		if s.Value == nil || !tensor.SameShape(s.Value.Shape, w.Value.Shape) {
			var got []int
			if s.Value != nil {
				got = s.Value.Shape
			}
			if s.Value == nil {
				return nil, fmt.Errorf("%w: %s: no value", ErrFormat, where)
			}
			return nil, fmt.Errorf("%w: %s: shape %s, the variable is %s", errMismatch, where, kerasShape(got), kerasShape(w.Value.Shape))
		}
		f, err := s.Value.ToFloat32()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrUnsupported, where, err)
		}
		data, ok := f.Data.([]float32)
		if !ok || len(data) != w.Value.Len() {
			return nil, fmt.Errorf("%w: %s: data does not match shape %s", ErrFormat, where, kerasShape(s.Value.Shape))
		}
		r.slots = append(r.slots, slotAssignment{w: w, name: s.Name, val: data})
	}
	return r, nil
}

// applyOptimizerRestore sets the planned optimizer state: it builds the optimizer's slots if
// needed, copies the values, and sets the iteration count and (when the checkpoint has one)
// the learning rate.
func (m *Model) applyOptimizerRestore(r *optimizerRestore) {
	if r == nil {
		return
	}
	m.warnings = append(m.warnings, r.warnings...)
	if r.skip || m.train == nil {
		return
	}
	t := m.train
	m.buildOptimizer()
	for _, a := range r.slots {
		for i := range t.vars {
			if t.vars[i].w != a.w {
				continue
			}
			for j, name := range t.slotNames {
				if name == a.name {
					copy(t.vars[i].slots[j], a.val)
				}
			}
		}
	}
	t.pending = nil
	t.iterations = r.iterations
	if r.lr != 0 || r.lrSet {
		t.opt.SetLearningRate(r.lr)
	}
}

// planKeras3Restore plans restoring the optimizer variables of a Keras 3 file (vars, in the
// file's order: iteration, learning_rate, then the slots) by position onto the compiled
// optimizer, as Keras 3's Optimizer.load_own_variables assigns them: the file must hold as
// many variables as the compiled optimizer has once built (iteration, learning_rate and
// its slots for every trainable variable, in Keras 3's order), else the state is skipped
// with a warning, as Keras 3 skips it; each variable must have the shape of the one it is
// assigned to. what names the optimizer in messages.
func (m *Model) planKeras3Restore(what string, vars []*tensor.Tensor) (*optimizerRestore, error) {
	r := &optimizerRestore{}
	t := m.train
	if t == nil {
		r.skip = true
		r.warnings = append(r.warnings, fmt.Sprintf("%s holds optimizer state; the model is not compiled, so it is not loaded", what))
		return r, nil
	}
	type target struct {
		w    *layers.Weight
		name string
	}
	train := m.trainableVars()
	var targets []target
	for _, g := range t.opt.Keras3Groups() {
		for _, v := range train {
			for _, name := range g {
				targets = append(targets, target{v.w, name})
			}
		}
	}
	if len(vars) != 2+len(targets) {
		r.skip = true
		r.warnings = append(r.warnings, fmt.Sprintf("%s has %d variables, the compiled %s has %d (iteration, learning_rate and %d slots for %d trainable variables); its state is not loaded",
			what, len(vars), t.opt.ClassName(), 2+len(targets), len(targets), len(train)))
		return r, nil
	}
	it, ok := scalarInt64(vars[0])
	if !ok {
		return nil, fmt.Errorf("%w: %s variable 0 (iteration): not an integer scalar (shape %v, %s)", ErrFormat, what, vars[0].Shape, vars[0].DType)
	}
	lr, ok := scalarFloat32(vars[1])
	if !ok {
		return nil, fmt.Errorf("%w: %s variable 1 (learning_rate): not a float scalar (shape %v, %s)", ErrFormat, what, vars[1].Shape, vars[1].DType)
	}
	r.iterations, r.lr, r.lrSet = it, lr, true
	for i, tg := range targets {
		v := vars[2+i]
		where := fmt.Sprintf("%s variable %d (%s slot of %s)", what, 2+i, tg.name, tg.w.Name)
		if v == nil || !tensor.SameShape(v.Shape, tg.w.Value.Shape) {
			var got []int
			if v != nil {
				got = v.Shape
			}
			return nil, fmt.Errorf("%w: %s: shape %v, the variable is %v", ErrShape, where, got, tg.w.Value.Shape)
		}
		f, err := v.ToFloat32()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrUnsupported, where, err)
		}
		data, ok := f.Data.([]float32)
		if !ok || len(data) != tg.w.Value.Len() {
			return nil, fmt.Errorf("%w: %s: data does not match shape %v", ErrFormat, where, v.Shape)
		}
		r.slots = append(r.slots, slotAssignment{w: tg.w, name: tg.name, val: data})
	}
	return r, nil
}

// scalarInt64 reads an integer scalar (Keras 3 stores the iteration count as int64).
func scalarInt64(t *tensor.Tensor) (int64, bool) {
	if t == nil || t.Len() != 1 {
		return 0, false
	}
	switch x := t.Data.(type) {
	case []int64:
		return x[0], true
	case []int32:
		return int64(x[0]), true
	}
	return 0, false
}

// scalarFloat32 reads a float scalar.
func scalarFloat32(t *tensor.Tensor) (float32, bool) {
	if t == nil || t.Len() != 1 {
		return 0, false
	}
	switch x := t.Data.(type) {
	case []float32:
		return x[0], true
	case []float64:
		return float32(x[0]), true
	}
	return 0, false
}

// optimizerLabel names a saved optimizer in messages: `optimizer "adam_1"`.
func optimizerLabel(o *saved.Optimizer) string {
	if o.Name != "" {
		return fmt.Sprintf("optimizer %q", o.Name)
	}
	if o.Class != "" {
		return "optimizer " + o.Class
	}
	return "the optimizer"
}
