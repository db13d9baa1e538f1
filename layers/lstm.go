package layers

import "github.com/kerasgo/kerasgo/saved"

// LSTMOptions are the optional arguments of NewLSTM. The zero value means Keras's defaults:
// activation tanh, recurrent activation sigmoid, a bias, the last output only, reading forwards.
type LSTMOptions struct {
	Name                string
	Activation          string // "" is tanh
	RecurrentActivation string // "" is sigmoid
	NoBias              bool
	ReturnSequences     bool
	ReturnState         bool // also return the final states (return_state)
	GoBackwards         bool
	NoUnitForgetBias    bool // unit_forget_bias=False
	InputShape          []int
}

// LSTM is Keras's LSTM layer over (batch, timesteps, features) inputs with gates i, f, c, o in that order in its kernels and bias.
type LSTM struct{ rnn }

// NewLSTM returns a LSTM layer with units outputs. It panics if units < 1 or an activation is
// unknown (programmer errors).
func NewLSTM(units int, opts ...LSTMOptions) *LSTM {
	o := optionsArg("NewLSTM", opts)
	if units < 1 {
		panic("layers.NewLSTM: units must be positive")
	}
	l := &LSTM{rnn{base: newBase(o.Name, o.InputShape), kind: kindLSTM, class: "LSTM", units: units,
		useBias: !o.NoBias, returnSeq: o.ReturnSequences, returnState: o.ReturnState, backwards: o.GoBackwards, implementation: 2}}
	act := o.Activation
	if act == "" {
		act = "tanh"
	}
	var err error
	if l.act, err = lookupActivation(act); err != nil {
		panic("layers.NewLSTM: " + err.Error())
	}
	l.recAct = activations["sigmoid"]
	if o.RecurrentActivation != "" {
		if l.recAct, err = lookupActivation(o.RecurrentActivation); err != nil {
			panic("layers.NewLSTM: " + err.Error())
		}
	}
	l.unitForgetBias = !o.NoUnitForgetBias
	return l
}

func init() {
	register(Spec{Classes: []string{"LSTM"}, FromConfig: lstmFromConfig, WeightNames: rnnNames,
		WeightObject: "cell", WeightScope: "lstm_cell"})
}

func lstmFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("LSTM", cfg)
	r.dialect = d
	l := &LSTM{rnn{kind: kindLSTM, class: "LSTM"}}
	l.unitForgetBias = r.boolean(true, "unit_forget_bias", "forget_bias_init")
	l.readRNN(r)
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "LSTM".
func (l *LSTM) Class() string { return "LSTM" }

// Config returns the layer's Keras config in dialect d.
func (l *LSTM) Config(d saved.Dialect) map[string]any {
	c := l.rnnConfig(d)
	c["unit_forget_bias"] = l.unitForgetBias
	return c
}
