package wconv

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Sentinels: every error of this package wraps one of them (or a codec's error).
var (
	// ErrUnsupported: the target layout cannot be derived from what the source holds.
	ErrUnsupported = errcat.New("unsupported", errcat.ErrUnsupported)
	// ErrMismatch: the model config does not describe the weights file.
	ErrMismatch = errcat.New("config does not match the weights", errcat.ErrMismatch)
	// ErrFormat: the source contradicts itself.
	ErrFormat = errcat.New("invalid format", errcat.ErrFormat)
)

func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

func mismatchf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMismatch}, args...)...)
}

func formatf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// needConfig is the advice that ends errors a model config would avoid.
const needConfig = "pass the model's config with --config (model.to_json() of either Keras, or a .keras archive's config.json)"

// tri is a fact a source may or may not record.
type tri int8

const (
	unknown tri = iota
	yes
	no
)

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}

// and is the conjunction of two facts: no wins, then unknown.
func (t tri) and(u tri) tri {
	switch {
	case t == no || u == no:
		return no
	case t == unknown || u == unknown:
		return unknown
	}
	return yes
}

// A model is what the conversion knows of a model's layers list (model.layers): from the
// source file, and from the model's config when one is at hand.
type model struct {
	name, class string
	layers      []*layer
	// complete: layers is exactly model.layers, weightless layers included, in order (so
	// the checkpoint's layer-<i> and Keras 3's paths can be derived).
	complete bool
	// ordered: the layers that have weights are in model.layers order (what tf_keras's
	// positional HDF5 loading and the checkpoint's layer_with_weights-<j> need).
	ordered bool
}

// A layer is one entry of model.layers: a layer with its variables, or a nested model.
type layer struct {
	name  string // "" when the source does not record it
	class string // Keras class name, "" when unknown
	// trainable is layer.trainable (from a config).
	trainable tri
	weights   []*weight // a plain layer's variables in layer.weights order
	sub       *model    // a nested model (Sequential or Functional used as a layer)
	// flat: a nested model read from a tf_keras HDF5 group without its config: weights is
	// the group as stored (the variables of its layers, in the nested model's order).
	flat bool
	// h5group is a nested model's HDF5 group as read (the same weights as its layers',
	// in the group's order), which a tf_keras HDF5 target keeps as is.
	h5group []*weight
	// k3key is the layer's key in a Keras 3 weights file ("conv2d_1") when read from one;
	// k3 is the layer's object there (its own vars and sub-objects such as an RNN's cell).
	k3key string
	k3    *h5.Keras3Object
	// where says where the source keeps a layer it does not name.
	where string
}

// A weight is one variable and what the source says about it.
type weight struct {
	value *tensor.Tensor
	name  string // short Keras name ("kernel"); "" when unknown
	// h5name is the name a tf_keras HDF5 group gave it ("conv_a/kernel:0"), and h5rel the
	// components of that name after the layer's name (["kernel"]; an RNN's
	// ["lstm_cell", "kernel"]); nil when the name does not contain the layer's.
	h5name string
	h5rel  []string
	owner  string // the layer whose name h5name carries, in a nested model's group
	// attr is the checkpoint's attribute path below the layer (["kernel"], ["cell",
	// "kernel"]) and fullName TF's variable name, when read from a checkpoint.
	attr     []string
	fullName string
	// k3obj is, when read from a Keras 3 file, the sub-object path below the layer that
	// holds the variable ("" for the layer's own vars, "cell"), and k3index its index there.
	k3      bool
	k3obj   string
	k3index int
	// created says whether the variable was created trainable (Keras lists those first in
	// layer.weights).
	created tri
}

// hasWeights reports whether the layer (a nested model: any of its layers) has variables.
func (l *layer) hasWeights() bool {
	if len(l.weights) > 0 {
		return true
	}
	if l.sub != nil {
		for _, c := range l.sub.layers {
			if c.hasWeights() {
				return true
			}
		}
	}
	return false
}

func (m *model) countWeights() (layers, vars int) {
	for _, l := range m.layers {
		if l.sub != nil && !l.flat {
			nl, nv := l.sub.countWeights()
			layers, vars = layers+nl, vars+nv
			continue
		}
		if len(l.weights) > 0 {
			layers++
			vars += len(l.weights)
		}
	}
	return layers, vars
}

// label names a layer in messages: its name, or where the source keeps it.
func (l *layer) label(prefix string, i int) string {
	if l.name == "" && l.where != "" {
		return "the layer at " + l.where
	}
	s := l.name
	if s == "" {
		s = "#" + strconv.Itoa(i)
	}
	q := strconv.Quote(prefix + s)
	if l.class != "" {
		q += " (" + l.class + ")"
	}
	return "layer " + q
}

// stripIndex removes a TF variable's ":0" output suffix.
func stripIndex(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if _, err := strconv.Atoi(s[i+1:]); err == nil {
			return s[:i]
		}
	}
	return s
}

// splitSuffix splits Keras's de-duplication suffix: "dense_2" → ("dense", 2); "dense" →
// ("dense", 0).
func splitSuffix(s string) (string, int) {
	if i := strings.LastIndexByte(s, '_'); i >= 0 {
		if n, err := strconv.Atoi(s[i+1:]); err == nil && n > 0 && strconv.Itoa(n) == s[i+1:] {
			return s[:i], n
		}
	}
	return s, 0
}

// nonTrainableNames are the variable names every Keras layer creates non-trainable
// (BatchNormalization's statistics and their older spellings).
var nonTrainableNames = []string{"moving_mean", "moving_variance", "running_mean", "running_std", "running_variance"}

// createdTrainable says whether class creates variable name trainable: from the facts the
// layer implementations register (classes kerasgo implements), else from the names that are
// non-trainable in every Keras layer; unknown otherwise.
func createdTrainable(class, name string) tri {
	if name == "" {
		return unknown
	}
	if f, ok := saved.Facts(class); ok && class != "" {
		return triOf(!slices.Contains(f.NonTrainable, name))
	}
	if slices.Contains(nonTrainableNames, name) {
		return no
	}
	return unknown
}

// keras3Names names a Keras 3 layer's n own variables from its class's registered facts;
// entries that stay unknown are "".
func keras3Names(class string, cfg map[string]any, n int) []string {
	out := make([]string, n)
	f, ok := saved.Facts(class)
	if !ok || class == "" || f.WeightNames == nil {
		return out
	}
	names := f.WeightNames(cfg, n)
	if len(names) != n {
		return out
	}
	for i, s := range names {
		if s != strconv.Itoa(i) {
			out[i] = s
		}
	}
	return out
}

// keras3Class is the registered class whose Keras 3 path base is key's ("max_pooling2d_1"
// → MaxPooling2D), or "".
func keras3Class(key string) string {
	base, _ := splitSuffix(key)
	if f, ok := saved.ClassFor(base); ok {
		return f.Class
	}
	return ""
}

// kerasOrder returns ws with the variables created trainable first, as layer.weights lists
// them (a checkpoint lists a layer's variables in creation order). Variables whose
// trainability is unknown are taken as trainable.
func kerasOrder(ws []*weight) []*weight {
	out := make([]*weight, 0, len(ws))
	for _, w := range ws {
		if w.created != no {
			out = append(out, w)
		}
	}
	for _, w := range ws {
		if w.created == no {
			out = append(out, w)
		}
	}
	return out
}
