package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// rnnKind selects the cell of a recurrent layer.
type rnnKind int

const (
	kindSimple rnnKind = iota
	kindLSTM
	kindGRU
)

// rnn is the part SimpleRNN, LSTM and GRU share: a cell run over the time axis of a
// (batch, timesteps, features) input from a zero state. Weights: kernel (features, g·units),
// recurrent_kernel (units, g·units), bias (g·units) — GRU with reset_after (2, 3·units), the
// input bias then the recurrent bias — with g gates: SimpleRNN 1, LSTM 4 (i, f, c, o), GRU 3
// (z, r, h).
type rnn struct {
	base
	kind                  rnnKind
	class                 string
	units                 int
	act, recAct           *activationFunc
	useBias               bool
	returnSeq, backwards  bool
	returnState           bool
	unitForgetBias        bool // LSTM
	resetAfter            bool // GRU
	dropout, recDropout   float64
	implementation        int
	kernelInit, recInit   *kerasObject
	biasInit              *kerasObject
	kernelReg, recReg     *kerasObject
	biasReg, activityReg  *kerasObject
	kernelCon, recCon     *kerasObject
	biasCon               *kerasObject
	seed                  any
	kernel, recKernel, bb *Weight
	steps, inDim          int
	cache                 *rnnCache
	// zeroOut is zero_output_for_mask: masked steps of a returned sequence are zeros rather
	// than the previous output (Bidirectional forces it to return_sequences).
	zeroOut bool
	// mask, set for one call by ForwardMasked, marks the time steps to process
	// (batch·timesteps, row-major); nil: every step.
	mask []bool
}

// gates is the number of gate blocks of the cell.
func (l *rnn) gates() int {
	switch l.kind {
	case kindLSTM:
		return 4
	case kindGRU:
		return 3
	}
	return 1
}

// rnnNames names the variables of a recurrent layer: kernel, recurrent_kernel, then bias
// when use_bias is on.
func rnnNames(on func(string) bool) []string {
	if on("use_bias") {
		return []string{"kernel", "recurrent_kernel", "bias"}
	}
	return []string{"kernel", "recurrent_kernel"}
}

// readRNN reads the options every recurrent class has; unimplemented ones are ErrUnsupported.
func (l *rnn) readRNN(r *cfgReader) {
	r.readBase(&l.base)
	l.units = r.integer(0, 1, maxUnits, "units", "output_dim")
	if v, _, ok := r.get("units", "output_dim"); !ok || v == nil {
		r.fail(ErrFormat, "missing units")
	}
	l.returnSeq = r.boolean(false, "return_sequences")
	l.returnState = r.boolean(false, "return_state")
	l.backwards = r.boolean(false, "go_backwards")
	if r.boolean(false, "stateful") {
		r.fail(ErrUnsupported, "stateful true")
	}
	if r.boolean(false, "time_major") {
		r.fail(ErrUnsupported, "time_major true")
	}
	r.boolean(false, "unroll") // the result does not depend on it
	l.zeroOut = r.boolean(false, "zero_output_for_mask")
	l.act = r.activation()
	if _, _, ok := r.get("activation"); !ok {
		l.act = activations["tanh"]
	}
	l.recAct = activations["sigmoid"]
	if l.kind != kindSimple {
		if _, _, ok := r.get("recurrent_activation", "inner_activation"); ok {
			l.recAct = r.activation("recurrent_activation", "inner_activation")
		}
	}
	l.useBias = r.boolean(true, "use_bias")
	l.kernelInit = r.object("initializers", "kernel_initializer", "init")
	l.recInit = r.object("initializers", "recurrent_initializer", "inner_init")
	l.biasInit = r.object("initializers", "bias_initializer")
	l.kernelReg = r.objectKept("regularizers", "kernel_regularizer", "W_regularizer")
	l.recReg = r.objectKept("regularizers", "recurrent_regularizer", "U_regularizer")
	l.biasReg = r.objectKept("regularizers", "bias_regularizer", "b_regularizer")
	l.activityReg = r.objectKept("regularizers", "activity_regularizer")
	l.kernelCon = r.objectKept("constraints", "kernel_constraint")
	l.recCon = r.objectKept("constraints", "recurrent_constraint")
	l.biasCon = r.objectKept("constraints", "bias_constraint")
	l.dropout = r.float(0, "dropout", "dropout_W")
	l.recDropout = r.float(0, "recurrent_dropout", "dropout_U")
	if l.dropout < 0 || l.dropout >= 1 || l.recDropout < 0 || l.recDropout >= 1 {
		r.fail(ErrFormat, "dropout rates must be in [0, 1)")
	}
	if l.kind != kindSimple {
		// Keras ≤2.0's implementation 0 is read as 1, as tf_keras reads it.
		if l.implementation = r.integer(2, 0, 2, "implementation"); l.implementation == 0 {
			l.implementation = 1
		}
	}
	if v, _, ok := r.get("seed"); ok {
		l.seed = v
	}
	r.unsupportedIfSet("cell")
	r.initialWeights()
}

// Units returns the size of the state.
func (l *rnn) Units() int { return l.units }

// ReturnSequences reports whether the layer returns the whole sequence.
func (l *rnn) ReturnSequences() bool { return l.returnSeq }

// GoBackwards reports whether the layer reads the sequence from its end.
func (l *rnn) GoBackwards() bool { return l.backwards }

// SetTrainable sets Keras's layer.trainable.
func (l *rnn) SetTrainable(t bool) {
	l.trainable = t
	setTrainable(t, l.kernel, l.recKernel, l.bb)
}

// OutputShape returns (timesteps, units) with return_sequences, else (units).
func (l *rnn) OutputShape(in []int) ([]int, error) {
	if len(in) != 2 || in[0] < 1 || in[1] < 1 {
		return nil, layerErr(ErrShape, l.class, l.name, "input shape %s: want (timesteps, features) with known sizes", tensor.ShapeString(in))
	}
	if l.returnSeq {
		return []int{in[0], l.units}, nil
	}
	return []int{l.units}, nil
}

// ParamCount returns the number of variables' elements for an input shape.
func (l *rnn) ParamCount(in []int) (int64, error) {
	if _, err := l.OutputShape(in); err != nil {
		return 0, err
	}
	gu := int64(l.gates() * l.units)
	n, err := product(l.class, l.name, int64(in[1]+l.units), gu)
	if err == nil && l.useBias {
		n += gu * int64(l.biasRows())
	}
	return n, err
}

func (l *rnn) biasRows() int {
	if l.kind == kindGRU && l.resetAfter {
		return 2
	}
	return 1
}

// Build creates kernel, recurrent_kernel and bias.
func (l *rnn) Build(in []int, rng *Rand) error {
	if _, err := l.ParamCount(in); err != nil {
		return err
	}
	u, gu := l.units, l.gates()*l.units
	k, err := newWeight("kernel", l.trainable, []int{in[1], gu}, rng)
	if err != nil {
		return layerErr(ErrShape, l.class, l.name, "kernel: %v", err)
	}
	initWeight(k, l.kernelInit, "GlorotUniform", in[1], gu, rng)
	rk, err := newWeight("recurrent_kernel", l.trainable, []int{u, gu}, rng)
	if err != nil {
		return layerErr(ErrShape, l.class, l.name, "recurrent_kernel: %v", err)
	}
	initRecurrent(rk, l.recInit, rng)
	l.kernel, l.recKernel, l.bb = k, rk, nil
	if l.useBias {
		shape := []int{gu}
		if l.biasRows() == 2 {
			shape = []int{2, gu}
		}
		b, _ := newWeight("bias", l.trainable, shape, rng)
		initWeight(b, l.biasInit, "Zeros", in[1], gu, rng)
		if l.kind == kindLSTM && l.unitForgetBias && !rng.noData() {
			fb := b.Value.Float32s()[u : 2*u]
			for i := range fb {
				fb[i] = 1
			}
		}
		l.bb = b
	}
	l.steps, l.inDim = in[0], in[1]
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns kernel, recurrent_kernel and (if used) bias.
func (l *rnn) Weights() []*Weight { return weightList(l.kernel, l.recKernel, l.bb) }

// rnnConfig writes the keys every recurrent class has, in dialect d.
func (l *rnn) rnnConfig(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["return_sequences"] = l.returnSeq
	c["return_state"] = l.returnState
	c["go_backwards"] = l.backwards
	c["stateful"] = false
	c["unroll"] = false
	if d == saved.Keras3 {
		c["zero_output_for_mask"] = l.zeroOut
	} else {
		c["time_major"] = false
		if l.zeroOut { // tf_keras writes it only when set
			c["zero_output_for_mask"] = true
		}
	}
	c["units"] = l.units
	c["activation"] = l.act.configName(d)
	if l.kind != kindSimple {
		c["recurrent_activation"] = l.recAct.configName(d)
	}
	c["use_bias"] = l.useBias
	c["kernel_initializer"] = initializerValue(l.kernelInit, "GlorotUniform", d)
	c["recurrent_initializer"] = initializerValue(l.recInit, "Orthogonal", d)
	c["bias_initializer"] = initializerValue(l.biasInit, "Zeros", d)
	c["kernel_regularizer"] = l.kernelReg.value(d)
	c["recurrent_regularizer"] = l.recReg.value(d)
	c["bias_regularizer"] = l.biasReg.value(d)
	c["activity_regularizer"] = l.activityReg.value(d)
	c["kernel_constraint"] = l.kernelCon.value(d)
	c["recurrent_constraint"] = l.recCon.value(d)
	c["bias_constraint"] = l.biasCon.value(d)
	c["dropout"] = l.dropout
	c["recurrent_dropout"] = l.recDropout
	if d == saved.Keras2 && l.kind != kindSimple {
		impl := l.implementation
		if impl == 0 {
			impl = 2
		}
		c["implementation"] = impl
	}
	if d == saved.Keras3 && l.kind != kindSimple {
		c["seed"] = l.seed
	}
	return c
}

// Tracked returns the layer's tracked children without variables as tf_keras checkpoints
// list them (TrackedChildren): the LSTM cell's state_size list ("cell/state_size"), then the
// layer's state_spec.
func (l *rnn) Tracked() []string {
	if l.kind == kindLSTM {
		return []string{"cell/state_size", "state_spec"}
	}
	return []string{"state_spec"}
}

// UsesMask reports true: Keras's recurrent layers skip masked time steps (MaskUser).
func (l *rnn) UsesMask() bool { return true }

// keras3CallKwargs: Keras 3 records an RNN call's mask and training arguments.
func (l *rnn) keras3CallKwargs() map[string]any {
	return map[string]any{"mask": nil, "training": false}
}
