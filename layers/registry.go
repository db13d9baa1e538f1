package layers

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/kerasgo/kerasgo/saved"
)

// Spec is what the registry knows about one Keras layer class. Each class's file registers
// its Spec from an init function (register), so that adding a layer class is one file: its
// names, its config codec, and (through the Layer it builds) its weights, shapes, forward,
// backward and TF graph (Grapher).
type Spec struct {
	// Classes are the Keras class names the layer is read under: the canonical name first
	// (the one kerasgo writes), then aliases and old spellings ("Convolution2D").
	Classes []string
	// FromConfig builds an unbuilt layer from the layer's inner config in either dialect and
	// returns it with its warnings (see FromConfig).
	FromConfig func(cfg map[string]any, d saved.Dialect) (Layer, []string, error)
	// WeightNames returns the short Keras names of the layer's variables in Keras order
	// (trainable first), given whether each of its boolean config options is on (on("use_bias")).
	// It must ask for every option it depends on whatever the answers. Nil: no variables.
	WeightNames func(on func(option string) bool) []string
	// NonTrainable are the variables Keras creates non-trainable ("moving_mean").
	NonTrainable []string
	// WeightObject and WeightScope say where files keep the class's variables when they sit
	// below the layer (see saved.ClassFacts): RNN layers "cell" and "lstm_cell".
	WeightObject, WeightScope string
	// SubLayers and Keras3Children: the sub-layers owning the class's variables and its
	// other tracked sub-objects (see saved.ClassFacts).
	SubLayers      []saved.SubLayer
	Keras3Children []saved.SubLayer
	// TensorArgs names the call's tensor arguments (see saved.ClassFacts.TensorArgs).
	TensorArgs []string
}

// registry maps every Keras class name and alias to its Spec.
var registry = map[string]*Spec{}

// register adds a layer class; a name registered twice is a programming error.
func register(s Spec) {
	if len(s.Classes) == 0 || s.FromConfig == nil {
		panic("layers: register: a Spec needs class names and FromConfig")
	}
	sp := &s
	for _, c := range s.Classes {
		if _, dup := registry[c]; dup {
			panic("layers: register: class " + c + " registered twice")
		}
		registry[c] = sp
	}
	f := saved.ClassFacts{Class: s.Classes[0], Aliases: s.Classes[1:],
		BaseName: DefaultBaseName(s.Classes[0]), NonTrainable: s.NonTrainable,
		WeightObject: s.WeightObject, WeightScope: s.WeightScope,
		SubLayers: s.SubLayers, Keras3Children: s.Keras3Children, TensorArgs: s.TensorArgs}
	if s.WeightNames != nil {
		f.WeightNames = sp.weightNames
	}
	saved.RegisterClass(f)
}

// weightNames names a layer's n variables for a codec reading a file without a model (see
// saved.ClassFacts.WeightNames). With a config, the boolean options come from it (absent:
// on, Keras's default for use_bias, center and scale). Without one, the layer may have been
// built with any of its options off: among the variable lists the options give, it keeps the
// names all lists of n variables agree on (BatchNormalization with 3 variables: gamma or beta
// is the first and keeps its index; "moving_mean" and "moving_variance" are known).
func (s *Spec) weightNames(cfg map[string]any, n int) []string {
	if cfg != nil {
		names := s.WeightNames(func(k string) bool {
			if key, want, ok := strings.Cut(k, "="); ok { // a string option's value
				v, _ := cfg[key].(string)
				return v == want
			}
			v, present := cfg[k]
			if b, ok := v.(bool); ok {
				return b
			}
			// A null option (EinsumDense's bias_axes) is off; an absent one Keras's default.
			return !present || v != nil
		})
		if len(names) != n {
			return nil
		}
		return names
	}
	// The options the class asks for.
	var opts []string
	s.WeightNames(func(k string) bool {
		if !slices.Contains(opts, k) {
			opts = append(opts, k)
		}
		return true
	})
	if len(opts) > 8 {
		return nil
	}
	var cands [][]string
	for mask := 0; mask < 1<<len(opts); mask++ {
		c := s.WeightNames(func(k string) bool {
			i := slices.Index(opts, k)
			return i < 0 || mask&(1<<i) == 0
		})
		if len(c) == n {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
		agree := true
		for _, c := range cands {
			if c[i] != cands[0][i] {
				agree = false
			}
		}
		if agree {
			out[i] = cands[0][i]
		}
	}
	return out
}

// Canonical returns the canonical Keras class name of a registered class or alias
// ("Convolution2D" → "Conv2D") and whether the class is registered.
func Canonical(class string) (string, bool) {
	s, ok := registry[class]
	if !ok {
		return "", false
	}
	return s.Classes[0], true
}

// Classes returns the Keras class names FromConfig accepts (aliases included), sorted.
func Classes() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FromConfig builds an unbuilt layer from a Keras class name and the layer's inner config
// (the value of "config"), in any dialect: tf_keras 2.x, Keras 3, and the old Keras 1/2 keys
// (nb_filter, nb_row, nb_col, border_mode, subsample, output_dim, init, p, dim_ordering, ...).
// d is the dialect the config came from; it selects dialect-specific behaviour
// (BatchNormalization's moving-variance rule).
//
// The returned warnings are human-readable lines, each naming the layer and the key: every
// config key FromConfig does not know (ignored), and every known value that is kept in the
// config but has no effect in kerasgo (a non-null regularizer or constraint).
//
// Errors: an unknown class is an *UnknownClassError (wrapping ErrUnsupported); a known but
// unimplemented option value (data_format channels_first, dilation_rate != 1, groups != 1,
// noise_shape, renorm, a dtype other than float32, ...) wraps ErrUnsupported and names the
// layer, key and value; a malformed value wraps ErrFormat.
func FromConfig(class string, cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	spec, ok := registry[class]
	if !ok {
		return nil, nil, &UnknownClassError{Class: class}
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	return spec.FromConfig(cfg, d)
}

// DefaultBaseName returns the base of Keras's automatic layer name for a class
// (Conv2D → "conv2d", MaxPooling2D → "max_pooling2d", BatchNormalization →
// "batch_normalization"); the model appends "_1", "_2", ... to make names unique.
func DefaultBaseName(class string) string {
	if c, ok := Canonical(class); ok {
		class = c
	}
	// Keras's to_snake_case: split before capitalised words, then between a lower-case
	// letter and a capital.
	r := []rune(class)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) {
			prev := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if nextLower || unicode.IsLower(prev) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// noKeras3BuildConfig is implemented by the classes for which Keras 3 writes no
// "build_config" in a model's config (layers without a build step of their own): each class's
// file declares it.
type noKeras3BuildConfig interface{ noKeras3BuildConfig() }

// BuildConfig returns the Keras 3 "build_config" of a built layer ({"input_shape": [null,
// ...]}), or nil when Keras 3 writes none for the class (noKeras3BuildConfig) or the layer is
// not built. With d Keras2 it returns the form tf_keras's get_config() adds for every built
// layer (tf_keras's H5 model_config has none).
func BuildConfig(l Layer, d saved.Dialect) map[string]any {
	if !l.Built() {
		return nil
	}
	if _, none := l.(noKeras3BuildConfig); none && d == saved.Keras3 {
		return nil
	}
	if c, ok := l.(ownBuildConfig); ok {
		return c.buildConfig(d)
	}
	if mi, ok := l.(MultiInput); ok { // a list of shapes, one per input
		shapes := []any{}
		for _, in := range mi.InputShapes() {
			shapes = append(shapes, batchShapeJSON(in))
		}
		return map[string]any{"input_shape": shapes}
	}
	return map[string]any{"input_shape": batchShapeJSON(l.InputShape())}
}

// ownBuildConfig is implemented by the classes whose build_config is not their input
// shapes (MultiHeadAttention's Keras 3 shapes_dict).
type ownBuildConfig interface {
	buildConfig(d saved.Dialect) map[string]any
}

// batchShapeJSON is a shape without its batch dimension as a JSON list with the batch: [null,
// ...].
func batchShapeJSON(in []int) []any {
	shape := make([]any, 0, len(in)+1)
	shape = append(shape, nil)
	for _, v := range in {
		shape = append(shape, v)
	}
	return shape
}

// unsupportedIfSet fails for keys whose value is not null (features kerasgo lacks).
func (r *cfgReader) unsupportedIfSet(keys ...string) {
	for _, k := range keys {
		if v, ok := r.cfg[k]; ok {
			r.used[k] = true
			if v != nil {
				r.fail(ErrUnsupported, "%s %s", k, jsonValue(v))
			}
		}
	}
}

// initialWeights handles the Keras 1 "weights" key: null is accepted, values are not.
func (r *cfgReader) initialWeights() {
	if v, ok := r.cfg["weights"]; ok {
		r.used["weights"] = true
		if v != nil {
			r.fail(ErrUnsupported, "weights in the config %s", fmt.Sprintf("(%s)", jsonType(v)))
		}
	}
}

// TrackedChildren is implemented by layers whose tf_keras object has tracked child objects
// that hold no variable (BatchNormalization's axis, kept as a tracked list). tf_keras lists
// them in a checkpoint's object graph before the layer's weights; package model copies them
// to saved.Layer.Tracked for the checkpoint writer.
type TrackedChildren interface {
	// Tracked returns the children's names in the order tf_keras tracks them.
	Tracked() []string
}

// ClassForBaseName returns the canonical class whose default layer-name base
// (DefaultBaseName) is base ("max_pooling2d" → MaxPooling2D), and whether one registered
// class has it. Keras 3 weights files without a config name layers only by that base.
func ClassForBaseName(base string) (string, bool) {
	found := ""
	for _, s := range registry {
		if DefaultBaseName(s.Classes[0]) == base {
			if found != "" && found != s.Classes[0] {
				return "", false
			}
			found = s.Classes[0]
		}
	}
	return found, found != ""
}

// keras3CallKwargs is implemented by the classes whose calls Keras 3 records with keyword
// arguments in a Functional model's config ("inbound_nodes": [{"args": ..., "kwargs": ...}]):
// a layer whose call takes a mask gets "mask": null, one whose training argument defaults to
// a value other than None gets that value. Each class's file declares it.
type keras3CallKwargs interface{ keras3CallKwargs() map[string]any }

// Keras3CallKwargs returns the keyword arguments Keras 3 records for a call of l in a
// Functional config ({} for most classes).
func Keras3CallKwargs(l Layer) map[string]any {
	if k, ok := l.(keras3CallKwargs); ok {
		return k.keras3CallKwargs()
	}
	return map[string]any{}
}

// MaskProducer is implemented by layers that can compute a Keras mask from their input
// (Embedding with mask_zero). kerasgo does not propagate masks: package model refuses a
// model in which a layer producing one feeds, directly or through other layers, a MaskUser.
type MaskProducer interface {
	ProducesMask() bool
}

// MaskUser is implemented by layers whose output depends on the mask Keras passes them
// (the recurrent layers skip masked steps).
type MaskUser interface {
	UsesMask() bool
}

// TensorArgs is implemented by multi-input layers whose call takes its tensors as separate
// arguments rather than one list (MultiHeadAttention's query, value, key): a Functional
// config records them as Keras does (tf_keras: the first tensor, the others in the node's
// kwargs by name; Keras 3: positional args), with the call's other keyword arguments.
type TensorArgs interface {
	MultiInput
	// CallArgs names the call's tensor arguments in input order.
	CallArgs() []string
	// CallKwargs returns the call's other keyword arguments as configs record them.
	CallKwargs() map[string]any
	// SetCallKwarg takes one non-tensor keyword argument of a call read from a config
	// (first: of the layer's first call); values kerasgo does not run are ErrUnsupported.
	SetCallKwarg(k string, v any, first bool) error
}
