package model

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// The Keras versions kerasgo writes into configs and saved models: those of the pinned
// reference stack (tf_keras 2.21.0 and Keras 3.15.1, both on TensorFlow 2.21), whose output
// the fixtures hold and whose loaders the compat suite runs.
const (
	Keras2Version = "2.21.0"
	Keras3Version = "3.15.1"
	Backend       = "tensorflow"
)

// Default limits on what a model read from a file may allocate (see LoadOptions).
const (
	// MaxConfigBytes is the default bound on the size of a model config (64 MiB).
	MaxConfigBytes = 64 << 20
	// DefaultMaxParams is the default bound on the parameters a model built from a config
	// may allocate: 2^30 float32 values (4 GiB).
	DefaultMaxParams int64 = 1 << 30
)

// LoadOptions are the limits of Load, LoadSaved, FromConfig, FromSaved and AdoptSaved, which
// treat files and configs as untrusted: a hostile one fails with an error instead of
// exhausting memory. The zero value uses the defaults; every function taking LoadOptions
// accepts them omitted.
type LoadOptions struct {
	// MaxParams bounds the number of parameters the layers of a model built from a config
	// may allocate, counted before each layer is built (0: DefaultMaxParams). Raise it for
	// larger models.
	MaxParams int64
	// MaxConfigBytes bounds the size of the model config (0: MaxConfigBytes).
	MaxConfigBytes int64
	// MaxTensorBytes bounds the payload of one tensor read from a file (0:
	// tensor.DefaultMaxBytes).
	MaxTensorBytes int64
	// MaxTotalBytes bounds the payload of all tensors read from one file together, checked
	// against what the file declares before any tensor is read (0: the codec's default,
	// four times tensor.DefaultMaxBytes). Reading a file also never takes more tensor
	// bytes than its size allows.
	MaxTotalBytes int64
}

func (o LoadOptions) maxParams() int64 {
	if o.MaxParams <= 0 {
		return DefaultMaxParams
	}
	return o.MaxParams
}

func (o LoadOptions) maxConfigBytes() int64 {
	if o.MaxConfigBytes <= 0 {
		return MaxConfigBytes
	}
	return o.MaxConfigBytes
}

// configForm selects between the two JSON shapes of one dialect.
type configForm int

const (
	formJSON configForm = iota // model.to_json() / .keras config.json
	formH5                     // tf_keras's H5 model_config: {"class_name","config"} only
)

// Config returns the model's architecture as Keras JSON in dialect d, as model.to_json()
// writes it: for saved.Keras2 as tf_keras 2.21 does (layers as {"module", "class_name",
// "config", "registered_name", "build_config"}, the InputLayer with batch_input_shape, the
// first layer with batch_input_shape when the input shape was given on it, "keras_version"
// and "backend"); for saved.Keras3 as Keras 3.15 does (InputLayer with batch_shape, DTypePolicy
// dtypes, build_input_shape, build_config and compile_config).
func (m *Model) Config(d saved.Dialect) ([]byte, error) {
	obj, err := m.configObject(d, formJSON)
	if err != nil {
		return nil, apiErr("config", err)
	}
	return json.Marshal(obj)
}

// h5Config returns the model config as an .h5 file's model_config holds it: for Keras2 the
// legacy {"class_name", "config"} form tf_keras's model.save writes; for Keras3 the
// config.json form.
func (m *Model) h5Config(d saved.Dialect) (json.RawMessage, error) {
	form := formH5
	if d == saved.Keras3 {
		form = formJSON
	}
	obj, err := m.configObject(d, form)
	if err != nil {
		return nil, err
	}
	return json.Marshal(obj)
}

func (m *Model) configObject(d saved.Dialect, form configForm) (map[string]any, error) {
	if m.dyn != nil {
		return m.dynConfigObject(d, form) // None input dimensions: model/dynshape.go
	}
	return m.configObjectBuilt(d, form)
}

// configObjectBuilt is configObject from the layers as built.
func (m *Model) configObjectBuilt(d saved.Dialect, form configForm) (map[string]any, error) {
	if m.fn != nil {
		return m.functionalConfigObject(d, form)
	}
	entry := func(class string, cfg map[string]any, l layers.Layer) map[string]any {
		if form == formH5 {
			return map[string]any{"class_name": class, "config": cfg}
		}
		e := map[string]any{"module": "keras.layers", "class_name": class, "config": cfg, "registered_name": nil}
		if l != nil {
			if bc := layers.BuildConfig(l, d); bc != nil {
				e["build_config"] = bc
			}
		}
		return e
	}
	var list []any
	first := ""
	if len(m.layers) > 0 {
		first = m.layers[0].Name()
	}
	if m.in.shape != nil {
		name := m.in.name
		if name == "" {
			name = defaultInputName(d, m.in.kind, first)
		}
		list = append(list, entry(saved.InputLayerClass, inputLayerConfig(d, name, m.in.batch, m.in.shape), nil))
	}
	for i, l := range m.layers {
		if err := layers.CheckDialect(l, d); err != nil {
			return nil, err
		}
		cfg := maps.Clone(l.Config(d))
		if cfg == nil {
			return nil, fmt.Errorf("%w: layer %q (%s) has no config", ErrFormat, l.Name(), l.Class())
		}
		if i == 0 && d == saved.Keras2 && m.in.kind == inputDeclared {
			cfg["batch_input_shape"] = batchShapeJSON(m.in.batch, m.in.shape)
		}
		if n, ok := l.(*Nested); ok {
			e, err := n.entry(d, form, false)
			if err != nil {
				return nil, within(fmt.Sprintf("layer %q", l.Name()), err)
			}
			list = append(list, e)
			continue
		}
		list = append(list, entry(l.Class(), cfg, l))
	}
	if list == nil {
		list = []any{}
	}

	if d == saved.Keras3 {
		inner := map[string]any{
			"name":      m.name,
			"trainable": true,
			"dtype": map[string]any{"module": "keras", "class_name": "DTypePolicy",
				"config": map[string]any{"name": "float32"}, "registered_name": nil},
			"layers": list,
		}
		top := map[string]any{"module": "keras", "class_name": "Sequential", "config": inner, "registered_name": nil}
		if m.Built() {
			inner["build_input_shape"] = batchShapeJSON(m.in.batch, m.in.shape)
			top["build_config"] = map[string]any{"input_shape": batchShapeJSON(m.in.batch, m.in.shape)}
		}
		var cc any = map[string]any{}
		if m.train != nil {
			tc, _, err := m.trainingToSaved(saved.Keras3)
			if err != nil {
				return nil, within("compile config", err)
			}
			if len(tc) > 0 {
				var v any
				if err := json.Unmarshal(tc, &v); err != nil {
					return nil, fmt.Errorf("%w: compile config: %v", ErrFormat, err)
				}
				cc = v
			}
		}
		top["compile_config"] = cc
		return top, nil
	}
	top := map[string]any{"class_name": "Sequential", "config": map[string]any{"name": m.name, "layers": list}}
	if form == formJSON {
		top["keras_version"] = Keras2Version
		top["backend"] = Backend
	}
	return top, nil
}

// FromJSON is FromConfig: it reads a model from model.to_json() output (either dialect).
func FromJSON(data []byte, opts ...LoadOptions) (*Model, error) {
	m, err := fromConfig(data, false, optionsArg("FromJSON", opts))
	return m, apiErr("from JSON", err)
}

// FromConfig builds a model from its Keras JSON config in either dialect (detected from the
// content): model.to_json() of tf_keras or Keras 3, an .h5 file's model_config, a .keras
// file's config.json, the list-style Sequential config of Keras 1 and 2.0, with
// batch_input_shape, batch_shape or build_input_shape, dtypes as strings or DTypePolicy
// dicts. The model is built when the config gives its input shape; a Keras 3 compile_config
// compiles it.
//
// Errors: a model class other than Sequential or Functional (a subclassed model) is an error
// wrapping ErrUnsupported that names the class; layers of classes kerasgo does not implement
// are all listed, by layer name and class, in one *UnsupportedLayersError; malformed
// JSON wraps ErrFormat. Keys kerasgo does not know are listed by Warnings. A config over
// the limits of opts (which may be omitted) wraps ErrFormat (size) or ErrUnsupported
// (parameters).
func FromConfig(data []byte, opts ...LoadOptions) (*Model, error) {
	m, err := fromConfig(data, false, optionsArg("FromConfig", opts))
	return m, apiErr("from config", err)
}

// fromConfig is FromConfig; with noData the layers' weights get shapes but no data (the
// caller sets every one of them).
func fromConfig(data []byte, noData bool, o LoadOptions) (*Model, error) {
	if max := o.maxConfigBytes(); int64(len(data)) > max {
		return nil, fmt.Errorf("%w: model config of %d bytes exceeds %d", ErrFormat, len(data), max)
	}
	var top any
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("%w: model config: %v", ErrFormat, err)
	}
	obj, ok := top.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: model config: want a JSON object, have %s", ErrFormat, jsonKind(top))
	}
	if dynInputs(obj) {
		return fromDynConfig(obj, noData, o) // inputs with None dimensions besides the batch
	}
	return fromConfigObject(obj, noData, o.maxParams())
}

// ConfigDialect reports the dialect of a model config: Keras2 when a layer has
// batch_input_shape; Keras3 when a layer has batch_shape or a DTypePolicy dtype, or the
// model has a "module" key; else Keras2.
func ConfigDialect(data []byte) saved.Dialect {
	var top map[string]any
	if json.Unmarshal(data, &top) != nil {
		return saved.Keras2
	}
	return detectDialect(top)
}

func detectDialect(top map[string]any) saved.Dialect {
	// Layer configs decide first: only Keras 2 writes batch_input_shape (tf.keras 2.13-2.15
	// .keras files have Keras 3 envelopes around Keras 2 layer configs), only Keras 3 writes
	// batch_shape and DTypePolicy dtypes.
	cfg, _ := top["config"].(map[string]any)
	list, _ := cfg["layers"].([]any)
	if l, ok := top["config"].([]any); ok {
		list = l
	}
	for _, e := range list {
		em, _ := e.(map[string]any)
		c, _ := em["config"].(map[string]any)
		if _, ok := c["batch_input_shape"]; ok {
			return saved.Keras2
		}
		if _, ok := c["batch_shape"]; ok {
			return saved.Keras3
		}
		if isPolicyDict(c["dtype"]) {
			return saved.Keras3
		}
	}
	if _, ok := top["module"]; ok {
		return saved.Keras3
	}
	if v, ok := top["keras_version"].(string); ok && strings.HasPrefix(v, "3.") {
		return saved.Keras3
	}
	if isPolicyDict(cfg["dtype"]) {
		return saved.Keras3
	}
	return saved.Keras2
}

func isPolicyDict(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m["class_name"] == "DTypePolicy"
}

var (
	keras3InputName = regexp.MustCompile(`^input_layer(_[0-9]+)?$`)
	keras2InputName = regexp.MustCompile(`^input_[0-9]+$`)
)

// layerEntry is one parsed element of a config's layer list.
type layerEntry struct {
	class string
	name  string // config name, or ""
	index int    // position in the config's layer list
	cfg   map[string]any
	build []int          // build_config input_shape (with batch), or nil
	raw   map[string]any // the whole entry
}

func fromConfigObject(top map[string]any, noData bool, maxParams int64) (*Model, error) {
	return fromConfigObjectDepth(top, noData, maxParams, 0)
}

// fromConfigObjectDepth reads a model config; depth counts the models holding it.
func fromConfigObjectDepth(top map[string]any, noData bool, maxParams int64, depth int) (*Model, error) {
	d := detectDialect(top)
	m := NewSequential()
	m.callDialect = d
	m.depth = depth
	m.maxParams = maxParams
	m.noData = noData
	defer func() { m.noData = false }()
	warn := func(format string, args ...any) {
		m.warnings = append(m.warnings, "model: "+fmt.Sprintf(format, args...))
	}

	class, _ := top["class_name"].(string)
	if class == "" {
		return nil, fmt.Errorf("%w: model config has no class_name", ErrFormat)
	}
	if class != "Sequential" && !isFunctionalClass(class) {
		return nil, fmt.Errorf("%w: model class %q (only Sequential and Functional models are supported)", ErrUnsupported, class)
	}
	if rn, ok := top["registered_name"].(string); ok && rn != "" && rn != class {
		return nil, fmt.Errorf("%w: model class %q registered as %q (custom models are not supported)", ErrUnsupported, class, rn)
	}
	var compileConfig json.RawMessage
	for _, k := range sortedKeys(top) {
		switch k {
		case "class_name", "config", "module", "registered_name", "keras_version", "backend", "build_config":
		case "compile_config":
			if cc, ok := top[k].(map[string]any); ok && len(cc) > 0 {
				compileConfig, _ = json.Marshal(cc)
			} else if top[k] != nil && !ok {
				return nil, fmt.Errorf("%w: compile_config: want an object, have %s", ErrFormat, jsonKind(top[k]))
			}
		default:
			warn("Sequential: unknown key %q ignored", k)
		}
	}

	if isFunctionalClass(class) {
		c, ok := top["config"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: Functional model config: config: want an object, have %s", ErrFormat, jsonKind(top["config"]))
		}
		if err := m.fromFunctionalConfig(c, d, warn); err != nil {
			return nil, err
		}
		return m.finishFromConfig(compileConfig)
	}
	var list []any
	var buildShape []int
	switch c := top["config"].(type) {
	case []any: // Keras 1 / 2.0: the config is the layer list
		list = c
	case map[string]any:
		if n, ok := c["name"].(string); ok && n != "" {
			m.name = n
		}
		l, ok := c["layers"].([]any)
		if !ok && c["layers"] != nil {
			return nil, fmt.Errorf("%w: Sequential config: layers: want a list, have %s", ErrFormat, jsonKind(c["layers"]))
		}
		list = l
		for _, k := range sortedKeys(c) {
			switch k {
			case "name", "layers":
			case "build_input_shape":
				s, err := parseShape(c[k])
				if err != nil {
					return nil, fmt.Errorf("%w: Sequential config: build_input_shape: %v", ErrFormat, err)
				}
				buildShape = s
			case "trainable":
				if t, ok := c[k].(bool); ok && !t && depth == 0 {
					warn("Sequential: trainable false ignored (set it on the layers)")
				}
			case "dtype":
				if n := dtypeString(c[k]); n != "" && n != "float32" {
					return nil, fmt.Errorf("%w: Sequential dtype %q (only float32 is implemented)", ErrUnsupported, n)
				}
			case "shared_object_id":
			default:
				warn("Sequential: unknown config key %q ignored", k)
			}
		}
	case nil:
		return nil, fmt.Errorf("%w: Sequential model config has no config", ErrFormat)
	default:
		return nil, fmt.Errorf("%w: Sequential config: want an object or a list, have %s", ErrFormat, jsonKind(c))
	}

	// Parse the layer list: an optional InputLayer first, then layers.
	var input *InputLayer
	var inputBatch int
	var entries []layerEntry
	for i, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("layer %d: %w: want an object, have %s", i, ErrFormat, jsonKind(e))
		}
		lc, _ := em["class_name"].(string)
		if lc == "" {
			return nil, fmt.Errorf("layer %d: %w: no class_name", i, ErrFormat)
		}
		cfg, ok := em["config"].(map[string]any)
		if !ok && em["config"] != nil {
			return nil, fmt.Errorf("layer %d (%s): %w: config: want an object, have %s", i, lc, ErrFormat, jsonKind(em["config"]))
		}
		if cfg == nil {
			cfg = map[string]any{}
		}
		name, _ := cfg["name"].(string)
		le := layerEntry{class: lc, name: name, index: i, cfg: cfg, raw: em}
		for _, k := range sortedKeys(em) {
			switch k {
			case "class_name", "config", "module", "shared_object_id", "name", "inbound_nodes":
			case "registered_name":
				if rn, ok := em[k].(string); ok && rn != "" && rn != lc {
					return nil, layerErr(i, name, lc, fmt.Errorf("%w: registered as %q (custom layers are not supported)", ErrUnsupported, rn))
				}
			case "build_config":
				if bc, ok := em[k].(map[string]any); ok {
					if s, err := parseShape(bc["input_shape"]); err == nil {
						le.build = s
					}
				}
			default:
				warn("layer %d (%s): unknown key %q ignored", i, lc, k)
			}
		}
		if lc == saved.InputLayerClass {
			if i != 0 {
				return nil, layerErr(i, name, lc, fmt.Errorf("%w: an InputLayer at position %d (only first is supported)", ErrUnsupported, i))
			}
			in, batch, err := parseInputLayer(cfg, warn)
			if err != nil {
				return nil, err
			}
			input, inputBatch = in, batch
			continue
		}
		entries = append(entries, le)
	}

	// Build the layers.
	// Unknown classes are collected (every one, by layer name, as Functional configs do);
	// any other error stops at the first.
	built := make([]layers.Layer, 0, len(entries))
	var unknown []string
	var firstErr error
	for _, e := range entries {
		var l layers.Layer
		var ws []string
		var err error
		if isModelClass(e.class) {
			l, ws, err = nestedFromConfig(e.raw, noData, maxParams, depth)
		} else {
			l, ws, err = layers.FromConfig(e.class, e.cfg, d)
		}
		if err != nil {
			label := e.name
			if label == "" {
				label = fmt.Sprintf("layer %d", e.index)
			}
			if u := unsupportedClasses(label, e.class, err); u != nil {
				unknown = append(unknown, u...)
			} else if firstErr == nil {
				firstErr = layerErr(e.index, e.name, e.class, err)
			}
			continue
		}
		m.warnings = append(m.warnings, ws...)
		built = append(built, l)
	}
	if len(unknown) > 0 {
		return nil, &UnsupportedLayersError{Layers: unknown}
	}
	if firstErr != nil {
		return nil, firstErr
	}

	// Work out how the input shape was given (see inputKind) and add the layers.
	var firstDecl []int
	if len(built) > 0 {
		firstDecl = layers.DeclaredInputShape(built[0])
	}
	first := ""
	if len(built) > 0 {
		first = built[0].Name()
	}
	switch {
	case firstDecl != nil && len(firstDecl) == 0:
		return nil, fmt.Errorf("%w: layer %q declares an empty batch input shape", ErrFormat, first)
	case firstDecl != nil:
		if input != nil && !slices.Equal(input.shape, firstDecl[1:]) {
			return nil, fmt.Errorf("%w: InputLayer shape %s differs from the first layer's %s", ErrFormat, shapeString(inputBatch, input.shape), tensor.ShapeString(firstDecl))
		}
	case input != nil:
		switch {
		case d == saved.Keras3 && keras3InputName.MatchString(input.name) && len(built) > 0:
			// Keras 3 writes the same config for input_shape= and keras.Input: take the
			// first (what the seed model does).
			// A nested model's layers, and a nested model as the first layer, were built
			// from the input (tf_keras names the input after the first layer).
			if dl, ok := built[0].(layers.Declarer); ok && depth == 0 {
				dl.SetDeclaredInputShape(append([]int{inputBatch}, input.shape...))
			} else {
				buildShape = append([]int{inputBatch}, input.shape...)
			}
			input = nil
		case d == saved.Keras2 && first != "" && input.name == first+"_input":
			buildShape = append([]int{inputBatch}, input.shape...)
			input = nil
		case keras2InputName.MatchString(input.name) || keras3InputName.MatchString(input.name):
			m.in.autoName = input.name
			input.name = ""
		}
		if input != nil {
			input.batch = inputBatch
			if err := m.add(input); err != nil {
				return nil, err
			}
		}
	case buildShape == nil && len(entries) > 0 && entries[0].build != nil:
		buildShape = entries[0].build
	}
	for _, l := range built {
		if err := m.add(l); err != nil {
			if _, named := err.(*wrapped); named { // the error names the layer already
				return nil, err
			}
			return nil, layerErr(-1, l.Name(), l.Class(), err)
		}
	}
	if buildShape != nil && m.in.kind == inputNone && len(buildShape) >= 2 {
		m.in.batch = buildShape[0]
		if !slices.Contains(buildShape[1:], -1) {
			if err := m.buildAll(buildShape[1:], inputBuilt); err != nil {
				return nil, err
			}
		} else {
			m.in.shape = slices.Clone(buildShape[1:])
			m.in.kind = inputBuilt
		}
	}
	return m.finishFromConfig(compileConfig)
}

// finishFromConfig ends reading a config: it lifts the parameter limit of the read and
// compiles the model with a Keras 3 compile_config.
func (m *Model) finishFromConfig(compileConfig json.RawMessage) (*Model, error) {
	m.maxParams = 0
	if compileConfig != nil {
		if err := m.trainingFromSaved(&saved.Model{Dialect: saved.Keras3, TrainingConfig: compileConfig}); err != nil {
			return nil, within("compile_config", err)
		}
	}
	return m, nil
}

// parseInputLayer reads an InputLayer config: its shape, batch dimension and name.
func parseInputLayer(cfg map[string]any, warn func(string, ...any)) (*InputLayer, int, error) {
	in := &InputLayer{batch: -1}
	in.name, _ = cfg["name"].(string)
	var shape []int
	for _, k := range sortedKeys(cfg) {
		v := cfg[k]
		switch k {
		case "batch_input_shape", "batch_shape":
			s, err := parseShape(v)
			if err != nil || len(s) < 1 {
				return nil, 0, fmt.Errorf("%w: InputLayer %q: %s: %s", ErrFormat, in.name, k, pyfmt.JSON(v))
			}
			shape = s
		case "input_shape", "shape":
			if v == nil {
				continue
			}
			s, err := parseShape(v)
			if err != nil {
				return nil, 0, fmt.Errorf("%w: InputLayer %q: %s: %s", ErrFormat, in.name, k, pyfmt.JSON(v))
			}
			shape = append([]int{-1}, s...)
		case "dtype":
			if n := dtypeString(v); n != "" && n != "float32" {
				warn("InputLayer %q: dtype %q: inputs are converted to float32", in.name, n)
			}
		case "sparse", "ragged":
			if b, _ := v.(bool); b {
				return nil, 0, fmt.Errorf("%w: InputLayer %q: %s inputs", ErrUnsupported, in.name, k)
			}
		case "name", "optional", "batch_size", "input_tensor":
		default:
			warn("InputLayer %q: unknown config key %q ignored", in.name, k)
		}
	}
	if shape == nil {
		return nil, 0, fmt.Errorf("%w: InputLayer %q has no shape", ErrFormat, in.name)
	}
	if b, ok := cfg["batch_size"].(float64); ok && b >= 1 && shape[0] < 0 {
		shape[0] = int(b)
	}
	in.shape = shape[1:]
	return in, shape[0], nil
}

// parseShape reads a JSON shape list ([null, 32, 32, 3]) with -1 for null, or a Keras 3
// {"class_name": "__tuple__", "items": [...]} tuple.
func parseShape(v any) ([]int, error) {
	if t, ok := v.(map[string]any); ok {
		v = t["items"]
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list, have %s", jsonKind(v))
	}
	if len(l) > 32 {
		return nil, fmt.Errorf("rank %d", len(l))
	}
	out := make([]int, len(l))
	for i, e := range l {
		if e == nil {
			out[i] = -1
			continue
		}
		f, ok := e.(float64)
		if !ok || f != float64(int64(f)) || f < 0 || f > 1<<30 {
			return nil, fmt.Errorf("bad dimension %s", pyfmt.JSON(e))
		}
		out[i] = int(f)
	}
	return out, nil
}

// dtypeString returns the dtype name of a string or a DTypePolicy/Policy dict, or "".
func dtypeString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		c, _ := x["config"].(map[string]any)
		n, _ := c["name"].(string)
		return n
	}
	return ""
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
