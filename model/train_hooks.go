package model

import (
	"encoding/json"

	"github.com/kerasgo/kerasgo/saved"
)

// This file is owned by the training work (compile/fit/optimizers). The core model code calls
// these hooks so that saving and loading carry the compile and optimizer state.

// trainState is the compiled state of a model (optimizer, loss, metrics). Nil when not compiled.
type trainState struct{}

// trainingToSaved returns the training config JSON and optimizer state in dialect d, or nils
// when the model is not compiled.
func (m *Sequential) trainingToSaved(d saved.Dialect) (json.RawMessage, *saved.Optimizer, error) {
	return nil, nil, nil
}

// trainingFromSaved compiles m from sm.TrainingConfig and restores sm.Optimizer, when present.
func (m *Sequential) trainingFromSaved(sm *saved.Model) error { return nil }
