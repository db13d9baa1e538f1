package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Models whose inputs have unknown (None) dimensions other than the batch: a fully
// convolutional net on Input((None, None, 3)), an RNN on Input((None, 8)).
//
// kerasgo's layers are built for one input shape, so such a model is built from its config
// with every unknown dimension replaced by a probe size (the first of dynProbes the layers
// accept): that model holds the weights, which do not depend on those dimensions. A second
// build for another probe size, without weight data, tells which dimensions of each layer's
// output depend on the input's unknown ones: summaries print those as None, as Keras does.
// Predict on inputs of another size runs a twin of the model built for that size from the
// same config, given the model's weights before each call (one twin per input shape, the
// last few kept).
//
// Configs (Config, and the .h5 / .keras files Save writes) are those of the probe-built model
// with every shape dimension that differs in the second probe's config written as None, which
// gives Keras's configs. Not done: training and evaluating (Fit, TrainOnBatch, Evaluate refuse
// the model with ErrUnsupported), and SavedModels (refused: the TF graph kerasgo writes has
// fixed shapes).

// dynProbes are the sizes tried for the unknown dimensions, smallest first.
var dynProbes = []int{64, 128, 256, 512}

// maxDynTwins bounds the twins a model keeps (one per input shape seen).
const maxDynTwins = 4

// dynShape is what a model with unknown input dimensions keeps.
type dynShape struct {
	cfg      map[string]any // the config as read, None dimensions included
	noData   bool
	opts     LoadOptions
	declared [][]int           // each input's shape without the batch, -1 for None
	mask     map[string][]bool // per layer: which dims of its output shape are unknown
	mu       sync.Mutex        // guards twins
	// use makes calls on twins take turns (each call gives its twin m's weights first).
	use      sync.Mutex
	twins    map[string]*Model // by input shapes
	order    []string          // twins' keys, oldest first
	probeOut map[string][]int  // the probe model's per-layer output shapes
	m2       *Model            // the model built for the second probe size (no weight data)
}

// substShapes returns a deep copy of a decoded JSON config in which every shape list that
// starts with the batch dimension (None) has its other None dimensions replaced by size(list
// index, dim index); found reports whether there was one.
func substShapes(v any, size func(shape []any, dim int) int) (out any, found bool) {
	switch x := v.(type) {
	case map[string]any:
		o := make(map[string]any, len(x))
		for k, e := range x {
			switch k {
			case "batch_input_shape", "batch_shape", "input_shape", "shape", "build_input_shape":
				if list, ok := shapeList(e); ok && len(list) > 1 && list[0] == nil {
					c := slices.Clone(list)
					for i := 1; i < len(c); i++ {
						if c[i] == nil {
							c[i] = float64(size(list, i))
							found = true
						}
					}
					if m, ok := e.(map[string]any); ok { // tf_keras {"class_name": "__tuple__", "items": [...]}
						mc := make(map[string]any, len(m))
						for mk, mv := range m {
							mc[mk] = mv
						}
						mc["items"] = c
						o[k] = mc
					} else {
						o[k] = c
					}
					continue
				}
			}
			c, f := substShapes(e, size)
			o[k], found = c, found || f
		}
		return o, found
	case []any:
		o := make([]any, len(x))
		for i, e := range x {
			c, f := substShapes(e, size)
			o[i], found = c, found || f
		}
		return o, found
	}
	return v, false
}

func shapeList(v any) ([]any, bool) {
	if m, ok := v.(map[string]any); ok {
		v = m["items"]
	}
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	for _, e := range l {
		if _, isNum := e.(float64); !isNum && e != nil {
			return nil, false
		}
	}
	return l, true
}

// fromDynConfig builds a model whose config has unknown input dimensions (see dynShape).
func fromDynConfig(top map[string]any, noData bool, o LoadOptions) (*Model, error) {
	var firstErr error
	for _, p := range dynProbes {
		c1, _ := substShapes(top, func([]any, int) int { return p })
		m, err := fromConfigObject(c1.(map[string]any), noData, o.maxParams())
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			if errors.Is(err, ErrShape) {
				continue // too small for the model's layers: try a larger probe
			}
			return nil, err
		}
		p2 := p + p/2 + 1
		c2, _ := substShapes(top, func([]any, int) int { return p2 })
		m2, err := fromConfigObject(c2.(map[string]any), true, o.maxParams())
		if err != nil {
			return nil, fmt.Errorf("input dimensions of unknown size (None): the model builds for size %d but not %d: %w", p, p2, err)
		}
		d := &dynShape{cfg: top, noData: noData, opts: o, mask: map[string][]bool{}, twins: map[string]*Model{}, m2: m2}
		d.probeOut = layerOutShapes(m)
		out2 := layerOutShapes(m2)
		for name, s1 := range d.probeOut {
			s2 := out2[name]
			mk := make([]bool, len(s1))
			for i := range s1 {
				mk[i] = i >= len(s2) || s1[i] != s2[i]
			}
			d.mask[name] = mk
		}
		in1, in2 := m.inputShapes(), m2.inputShapes()
		for i, s := range in1 {
			dec := slices.Clone(s) // in1 shares the model's shapes
			for j := range dec {
				if i < len(in2) && j < len(in2[i]) && in2[i][j] != s[j] {
					dec[j] = -1
				}
			}
			d.declared = append(d.declared, dec)
		}
		m.dyn = d
		return m, nil
	}
	return nil, firstErr
}

// outKey names output i ≥ 1 of a layer with several outputs in dynShape's maps.
func outKey(name string, i int) string { return name + "#" + strconv.Itoa(i) }

// layerOutShapes maps each layer's name to its output shape (its last call's in a Functional
// model).
func layerOutShapes(m *Model) map[string][]int {
	out := map[string][]int{}
	for _, l := range m.layers {
		if m.fn != nil {
			if ns := m.fn.layerNodes[l]; len(ns) > 0 {
				out[l.Name()] = slices.Clone(ns[len(ns)-1].out.shape)
				for i, t := range ns[len(ns)-1].outs[min(1, len(ns[len(ns)-1].outs)):] {
					out[outKey(l.Name(), i+1)] = slices.Clone(t.shape) // a layer's further outputs
				}
			}
			continue
		}
		if s, err := l.OutputShape(l.InputShape()); err == nil {
			out[l.Name()] = s
		}
	}
	return out
}

// dynMasked returns shape with the dimensions that depend on the model's unknown input
// dimensions as -1 (shape unchanged for other models).
func (m *Model) dynMasked(name string, shape []int) []int {
	if m.dyn == nil {
		return shape
	}
	mk, ok := m.dyn.mask[name]
	if !ok || len(mk) != len(shape) {
		return shape
	}
	out := slices.Clone(shape)
	for i, u := range mk {
		if u {
			out[i] = -1
		}
	}
	return out
}

// DeclaredInputShapes returns each input's shape without the batch as the model declares it,
// -1 for an unknown (None) dimension.
func (m *Model) DeclaredInputShapes() [][]int {
	if m.dyn != nil {
		out := make([][]int, len(m.dyn.declared))
		for i, s := range m.dyn.declared {
			out[i] = slices.Clone(s)
		}
		return out
	}
	return m.inputShapes()
}

// dynTwin returns the model to run inputs of shapes xs on: m itself when they are the shapes m
// is built for (or m has no unknown dimensions), else m's twin for those shapes. The known
// dimensions must be the declared ones. When it returns a twin, the caller holds the twins'
// turn until it calls unlock.
func (m *Model) dynTwin(xs []*tensor.Tensor) (t *Model, unlock func(), err error) {
	d := m.dyn
	if d == nil || len(xs) != len(d.declared) {
		return m, nil, nil
	}
	t, err = m.dynTwinOf(xs)
	if err != nil || t == m {
		return t, nil, err
	}
	// t's weights were given under d.use (taken by dynTwinOf); the caller releases it.
	return t, d.use.Unlock, nil
}

// dynTwinOf is dynTwin; it returns a twin with d.use held.
func (m *Model) dynTwinOf(xs []*tensor.Tensor) (*Model, error) {
	d := m.dyn
	cur := m.inputShapes()
	same := true
	for i, x := range xs {
		if x == nil || len(x.Shape) < 1 {
			return m, nil // the caller reports it
		}
		if !slices.Equal(x.Shape[1:], cur[i]) {
			same = false
		}
		if len(x.Shape)-1 != len(d.declared[i]) {
			return nil, inputShapeErr(x.Shape, -1, d.declared[i])
		}
		for j, dim := range d.declared[i] {
			if dim >= 0 && x.Shape[j+1] != dim {
				return nil, inputShapeErr(x.Shape, -1, d.declared[i])
			}
		}
	}
	if same {
		return m, nil
	}
	key := ""
	for _, x := range xs {
		key += tensor.ShapeString(x.Shape[1:])
	}
	d.use.Lock()
	held := false
	defer func() {
		if !held {
			d.use.Unlock()
		}
	}()
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.twins[key]; ok {
		err := m.syncTwin(t, key)
		held = err == nil
		return t, err
	}
	// The config with each input's unknown dimensions set to x's; other shape lists (the
	// shapes Keras records of inner tensors) get the input's size where their rank and known
	// dimensions match an input, else the probe size (they are not used to build).
	probe := cur[0][0]
	for i, s := range cur {
		for j, dim := range s {
			if d.declared[i][j] < 0 {
				probe = dim
			}
		}
	}
	c, _ := substShapes(d.cfg, func(list []any, dim int) int {
		for i, dec := range d.declared {
			if len(list) != len(dec)+1 {
				continue
			}
			match := true
			for j, v := range list[1:] {
				if f, ok := v.(float64); ok && (dec[j] < 0 || int(f) != dec[j]) {
					match = false
				}
			}
			if match {
				return xs[i].Shape[dim]
			}
		}
		return probe
	})
	t, err := fromConfigObject(c.(map[string]any), true, d.opts.maxParams())
	if err != nil {
		return nil, fmt.Errorf("inputs of shape %s: %w", key, err)
	}
	if err := m.syncTwin(t, key); err != nil {
		return nil, err
	}
	if len(d.order) >= maxDynTwins {
		delete(d.twins, d.order[0])
		d.order = d.order[1:]
	}
	d.twins[key] = t
	d.order = append(d.order, key)
	held = true
	return t, nil
}

// syncTwin gives twin t (built for inputs key) m's current weights.
func (m *Model) syncTwin(t *Model, key string) error {
	src, dst := m.Weights(), t.Weights()
	if len(src) != len(dst) {
		return fmt.Errorf("%w: the model built for inputs %s has %d weights, not %d", ErrShape, key, len(dst), len(src))
	}
	vals := make([]*tensor.Tensor, len(src))
	for i, w := range src {
		vals[i] = w.Value
	}
	if err := t.setWeights(vals); err != nil {
		return fmt.Errorf("inputs of shape %s: %w", key, err)
	}
	return nil
}

// declaredString formats the declared input shapes as Keras prints them.
func (m *Model) declaredString() string {
	var parts []string
	for _, s := range m.DeclaredInputShapes() {
		parts = append(parts, shapeString(-1, s))
	}
	return strings.Join(parts, ", ")
}

// dynInputs reports whether a decoded model config declares an input with an unknown (None)
// dimension besides the batch: an InputLayer's shape, or a Sequential's first layer's
// batch_input_shape / batch_shape when it has no InputLayer. (Other layers may record shapes
// with None, like Embedding's batch_input_shape; those do not make the model's input unknown.)
func dynInputs(top map[string]any) bool {
	var list []any
	switch c := top["config"].(type) {
	case map[string]any:
		list, _ = c["layers"].([]any)
	case []any:
		list = c
	}
	unknown := func(cfg map[string]any) bool {
		for _, k := range []string{"batch_input_shape", "batch_shape"} {
			if l, ok := shapeList(cfg[k]); ok && len(l) > 1 && l[0] == nil && slices.Contains(l[1:], nil) {
				return true
			}
		}
		return false
	}
	for i, e := range list {
		em, _ := e.(map[string]any)
		cfg, _ := em["config"].(map[string]any)
		if cn, _ := em["class_name"].(string); cn == saved.InputLayerClass {
			if unknown(cfg) {
				return true
			}
			continue
		}
		if i == 0 && top["class_name"] == "Sequential" && unknown(cfg) {
			return true
		}
	}
	return false
}

// dynTrainErr is the error of training or evaluating a model with unknown input dimensions.
func (m *Model) dynTrainErr() error {
	return fmt.Errorf("%w: training and evaluating a model whose inputs have dimensions of unknown size (None) besides the batch, %s, are not implemented (Predict is)", ErrUnsupported, m.declaredString())
}

// dynConfigObject is configObject for a model with unknown input dimensions: the config of
// the model as built (for the probe size) with every dimension that differs from the config
// of the model built for the second probe size written as None, as Keras writes them.
func (m *Model) dynConfigObject(d saved.Dialect, form configForm) (map[string]any, error) {
	c1, err := m.configObjectBuilt(d, form)
	if err != nil {
		return nil, err
	}
	m2 := m.dyn.m2
	if m2 == nil || len(m2.layers) != len(m.layers) {
		return nil, fmt.Errorf("%w: the layers of a model with inputs %s changed after it was read; its config cannot be written", ErrUnsupported, m.declaredString())
	}
	// The second model is named and compiled as the first, so that only shapes differ.
	m2.name = m.name
	c2, err := m2.configObjectBuilt(d, form)
	if err != nil {
		return nil, err
	}
	out, _ := noneWhereDiffer(c1, c2).(map[string]any)
	return out, nil
}

// noneWhereDiffer returns a with each dimension of a shape list (a list starting with the
// batch's None) that differs from b's set to None; everything else is a's.
func noneWhereDiffer(a, b any) any {
	switch x := a.(type) {
	case map[string]any:
		y, _ := b.(map[string]any)
		out := make(map[string]any, len(x))
		for k, v := range x {
			out[k] = noneWhereDiffer(v, y[k])
		}
		return out
	case pyfmt.Object:
		y, _ := b.(pyfmt.Object)
		out := make(pyfmt.Object, len(x))
		for i, kv := range x {
			var other any
			if i < len(y) && y[i].K == kv.K {
				other = y[i].V
			}
			out[i] = pyfmt.KV{K: kv.K, V: noneWhereDiffer(kv.V, other)}
		}
		return out
	case []any:
		y, _ := b.([]any)
		out := make([]any, len(x))
		shape := len(x) > 1 && x[0] == nil && len(y) == len(x)
		for i, v := range x {
			if shape && i > 0 {
				if n1, ok1 := dimValue(v); ok1 {
					if n2, ok2 := dimValue(y[i]); ok2 && n1 != n2 {
						out[i] = nil
						continue
					}
				}
			}
			var other any
			if i < len(y) {
				other = y[i]
			}
			out[i] = noneWhereDiffer(v, other)
		}
		return out
	}
	return a
}

func dimValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), n == float64(int64(n))
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// dynOutputShape is the model's (first) output shape with the dimensions that follow the
// input's unknown ones as -1.
func (m *Model) dynOutputShape() []int {
	if m.fn != nil && len(m.fn.outputs) > 0 {
		t := m.fn.outputs[0]
		return m.dynMasked(t.node.layer.Name(), t.shape)
	}
	if len(m.layers) == 0 {
		return slices.Clone(m.outShape)
	}
	return m.dynMasked(m.layers[len(m.layers)-1].Name(), m.outShape)
}
