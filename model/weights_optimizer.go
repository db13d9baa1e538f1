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
func (m *Sequential) planOptimizerRestore(o *saved.Optimizer, pairs map[[2]string]*layers.Weight) (*optimizerRestore, error) {
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
	names := t.opt.slots(t.slotsKeras2)
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
func (m *Sequential) applyOptimizerRestore(r *optimizerRestore) {
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
	if r.lr != 0 {
		t.opt.setLearningRate(r.lr)
	}
}
