// Package optimizers holds the Keras optimizers kerasgo trains with (Adam, SGD, RMSprop):
// their hyper-parameters, update rules, slot variables and get_config in both Keras
// dialects. A model owns an optimizer's state (iteration count, slot variables); package
// model calls the methods here from its training step.
package optimizers

import (
	"fmt"
	"math"
	"strings"

	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/saved"
)

// Optimizer is one of the Keras optimizers kerasgo trains with: Adam, SGD or RMSprop, built by
// the functions of the same names. Their update rules are those of the tf_keras 2.11+
// optimizers (and Keras 3, which uses the same formulas), computed in float32 in the same
// order, so that a model trained in Go matches one trained by Keras step for step.
//
// An Optimizer holds only hyper-parameters; its state (the iteration count and the slot
// variables) belongs to the model it is compiled into.
type Optimizer interface {
	// ClassName is the Keras class name: "Adam", "SGD" or "RMSprop".
	ClassName() string
	// LearningRate is the learning rate as Keras stores it (a float32 variable).
	LearningRate() float32
	// SetLearningRate sets the learning rate (restored from a file with the optimizer state).
	SetLearningRate(float32)

	// Slots returns the slot names (Keras 3 terms) each trainable variable gets, in Keras's
	// order. keras2 selects tf_keras's set (SGD always has "momentum" there).
	Slots(keras2 bool) []string
	// Keras3Groups is Keras 3's layout of the slot variables after iteration and
	// learning_rate: groups in order; within a group, per trainable variable (in
	// model.trainable_variables order) its slots in the group's order (Adam: m0 v0 m1 v1 ...,
	// then with amsgrad all velocity_hat; RMSprop: all velocity, then all momentum, then all
	// average_gradient).
	Keras3Groups() [][]string
	// Update applies one step to w given its gradient g and its slots (in Slots order).
	// iter is the optimizer's iteration count before the step.
	Update(iter int64, w, g []float32, slots [][]float32)
	// Config returns the get_config() object in dialect d.
	Config(d saved.Dialect) pyfmt.Object
	// Unsupported names a config setting that is read but not implemented, or "".
	Unsupported() string

	base() *commonOptions
}

// commonOptions are the base optimizer arguments every Keras optimizer accepts. kerasgo
// reads and writes them but trains only with the defaults (nil / false).
type commonOptions struct {
	name                                     string // as configured; "" means the default
	weightDecay, clipnorm, globalClipnorm    *float64
	clipvalue                                *float64
	useEMA                                   bool
	emaMomentum                              float64
	emaOverwriteFrequency                    *int64
	lossScaleFactor, gradientAccumulation    any // Keras 3 only; kept verbatim
	jitCompile                               bool
	emaOverwriteFrequencySet, emaMomentumSet bool
}

func (c *commonOptions) base() *commonOptions { return c }

// Unsupported names a base option that is read but not implemented (use_ema,
// loss_scale_factor, gradient_accumulation_steps), or "".
func (c *commonOptions) Unsupported() string {
	switch {
	case c.useEMA:
		return "use_ema"
	case c.lossScaleFactor != nil:
		return "loss_scale_factor"
	case c.gradientAccumulation != nil:
		return "gradient_accumulation_steps"
	}
	return ""
}

// baseConfig writes the keys of the base optimizer's get_config, in Keras's order, for an
// optimizer whose tf_keras name is k2name and Keras 3 name k3name. defaultEMAFreq is the
// class's default ema_overwrite_frequency in tf_keras (RMSprop uses 100).
func (c *commonOptions) baseConfig(d saved.Dialect, k2name, k3name string, lr float32, defaultEMAFreq *int64) pyfmt.Object {
	ema := c.emaMomentum
	if !c.emaMomentumSet {
		ema = 0.99
	}
	freq := any(nil)
	if c.emaOverwriteFrequencySet {
		if c.emaOverwriteFrequency != nil {
			freq = *c.emaOverwriteFrequency
		}
	} else if d == saved.Keras2 && defaultEMAFreq != nil {
		freq = *defaultEMAFreq
	}
	f := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	if d == saved.Keras3 {
		name := c.name
		if name == "" {
			name = k3name
		}
		return pyfmt.Object{
			{"name", name},
			{"learning_rate", float64(lr)},
			{"weight_decay", f(c.weightDecay)},
			{"clipnorm", f(c.clipnorm)},
			{"global_clipnorm", f(c.globalClipnorm)},
			{"clipvalue", f(c.clipvalue)},
			{"use_ema", c.useEMA},
			{"ema_momentum", ema},
			{"ema_overwrite_frequency", freq},
			{"loss_scale_factor", c.lossScaleFactor},
			{"gradient_accumulation_steps", c.gradientAccumulation},
		}
	}
	name := c.name
	if name == "" || isKeras3AutoName(name, k3name) {
		// Keras 3 names optimizers "adam", "adam_1", ...; tf_keras names them after the
		// class, and Keras 3 reading a tf_keras file ("Custom>Adam") looks the optimizer up
		// by this name, which must then be an identifier ("Adam"), not "adam_1".
		name = k2name
	}
	return pyfmt.Object{
		{"name", name},
		{"weight_decay", f(c.weightDecay)},
		{"clipnorm", f(c.clipnorm)},
		{"global_clipnorm", f(c.globalClipnorm)},
		{"clipvalue", f(c.clipvalue)},
		{"use_ema", c.useEMA},
		{"ema_momentum", ema},
		{"ema_overwrite_frequency", freq},
		{"jit_compile", c.jitCompile},
		{"is_legacy_optimizer", false},
		{"learning_rate", float64(lr)},
	}
}

// Hyper names optimizer hyper-parameters, for the Zero field of the options structs
// (combine with |).
type Hyper uint32

// The hyper-parameters a Zero field can name.
const (
	HyperLearningRate   Hyper = 1 << iota // learning_rate
	HyperBeta1                            // beta_1 (Adam)
	HyperBeta2                            // beta_2 (Adam)
	HyperEpsilon                          // epsilon (Adam, RMSprop)
	HyperRho                              // rho (RMSprop)
	HyperWeightDecay                      // weight_decay (0 rather than None)
	HyperClipNorm                         // clipnorm (0 rather than None)
	HyperGlobalClipNorm                   // global_clipnorm (0 rather than None)
	HyperClipValue                        // clipvalue (0 rather than None)
)

// or returns v, or def when v is 0 and h is not in zero.
func (zero Hyper) or(h Hyper, v, def float64) float64 {
	if v == 0 && zero&h == 0 {
		return def
	}
	return v
}

// AdamOptions are Adam's hyper-parameters. A zero field means Keras's default
// (learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7, amsgrad off) unless Zero
// names it: AdamOptions{Zero: HyperBeta1} is Adam(beta_1=0.0).
type AdamOptions struct {
	LearningRate float32
	Beta1, Beta2 float64
	Epsilon      float64
	AMSGrad      bool
	// Zero lists the hyper-parameters that are 0 (rather than Keras's default).
	Zero Hyper
	Regularization
}

// Regularization holds the gradient clipping and weight decay options every Keras optimizer
// accepts (weight_decay, clipnorm, global_clipnorm, clipvalue). Zero means off, as in Keras.
// At most one clipping applies: clipnorm, else global_clipnorm, else clipvalue.
type Regularization struct {
	WeightDecay    float64
	ClipNorm       float64
	GlobalClipNorm float64
	ClipValue      float64
}

// common returns the base options; a zero field is None unless zero names it.
func (r Regularization) common(zero Hyper) commonOptions {
	var c commonOptions
	p := func(v float64, h Hyper) *float64 {
		if v == 0 && zero&h == 0 {
			return nil
		}
		return &v
	}
	c.weightDecay, c.clipnorm = p(r.WeightDecay, HyperWeightDecay), p(r.ClipNorm, HyperClipNorm)
	c.globalClipnorm, c.clipvalue = p(r.GlobalClipNorm, HyperGlobalClipNorm), p(r.ClipValue, HyperClipValue)
	return c
}

// AdamOptimizer is Keras's Adam. Build one with Adam.
type AdamOptimizer struct {
	commonOptions
	lr                    float32
	beta1, beta2, epsilon float64
	amsgrad               bool
}

// Adam returns Keras's Adam optimizer; opts may be omitted (Keras's defaults).
func Adam(opts ...AdamOptions) *AdamOptimizer { return adam(optionsArg("Adam", opts)) }

func adam(o AdamOptions) *AdamOptimizer {
	z := o.Zero
	return &AdamOptimizer{commonOptions: o.common(z),
		lr:      float32(z.or(HyperLearningRate, float64(o.LearningRate), float64(float32(0.001)))),
		beta1:   z.or(HyperBeta1, o.Beta1, 0.9),
		beta2:   z.or(HyperBeta2, o.Beta2, 0.999),
		epsilon: z.or(HyperEpsilon, o.Epsilon, 1e-7),
		amsgrad: o.AMSGrad}
}

// ClassName returns "Adam".
func (a *AdamOptimizer) ClassName() string { return "Adam" }

// LearningRate returns the learning rate.
func (a *AdamOptimizer) LearningRate() float32 { return a.lr }

// SetLearningRate sets the learning rate.
func (a *AdamOptimizer) SetLearningRate(v float32) { a.lr = v }

// Slots returns the slot names.
func (a *AdamOptimizer) Slots(bool) []string {
	if a.amsgrad {
		return []string{"momentum", "velocity", "velocity_hat"}
	}
	return []string{"momentum", "velocity"}
}

// Keras3Groups returns Keras 3's slot layout.
func (a *AdamOptimizer) Keras3Groups() [][]string {
	g := [][]string{{"momentum", "velocity"}}
	if a.amsgrad {
		g = append(g, []string{"velocity_hat"})
	}
	return g
}

// Update follows tf_keras Adam.update_step (dense gradients):
//
//	alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t), t = iterations + 1
//	m += (g - m) * (1 - beta_1);  v += (g² - v) * (1 - beta_2)
//	[amsgrad: vhat = max(vhat, v); v = vhat]
//	w -= m * alpha / (sqrt(v) + epsilon)
func (a *AdamOptimizer) Update(iter int64, w, g []float32, s [][]float32) {
	step := float32(iter + 1)
	b1, b2 := float32(a.beta1), float32(a.beta2)
	b1p := powf(b1, step)
	b2p := powf(b2, step)
	alpha := a.lr * sqrtf(1-b2p) / (1 - b1p)
	c1, c2 := float32(1-a.beta1), float32(1-a.beta2)
	eps := float32(a.epsilon)
	m, v := s[0], s[1]
	var vh []float32
	if a.amsgrad {
		vh = s[2]
	}
	for i, gi := range g {
		mi := m[i] + (gi-m[i])*c1
		vi := v[i] + (gi*gi-v[i])*c2
		m[i], v[i] = mi, vi
		if vh != nil {
			vi = max(vh[i], vi)
			vh[i] = vi
		}
		w[i] -= (mi * alpha) / (sqrtf(vi) + eps)
	}
}

// Config returns get_config() in dialect d.
func (a *AdamOptimizer) Config(d saved.Dialect) pyfmt.Object {
	c := a.baseConfig(d, "Adam", "adam", a.lr, nil)
	return append(c, pyfmt.KV{"beta_1", a.beta1}, pyfmt.KV{"beta_2", a.beta2}, pyfmt.KV{"epsilon", a.epsilon}, pyfmt.KV{"amsgrad", a.amsgrad})
}

// SGDOptions are SGD's hyper-parameters. A zero LearningRate means Keras's default 0.01
// unless Zero has HyperLearningRate. Momentum's default is 0.
type SGDOptions struct {
	LearningRate float32
	Momentum     float64
	Nesterov     bool
	// Zero lists the hyper-parameters that are 0 (rather than Keras's default).
	Zero Hyper
	Regularization
}

// SGDOptimizer is Keras's SGD. Build one with SGD.
type SGDOptimizer struct {
	commonOptions
	lr       float32
	momentum float64
	nesterov bool
}

// SGD returns Keras's SGD optimizer (with momentum and Nesterov momentum); opts may be omitted (Keras's defaults).
func SGD(opts ...SGDOptions) *SGDOptimizer { return sgd(optionsArg("SGD", opts)) }

func sgd(o SGDOptions) *SGDOptimizer {
	z := o.Zero
	return &SGDOptimizer{commonOptions: o.common(z),
		lr:       float32(z.or(HyperLearningRate, float64(o.LearningRate), float64(float32(0.01)))),
		momentum: o.Momentum, nesterov: o.Nesterov}
}

// ClassName returns "SGD".
func (s *SGDOptimizer) ClassName() string { return "SGD" }

// LearningRate returns the learning rate.
func (s *SGDOptimizer) LearningRate() float32 { return s.lr }

// SetLearningRate sets the learning rate.
func (s *SGDOptimizer) SetLearningRate(v float32) { s.lr = v }

// Slots returns the slot names: tf_keras's SGD always creates a momentum slot "m"; Keras 3
// only when momentum != 0.
func (s *SGDOptimizer) Slots(keras2 bool) []string {
	if keras2 || s.momentum != 0 {
		return []string{"momentum"}
	}
	return nil
}

// Keras3Groups returns Keras 3's slot layout.
func (s *SGDOptimizer) Keras3Groups() [][]string {
	if s.momentum != 0 {
		return [][]string{{"momentum"}}
	}
	return nil
}

// Update follows tf_keras SGD.update_step (dense gradients):
//
//	m = -g*lr + m*momentum
//	w += m                          (nesterov: w += -g*lr + m*momentum)
func (s *SGDOptimizer) Update(_ int64, w, g []float32, sl [][]float32) {
	lr, mom := s.lr, float32(s.momentum)
	if len(sl) == 0 {
		for i, gi := range g {
			w[i] += -gi * lr
		}
		return
	}
	m := sl[0]
	for i, gi := range g {
		mi := -gi*lr + m[i]*mom
		m[i] = mi
		if s.nesterov {
			w[i] += -gi*lr + mi*mom
		} else {
			w[i] += mi
		}
	}
}

// Config returns get_config() in dialect d.
func (s *SGDOptimizer) Config(d saved.Dialect) pyfmt.Object {
	c := s.baseConfig(d, "SGD", "sgd", s.lr, nil)
	return append(c, pyfmt.KV{"momentum", s.momentum}, pyfmt.KV{"nesterov", s.nesterov})
}

// RMSpropOptions are RMSprop's hyper-parameters. Zero LearningRate, Rho and Epsilon mean
// Keras's defaults (0.001, 0.9, 1e-7) unless Zero names them; Momentum's default is 0.
type RMSpropOptions struct {
	LearningRate float32
	Rho          float64
	Momentum     float64
	Epsilon      float64
	Centered     bool
	// Zero lists the hyper-parameters that are 0 (rather than Keras's default).
	Zero Hyper
	Regularization
}

// RMSpropOptimizer is Keras's RMSprop. Build one with RMSprop.
type RMSpropOptimizer struct {
	commonOptions
	lr                     float32
	rho, momentum, epsilon float64
	centered               bool
}

// RMSprop returns Keras's RMSprop optimizer; opts may be omitted (Keras's defaults).
func RMSprop(opts ...RMSpropOptions) *RMSpropOptimizer { return rmsprop(optionsArg("RMSprop", opts)) }

func rmsprop(o RMSpropOptions) *RMSpropOptimizer {
	z := o.Zero
	return &RMSpropOptimizer{commonOptions: o.common(z),
		lr:       float32(z.or(HyperLearningRate, float64(o.LearningRate), float64(float32(0.001)))),
		rho:      z.or(HyperRho, o.Rho, 0.9),
		momentum: o.Momentum,
		epsilon:  z.or(HyperEpsilon, o.Epsilon, 1e-7),
		centered: o.Centered}
}

// ClassName returns "RMSprop".
func (r *RMSpropOptimizer) ClassName() string { return "RMSprop" }

// LearningRate returns the learning rate.
func (r *RMSpropOptimizer) LearningRate() float32 { return r.lr }

// SetLearningRate sets the learning rate.
func (r *RMSpropOptimizer) SetLearningRate(v float32) { r.lr = v }

// Slots returns the slot names.
func (r *RMSpropOptimizer) Slots(bool) []string {
	s := []string{"velocity"}
	if r.momentum > 0 {
		s = append(s, "momentum")
	}
	if r.centered {
		s = append(s, "average_gradient")
	}
	return s
}

// Keras3Groups returns Keras 3's slot layout.
func (r *RMSpropOptimizer) Keras3Groups() [][]string {
	g := [][]string{{"velocity"}}
	if r.momentum > 0 {
		g = append(g, []string{"momentum"})
	}
	if r.centered {
		g = append(g, []string{"average_gradient"})
	}
	return g
}

// Update follows tf_keras RMSprop.update_step (dense gradients):
//
//	velocity = rho*velocity + (1-rho)*g²
//	[centered: avg = rho*avg + (1-rho)*g; denominator = velocity - avg² + epsilon]
//	denominator = velocity + epsilon
//	increment = lr * g * rsqrt(denominator)
//	momentum > 0: mom = momentum*mom + increment; w -= mom.  Otherwise w -= increment.
func (r *RMSpropOptimizer) Update(_ int64, w, g []float32, s [][]float32) {
	rho, c := float32(r.rho), float32(1-r.rho)
	eps := float32(r.epsilon)
	mom := float32(r.momentum)
	vel := s[0]
	k := 1
	var ms, ag []float32
	if r.momentum > 0 {
		ms = s[k]
		k++
	}
	if r.centered {
		ag = s[k]
	}
	for i, gi := range g {
		v := rho*vel[i] + c*(gi*gi)
		vel[i] = v
		var den float32
		if ag != nil {
			a := rho*ag[i] + c*gi
			ag[i] = a
			den = v - a*a + eps
		} else {
			den = v + eps
		}
		inc := r.lr * gi * (1 / sqrtf(den))
		if ms != nil {
			mi := mom*ms[i] + inc
			ms[i] = mi
			w[i] += -mi
		} else {
			w[i] += -inc
		}
	}
}

// Config returns get_config() in dialect d.
func (r *RMSpropOptimizer) Config(d saved.Dialect) pyfmt.Object {
	freq := int64(100)
	c := r.baseConfig(d, "RMSprop", "rm_sprop", r.lr, &freq)
	return append(c, pyfmt.KV{"rho", r.rho}, pyfmt.KV{"momentum", r.momentum}, pyfmt.KV{"epsilon", r.epsilon}, pyfmt.KV{"centered", r.centered})
}

// Get returns the optimizer Keras builds for a name ("adam", "sgd", "rmsprop"; case
// is ignored) with default hyper-parameters.
func Get(name string) (Optimizer, error) {
	switch strings.ToLower(name) {
	case "adam":
		return Adam(), nil
	case "sgd":
		return SGD(), nil
	case "rmsprop":
		return RMSprop(), nil
	}
	return nil, fmt.Errorf("%w: optimizer %q (kerasgo trains with adam, sgd, rmsprop)", errcat.ErrUnsupported, name)
}

// isKeras3AutoName reports whether name is a name Keras 3 gives an optimizer of default name
// k3name: k3name itself or k3name_<n> ("adam", "adam_1", "rm_sprop_2").
func isKeras3AutoName(name, k3name string) bool {
	rest, ok := strings.CutPrefix(name, k3name)
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	n, ok := strings.CutPrefix(rest, "_")
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func powf(x, y float32) float32 { return float32(math.Pow(float64(x), float64(y))) }
func sqrtf(x float32) float32   { return float32(math.Sqrt(float64(x))) }

// optionsArg returns the one options value of a variadic options argument, or the zero
// value when there is none.
func optionsArg[T any](fn string, opts []T) T {
	switch len(opts) {
	case 0:
		var zero T
		return zero
	case 1:
		return opts[0]
	}
	panic("optimizers." + fn + ": at most one options value")
}
