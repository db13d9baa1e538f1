package h5

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/tensor"
)

// WeightsFile is the weights of a Keras HDF5 file as its layout stores them, read without
// interpreting layers (no layer class needs to be known): the legacy layout of tf_keras
// (model.save("x.h5") keeps it in model_weights, save_weights("x.h5") at the root; Keras 3's
// legacy .h5 uses it too), or the Keras 3 layout (.weights.h5, the model.weights.h5 of a
// .keras archive). Exactly one of Legacy and Keras3 is set. Optimizer state is not read.
type WeightsFile struct {
	KerasVersion string // keras_version ("2.21.0"), or metadata.json's for a .keras; may be ""
	Backend      string
	// Config is the model's config JSON when the file has one (model_config of a full-model
	// .h5, config.json of a .keras archive without compile_config); nil otherwise.
	Config json.RawMessage
	// Legacy holds the layer groups in layer_names order (weightless layers included).
	Legacy []LegacyGroup
	// Keras3 is the root object of the Keras 3 layout.
	Keras3 *Keras3Object
}

// LegacyGroup is one layer group of the legacy layout.
type LegacyGroup struct {
	Name string
	// Weights in weight_names order, named as weight_names names them: "conv_a/kernel:0",
	// and for a nested model the variables of its layers ("inner_dense_1/kernel:0").
	Weights []NamedTensor
}

// NamedTensor is one dataset and its name.
type NamedTensor struct {
	Name  string
	Value *tensor.Tensor
}

// Keras3Object is one object of the Keras 3 weights layout: a group whose "vars" subgroup
// holds the object's own variables (datasets "0", "1", ...) and the object's name (attribute
// "name"), and whose other subgroups are its tracked children. The root's children are
// "layers" (whose children are the model's layers, keyed by their de-duplicated snake-case
// class names: "conv2d", "conv2d_1"), "optimizer" and so on; a nested model's layers are again
// under its own "layers" child, an RNN layer's cell under "cell".
type Keras3Object struct {
	Key      string // the group's name in its parent ("conv2d_1"); "" for the root
	Name     string // the vars group's "name" attribute; "" when absent
	HasVars  bool   // the object has a vars group (Keras 3 writes one for every layer)
	Vars     []*tensor.Tensor
	Children []*Keras3Object // in natural order ("dense" < "dense_1" < "dense_2" < "dense_10")
}

// Child returns the child with the given key, or nil.
func (o *Keras3Object) Child(key string) *Keras3Object {
	for _, c := range o.Children {
		if c.Key == key {
			return c
		}
	}
	return nil
}

// ReadWeightsFile reads the weights of any Keras HDF5 file (or .keras zip, or unzipped
// Keras 3 model directory) in whichever layout it holds; see WeightsFile.
func ReadWeightsFile(path string) (*WeightsFile, error) { return ReadOptions{}.ReadWeightsFile(path) }

// ReadWeightsFile is ReadWeightsFile with options.
func (o ReadOptions) ReadWeightsFile(path string) (*WeightsFile, error) {
	if IsShardManifest(path) {
		var wf *WeightsFile
		err := o.withShards(path, func(h *h5file, _ int) (err error) {
			wf, err = o.readWeightsH5(h)
			return err
		})
		return wf, fileErr("load", path, err)
	}
	kind, err := sourceKind(path)
	if err != nil {
		return nil, fileErr("load", path, err)
	}
	if err := checkSharded(path); err != nil {
		return nil, fileErr("load", path, err)
	}
	switch kind {
	case "zip", "kerasdir":
		var wf *WeightsFile
		err := o.withKerasWeights(path, func(open weightsOpener, ka *kerasArchive) error {
			unlock := lockLib()
			defer unlock()
			h, err := open()
			if err != nil {
				return atObj(memberWeights, err)
			}
			defer h.close()
			wf, err = o.readWeightsH5(h)
			if err != nil {
				var oe *objErr
				if errors.As(err, &oe) {
					return atObj(memberWeights+":"+oe.obj, oe.err)
				}
				return atObj(memberWeights, err)
			}
			if wf.Keras3 == nil {
				return atObj(memberWeights, formatf("not the Keras 3 weights layout"))
			}
			wf.Config, wf.KerasVersion = ka.config, ka.version
			return nil
		})
		if err != nil {
			return nil, fileErr("load", path, err)
		}
		return wf, nil
	case "hdf5":
		wf, err := o.readWeightsFile(path)
		return wf, fileErr("load", path, err)
	}
	return nil, fileErr("load", path, formatf("not an HDF5 file (no HDF5 signature)"))
}

func (o ReadOptions) readWeightsFile(path string) (*WeightsFile, error) {
	defer lockLib()()
	h, err := openChecked(path)
	if err != nil {
		return nil, err
	}
	defer h.close()
	return o.readWeightsH5(h)
}

// readWeightsH5 is readWeightsFile on an open file (the library lock held).
func (o ReadOptions) readWeightsH5(h *h5file) (*WeightsFile, error) {
	root, err := h.attrNames("")
	if err != nil {
		return nil, err
	}
	mw, err := h.kind(groupModelWeights)
	if err != nil {
		return nil, err
	}
	switch {
	case hasAttr(root, attrModelConfig) || mw == kindGroup:
		return o.readLegacyTree(h, root, groupModelWeights)
	case hasAttr(root, attrLayerNames) || hasAttr(root, attrLayerNames+"0"):
		return o.readLegacyTree(h, root, "")
	}
	rc, err := h.children("")
	if err != nil {
		return nil, err
	}
	keras3 := false
	for _, g := range rc.groups {
		keras3 = keras3 || g == groupLayers || strings.HasPrefix(g, groupLayers+`\`)
		if g == groupTF213Layers {
			return nil, atObj(groupTF213Layers, unsupportedf("the tf_keras 2.13-2.15 weights layout"))
		}
	}
	if !keras3 {
		return nil, formatf("not a Keras HDF5 file: no model_config, layer_names or layers group")
	}
	wf := &WeightsFile{}
	w := &treeWalk{visited: map[uint64]bool{}}
	if wf.Keras3, err = o.readKeras3Object(h, "", "", 0, w); err != nil {
		return nil, err
	}
	return wf, unflatten(wf.Keras3)
}

// unflatten rebuilds the tree of a file written on Windows, whose root groups are flat paths
// ("layers\dense", "metrics\mean").
func unflatten(root *Keras3Object) error {
	var keep []*Keras3Object
	var flat []*Keras3Object
	for _, c := range root.Children {
		if strings.Contains(c.Key, `\`) {
			flat = append(flat, c)
		} else {
			keep = append(keep, c)
		}
	}
	root.Children = keep
	for _, c := range flat {
		parts := strings.Split(c.Key, `\`)
		parent := root
		for _, p := range parts[:len(parts)-1] {
			next := parent.Child(p)
			if next == nil {
				next = &Keras3Object{Key: p}
				parent.Children = append(parent.Children, next)
			}
			parent = next
		}
		last := parts[len(parts)-1]
		if last == "" || parent.Child(last) != nil {
			return atObj(c.Key, formatf("the group's path is taken twice"))
		}
		c.Key = last
		parent.Children = append(parent.Children, c)
	}
	var sortTree func(o *Keras3Object)
	sortTree = func(o *Keras3Object) {
		sort.SliceStable(o.Children, func(i, j int) bool { return naturalLess(o.Children[i].Key, o.Children[j].Key) })
		for _, c := range o.Children {
			sortTree(c)
		}
	}
	if len(flat) > 0 {
		sortTree(root)
	}
	return nil
}

// treeWalk bounds a walk of the Keras 3 object tree: objects counted, groups seen (Keras
// links each group once; a group reached twice would be read again and again).
type treeWalk struct {
	count   int
	visited map[uint64]bool
}

// readLegacyTree reads the legacy layout with its layer groups under wg ("" for the root).
func (o ReadOptions) readLegacyTree(h *h5file, root []string, wg string) (*WeightsFile, error) {
	wf := &WeightsFile{}
	var err error
	if wf.KerasVersion, err = optString(h, "", root, attrKerasVersion); err != nil {
		return nil, err
	}
	if wf.Backend, err = optString(h, "", root, attrBackend); err != nil {
		return nil, err
	}
	if hasAttr(root, attrModelConfig) {
		s, err := h.readString("", attrModelConfig)
		if err != nil {
			return nil, err
		}
		if !json.Valid([]byte(s)) {
			return nil, atObj(attrPath("", attrModelConfig), formatf("not valid JSON"))
		}
		wf.Config = json.RawMessage(s)
	}
	wattrs := root
	if wg != "" {
		if err := h.requireKind(wg, kindGroup); err != nil {
			return nil, err
		}
		if wattrs, err = h.attrNames(wg); err != nil {
			return nil, atObj(wg, err)
		}
		if wf.KerasVersion == "" {
			if wf.KerasVersion, err = optString(h, wg, wattrs, attrKerasVersion); err != nil {
				return nil, err
			}
		}
	}
	names, ok, err := h.readChunkedStrings(wg, attrLayerNames, wattrs)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, atObj(attrPath(wg, attrLayerNames), formatf("missing"))
	}
	if len(names) > maxObjects {
		return nil, atObj(attrPath(wg, attrLayerNames), formatf("more than %d layers", maxObjects))
	}
	seen := map[string]bool{}
	for _, ln := range names {
		if seen[ln] {
			return nil, atObj(attrPath(wg, attrLayerNames), formatf("layer %q listed twice", ln))
		}
		seen[ln] = true
		g, err := o.readLegacyGroup(h, joinPath(wg, ln))
		if err != nil {
			return nil, err
		}
		g.Name = ln
		wf.Legacy = append(wf.Legacy, g)
	}
	tp := joinPath(wg, groupTopLevel)
	if k, err := h.kind(tp); err != nil {
		return nil, atObj(tp, err)
	} else if k == kindGroup {
		g, err := o.readLegacyGroup(h, tp)
		if err != nil {
			return nil, err
		}
		if len(g.Weights) > 0 {
			return nil, atObj(tp, unsupportedf("the model's own variables (%d)", len(g.Weights)))
		}
	}
	return wf, nil
}

// readLegacyGroup reads one layer group: weight_names and the datasets they name.
func (o ReadOptions) readLegacyGroup(h *h5file, lp string) (LegacyGroup, error) {
	var g LegacyGroup
	if err := h.requireKind(lp, kindGroup); err != nil {
		return g, err
	}
	attrs, err := h.attrNames(lp)
	if err != nil {
		return g, atObj(lp, err)
	}
	wnames, ok, err := h.readChunkedStrings(lp, attrWeightNames, attrs)
	if err != nil {
		return g, err
	}
	if !ok {
		return g, atObj(attrPath(lp, attrWeightNames), formatf("missing"))
	}
	seen := map[string]bool{}
	for _, wn := range wnames {
		if seen[wn] {
			return g, atObj(attrPath(lp, attrWeightNames), formatf("weight %q listed twice", wn))
		}
		seen[wn] = true
		dp := joinPath(lp, wn)
		if err := h.requireKind(dp, kindDataset); err != nil {
			return g, err
		}
		t, err := h.readTensor(dp, o.MaxTensorBytes)
		if err != nil {
			return g, err
		}
		g.Weights = append(g.Weights, NamedTensor{Name: wn, Value: t})
	}
	return g, nil
}

// readKeras3Object reads the object at group p (key is its name in its parent).
func (o ReadOptions) readKeras3Object(h *h5file, p, key string, depth int, w *treeWalk) (*Keras3Object, error) {
	if depth > maxDepth {
		return nil, atObj(pathOrRoot(p), formatf("groups nested deeper than %d", maxDepth))
	}
	if a := h.objAddr(p); a != 0 {
		if w.visited[a] {
			return nil, atObj(pathOrRoot(p), unsupportedf("a group linked at two places"))
		}
		w.visited[a] = true
	}
	c, err := h.children(p)
	if err != nil {
		return nil, err
	}
	w.count += len(c.groups) + len(c.datasets)
	if w.count > maxObjects {
		return nil, formatf("more than %d objects", maxObjects)
	}
	if len(c.softs) > 0 {
		return nil, atObj(joinPath(p, c.softs[0]), unsupportedf("soft or external link"))
	}
	if len(c.datasets) > 0 {
		return nil, atObj(joinPath(p, c.datasets[0]), formatf("a dataset outside a vars group"))
	}
	obj := &Keras3Object{Key: key}
	var groups []string
	for _, g := range c.groups {
		if g != groupVars {
			groups = append(groups, g)
			continue
		}
		vp := joinPath(p, groupVars)
		obj.HasVars = true
		attrs, err := h.attrNames(vp)
		if err != nil {
			return nil, atObj(vp, err)
		}
		if obj.Name, err = optString(h, vp, attrs, attrName); err != nil {
			return nil, err
		}
		vc, err := h.children(vp)
		if err != nil {
			return nil, err
		}
		if len(vc.groups) > 0 || len(vc.others) > 0 {
			return nil, atObj(vp, formatf("a vars group holds more than datasets"))
		}
		if obj.Vars, err = o.readVars(h, vp); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(groups, func(i, j int) bool { return naturalLess(groups[i], groups[j]) })
	for _, g := range groups {
		co, err := o.readKeras3Object(h, joinPath(p, g), g, depth+1, w)
		if err != nil {
			return nil, err
		}
		obj.Children = append(obj.Children, co)
	}
	return obj, nil
}

// SaveLegacyWeights writes groups in tf_keras's save_weights("x.h5") layout: layer_names,
// backend and keras_version at the root, one group per layer with weight_names and the
// datasets they name, and an empty top_level_model_weights. kerasVersion "" writes
// tf_keras's 2.21.0.
func SaveLegacyWeights(path string, groups []LegacyGroup, kerasVersion string) error {
	if kerasVersion == "" {
		kerasVersion = defaultKeras2Version
	}
	return fileErr("save", path, atomicfile.Options{Sync: true}.Write(path, func(tmp string) error {
		return writeH5(tmp, func(h *h5file) error { return writeLegacyTree(h, groups, kerasVersion) })
	}))
}

func writeLegacyTree(h *h5file, groups []LegacyGroup, kv string) error {
	names := make([]string, len(groups))
	seen := map[string]bool{groupTopLevel: true}
	for i, g := range groups {
		if g.Name == "" || strings.Contains(g.Name, "/") || g.Name == "." || g.Name == ".." || seen[g.Name] {
			return formatf("bad or duplicate layer name %q", g.Name)
		}
		seen[g.Name] = true
		names[i] = g.Name
	}
	if err := h.writeNameList("/", attrLayerNames, names); err != nil {
		return err
	}
	if err := h.writeVlenAttr("/", attrBackend, []string{defaultBackend}, true, false); err != nil {
		return atObj(attrPath("", attrBackend), err)
	}
	if err := h.writeVlenAttr("/", attrKerasVersion, []string{kv}, true, false); err != nil {
		return atObj(attrPath("", attrKerasVersion), err)
	}
	gm := &groupMaker{h: h, made: map[string]bool{}}
	for _, g := range append(groups, LegacyGroup{Name: groupTopLevel}) {
		if err := gm.mk(g.Name); err != nil {
			return err
		}
		wn := make([]string, len(g.Weights))
		ws := map[string]bool{}
		for i, w := range g.Weights {
			if ws[w.Name] {
				return atObj(g.Name, formatf("duplicate weight name %q", w.Name))
			}
			ws[w.Name] = true
			wn[i] = w.Name
			if err := gm.dataset(g.Name, w.Name, w.Value); err != nil {
				return err
			}
		}
		if err := h.writeNameList(g.Name, attrWeightNames, wn); err != nil {
			return err
		}
	}
	return nil
}

// SaveKeras3Weights writes a Keras 3 .weights.h5 holding the object tree root (see
// Keras3Object): for each object with HasVars a vars group with its name (when not "") and
// its variables as datasets "0", "1", ...; children as subgroups by key.
func SaveKeras3Weights(path string, root *Keras3Object) error {
	if root == nil {
		return fileErr("save", path, formatf("no root object"))
	}
	return fileErr("save", path, atomicfile.Options{Sync: true}.Write(path, func(tmp string) error {
		return writeH5(tmp, func(h *h5file) error {
			gm := &groupMaker{h: h, made: map[string]bool{}}
			return emitKeras3Object(&treeSink{fileSink{h: h, gm: gm}}, "", root, 0)
		})
	}))
}

// treeSink is the fileSink of SaveKeras3Weights: it also makes the groups of objects
// without variables, so that the tree is written back as read.
type treeSink struct{ fileSink }

// group makes the group of an object; only the file sink makes groups without variables.
func (s *treeSink) group(p string) error { return s.gm.mk(p) }

// emitKeras3Object hands the object tree o at p to s, in Keras's order: the object's vars,
// then its children.
func emitKeras3Object(s k3sink, p string, o *Keras3Object, depth int) error {
	if depth > maxDepth {
		return atObj(pathOrRoot(p), formatf("objects nested deeper than %d", maxDepth))
	}
	if ts, ok := s.(*treeSink); ok {
		if err := ts.group(p); err != nil {
			return err
		}
	}
	if o.HasVars {
		vp := joinPath(p, groupVars)
		if err := s.vars(vp, o.Name); err != nil {
			return err
		}
		for i, v := range o.Vars {
			if err := s.set(vp, i, v); err != nil {
				return err
			}
		}
	} else if len(o.Vars) > 0 {
		return atObj(pathOrRoot(p), formatf("variables without a vars group"))
	}
	seen := map[string]bool{groupVars: true}
	for _, c := range o.Children {
		if c.Key == "" || strings.Contains(c.Key, "/") || seen[c.Key] {
			return atObj(pathOrRoot(p), formatf("bad or duplicate child key %q", c.Key))
		}
		seen[c.Key] = true
		if err := emitKeras3Object(s, joinPath(p, c.Key), c, depth+1); err != nil {
			return err
		}
	}
	return nil
}
