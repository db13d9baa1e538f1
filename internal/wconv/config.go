package wconv

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
)

// maxNesting bounds how deep models may nest (configs, checkpoints and Keras 3 files).
const maxNesting = 64

// modelClasses are the Keras model classes whose config lists layers (a nested model is
// recognised by these, or by a config with both "layers" and "input_layers").
var modelClasses = map[string]bool{"Sequential": true, "Functional": true, "Model": true}

// fromConfig reads the layers list of a model config in either Keras dialect ({"class_name",
// "config"}; model.to_json() and a .keras archive's config.json both have this form): names,
// classes and trainable flags of model.layers, recursively for nested models. Only the JSON
// is read: no layer class needs to be known.
func fromConfig(raw []byte) (*model, error) {
	var top struct {
		ClassName string          `json:"class_name"`
		Config    json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, formatf("model config: %v", err)
	}
	if top.ClassName == "" {
		return nil, formatf("model config: no class_name")
	}
	return configModel(top.ClassName, top.Config, "", 0)
}

func configModel(class string, cfg json.RawMessage, path string, depth int) (*model, error) {
	if depth > maxNesting {
		return nil, formatf("model config: models nested deeper than %d", maxNesting)
	}
	m := &model{class: class, complete: true, ordered: true}
	var list []json.RawMessage
	cfg = bytes.TrimSpace(cfg)
	switch {
	case len(cfg) > 0 && cfg[0] == '[':
		// Keras ≤ 2.2.2 Sequential: a bare list of layers.
		if err := json.Unmarshal(cfg, &list); err != nil {
			return nil, formatf("model config %s: layers: %v", orTop(path), err)
		}
	case len(cfg) > 0 && cfg[0] == '{':
		var c struct {
			Name   string            `json:"name"`
			Layers []json.RawMessage `json:"layers"`
		}
		if err := json.Unmarshal(cfg, &c); err != nil {
			return nil, formatf("model config %s: %v", orTop(path), err)
		}
		if c.Layers == nil {
			return nil, unsupportedf("model config %s: class %q lists no layers (a subclassed model)", orTop(path), class)
		}
		m.name, list = c.Name, c.Layers
	default:
		return nil, formatf("model config %s: no config object", orTop(path))
	}
	seen := map[string]bool{}
	for i, raw := range list {
		var e struct {
			ClassName string          `json:"class_name"`
			Name      string          `json:"name"`
			Config    json.RawMessage `json:"config"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, formatf("model config %s: layer %d: %v", orTop(path), i, err)
		}
		var c struct {
			Name         string          `json:"name"`
			Trainable    *bool           `json:"trainable"`
			Layers       json.RawMessage `json:"layers"`
			InputLayers  json.RawMessage `json:"input_layers"`
			OutputLayers json.RawMessage `json:"output_layers"`
		}
		if err := json.Unmarshal(e.Config, &c); err != nil {
			return nil, formatf("model config %s: layer %d (%s): %v", orTop(path), i, e.ClassName, err)
		}
		if class == "Sequential" && e.ClassName == saved.InputLayerClass {
			continue // model.layers of a Sequential leaves its input out
		}
		// A registered custom class is "package>Class" in tf_keras's config; Keras 3 keys its
		// variables by the Python class name.
		lc := e.ClassName[strings.LastIndexByte(e.ClassName, '>')+1:]
		if f, ok := saved.Facts(lc); ok {
			lc = f.Class // an alias ("Convolution2D") as the class Keras 3 keys ("conv2d")
		}
		if lc == "Model" && c.Layers != nil {
			lc = "Functional" // tf.keras ≤ 2.3's name for it
		}
		l := &layer{name: c.Name, class: lc, trainable: yes}
		if l.name == "" {
			l.name = e.Name
		}
		if l.name == "" {
			return nil, formatf("model config %s: layer %d (%s) has no name", orTop(path), i, e.ClassName)
		}
		if seen[l.name] {
			return nil, formatf("model config %s: two layers named %q", orTop(path), l.name)
		}
		seen[l.name] = true
		if c.Trainable != nil {
			l.trainable = triOf(*c.Trainable)
		}
		if modelClasses[lc] || (c.Layers != nil && c.InputLayers != nil) {
			sub, err := configModel(lc, e.Config, path+l.name+"/", depth+1)
			if err != nil {
				return nil, err
			}
			l.sub = sub
		}
		m.layers = append(m.layers, l)
	}
	return m, nil
}

func orTop(path string) string {
	if path == "" {
		return "(top level)"
	}
	return "of " + path[:len(path)-1]
}
