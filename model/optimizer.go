package model

import "github.com/kerasgo/kerasgo/optimizers"

// The optimizers live in package optimizers; these names keep model's API.

// Optimizer is one of the Keras optimizers kerasgo trains with (see optimizers.Optimizer).
type Optimizer = optimizers.Optimizer

// Hyper names optimizer hyper-parameters, for the Zero field of the options structs.
type Hyper = optimizers.Hyper

// The hyper-parameters a Zero field can name.
const (
	HyperLearningRate   = optimizers.HyperLearningRate
	HyperBeta1          = optimizers.HyperBeta1
	HyperBeta2          = optimizers.HyperBeta2
	HyperEpsilon        = optimizers.HyperEpsilon
	HyperRho            = optimizers.HyperRho
	HyperWeightDecay    = optimizers.HyperWeightDecay
	HyperClipNorm       = optimizers.HyperClipNorm
	HyperGlobalClipNorm = optimizers.HyperGlobalClipNorm
	HyperClipValue      = optimizers.HyperClipValue
)

// Optimizer types and options (see package optimizers).
type (
	AdamOptions      = optimizers.AdamOptions
	AdamOptimizer    = optimizers.AdamOptimizer
	SGDOptions       = optimizers.SGDOptions
	SGDOptimizer     = optimizers.SGDOptimizer
	RMSpropOptions   = optimizers.RMSpropOptions
	RMSpropOptimizer = optimizers.RMSpropOptimizer
	Regularization   = optimizers.Regularization
)

// Adam returns Keras's Adam optimizer (optimizers.Adam); opts may be omitted.
func Adam(opts ...AdamOptions) *AdamOptimizer { return optimizers.Adam(opts...) }

// SGD returns Keras's SGD optimizer (optimizers.SGD); opts may be omitted.
func SGD(opts ...SGDOptions) *SGDOptimizer { return optimizers.SGD(opts...) }

// RMSprop returns Keras's RMSprop optimizer (optimizers.RMSprop); opts may be omitted.
func RMSprop(opts ...RMSpropOptions) *RMSpropOptimizer { return optimizers.RMSprop(opts...) }

// GetOptimizer returns the optimizer Keras builds for a name (optimizers.Get).
func GetOptimizer(name string) (Optimizer, error) { return optimizers.Get(name) }
