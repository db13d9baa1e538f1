package wconv

import (
	"strings"

	"github.com/kerasgo/kerasgo/h5"
)

// fromLegacy reads the layer groups of tf_keras's HDF5 layout. Without a config (skel nil)
// each group is a layer named as the group; a group whose weight names do not carry its name
// is a nested model (its layers' variables: "inner_dense_1/kernel:0") kept as stored. With a
// config, groups are matched to its layers by name and a nested model's variables go to its
// layers by the layer name their names carry.
func fromLegacy(groups []h5.LegacyGroup, skel *model) (*model, error) {
	if skel == nil {
		m := &model{complete: true, ordered: true}
		for _, g := range groups {
			l := &layer{name: g.Name}
			plain := true
			for _, nt := range g.Weights {
				// A nested model's variables are named after its layers ("inner_dense_1/
				// kernel:0"); Keras 1 names have no "/" ("dense_1_W:0").
				_, ok := ownerIn(nt.Name, map[string]int{g.Name: 1})
				_, scoped := scopeOwner(nt.Name, g.Name)
				plain = plain && (ok || scoped || !strings.Contains(nt.Name, "/"))
			}
			if plain {
				l.weights = legacyWeights(g.Weights, g.Name, "")
			} else {
				l.flat, l.sub = true, &model{}
				l.weights = legacyWeights(g.Weights, "", "")
			}
			m.layers = append(m.layers, l)
		}
		return m, nil
	}
	byName := map[string]int{}
	for i, l := range skel.layers {
		byName[l.name] = i
	}
	last := -1
	for _, g := range groups {
		i, ok := byName[g.Name]
		if !ok {
			if len(g.Weights) == 0 {
				continue
			}
			return nil, mismatchf("the file's layer %q (%d variables) is not in the config", g.Name, len(g.Weights))
		}
		if i < last && len(g.Weights) > 0 {
			return nil, mismatchf("the file lists layer %q after %q; the config before", g.Name, skel.layers[last].name)
		}
		if len(g.Weights) > 0 {
			last = i
		}
		l := skel.layers[i]
		if l.sub == nil {
			l.weights = legacyWeights(g.Weights, l.name, l.class)
			continue
		}
		if err := distribute(l, g.Weights); err != nil {
			return nil, err
		}
	}
	return skel, nil
}

// legacyWeights makes the weights of one layer from its HDF5 datasets.
func legacyWeights(nts []h5.NamedTensor, layerName, class string) []*weight {
	var out []*weight
	for _, nt := range nts {
		comps := strings.Split(stripIndex(nt.Name), "/")
		w := &weight{value: nt.Value, h5name: nt.Name, name: comps[len(comps)-1]}
		if layerName != "" {
			if i, ok := ownerIn(nt.Name, map[string]int{layerName: 1}); ok {
				w.h5rel = comps[i+1:]
			} else if i, ok := scopeOwner(nt.Name, layerName); ok {
				w.h5rel = comps[i+1:]
			}
		}
		w.created = createdTrainable(class, w.name)
		out = append(out, w)
	}
	return out
}

// scopeOwner finds the layer name in a variable name that tf_keras made unique in its name
// scope ("conv1_1/kernel:0" of layer conv1, built a second time in one session).
func scopeOwner(name, layer string) (int, bool) {
	comps := strings.Split(stripIndex(name), "/")
	if len(comps) < 2 {
		return 0, false
	}
	if base, n := splitSuffix(comps[0]); n > 0 && base == layer {
		return 0, true
	}
	return 0, false
}

// ownerIn finds the layer a variable name belongs to: the last component before the
// variable's own that is one of names ("outer/inner/inner_dense_1/kernel" → inner_dense_1).
// It returns that component's index.
func ownerIn(name string, names map[string]int) (int, bool) {
	comps := strings.Split(stripIndex(name), "/")
	for i := len(comps) - 2; i >= 0; i-- {
		if names[comps[i]] > 0 {
			return i, true
		}
	}
	return 0, false
}

// leaves lists the plain layers of a nested model, depth first, with the trainable flags
// of the models above them.
func leaves(m *model, above tri, out *[]leaf) {
	for _, l := range m.layers {
		t := above.and(l.trainable)
		if l.sub != nil && !l.flat {
			leaves(l.sub, t, out)
			continue
		}
		*out = append(*out, leaf{l, t})
	}
}

type leaf struct {
	l         *layer
	trainable tri // effective: the layer's and every enclosing model's flag
}

// distribute gives the variables of a nested model's HDF5 group to its layers, by the layer
// name each variable's name carries.
func distribute(nested *layer, nts []h5.NamedTensor) error {
	var ls []leaf
	leaves(nested.sub, yes, &ls)
	names := map[string]int{}
	for _, lf := range ls {
		names[lf.l.name]++
	}
	for _, nt := range nts {
		i, ok := ownerIn(nt.Name, names)
		if !ok {
			return mismatchf("nested model %q: variable %q belongs to none of its layers in the config", nested.name, nt.Name)
		}
		comps := strings.Split(stripIndex(nt.Name), "/")
		owner := comps[i]
		if names[owner] > 1 {
			return unsupportedf("nested model %q: variable %q: %d of its layers are named %q", nested.name, nt.Name, names[owner], owner)
		}
		for _, lf := range ls {
			if lf.l.name == owner {
				w := &weight{value: nt.Value, h5name: nt.Name, h5rel: comps[i+1:], name: comps[len(comps)-1], owner: owner}
				w.created = createdTrainable(lf.l.class, w.name)
				lf.l.weights = append(lf.l.weights, w)
				nested.h5group = append(nested.h5group, w)
			}
		}
	}
	return nil
}
