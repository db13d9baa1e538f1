package savedmodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
)

// seqModel is a Sequential model as the writer lowers it: its Keras2 config split into layers,
// with each layer's static output shape worked out from the config.
type seqModel struct {
	Name       string
	Config     map[string]any // the Sequential's "config" object
	InputName  string         // name of the InputLayer ("conv_1_input")
	InputShape []int          // without the batch dim
	InputDType string
	Layers     []*layerSpec // without the InputLayer
}

type layerSpec struct {
	Class   string
	Name    string
	Cfg     map[string]any
	Raw     map[string]any // {"class_name", "config"} as in the model config
	In, Out []int          // without the batch dim
	Weights []saved.Variable
	First   bool // the first layer after the input
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

// parseSequential reads a Keras2 (tf_keras) Sequential config and matches weights from m.
func parseSequential(m *saved.Model) (*seqModel, error) {
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
	if cn, _ := top["class_name"].(string); cn != "Sequential" {
		return nil, unsupported("model class %q (only Sequential is lowered to a graph)", cn)
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
		if class == "InputLayer" {
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
		if l := byName[name]; l != nil {
			ls.Weights = l.Weights
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
		l.In = shape
		out, err := outputShape(l)
		if err != nil {
			return nil, fmt.Errorf("layer %q (%s): %w", l.Name, l.Class, err)
		}
		l.Out = out
		shape = out
		if err := checkWeights(l); err != nil {
			return nil, fmt.Errorf("layer %q (%s): %w", l.Name, l.Class, err)
		}
	}
	return sm, nil
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

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

// pair reads a config value that is an int or a 2-list (kernel_size, strides, pool_size).
func pair(cfg map[string]any, key string, def [2]int) ([2]int, error) {
	v, ok := cfg[key]
	if !ok || v == nil {
		return def, nil
	}
	l, err := intList(v)
	if err != nil {
		return def, fmt.Errorf("%s: %w", key, err)
	}
	switch len(l) {
	case 1:
		return [2]int{l[0], l[0]}, nil
	case 2:
		return [2]int{l[0], l[1]}, nil
	}
	return def, formatErr("%s has %d values, want 2", key, len(l))
}

func strCfg(cfg map[string]any, key, def string) string {
	if s, ok := cfg[key].(string); ok {
		return s
	}
	return def
}

func boolCfg(cfg map[string]any, key string, def bool) bool {
	if b, ok := cfg[key].(bool); ok {
		return b
	}
	return def
}

func convOut(in, k, s, d int, pad string) int {
	if in < 0 {
		return -1
	}
	if pad == "same" {
		return (in + s - 1) / s
	}
	eff := (k-1)*d + 1
	if in < eff {
		return 0
	}
	return (in-eff)/s + 1
}

func outputShape(l *layerSpec) ([]int, error) {
	in := l.In
	c := l.Cfg
	if df := strCfg(c, "data_format", "channels_last"); df != "channels_last" {
		return nil, unsupported("data_format %q", df)
	}
	switch l.Class {
	case "Conv2D":
		if len(in) != 3 {
			return nil, formatErr("Conv2D input rank %d, want 3 (+batch)", len(in))
		}
		ks, err := pair(c, "kernel_size", [2]int{1, 1})
		if err != nil {
			return nil, err
		}
		st, err := pair(c, "strides", [2]int{1, 1})
		if err != nil {
			return nil, err
		}
		dl, err := pair(c, "dilation_rate", [2]int{1, 1})
		if err != nil {
			return nil, err
		}
		if g, ok := c["groups"]; ok {
			if n, _ := toInt(g); n > 1 {
				return nil, unsupported("Conv2D groups=%d", n)
			}
		}
		f, err := toInt(c["filters"])
		if err != nil || f <= 0 {
			return nil, formatErr("Conv2D filters: %v", c["filters"])
		}
		if st[0] <= 0 || st[1] <= 0 || ks[0] <= 0 || ks[1] <= 0 || dl[0] <= 0 || dl[1] <= 0 {
			return nil, formatErr("Conv2D non-positive kernel, stride or dilation")
		}
		pad := strCfg(c, "padding", "valid")
		if pad != "valid" && pad != "same" {
			return nil, unsupported("padding %q", pad)
		}
		return []int{convOut(in[0], ks[0], st[0], dl[0], pad), convOut(in[1], ks[1], st[1], dl[1], pad), f}, nil
	case "MaxPooling2D", "AveragePooling2D":
		if len(in) != 3 {
			return nil, formatErr("%s input rank %d, want 3 (+batch)", l.Class, len(in))
		}
		ps, err := pair(c, "pool_size", [2]int{2, 2})
		if err != nil {
			return nil, err
		}
		st, err := pair(c, "strides", ps)
		if err != nil {
			return nil, err
		}
		if st[0] <= 0 || st[1] <= 0 || ps[0] <= 0 || ps[1] <= 0 {
			return nil, formatErr("%s non-positive pool size or stride", l.Class)
		}
		pad := strCfg(c, "padding", "valid")
		if pad != "valid" && pad != "same" {
			return nil, unsupported("padding %q", pad)
		}
		return []int{convOut(in[0], ps[0], st[0], 1, pad), convOut(in[1], ps[1], st[1], 1, pad), in[2]}, nil
	case "BatchNormalization":
		ax, err := bnAxis(c, len(in))
		if err != nil {
			return nil, err
		}
		if ax != len(in) {
			return nil, unsupported("BatchNormalization axis %d (only the last axis)", ax)
		}
		return in, nil
	case "Flatten":
		n := 1
		for _, d := range in {
			if d < 0 {
				return nil, unsupported("Flatten of a dynamic shape %v", in)
			}
			if d != 0 && n > math.MaxInt32/d {
				return nil, formatErr("Flatten of %v overflows", in)
			}
			n *= d
		}
		return []int{n}, nil
	case "Dense":
		if len(in) != 1 {
			return nil, unsupported("Dense on rank-%d input (only rank 2 with batch)", len(in)+1)
		}
		u, err := toInt(c["units"])
		if err != nil || u <= 0 {
			return nil, formatErr("Dense units: %v", c["units"])
		}
		return []int{u}, nil
	case "Dropout", "Activation":
		return in, nil
	}
	return nil, unsupported("layer class %q", l.Class)
}

// bnAxis returns the BatchNormalization axis counted with the batch dim (last = rank).
func bnAxis(c map[string]any, rank int) (int, error) {
	v, ok := c["axis"]
	if !ok || v == nil {
		return rank, nil
	}
	l, err := intList(v)
	if err != nil || len(l) != 1 {
		return 0, unsupported("BatchNormalization axis %v", v)
	}
	a := l[0]
	if a < 0 {
		a += rank + 1
	}
	return a, nil
}

// weightNames lists the variables a layer must have, in Keras order.
func weightNames(l *layerSpec) []string {
	switch l.Class {
	case "Conv2D", "Dense":
		if boolCfg(l.Cfg, "use_bias", true) {
			return []string{"kernel", "bias"}
		}
		return []string{"kernel"}
	case "BatchNormalization":
		var w []string
		if boolCfg(l.Cfg, "scale", true) {
			w = append(w, "gamma")
		}
		if boolCfg(l.Cfg, "center", true) {
			w = append(w, "beta")
		}
		return append(w, "moving_mean", "moving_variance")
	}
	return nil
}

func weightShape(l *layerSpec, name string) []int {
	switch l.Class {
	case "Conv2D":
		ks, _ := pair(l.Cfg, "kernel_size", [2]int{1, 1})
		if name == "kernel" {
			return []int{ks[0], ks[1], l.In[2], l.Out[2]}
		}
		return []int{l.Out[2]}
	case "Dense":
		if name == "kernel" {
			return []int{l.In[0], l.Out[0]}
		}
		return []int{l.Out[0]}
	case "BatchNormalization":
		return []int{l.In[len(l.In)-1]}
	}
	return nil
}

func checkWeights(l *layerSpec) error {
	want := weightNames(l)
	if len(want) != len(l.Weights) {
		got := make([]string, len(l.Weights))
		for i, w := range l.Weights {
			got[i] = w.Name
		}
		return formatErr("weights %v, want %v", got, want)
	}
	for i, w := range l.Weights {
		if w.Name != want[i] {
			return formatErr("weight %d is %q, want %q", i, w.Name, want[i])
		}
		if w.Value == nil {
			return formatErr("weight %q has no value", w.Name)
		}
		if ws := weightShape(l, w.Name); !sameShape(ws, w.Value.Shape) {
			return formatErr("weight %q has shape %v, the config implies %v", w.Name, w.Value.Shape, ws)
		}
		if w.Value.DType.String() != "float32" {
			return unsupported("weight %q is %v (only float32)", w.Name, w.Value.DType)
		}
	}
	return nil
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

// activationOp maps a Keras activation name to a TF op ("" for linear).
func activationOp(name string) (string, error) {
	switch strings.ToLower(name) {
	case "", "linear", "none":
		return "", nil
	case "relu":
		return "Relu", nil
	case "softmax":
		return "Softmax", nil
	case "sigmoid":
		return "Sigmoid", nil
	case "tanh":
		return "Tanh", nil
	case "elu":
		return "Elu", nil
	case "selu":
		return "Selu", nil
	case "softplus":
		return "Softplus", nil
	case "softsign":
		return "Softsign", nil
	case "relu6":
		return "Relu6", nil
	}
	return "", unsupported("activation %q", name)
}

// activationName extracts the activation of a layer config (a string or a serialized object).
func activationName(c map[string]any) string {
	switch a := c["activation"].(type) {
	case string:
		return a
	case map[string]any:
		if cfg, ok := a["config"].(map[string]any); ok {
			if n, ok := cfg["name"].(string); ok {
				return n
			}
		}
		if n, ok := a["class_name"].(string); ok {
			return n
		}
	}
	return "linear"
}
