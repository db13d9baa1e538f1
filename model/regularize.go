package model

import (
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// Weight regularizers and constraints in training (layers.WeightRules): the penalty joins
// the total loss of fit and evaluate (Keras's model.losses), its derivative the gradients
// before clipping, and the constraints project the weights after each optimizer update.

// regState holds the rules, read once; err refuses training when a layer has a regularizer
// or constraint kerasgo does not apply.
type regState struct {
	rules []layers.WeightRule
	err   error
	built bool
}

// weightRules reads the rules of the model's layers (nested models' included) once per
// compile and set of trainable variables; an error refuses training and evaluation.
func (m *Model) weightRules() error {
	t := &m.train.reg
	if t.built {
		return t.err
	}
	t.rules, t.err = nil, nil
	tfKeras := m.train.raw != nil && m.train.raw.dialect == saved.Keras2
	for _, l := range leafLayers(m.layers) {
		rs, err := layers.WeightRules(l)
		if err != nil {
			t.rules, t.err = nil, err
			break
		}
		for _, r := range rs {
			// Keras 3 regularizes and constrains trainable variables only; tf_keras constrains
			// only the variables it updates but adds the penalty of frozen ones to the loss
			// (without gradient): kept, for a model whose training config is tf_keras's.
			if r.W.Trainable || (tfKeras && r.HasRegularizer()) {
				t.rules = append(t.rules, r)
			}
		}
	}
	t.built = true
	return t.err
}

// weightPenalty returns the regularizers' sum at the current weights.
func (m *Model) weightPenalty() float64 {
	if m.train == nil {
		return 0
	}
	var s float64
	for i := range m.train.reg.rules {
		s += m.train.reg.rules[i].Penalty()
	}
	return s
}

// addPenaltyGradients adds the regularizers' derivatives to the weights' gradients.
func (m *Model) addPenaltyGradients() {
	for i := range m.train.reg.rules {
		r := &m.train.reg.rules[i]
		if r.W.Trainable && r.W.Grad != nil {
			r.AddGradient(r.W.Grad)
		}
	}
}

// applyConstraints projects the updated weights (those that had a gradient).
func (m *Model) applyConstraints() {
	for i := range m.train.reg.rules {
		r := &m.train.reg.rules[i]
		if r.HasConstraint() && r.W.Trainable && r.W.Grad != nil {
			r.Constrain()
		}
	}
}
