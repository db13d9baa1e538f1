package savedmodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/kerasgo/kerasgo/saved"
)

// seqModel is a Sequential or Functional model as the writer lowers it: its Keras2 config split
// into layers, each with the graph its implementation declared (saved.Layer.Graph).
type seqModel struct {
	Name       string
	Config     map[string]any // the model's "config" object
	InputName  string         // Sequential: name of the InputLayer ("conv_1_input")
	InputShape []int          // Sequential: without the batch dim
	InputDType string
	// Layers: Sequential without the InputLayer; Functional model.layers, InputLayers included.
	Layers []*layerSpec
	// Functional is set for a Functional model: its inputs and outputs, in the model's order.
	Functional bool
	Inputs     []endpoint
	Outputs    []endpoint
	// prefix goes before Name in the names of the model's ops: "" for the saved model, the
	// holder's scope for a nested model ("outer/").
	prefix string
}

// endpoint is one input or output of the model: the serving signature's key and shape
// (without the batch dim), and for an output the tensor that gives it.
type endpoint struct {
	Name  string
	Shape []int
	Ref   nodeRef
}

// nodeRef names the output of one call of a layer: Layers[Layer]'s Node-th inbound node (an
// InputLayer has one, node 0), its Tensor-th output (0, or a recurrent layer's state:
// LayerGraph.MoreOutputs).
type nodeRef struct{ Layer, Node, Tensor int }

// inputs and outputs give the model's endpoints, Sequential or Functional.
func (sm *seqModel) inputs() []endpoint {
	if sm.Functional {
		return sm.Inputs
	}
	return []endpoint{{Name: sm.InputName, Shape: sm.InputShape}}
}

func (sm *seqModel) outputs() []endpoint {
	if sm.Functional {
		return sm.Outputs
	}
	last := sm.Layers[len(sm.Layers)-1]
	return []endpoint{{Name: last.Name, Shape: last.Out}}
}

type layerSpec struct {
	Class   string
	Name    string
	Cfg     map[string]any
	Raw     map[string]any // {"class_name", "config"} as in the model config
	In, Out []int          // without the batch dim
	Weights []saved.Variable
	Graph   *saved.LayerGraph
	Subs    []saved.SubObject // sub-objects holding the variables (saved.SubObject)
	First   bool              // the first layer after the input
	// Functional models: Input marks an InputLayer; Nodes holds, per inbound node (call of
	// the layer), the tensors it reads; InShapes the input shapes of its first call.
	Input    bool
	Nodes    [][]nodeRef
	InShapes [][]int
	// Sub is the model of a nested model (a model used as a layer), nil for other layers.
	Sub *seqModel
	// node is the layer's object in the writer's tree.
	node int
}

func decodeJSON(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// parseSequential reads a Keras2 (tf_keras) Sequential or Functional config and matches
// weights from m.
func parseSequential(m *saved.Model) (*seqModel, error) { return parseModel(m, 0) }

// parseModel is parseSequential for a model nested depth deep.
func parseModel(m *saved.Model, depth int) (*seqModel, error) {
	if len(m.Config) == 0 {
		return nil, unsupported("model has no architecture config (weights-only save)")
	}
	if m.Dialect != saved.Keras2 {
		return nil, unsupported("model config in %v dialect; the SavedModel writer needs keras2", m.Dialect)
	}
	top, err := decodeJSON(m.Config)
	if err != nil {
		return nil, formatErr("model config: %v", err)
	}
	switch cn, _ := top["class_name"].(string); cn {
	case "Sequential":
	case "Functional", "Model":
		return parseFunctional(top, m, depth)
	default:
		return nil, unsupported("model class %q (only Sequential and Functional are lowered to a graph)", cn)
	}
	cfg, _ := top["config"].(map[string]any)
	var rawLayers []any
	switch c := top["config"].(type) {
	case map[string]any:
		rawLayers, _ = c["layers"].([]any)
	case []any: // old list-style Sequential config
		rawLayers = c
		cfg = map[string]any{"name": "sequential", "layers": c}
	}
	if cfg == nil || len(rawLayers) == 0 {
		return nil, formatErr("Sequential config has no layers")
	}
	sm := &seqModel{Config: cfg, InputDType: "float32"}
	sm.Name, _ = cfg["name"].(string)
	if sm.Name == "" {
		sm.Name = "sequential"
	}
	byName := map[string]*saved.Layer{}
	for i := range m.Layers {
		byName[m.Layers[i].Name] = &m.Layers[i]
	}
	for i, rl := range rawLayers {
		obj, ok := rl.(map[string]any)
		if !ok {
			return nil, formatErr("layer %d of the config is not an object", i)
		}
		class, _ := obj["class_name"].(string)
		lc, _ := obj["config"].(map[string]any)
		if lc == nil {
			return nil, formatErr("layer %d (%s) has no config", i, class)
		}
		name, _ := lc["name"].(string)
		if class == saved.InputLayerClass {
			if i != 0 {
				return nil, unsupported("InputLayer at position %d", i)
			}
			shp, err := batchShape(lc)
			if err != nil || shp == nil {
				return nil, formatErr("InputLayer %q: no batch_input_shape", name)
			}
			sm.InputName = name
			sm.InputShape = shp[1:]
			if dt, ok := lc["dtype"].(string); ok {
				sm.InputDType = dt
			}
			continue
		}
		ls := &layerSpec{Class: class, Name: name, Cfg: lc, Raw: obj}
		if len(sm.Layers) == 0 {
			ls.First = true
			if sm.InputShape == nil {
				shp, err := batchShape(lc)
				if err != nil || shp == nil {
					return nil, formatErr("first layer %q has no batch_input_shape and there is no InputLayer", name)
				}
				sm.InputShape = shp[1:]
				sm.InputName = name + "_input"
				if dt, ok := lc["dtype"].(string); ok {
					sm.InputDType = dt
				}
			}
		}
		if nestedModelClass(class, lc) {
			sub, err := parseNested(class, lc, byName[name], depth)
			if err != nil {
				return nil, fmt.Errorf("layer %q (%s): %w", name, class, err)
			}
			ls.Sub, ls.Graph = sub, nestedGraph(sub)
		} else if l := byName[name]; l != nil {
			ls.Weights, ls.Graph, ls.Subs = l.Weights, l.Graph, l.Subs
		}
		sm.Layers = append(sm.Layers, ls)
	}
	if len(sm.Layers) == 0 {
		return nil, formatErr("Sequential has no layers besides the input")
	}
	if sm.InputDType != "float32" {
		return nil, unsupported("input dtype %s (only float32 graphs are written)", sm.InputDType)
	}
	shape := sm.InputShape
	for _, l := range sm.Layers {
		if err := checkLayer(l, shape); err != nil {
			return nil, fmt.Errorf("layer %q (%s): %w", l.Name, l.Class, err)
		}
		l.In, l.Out = l.Graph.InputShapes[0], l.Graph.OutputShape
		shape = l.Out
	}
	return sm, nil
}

// checkLayer checks what the writer relies on in a layer's graph and weights: a graph for
// one input of the shape the previous layer gives, and float32 weights with values.
func checkLayer(l *layerSpec, in []int) error {
	g := l.Graph
	if g == nil {
		return unsupported("no graph (write the model through package model)")
	}
	if len(g.InputShapes) != 1 {
		return unsupported("a layer with %d inputs in a Sequential", len(g.InputShapes))
	}
	if !sameShape(g.InputShapes[0], in) {
		return formatErr("graph built for input shape %v, the model gives %v", g.InputShapes[0], in)
	}
	for _, w := range l.Weights {
		if w.Value == nil {
			return formatErr("weight %q has no value", w.Name)
		}
		if dt := w.Value.DType.String(); dt != "float32" && dt != "int64" && dt != "float16" && dt != "bfloat16" {
			return unsupported("weight %q is %v (only float32, float16, bfloat16 and int64)", w.Name, w.Value.DType)
		}
	}
	return nil
}

// batchShape returns batch_input_shape / batch_shape of a layer config (nil when absent);
// None dims become -1.
func batchShape(cfg map[string]any) ([]int, error) {
	for _, k := range []string{"batch_input_shape", "batch_shape"} {
		if v, ok := cfg[k]; ok && v != nil {
			return intList(v)
		}
	}
	return nil, nil
}

// intList converts a JSON list (or tf_keras {"class_name":"__tuple__","items":[...]}) of ints
// and nulls to []int with -1 for null.
func intList(v any) ([]int, error) {
	if m, ok := v.(map[string]any); ok {
		v = m["items"]
	}
	switch x := v.(type) {
	case []any:
		out := make([]int, len(x))
		for i, e := range x {
			if e == nil {
				out[i] = -1
				continue
			}
			n, err := toInt(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case json.Number, float64, int:
		n, err := toInt(x)
		if err != nil {
			return nil, err
		}
		return []int{n}, nil
	}
	return nil, formatErr("expected a list of integers, got %T", v)
}

func toInt(v any) (int, error) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
			return 0, formatErr("not a small integer: %v", x)
		}
		return int(n), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
			return 0, formatErr("not an integer: %v", x)
		}
		return int(x), nil
	case int:
		return x, nil
	}
	return 0, formatErr("not an integer: %v", v)
}

func strCfg(cfg map[string]any, key, def string) string {
	if s, ok := cfg[key].(string); ok {
		return s
	}
	return def
}

// dtypeCfg is a layer's dtype as tf_keras's SavedModel metadata records it: its config's
// "dtype", a name or a mixed-precision Policy object (which tf_keras's loader applies to the
// revived layer), "float32" when absent.
func dtypeCfg(cfg map[string]any) any {
	switch v := cfg["dtype"].(type) {
	case string:
		return v
	case map[string]any:
		return v
	}
	return "float32"
}

func boolCfg(cfg map[string]any, key string, def bool) bool {
	if b, ok := cfg[key].(bool); ok {
		return b
	}
	return def
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
