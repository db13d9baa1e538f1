package h5

import (
	"encoding/json"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// slotLayout says how an optimizer lays out its slot variables after its scalar variables:
// a sequence of groups; within a group the slots of one trainable variable are interleaved
// (Adam: m0, v0, m1, v1, ...); groups follow one another (RMSprop: all velocities, then all
// momentums). Slot names are Keras 3 names. The same layout holds for tf_keras new
// optimizers (2.11+) and Keras 3 (tf_keras/optimizers/*.py and keras/src/optimizers/*.py,
// build methods).
type slotLayout [][]string

func (l slotLayout) perVar() int {
	n := 0
	for _, g := range l {
		n += len(g)
	}
	return n
}

// names lists one trainable variable's slot names in saved.Optimizer order.
func (l slotLayout) names() []string {
	var out []string
	for _, g := range l {
		out = append(out, g...)
	}
	return out
}

// layoutFor returns the slot layout of an optimizer class with config cfg. keras2 selects
// tf_keras's layout, which differs in one point: tf_keras's SGD has a momentum slot even
// with momentum 0.
func layoutFor(class string, cfg []byte, keras2 bool) (slotLayout, bool) {
	switch class {
	case "Adam", "AdamW":
		l := slotLayout{{"momentum", "velocity"}}
		if configBool(cfg, "amsgrad") {
			l = append(l, []string{"velocity_hat"})
		}
		return l, true
	case "Lamb", "Nadam":
		return slotLayout{{"momentum", "velocity"}}, class == "Lamb"
	case "Adamax":
		return slotLayout{{"momentum", "norm"}}, true
	case "SGD":
		if m, _ := configNumber(cfg, "momentum"); m != 0 || keras2 {
			return slotLayout{{"momentum"}}, true
		}
		return slotLayout{}, true
	case "RMSprop":
		l := slotLayout{{"velocity"}}
		if m, _ := configNumber(cfg, "momentum"); m > 0 {
			l = append(l, []string{"momentum"})
		}
		if configBool(cfg, "centered") {
			l = append(l, []string{"average_gradient"})
		}
		return l, true
	case "Adagrad":
		return slotLayout{{"accumulator"}}, true
	case "Adadelta":
		return slotLayout{{"accumulated_grad", "accumulated_delta_var"}}, true
	case "Ftrl":
		return slotLayout{{"accumulator", "linear"}}, true
	case "Lion":
		return slotLayout{{"momentum"}}, true
	}
	return nil, false
}

// layoutForCount picks the layout when the optimizer's config is unknown (a standalone
// weights file): among the class's possible layouts the one whose slot count matches.
func layoutForCount(class string, cfg []byte, nslots, ntrain int, keras2 bool) (slotLayout, bool) {
	if len(cfg) > 0 {
		return layoutFor(class, cfg, keras2)
	}
	var cands []slotLayout
	switch class {
	case "Adam", "AdamW":
		cands = []slotLayout{{{"momentum", "velocity"}}, {{"momentum", "velocity"}, {"velocity_hat"}}}
	case "SGD":
		cands = []slotLayout{{}, {{"momentum"}}}
	case "RMSprop":
		cands = []slotLayout{{{"velocity"}}, {{"velocity"}, {"momentum"}}, {{"velocity"}, {"average_gradient"}},
			{{"velocity"}, {"momentum"}, {"average_gradient"}}}
	default:
		return layoutFor(class, cfg, keras2)
	}
	var found []slotLayout
	for _, c := range cands {
		if c.perVar()*ntrain == nslots {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		return nil, false
	}
	return found[0], true
}

// keras2Slot maps a Keras 3 slot name to the tf_keras (new optimizer) name.
func keras2Slot(class, k3 string) string {
	if class == "Adamax" && k3 == "norm" {
		return "u"
	}
	return saved.Keras2SlotName(class, k3)
}

// keras3Slot maps a tf_keras slot name to the Keras 3 name.
func keras3Slot(class, k2 string) string {
	if class == "Adamax" && k2 == "u" {
		return "norm"
	}
	return saved.Keras3SlotName(class, k2)
}

// varRef is one trainable model variable: its layer and weight names and its value.
type varRef struct {
	layer, weight string
	value         *tensor.Tensor
	key           string // the tf_keras variable name without ":0" ("conv_1/kernel")
	trainable     bool
}

// positionalSlots distributes slot tensors given in file order over the trainable variables
// per the layout and returns them in saved.Optimizer order (per variable, all its slots).
func positionalSlots(class string, layout slotLayout, vars []varRef, slots []*tensor.Tensor, names []string) ([]saved.Slot, error) {
	n := len(vars)
	if len(slots) != layout.perVar()*n {
		return nil, unsupportedf("%s has %d slot variables, want %d (%d per trainable variable x %d trainable variables)",
			class, len(slots), layout.perVar()*n, layout.perVar(), n)
	}
	out := make([]saved.Slot, 0, len(slots))
	for i, v := range vars {
		off := 0
		for _, g := range layout {
			for j, name := range g {
				k := off + i*len(g) + j
				s := slots[k]
				if !tensor.SameShape(s.Shape, v.value.Shape) {
					return nil, atObj(names[k], formatf("slot shape %v does not match variable %s/%s shape %v",
						s.Shape, v.layer, v.weight, v.value.Shape))
				}
				out = append(out, saved.Slot{Layer: v.layer, Weight: v.weight, Name: name, Value: s})
			}
			off += len(g) * n
		}
	}
	return out, nil
}

// slotsInFileOrder is the inverse of positionalSlots: the slot tensors in the file's order.
// It fails when o.Slots does not hold exactly the layout's slots for every trainable variable.
func slotsInFileOrder(o *saved.Optimizer, layout slotLayout, vars [][2]string) ([]saved.Slot, error) {
	idx := map[[3]string]saved.Slot{}
	for _, s := range o.Slots {
		idx[[3]string{s.Layer, s.Weight, s.Name}] = s
	}
	var out []saved.Slot
	for _, g := range layout {
		for _, v := range vars {
			for _, name := range g {
				s, ok := idx[[3]string{v[0], v[1], name}]
				if !ok {
					return nil, formatf("optimizer %s: no %q slot for %s/%s", o.Class, name, v[0], v[1])
				}
				out = append(out, s)
			}
		}
	}
	if len(out) != len(o.Slots) {
		return nil, formatf("optimizer %s: %d slots given, layout wants %d", o.Class, len(o.Slots), len(out))
	}
	return out, nil
}

// fileSlots returns the optimizer's slots in file order: by layout (tf_keras's when keras2)
// when the class is known, otherwise in the given order.
func fileSlots(o *saved.Optimizer, m *saved.Model, keras2 bool) ([]saved.Slot, error) {
	layout, ok := layoutFor(o.Class, o.Config, keras2)
	if !ok {
		return o.Slots, nil
	}
	if len(o.Slots) == 0 {
		// An optimizer not built yet (compiled, never fitted): no slots. tf_keras writes
		// such an optimizer's "iteration" alone, so its variables may be there.
		return nil, nil
	}
	return slotsInFileOrder(o, layout, trainableWithSlots(m, o))
}

// trainableWithSlots lists the model's trainable variables; when the optimizer has slots, the
// variables that have slots (in model order), so frozen variables are left out.
func trainableWithSlots(m *saved.Model, o *saved.Optimizer) [][2]string {
	if len(o.Slots) == 0 {
		return m.TrainableVariables()
	}
	has := map[[2]string]bool{}
	for _, s := range o.Slots {
		has[[2]string{s.Layer, s.Weight}] = true
	}
	var out [][2]string
	for i := range m.Layers {
		l := &m.Layers[i]
		for _, w := range l.Weights {
			if k := l.VarKey(w); has[k] {
				out = append(out, k)
			}
		}
	}
	return out
}

// optimizerName is the optimizer's "name" config value, or a default.
func optimizerName(o *saved.Optimizer, d saved.Dialect) string {
	if n := configString(o.Config, "name"); n != "" {
		return n
	}
	if o.Name != "" {
		return o.Name
	}
	if d == saved.Keras3 {
		return strings.ToLower(o.Class)
	}
	return o.Class
}

// learningRateFrom reads a numeric learning_rate from an optimizer config.
func learningRateFrom(cfg json.RawMessage) float32 {
	if v, ok := configNumber(cfg, "learning_rate"); ok {
		return float32(v)
	}
	if v, ok := configNumber(cfg, "lr"); ok {
		return float32(v)
	}
	return 0
}

// scalarInt reads an integer scalar tensor (iteration counters are int64, int32 on JAX).
func scalarInt(t *tensor.Tensor) (int64, bool) {
	if t.Len() != 1 {
		return 0, false
	}
	switch x := t.Data.(type) {
	case []int64:
		return x[0], true
	case []int32:
		return int64(x[0]), true
	case []uint64:
		return int64(x[0]), true
	case []float32:
		return int64(x[0]), true
	case []float64:
		return int64(x[0]), true
	}
	return 0, false
}

// scalarFloat reads a float scalar tensor.
func scalarFloat(t *tensor.Tensor) (float32, bool) {
	if t.Len() != 1 {
		return 0, false
	}
	switch x := t.Data.(type) {
	case []float32:
		return x[0], true
	case []float64:
		return float32(x[0]), true
	}
	return 0, false
}
