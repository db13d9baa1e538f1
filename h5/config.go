package h5

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// This file holds the pure-Go JSON work on Keras configs: reading layer lists out of model
// configs in every shape Keras wrote them, and translating between the tf_keras
// training_config and the Keras 3 compile_config. Key order is preserved where configs are
// rewritten.

// field is one key of a JSON object, in file order.
type field struct {
	Key   string
	Value json.RawMessage
}

// objectFields splits a JSON object into its fields in order.
func objectFields(raw []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return nil, formatf("config JSON: %v", err)
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, formatf("config JSON: want an object")
	}
	var out []field
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, formatf("config JSON: %v", err)
		}
		k, ok := t.(string)
		if !ok {
			return nil, formatf("config JSON: bad key")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, formatf("config JSON: %v", err)
		}
		out = append(out, field{k, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, formatf("config JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, formatf("config JSON: trailing data")
	}
	return out, nil
}

// marshalFields joins fields back into a JSON object.
func marshalFields(fs []field) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteString(", ")
		}
		k, _ := json.Marshal(f.Key)
		b.Write(k)
		b.WriteString(": ")
		b.Write(f.Value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func getField(fs []field, k string) (json.RawMessage, bool) {
	for _, f := range fs {
		if f.Key == k {
			return f.Value, true
		}
	}
	return nil, false
}

func setField(fs []field, k string, v json.RawMessage) []field {
	for i := range fs {
		if fs[i].Key == k {
			fs[i].Value = v
			return fs
		}
	}
	return append(fs, field{k, v})
}

func dropFields(fs []field, keys ...string) []field {
	out := fs[:0:0]
	for _, f := range fs {
		drop := false
		for _, k := range keys {
			if f.Key == k {
				drop = true
			}
		}
		if !drop {
			out = append(out, f)
		}
	}
	return out
}

// layerInfo is one entry of a model config's layer list.
type layerInfo struct {
	Name      string
	Class     string
	Trainable bool
	Config    map[string]any
}

// modelLayers parses a model config ({"class_name", "config"} in any Keras dialect) and
// returns its class and layer list in config order. Sequential configs are either a dict
// with "layers" or (Keras ≤2.2.2) a bare list. Subclassed models have no layer list.
func modelLayers(raw []byte) (class string, layers []layerInfo, err error) {
	var top struct {
		ClassName string          `json:"class_name"`
		Config    json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return "", nil, formatf("model config: %v", err)
	}
	class = top.ClassName
	var list []json.RawMessage
	cfg := bytes.TrimSpace(top.Config)
	switch {
	case len(cfg) > 0 && cfg[0] == '[':
		if err := json.Unmarshal(cfg, &list); err != nil {
			return class, nil, formatf("model config layers: %v", err)
		}
	case len(cfg) > 0 && cfg[0] == '{':
		var c struct {
			Layers []json.RawMessage `json:"layers"`
		}
		if err := json.Unmarshal(cfg, &c); err != nil {
			return class, nil, formatf("model config layers: %v", err)
		}
		list = c.Layers
	}
	for i, l := range list {
		var e struct {
			ClassName string         `json:"class_name"`
			Name      string         `json:"name"`
			Config    map[string]any `json:"config"`
		}
		if err := json.Unmarshal(l, &e); err != nil {
			return class, nil, formatf("model config layer %d: %v", i, err)
		}
		li := layerInfo{Name: e.Name, Class: e.ClassName, Trainable: true, Config: e.Config}
		if n, ok := e.Config["name"].(string); ok {
			li.Name = n
		}
		if tr, ok := e.Config["trainable"].(bool); ok {
			li.Trainable = tr
		}
		layers = append(layers, li)
	}
	return class, layers, nil
}

// modelName returns config.name of a model config, or "".
func modelName(raw []byte) string {
	var top struct {
		Config json.RawMessage `json:"config"`
	}
	if json.Unmarshal(raw, &top) != nil {
		return ""
	}
	var c struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(top.Config, &c) != nil {
		return ""
	}
	return c.Name
}

// keras3LegacyConfig rewrites a Keras 3 config.json-style model config the way Keras 3
// writes model_config into a legacy .h5 (use_legacy_config): the model object and each
// entry of its layer list keep only class_name and config (plus name and inbound_nodes for
// functional layers); nested objects are unchanged.
func keras3LegacyConfig(raw []byte) (json.RawMessage, error) {
	fs, err := objectFields(raw)
	if err != nil {
		return nil, err
	}
	fs = dropFields(fs, "module", "registered_name", "build_config", "compile_config")
	cfg, ok := getField(fs, "config")
	if !ok || len(bytes.TrimSpace(cfg)) == 0 || bytes.TrimSpace(cfg)[0] != '{' {
		return marshalFields(fs), nil
	}
	cfs, err := objectFields(cfg)
	if err != nil {
		return nil, err
	}
	if lraw, ok := getField(cfs, "layers"); ok {
		var list []json.RawMessage
		if err := json.Unmarshal(lraw, &list); err != nil {
			return nil, formatf("model config layers: %v", err)
		}
		for i, l := range list {
			lfs, err := objectFields(l)
			if err != nil {
				return nil, err
			}
			list[i] = marshalFields(dropFields(lfs, "module", "registered_name", "build_config"))
		}
		cfs = setField(cfs, "layers", joinList(list))
	}
	fs = setField(fs, "config", marshalFields(cfs))
	return marshalFields(fs), nil
}

func joinList(list []json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, l := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(l)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// optimizerConfig is an optimizer's class (registration prefix removed) and config object.
type optimizerConfig struct {
	Class  string
	Config json.RawMessage
	// LossScale is the name of the LossScaleOptimizer (models compiled under
	// mixed_float16) that wrapped this optimizer in the file ("loss_scale_optimizer"; "" for
	// tf_keras's, which records none), when Class and Config are its inner optimizer's.
	LossScale string
}

// unwrapLossScale returns the inner optimizer of a Keras 3 LossScaleOptimizer or tf_keras
// LossScaleOptimizerV3 config: kerasgo trains in float32, so the loss-scale wrapper is
// dropped (Keras wraps the optimizer again when it compiles a mixed_float16 model).
func unwrapLossScale(oc *optimizerConfig) (*optimizerConfig, error) {
	if oc == nil || (oc.Class != "LossScaleOptimizer" && oc.Class != "LossScaleOptimizerV3") {
		return oc, nil
	}
	var c struct {
		Name  string `json:"name"`
		Inner *struct {
			ClassName string          `json:"class_name"`
			Config    json.RawMessage `json:"config"`
		} `json:"inner_optimizer"`
	}
	if err := json.Unmarshal(oc.Config, &c); err != nil || c.Inner == nil {
		return nil, formatf("optimizer %s: config without inner_optimizer", oc.Class)
	}
	return &optimizerConfig{Class: stripRegistered(c.Inner.ClassName), Config: c.Inner.Config, LossScale: c.Name}, nil
}

// stripRegistered removes a Keras registration prefix: "Custom>Adam" → "Adam".
func stripRegistered(class string) string {
	if i := strings.LastIndexByte(class, '>'); i >= 0 {
		return class[i+1:]
	}
	return class
}

// optimizerFromTraining reads optimizer_config of a tf_keras training_config.
func optimizerFromTraining(tc []byte) (*optimizerConfig, error) {
	var t struct {
		Opt *struct {
			ClassName string          `json:"class_name"`
			Config    json.RawMessage `json:"config"`
		} `json:"optimizer_config"`
	}
	if err := json.Unmarshal(tc, &t); err != nil {
		return nil, formatf("training_config: %v", err)
	}
	if t.Opt == nil {
		return nil, nil
	}
	return unwrapLossScale(&optimizerConfig{Class: stripRegistered(t.Opt.ClassName), Config: t.Opt.Config})
}

// optimizerFromCompile reads "optimizer" of a Keras 3 compile_config. A bare string
// optimizer ("adam") gives its class with no config.
func optimizerFromCompile(cc []byte) (*optimizerConfig, error) {
	var t struct {
		Opt json.RawMessage `json:"optimizer"`
	}
	if err := json.Unmarshal(cc, &t); err != nil {
		return nil, formatf("compile_config: %v", err)
	}
	o := bytes.TrimSpace(t.Opt)
	if len(o) == 0 || string(o) == "null" {
		return nil, nil
	}
	if o[0] == '"' {
		var s string
		json.Unmarshal(o, &s)
		return &optimizerConfig{Class: optimizerClassFromName(s)}, nil
	}
	var e struct {
		ClassName string          `json:"class_name"`
		Config    json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(o, &e); err != nil {
		return nil, formatf("compile_config optimizer: %v", err)
	}
	return &optimizerConfig{Class: stripRegistered(e.ClassName), Config: e.Config}, nil
}

// compileToTraining turns a Keras 3 compile_config into the training_config Keras 3 writes
// into a legacy .h5: the same keys without "optimizer", plus optimizer_config
// {"class_name", "config"} at the end.
func compileToTraining(cc []byte) (json.RawMessage, error) {
	fs, err := objectFields(cc)
	if err != nil {
		return nil, err
	}
	opt, err := optimizerFromCompile(cc)
	if err != nil {
		return nil, err
	}
	fs = dropFields(fs, "optimizer")
	if opt != nil {
		cfg := opt.Config
		if len(cfg) == 0 {
			cfg = json.RawMessage("{}")
		}
		cls, _ := json.Marshal(opt.Class)
		fs = append(fs, field{"optimizer_config", marshalFields([]field{{"class_name", cls}, {"config", cfg}})})
	}
	return marshalFields(fs), nil
}

// trainingToCompile turns a Keras 3 legacy .h5 training_config back into a compile_config
// (optimizer first, in the Keras 3 serialized form).
func trainingToCompile(tc []byte) (json.RawMessage, error) {
	fs, err := objectFields(tc)
	if err != nil {
		return nil, err
	}
	opt, err := optimizerFromTraining(tc)
	if err != nil {
		return nil, err
	}
	fs = dropFields(fs, "optimizer_config")
	if opt == nil {
		return marshalFields(fs), nil
	}
	cfg := opt.Config
	if len(cfg) == 0 {
		cfg = json.RawMessage("{}")
	}
	cls, _ := json.Marshal(opt.Class)
	o := marshalFields([]field{{"module", json.RawMessage(`"keras.optimizers"`)}, {"class_name", cls},
		{"config", cfg}, {"registered_name", json.RawMessage("null")}})
	return marshalFields(append([]field{{"optimizer", o}}, fs...)), nil
}

// configNumber reads a numeric key of a config object (false when absent or not a number).
func configNumber(cfg []byte, key string) (float64, bool) {
	var m map[string]any
	if json.Unmarshal(cfg, &m) != nil {
		return 0, false
	}
	v, ok := m[key].(float64)
	return v, ok
}

// configBool reads a boolean key of a config object.
func configBool(cfg []byte, key string) bool {
	var m map[string]any
	if json.Unmarshal(cfg, &m) != nil {
		return false
	}
	v, _ := m[key].(bool)
	return v
}

// configString reads a string key of a config object.
func configString(cfg []byte, key string) string {
	var m map[string]any
	if json.Unmarshal(cfg, &m) != nil {
		return ""
	}
	v, _ := m[key].(string)
	return v
}

// snakeCase converts a class name as Keras 3 does for weight-file paths:
// "Conv2D" → "conv2d", "BatchNormalization" → "batch_normalization", "MaxPooling2D" →
// "max_pooling2d", "ReLU" → "re_lu".
func snakeCase(name string) string {
	name = reNonWord.ReplaceAllString(name, "")
	name = reCamel1.ReplaceAllString(name, "${1}_${2}")
	return strings.ToLower(reCamel2.ReplaceAllString(name, "${1}_${2}"))
}

var (
	reNonWord = regexp.MustCompile(`\W+`)
	reCamel1  = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	reCamel2  = regexp.MustCompile(`([a-z])([A-Z])`)
)

// keras3Paths returns the weight-file path of each layer (Keras 3 container rule:
// snake_case class name, de-duplicated as name, name_1, name_2, ...).
func keras3Paths(classes []string) []string {
	seen := map[string]bool{}
	out := make([]string, len(classes))
	for i, c := range classes {
		base := snakeCase(c)
		p := base
		for k := 1; seen[p]; k++ {
			p = fmt.Sprintf("%s_%d", base, k)
		}
		seen[p] = true
		out[i] = p
	}
	return out
}

// Keras3Paths returns the path of each layer inside a Keras 3 weights file
// ("layers/<path>/vars"), given the layers' class names in model.layers order:
// Conv2D, MaxPooling2D, Conv2D → conv2d, max_pooling2d, conv2d_1.
func Keras3Paths(classes []string) []string { return keras3Paths(classes) }

// optimizerClassFromName maps a lower-case optimizer name back to the optimizer's Keras class name
// where it is known ("adam" → "Adam"); layer classes come from saved.ClassFor.
func optimizerClassFromName(s string) string {
	known := map[string]string{
		"adam": "Adam", "adamw": "AdamW", "adamax": "Adamax", "nadam": "Nadam", "sgd": "SGD",
		"rmsprop": "RMSprop", "rm_sprop": "RMSprop", "adam_w": "AdamW", "adagrad": "Adagrad", "adadelta": "Adadelta", "ftrl": "Ftrl",
		"lion": "Lion", "lamb": "Lamb",
	}
	s = strings.ToLower(s)
	if c, ok := known[s]; ok {
		return c
	}
	return ""
}
