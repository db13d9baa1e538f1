package savedmodel

import (
	"strings"

	"github.com/kerasgo/kerasgo/saved"
)

// subsObjects tracks the variables of a layer whose variables belong to sub-objects (a
// wrapper's inner layers, saved.SubObject) under the layer's node ln: each sub-object's path
// of objects, the variables under the last one by their short names, named "<layer>/<weight
// name>" as tf_keras names them. It records the variable nodes in vars by (layer, weight).
func subsObjects(t *tree, ln int, l *layerSpec, modelVars *[]*tvar, vars map[[2]string]int) error {
	sl := saved.Layer{Name: l.Name, Weights: l.Weights, Subs: l.Subs}
	if err := saved.CheckSubs(&sl); err != nil {
		return formatErr("layer %q: %v", l.Name, err)
	}
	made := map[string]int{}
	for i, so := range l.Subs {
		n, key := ln, ""
		for _, step := range so.Path {
			key += "/" + step
			c, ok := made[key]
			if !ok {
				c = t.user(inBoth, genericObjectIdentifier)
				t.link(n, step, c, inBoth)
				made[key] = c
			}
			n = c
		}
		lo, hi := sl.SubRange(i)
		for _, w := range l.Weights[lo:hi] {
			v := &tvar{name: l.Name + "/" + w.Name, value: w.Value, trainable: w.Trainable}
			v.onRead = !w.Trainable && boolCfg(l.Cfg, "trainable", true)
			*modelVars = append(*modelVars, v)
			vn := t.variable(inBoth, v)
			t.link(n, w.Name[strings.LastIndexByte(w.Name, '/')+1:], vn, inBoth)
			vars[[2]string{l.Name, w.Name}] = vn
		}
	}
	return nil
}
