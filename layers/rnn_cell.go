package layers

import (
	"strings"

	"github.com/kerasgo/kerasgo/saved"
)

// RNN is Keras's generic RNN layer wrapping one cell: LSTMCell, GRUCell or SimpleRNNCell. It
// computes what the LSTM, GRU and SimpleRNN layers compute with the cell's options (it runs
// the same recurrence); only its config differs: the cell's options sit in a nested "cell"
// object with the cell's own name, which also names the scope of the variables
// ("rnn/lstm_cell/kernel:0" in tf_keras HDF5, layers/rnn/cell/vars in Keras 3 files, the
// layer's "cell" child in TF checkpoints). StackedRNNCells: StackedRNN; other cells are ErrUnsupported.
type RNN struct {
	*rnn
	inner     Layer  // the LSTM, GRU or SimpleRNN layer of the cell's options
	cellClass string // "LSTMCell", "GRUCell", "SimpleRNNCell"
	cellName  string // the cell's name ("lstm_cell")
}

// rnnCellLayers maps each cell class to the layer class computing the same.
var rnnCellLayers = map[string]string{"LSTMCell": "LSTM", "GRUCell": "GRU", "SimpleRNNCell": "SimpleRNN"}

// rnnOuterKeys are the RNN layer's own config keys; every other option is the cell's.
var rnnOuterKeys = []string{"name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
	"stateful", "unroll", "time_major", "zero_output_for_mask", "batch_input_shape", "batch_shape",
	"input_shape", "input_dim", "batch_size", "shared_object_id"}

func init() {
	// SubObjects: a StackedRNNCells cell keeps its cells' variables in Keras 3 files under
	// cell/cells/<cell name> (read below the "cell" object).
	register(Spec{Classes: []string{"RNN"}, FromConfig: rnnCellFromConfig, WeightNames: rnnNames,
		WeightObject: "cell", SubObjects: []string{"cells"}})
}

// NewRNN returns an RNN layer over the cell that layer describes: an LSTM, GRU or SimpleRNN
// layer made with NewLSTM, NewGRU or NewSimpleRNN gives the cell's options and the RNN
// layer's own (return_sequences, return_state, go_backwards); its name is the RNN layer's.
// cellName "" is Keras's default ("lstm_cell", ...). It panics on another layer (a
// programmer error).
func NewRNN(layer Layer, cellName string) *RNN {
	var r *rnn
	switch l := layer.(type) {
	case *LSTM:
		r = &l.rnn
	case *GRU:
		r = &l.rnn
	case *SimpleRNN:
		r = &l.rnn
	default:
		panic("layers.NewRNN: want an LSTM, GRU or SimpleRNN layer")
	}
	cc := layer.Class() + "Cell"
	if cellName == "" {
		cellName = DefaultBaseName(cc)
	}
	return &RNN{rnn: r, inner: layer, cellClass: cc, cellName: cellName}
}

func rnnCellFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	cell, _ := cfg["cell"].(map[string]any)
	if cell == nil {
		return nil, nil, layerErr(ErrFormat, "RNN", strName(cfg), "missing cell")
	}
	cc, _ := cell["class_name"].(string)
	if cc == "StackedRNNCells" {
		return stackedFromConfig(cfg, cell, d)
	}
	lc, ok := rnnCellLayers[cc]
	if !ok {
		return nil, nil, layerErr(ErrUnsupported, "RNN", strName(cfg), "cell %q (only LSTMCell, GRUCell and SimpleRNNCell)", cc)
	}
	cellCfg, _ := cell["config"].(map[string]any)
	if cellCfg == nil {
		return nil, nil, layerErr(ErrFormat, "RNN", strName(cfg), "cell %s has no config", cc)
	}
	merged := map[string]any{}
	for k, v := range cellCfg {
		switch k {
		case "name", "trainable", "dtype":
		default:
			merged[k] = v
		}
	}
	for k, v := range cfg {
		if k != "cell" {
			merged[k] = v
		}
	}
	inner, warns, err := FromConfig(lc, merged, d)
	if err != nil {
		return nil, nil, layerErr(ErrUnsupported, "RNN", strName(cfg), "cell %s: %v", cc, err)
	}
	name, _ := cellCfg["name"].(string)
	out := NewRNN(inner, name)
	return out, warns, nil
}

func strName(cfg map[string]any) string { s, _ := cfg["name"].(string); return s }

// Class returns "RNN".
func (l *RNN) Class() string { return "RNN" }

// CellClass returns the cell's class ("LSTMCell", "GRUCell", "SimpleRNNCell").
func (l *RNN) CellClass() string { return l.cellClass }

// Config returns the RNN layer's config: its own options and the cell's serialized form.
func (l *RNN) Config(d saved.Dialect) map[string]any {
	full := l.inner.Config(d)
	out := map[string]any{}
	cc := map[string]any{}
	for k, v := range full {
		switch {
		case k == "activity_regularizer":
			// Neither the RNN layer nor the cell has one in its config.
		case k == "seed" && d == saved.Keras3:
			cc[k] = v
		case slicesContains(rnnOuterKeys, k):
			out[k] = v
		default:
			cc[k] = v
		}
	}
	if d == saved.Keras3 && l.kind == kindSimple {
		cc["seed"] = l.seed
	}
	cc["name"] = l.cellName
	cc["trainable"] = full["trainable"]
	cc["dtype"] = full["dtype"]
	e := map[string]any{"module": "keras.layers", "class_name": l.cellClass, "config": cc, "registered_name": nil}
	if l.Built() {
		e["build_config"] = map[string]any{"input_shape": []any{nil, l.inDim}}
	}
	out["cell"] = e
	return out
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Build builds the recurrence and names the variables by the cell's scope
// ("lstm_cell/kernel").
func (l *RNN) Build(in []int, rng *Rand) error {
	if err := l.rnn.Build(in, rng); err != nil {
		return err
	}
	for _, w := range l.rnn.Weights() {
		if i := strings.LastIndexByte(w.Name, '/'); i >= 0 {
			w.Name = w.Name[i+1:]
		}
		w.Name = l.cellName + "/" + w.Name
	}
	return nil
}

// SubObjects says where files keep the variables: in the layer's cell.
func (l *RNN) SubObjects() []saved.SubObject {
	return []saved.SubObject{{Path: []string{"cell"}, Names: []string{l.cellName}, N: len(l.rnn.Weights())}}
}

// Graph is the recurrence's graph reading the variables by their names in the cell's scope.
func (l *RNN) Graph() (*saved.LayerGraph, error) { return l.cellGraph(l.rnn.Graph()) }

// GraphMasked is the recurrence's GraphMasked reading the cell's variables.
func (l *RNN) GraphMasked() (*saved.LayerGraph, error) { return l.cellGraph(l.rnn.GraphMasked()) }

// GraphInitialState is the recurrence's GraphInitialState reading the cell's variables.
func (l *RNN) GraphInitialState() (*saved.LayerGraph, error) {
	return l.cellGraph(l.rnn.GraphInitialState())
}

// GraphMaskedInitialState is the recurrence's GraphMaskedInitialState reading the cell's
// variables.
func (l *RNN) GraphMaskedInitialState() (*saved.LayerGraph, error) {
	return l.cellGraph(l.rnn.GraphMaskedInitialState())
}

// cellGraph renames a recurrence graph's variable references into the cell's scope.
func (l *RNN) cellGraph(g *saved.LayerGraph, err error) (*saved.LayerGraph, error) {
	if err != nil {
		return nil, err
	}
	for i := range g.Ops {
		for j, in := range g.Ops[i].Inputs {
			if v, ok := strings.CutPrefix(in, "$var:"); ok {
				g.Ops[i].Inputs[j] = "$var:" + l.cellName + "/" + v
			}
		}
	}
	return g, nil
}
