package layers

import (
	"fmt"
	"maps"
	"math"
	"sort"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
)

// Limits on sizes read from configs, so that a hostile config cannot ask Build for absurd
// allocations. Weight sizes are also checked by tensor.CheckShape when built.
const (
	maxUnits  = 1 << 24 // filters, units
	maxKernel = 1 << 12 // kernel, pool and stride sizes
	maxDim    = 1 << 30 // a declared input dimension
)

// cfgReader reads one layer's config map, remembering which keys were consumed so that the
// rest can be reported, and collecting the first error.
type cfgReader struct {
	class, name string
	cfg         map[string]any
	used        map[string]bool
	err         error
	warnings    []string
	// dialect is the dialect of the config (set by the FromConfig functions that read an
	// activation: hard_sigmoid differs between tf_keras and Keras 3).
	dialect saved.Dialect
}

func newCfgReader(class string, cfg map[string]any) *cfgReader {
	r := &cfgReader{class: class, cfg: cfg, used: map[string]bool{}}
	if n, ok := cfg["name"].(string); ok {
		r.name = n
	}
	return r
}

func (r *cfgReader) fail(sentinel error, format string, args ...any) {
	if r.err == nil {
		r.err = layerErr(sentinel, r.class, r.name, format, args...)
	}
}

func (r *cfgReader) warn(format string, args ...any) {
	who := r.class
	if r.name != "" {
		who = fmt.Sprintf("%s %q", r.class, r.name)
	}
	r.warnings = append(r.warnings, fmt.Sprintf("layers: %s: %s", who, fmt.Sprintf(format, args...)))
}

// get returns the value of the first present key among keys (aliases) and marks all present
// aliases as used.
func (r *cfgReader) get(keys ...string) (any, string, bool) {
	var v any
	var key string
	found := false
	for _, k := range keys {
		if x, ok := r.cfg[k]; ok {
			r.used[k] = true
			if !found {
				v, key, found = x, k, true
			}
		}
	}
	return v, key, found
}

// ignore marks keys as known and without effect.
func (r *cfgReader) ignore(keys ...string) {
	for _, k := range keys {
		if _, ok := r.cfg[k]; ok {
			r.used[k] = true
		}
	}
}

func (r *cfgReader) str(def string, keys ...string) string {
	v, k, ok := r.get(keys...)
	if !ok || v == nil {
		return def
	}
	s, ok := v.(string)
	if !ok {
		r.fail(ErrFormat, "%s: want a string, have %s", k, jsonType(v))
		return def
	}
	return s
}

func (r *cfgReader) boolean(def bool, keys ...string) bool {
	v, k, ok := r.get(keys...)
	if !ok || v == nil {
		return def
	}
	switch x := v.(type) {
	case bool:
		return x
	case float64: // some writers store 0/1
		if x == 0 || x == 1 {
			return x == 1
		}
	}
	r.fail(ErrFormat, "%s: want a boolean, have %s", k, jsonType(v))
	return def
}

func (r *cfgReader) float(def float64, keys ...string) float64 {
	v, k, ok := r.get(keys...)
	if !ok || v == nil {
		return def
	}
	x, ok := v.(float64)
	if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
		r.fail(ErrFormat, "%s: want a number, have %s", k, jsonType(v))
		return def
	}
	return x
}

// toInt converts a JSON number to an int in [lo, hi].
func toInt(v any, lo, hi int) (int, bool) {
	x, ok := v.(float64)
	if !ok || x != math.Trunc(x) || x < float64(lo) || x > float64(hi) {
		return 0, false
	}
	return int(x), true
}

func (r *cfgReader) integer(def, lo, hi int, keys ...string) int {
	v, k, ok := r.get(keys...)
	if !ok || v == nil {
		return def
	}
	n, ok := toInt(v, lo, hi)
	if !ok {
		r.fail(ErrFormat, "%s: want an integer in [%d, %d], have %s", k, lo, hi, jsonValue(v))
		return def
	}
	return n
}

// pair reads an int or a 2-list of ints in [lo, hi] (kernel_size, strides, pool_size).
func (r *cfgReader) pair(def [2]int, lo, hi int, keys ...string) [2]int {
	v, k, ok := r.get(keys...)
	if !ok || v == nil {
		return def
	}
	if n, ok := toInt(v, lo, hi); ok {
		return [2]int{n, n}
	}
	l, ok := v.([]any)
	if ok && len(l) == 2 {
		a, ok1 := toInt(l[0], lo, hi)
		b, ok2 := toInt(l[1], lo, hi)
		if ok1 && ok2 {
			return [2]int{a, b}
		}
	}
	r.fail(ErrFormat, "%s: want an integer or a pair of integers in [%d, %d], have %s", k, lo, hi, jsonValue(v))
	return def
}

// shape reads a shape list whose entries are ints or null (-1).
func (r *cfgReader) shape(key string) []int {
	v, ok := r.cfg[key]
	r.used[key] = ok || r.used[key]
	if !ok || v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok || len(l) > 32 {
		r.fail(ErrFormat, "%s: want a list of dimensions, have %s", key, jsonValue(v))
		return nil
	}
	out := make([]int, len(l))
	for i, e := range l {
		if e == nil {
			out[i] = -1
			continue
		}
		n, ok := toInt(e, 0, maxDim)
		if !ok {
			r.fail(ErrFormat, "%s: bad dimension %s", key, jsonValue(e))
			return nil
		}
		out[i] = n
	}
	return out
}

// readBase reads name, trainable, dtype and the declared input shape keys.
func (r *cfgReader) readBase(b *base) {
	b.name = r.str("", "name")
	b.trainable = r.boolean(true, "trainable")
	if v, k, ok := r.get("dtype", "input_dtype"); ok && v != nil {
		if name, ok := dtypeName(v); !ok {
			r.fail(ErrFormat, "%s: want a dtype name or a DTypePolicy, have %s", k, jsonValue(v))
		} else if name != PolicyFloat32 && (policyRound(name) == nil || k != "dtype") {
			r.fail(ErrUnsupported, "%s %q (only float32, float16, bfloat16, mixed_float16 and mixed_bfloat16 are implemented)", k, name)
		} else if policyRound(name) != nil {
			b.policy = name
		}
	}
	r.ignore("shared_object_id", "batch_size")
	switch {
	case r.cfg["batch_input_shape"] != nil:
		b.declared = r.shape("batch_input_shape")
	case r.cfg["batch_shape"] != nil:
		b.declared = r.shape("batch_shape")
	case r.cfg["input_shape"] != nil:
		if s := r.shape("input_shape"); s != nil {
			b.declared = append([]int{-1}, s...)
		}
	case r.cfg["input_dim"] != nil:
		b.declared = []int{-1, r.integer(0, 1, maxDim, "input_dim")}
	}
	r.ignore("batch_input_shape", "batch_shape", "input_shape", "input_dim")
}

// dtypeName extracts the dtype name from a string or a {"class_name": "DTypePolicy"|"Policy",
// "config": {"name": ...}} object.
func dtypeName(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case map[string]any:
		c, _ := x["config"].(map[string]any)
		n, ok := c["name"].(string)
		return n, ok
	}
	return "", false
}

// object reads an initializer, regularizer or constraint value. Strings and nulls are kept
// as they are; {"class_name", "config", ...} objects are normalised to their class and config
// so they can be written in either dialect.
func (r *cfgReader) object(kind string, keys ...string) *kerasObject {
	v, k, ok := r.get(keys...)
	if !ok || v == nil {
		return nil
	}
	switch x := v.(type) {
	case string:
		return &kerasObject{Kind: kind, Raw: x}
	case map[string]any:
		cn, ok := x["class_name"].(string)
		if !ok {
			// Keras 1 regularizer dicts: {"name": "WeightRegularizer", "l1": .., "l2": ..}.
			return &kerasObject{Kind: kind, Raw: x}
		}
		if rn, _ := x["registered_name"].(string); rn != "" && rn != cn {
			return &kerasObject{Kind: kind, Raw: x} // custom or function object: keep verbatim
		}
		cfg, _ := x["config"].(map[string]any)
		return &kerasObject{Kind: kind, Class: cn, Config: cfg}
	}
	r.fail(ErrFormat, "%s: want a string, an object or null, have %s", k, jsonType(v))
	return nil
}

// finish reports unknown keys as warnings and returns the error, if any.
func (r *cfgReader) finish() ([]string, error) {
	if r.err != nil {
		return nil, r.err
	}
	var unknown []string
	for k := range r.cfg {
		if !r.used[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		r.warn("unknown config key %q ignored", k)
	}
	return r.warnings, nil
}

// kerasObject is a serialised Keras object (initializer, regularizer, constraint).
type kerasObject struct {
	Kind   string // "initializers", "regularizers", "constraints"
	Class  string
	Config map[string]any
	Raw    any // when non-nil, written back verbatim
}

func (o *kerasObject) value(d saved.Dialect) any {
	if o == nil {
		return nil
	}
	if o.Raw != nil {
		return o.Raw
	}
	cfg := maps.Clone(o.Config)
	if cfg == nil {
		cfg = map[string]any{}
	}
	if o.Kind == "initializers" && varianceScaling[o.Class] {
		// Keras 3 configures these with input_axes and output_axes (null by default);
		// tf_keras rejects the keys.
		for _, k := range []string{"input_axes", "output_axes"} {
			x, present := cfg[k]
			switch {
			case d == saved.Keras2 && present && x == nil:
				delete(cfg, k)
			case d == saved.Keras3 && !present:
				cfg[k] = nil
			}
		}
	}
	return map[string]any{
		"module":          "keras." + o.Kind,
		"class_name":      o.Class,
		"config":          cfg,
		"registered_name": nil,
	}
}

// varianceScaling lists the initializers that Keras 3.15 configures with input_axes and
// output_axes, keys tf_keras's initializers reject.
var varianceScaling = map[string]bool{
	"VarianceScaling": true, "GlorotUniform": true, "GlorotNormal": true, "LecunNormal": true,
	"LecunUniform": true, "HeNormal": true, "HeUniform": true,
}

// initializerValue writes an initializer: o when set, else the Keras default for def
// ("GlorotUniform", "Zeros", "Ones") in dialect d.
func initializerValue(o *kerasObject, def string, d saved.Dialect) any {
	if o != nil {
		return o.value(d)
	}
	cfg := map[string]any{}
	switch def {
	case "GlorotUniform":
		cfg["seed"] = nil
	case "Orthogonal":
		cfg["seed"], cfg["gain"] = nil, 1.0
	case "RandomUniform":
		cfg["seed"], cfg["minval"], cfg["maxval"] = nil, -0.05, 0.05
	}
	return (&kerasObject{Kind: "initializers", Class: def, Config: cfg}).value(d)
}

// objectKept reads a regularizer or constraint, which the layer keeps in its config; training
// applies weight regularizers and constraints it knows (regularizer.go), and warns here about
// the others (activity regularizers, custom objects), on which it refuses to train.
func (r *cfgReader) objectKept(kind string, keys ...string) *kerasObject {
	o := r.object(kind, keys...)
	if o != nil && (keys[0] == "activity_regularizer" || !objectApplied(o)) {
		r.warn("%s is kept in the config but not applied (training refuses the layer)", keys[0])
	}
	return o
}

func jsonType(v any) string {
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

func jsonValue(v any) string {
	s := fmt.Sprintf("%v", v)
	if str, ok := v.(string); ok {
		s = fmt.Sprintf("%q", str)
	}
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

// intList converts ints to a JSON list.
func intList(v ...int) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// normPadding validates a padding value ("valid"/"same", any case).
func (r *cfgReader) padding() string {
	p := strings.ToLower(r.str("valid", "padding", "border_mode"))
	if p != "valid" && p != "same" {
		r.fail(ErrUnsupported, "padding %q", p)
	}
	return p
}

// dataFormat checks data_format / dim_ordering: only channels_last is implemented.
func (r *cfgReader) dataFormat() {
	if v, k, ok := r.get("data_format", "dim_ordering"); ok && v != nil {
		s, _ := v.(string)
		switch s {
		case "channels_last", "tf", "default":
		default:
			r.fail(ErrUnsupported, "%s %s (only channels_last is implemented)", k, jsonValue(v))
		}
	}
}
