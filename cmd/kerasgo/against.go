package main

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file is `kerasgo verify PATH --against OTHER`: every tensor of the two files, read
// into kerasgo's neutral form, compared. Layers with weights are paired in order (as Keras's
// load_weights pairs them), weights in each layer's order; optimizer slots by the layer,
// weight and slot they belong to, the iteration count and any positional optimizer
// variables as they are. Tensors of one dtype must be equal bit for bit; of two dtypes (a
// format that stores another type), equal as numbers.

// tensorDiff is one difference between the files.
type tensorDiff struct {
	what string // `layer "conv_1" weight "kernel"`, "optimizer iterations", ...
	why  string
}

// comparison is what compareSaved found.
type comparison struct {
	tensors, layers, weights, slots int
	diffs                           []tensorDiff
}

// compareSaved compares every tensor of a with b's.
func compareSaved(a, b *saved.Model) *comparison {
	c := &comparison{}
	withWeights := func(m *saved.Model) []saved.Layer {
		var out []saved.Layer
		for _, l := range m.Layers {
			if len(l.Weights) > 0 {
				out = append(out, l)
			}
		}
		return out
	}
	la, lb := withWeights(a), withWeights(b)
	if len(la) != len(lb) {
		c.diff("layers", fmt.Sprintf("%s with weights, against %d", plural(len(la), "layer"), len(lb)))
	}
	rename := map[string]string{} // b's layer names to a's
	for i := range min(len(la), len(lb)) {
		x, y := la[i], lb[i]
		rename[y.Name] = x.Name
		c.layers++
		what := fmt.Sprintf("layer %q", x.Name)
		if y.Name != x.Name {
			what = fmt.Sprintf("layer %q (%q in the other)", x.Name, y.Name)
		}
		if len(x.Weights) != len(y.Weights) {
			c.diff(what, fmt.Sprintf("%s, against %d", plural(len(x.Weights), "weight"), len(y.Weights)))
		}
		for j := range min(len(x.Weights), len(y.Weights)) {
			c.weights++
			c.tensor(fmt.Sprintf("%s weight %q", what, x.Weights[j].Name), x.Weights[j].Value, y.Weights[j].Value)
		}
	}
	oa, ob := a.Optimizer, b.Optimizer
	switch {
	case oa == nil && ob == nil:
	case oa == nil || ob == nil:
		if oa == nil {
			c.diff("optimizer state", "in the other file, not in this one")
		} else {
			c.diff("optimizer state", "in this file, not in the other")
		}
	default:
		c.tensors++
		if oa.Iterations != ob.Iterations {
			c.diff("optimizer iterations", fmt.Sprintf("%d, against %d", oa.Iterations, ob.Iterations))
		}
		type key struct{ layer, weight, name string }
		other := map[key]*tensor.Tensor{}
		for _, s := range ob.Slots {
			n := s.Layer
			if r, ok := rename[n]; ok {
				n = r
			}
			other[key{n, s.Weight, s.Name}] = s.Value
		}
		for _, s := range oa.Slots {
			c.slots++
			what := fmt.Sprintf("optimizer slot %q of layer %q weight %q", s.Name, s.Layer, s.Weight)
			v, ok := other[key{s.Layer, s.Weight, s.Name}]
			if !ok {
				c.diff(what, "missing in the other file")
				continue
			}
			delete(other, key{s.Layer, s.Weight, s.Name})
			c.tensor(what, s.Value, v)
		}
		var extra []string
		for k := range other {
			extra = append(extra, fmt.Sprintf("optimizer slot %q of layer %q weight %q", k.name, k.layer, k.weight))
		}
		sort.Strings(extra)
		for _, e := range extra {
			c.diff(e, "missing in this file")
		}
		if oa.Variables != nil && ob.Variables != nil {
			if len(oa.Variables) != len(ob.Variables) {
				c.diff("optimizer variables", fmt.Sprintf("%d, against %d", len(oa.Variables), len(ob.Variables)))
			}
			for i := range min(len(oa.Variables), len(ob.Variables)) {
				c.tensor(fmt.Sprintf("optimizer variable %d", i), oa.Variables[i], ob.Variables[i])
			}
		}
	}
	return c
}

func (c *comparison) diff(what, why string) { c.diffs = append(c.diffs, tensorDiff{what, why}) }

// tensor compares one tensor of each file.
func (c *comparison) tensor(what string, x, y *tensor.Tensor) {
	c.tensors++
	if x == nil || y == nil {
		if x != y {
			c.diff(what, "no value in one file")
		}
		return
	}
	if !tensor.SameShape(x.Shape, y.Shape) {
		c.diff(what, fmt.Sprintf("shape %s, against %s", tensor.ShapeString(x.Shape), tensor.ShapeString(y.Shape)))
		return
	}
	if x.DType == y.DType {
		bx, ex := x.AppendBytes(nil)
		by, ey := y.AppendBytes(nil)
		if ex == nil && ey == nil && bytes.Equal(bx, by) {
			return
		}
	}
	fx, ex := x.AsFloat32()
	fy, ey := y.AsFloat32()
	if ex != nil || ey != nil {
		c.diff(what, fmt.Sprintf("%v values, against %v values", x.DType, y.DType))
		return
	}
	n, first := 0, -1
	for i := range fx {
		same := fx[i] == fy[i] || (math.IsNaN(float64(fx[i])) && math.IsNaN(float64(fy[i])))
		if x.DType == y.DType && same && math.Float32bits(fx[i]) != math.Float32bits(fy[i]) {
			same = false // -0 against 0, or NaN payloads, in one dtype
		}
		if !same {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if n == 0 {
		if x.DType != y.DType {
			return // equal as numbers
		}
		c.diff(what, "different bytes")
		return
	}
	c.diff(what, fmt.Sprintf("%d of %d values differ (first at flat index %d: %v, against %v)", n, len(fx), first, fx[first], fy[first]))
}

// String sums up the differences, naming the first few.
func (c *comparison) String() string {
	var parts []string
	for i, d := range c.diffs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(c.diffs)-5))
			break
		}
		parts = append(parts, d.what+": "+d.why)
	}
	return fmt.Sprintf("%s: %s", plural(len(c.diffs), "difference"), strings.Join(parts, "; "))
}
