package layers

import "github.com/kerasgo/kerasgo/saved"

// GRUOptions are the optional arguments of NewGRU. The zero value means Keras's defaults:
// activation tanh, recurrent activation sigmoid, a bias, the last output only, reading forwards.
type GRUOptions struct {
	Name                string
	Activation          string // "" is tanh
	RecurrentActivation string // "" is sigmoid
	NoBias              bool
	ReturnSequences     bool
	ReturnState         bool // also return the final states (return_state)
	GoBackwards         bool
	ResetBefore         bool // reset_after=False (tf_keras 1.x and Keras 2 default)
	InputShape          []int
}

// GRU is Keras's GRU layer over (batch, timesteps, features) inputs with gates z, r, h; with reset_after its bias is (2, 3·units): input then recurrent.
type GRU struct{ rnn }

// NewGRU returns a GRU layer with units outputs. It panics if units < 1 or an activation is
// unknown (programmer errors).
func NewGRU(units int, opts ...GRUOptions) *GRU {
	o := optionsArg("NewGRU", opts)
	if units < 1 {
		panic("layers.NewGRU: units must be positive")
	}
	l := &GRU{rnn{base: newBase(o.Name, o.InputShape), kind: kindGRU, class: "GRU", units: units,
		useBias: !o.NoBias, returnSeq: o.ReturnSequences, returnState: o.ReturnState, backwards: o.GoBackwards, implementation: 2}}
	act := o.Activation
	if act == "" {
		act = "tanh"
	}
	var err error
	if l.act, err = lookupActivation(act); err != nil {
		panic("layers.NewGRU: " + err.Error())
	}
	l.recAct = activations["sigmoid"]
	if o.RecurrentActivation != "" {
		if l.recAct, err = lookupActivation(o.RecurrentActivation); err != nil {
			panic("layers.NewGRU: " + err.Error())
		}
	}
	l.resetAfter = !o.ResetBefore
	return l
}

func init() {
	register(Spec{Classes: []string{"GRU"}, FromConfig: gruFromConfig, WeightNames: rnnNames,
		WeightObject: "cell", WeightScope: "gru_cell"})
}

func gruFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("GRU", cfg)
	r.dialect = d
	l := &GRU{rnn{kind: kindGRU, class: "GRU"}}
	l.resetAfter = r.boolean(false, "reset_after") // absent only in configs from before Keras 2.1.4
	l.readRNN(r)
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "GRU".
func (l *GRU) Class() string { return "GRU" }

// Config returns the layer's Keras config in dialect d.
func (l *GRU) Config(d saved.Dialect) map[string]any {
	c := l.rnnConfig(d)
	c["reset_after"] = l.resetAfter
	return c
}
