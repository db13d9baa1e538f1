package layers

import "github.com/kerasgo/kerasgo/saved"

// SimpleRNNOptions are the optional arguments of NewSimpleRNN. The zero value means Keras's defaults:
// activation tanh, a bias, the last output only, reading forwards.
type SimpleRNNOptions struct {
	Name            string
	Activation      string // "" is tanh
	NoBias          bool
	ReturnSequences bool
	ReturnState     bool // also return the final states (return_state)
	GoBackwards     bool
	InputShape      []int
}

// SimpleRNN is Keras's SimpleRNN layer over (batch, timesteps, features) inputs: h = activation(x·kernel + h·recurrent_kernel + bias).
type SimpleRNN struct{ rnn }

// NewSimpleRNN returns a SimpleRNN layer with units outputs. It panics if units < 1 or an activation is
// unknown (programmer errors).
func NewSimpleRNN(units int, opts ...SimpleRNNOptions) *SimpleRNN {
	o := optionsArg("NewSimpleRNN", opts)
	if units < 1 {
		panic("layers.NewSimpleRNN: units must be positive")
	}
	l := &SimpleRNN{rnn{base: newBase(o.Name, o.InputShape), kind: kindSimple, class: "SimpleRNN", units: units,
		useBias: !o.NoBias, returnSeq: o.ReturnSequences, returnState: o.ReturnState, backwards: o.GoBackwards, implementation: 2}}
	act := o.Activation
	if act == "" {
		act = "tanh"
	}
	var err error
	if l.act, err = lookupActivation(act); err != nil {
		panic("layers.NewSimpleRNN: " + err.Error())
	}
	l.recAct = activations["sigmoid"]
	return l
}

func init() {
	register(Spec{Classes: []string{"SimpleRNN"}, FromConfig: simpleRNNFromConfig, WeightNames: rnnNames,
		WeightObject: "cell", WeightScope: "simple_rnn_cell"})
}

func simpleRNNFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("SimpleRNN", cfg)
	r.dialect = d
	l := &SimpleRNN{rnn{kind: kindSimple, class: "SimpleRNN"}}
	l.readRNN(r)
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "SimpleRNN".
func (l *SimpleRNN) Class() string { return "SimpleRNN" }

// Config returns the layer's Keras config in dialect d.
func (l *SimpleRNN) Config(d saved.Dialect) map[string]any {
	c := l.rnnConfig(d)
	return c
}
