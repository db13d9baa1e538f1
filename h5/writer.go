package h5

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// WriteOptions set how a file is written. The zero value is what SaveModel does.
type WriteOptions struct {
	// NoSync skips flushing the temporary file and its folder to disk before and after the
	// rename: the replacement stays all-or-nothing for a killed process but not for a power
	// loss. tf_keras and h5py never sync; benchmarks use this to compare like with like.
	NoSync bool
}

// SaveModel writes a full model in the legacy HDF5 layout, as model.save("x.h5") does:
// tf_keras 2.x (m.Dialect == saved.Keras2; FORMATS.md §1) or Keras 3 (saved.Keras3; §2.5).
// The optimizer state is written when m.Optimizer is not nil. The file is written to a
// temporary name in the same directory, synced, and renamed into place.
func SaveModel(path string, m *saved.Model) error { return WriteOptions{}.SaveModel(path, m) }

// SaveModel is SaveModel with these options.
func (o WriteOptions) SaveModel(path string, m *saved.Model) error {
	if m == nil || m.Config == nil {
		return fileErr("save", path, formatf("SaveModel needs a model config (use SaveWeights for weights only)"))
	}
	return fileErr("save", path, nameErrno(atomicfile.Options{NoSync: o.NoSync}.Write(path, func(tmp string) error {
		return writeH5(tmp, func(h *h5file) error { return writeLegacy(h, m, true) })
	})))
}

// SaveWeights writes the model's weights in the tf_keras weights-only HDF5 layout, as
// save_weights("x.h5") does (FORMATS.md §1.7). Weight names follow m.Dialect.
func SaveWeights(path string, m *saved.Model) error {
	if m == nil {
		return fileErr("save", path, formatf("nil model"))
	}
	return fileErr("save", path, nameErrno(atomicfile.Options{}.Write(path, func(tmp string) error {
		return writeH5(tmp, func(h *h5file) error { return writeLegacy(h, m, false) })
	})))
}

// SaveWeightsKeras3 writes a Keras 3 .weights.h5 (FORMATS.md §2.2, §2.3), including the
// optimizer variables when m.Optimizer is not nil.
func SaveWeightsKeras3(path string, m *saved.Model) error {
	if m == nil {
		return fileErr("save", path, formatf("nil model"))
	}
	return fileErr("save", path, nameErrno(atomicfile.Options{}.Write(path, func(tmp string) error {
		return writeH5(tmp, func(h *h5file) error { return writeKeras3(h, m) })
	})))
}

// writeH5 creates an HDF5 file at path and runs fill on it under the library lock.
func writeH5(path string, fill func(h *h5file) error) error {
	defer lockLib()()
	h, err := createLib(path)
	if err != nil {
		return err
	}
	atomicfile.Step("fill " + filepath.Base(path))
	if err := fill(h); err != nil {
		h.close()
		return err
	}
	return h.close()
}

// groupMaker creates groups on demand, parents first.
type groupMaker struct {
	h    *h5file
	made map[string]bool
}

func (g *groupMaker) mk(path string) error {
	if path == "" || g.made[path] {
		return nil
	}
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		if err := g.mk(path[:i]); err != nil {
			return err
		}
	}
	if err := g.h.mkGroup(path); err != nil {
		return atObj(path, err)
	}
	g.made[path] = true
	return nil
}

// dataset writes t at group/name, where name may contain "/" (intermediate groups are
// created, as h5py does for "conv_1/kernel:0").
func (g *groupMaker) dataset(group, name string, t *tensor.Tensor) error {
	full := joinPath(group, name)
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "//") || strings.HasSuffix(name, "/") {
		return atObj(full, formatf("bad dataset name %q", name))
	}
	if t == nil {
		return atObj(full, formatf("nil tensor"))
	}
	parent := group
	base := name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		parent = joinPath(group, name[:i])
		base = name[i+1:]
	}
	if err := g.mk(parent); err != nil {
		return err
	}
	return atObj(full, g.h.writeDataset(parentOrRoot(parent), base, t))
}

func parentOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// splitForHeader splits names as Keras's save_attributes_to_hdf5_group does: NumPy
// fixed-width size = count × longest; split with np.array_split into 2, 3, ... chunks until
// every chunk fits headerLimit. It returns the chunks and the item size, or nil chunks when
// no split is needed.
func splitForHeader(names []string) ([][]string, int, error) {
	itemsize := 1
	for _, n := range names {
		if len(n) > headerLimit {
			return nil, 0, formatf("name of %d bytes exceeds the HDF5 header limit %d", len(n), headerLimit)
		}
		if len(n) > itemsize {
			itemsize = len(n)
		}
	}
	if len(names)*itemsize <= headerLimit {
		return nil, itemsize, nil
	}
	for k := 2; ; k++ {
		chunks := arraySplit(names, k)
		ok := true
		for _, c := range chunks {
			if len(c)*itemsize > headerLimit {
				ok = false
				break
			}
		}
		if ok {
			return chunks, itemsize, nil
		}
	}
}

// arraySplit is np.array_split for a list: the first len%k parts get one extra element.
func arraySplit(s []string, k int) [][]string {
	out := make([][]string, k)
	q, r := len(s)/k, len(s)%k
	off := 0
	for i := 0; i < k; i++ {
		n := q
		if i < r {
			n++
		}
		out[i] = s[off : off+n]
		off += n
	}
	return out
}

// writeNameList writes a string-list attribute as Keras does: vlen ASCII array, empty
// float64 array when empty, or fixed-length chunks name0, name1, ... when too large.
func (h *h5file) writeNameList(obj, name string, names []string) error {
	if len(names) == 0 {
		return atObj(attrPath(obj, name), h.writeEmptyAttr(obj, name))
	}
	chunks, itemsize, err := splitForHeader(names)
	if err != nil {
		return atObj(attrPath(obj, name), err)
	}
	if chunks == nil {
		return atObj(attrPath(obj, name), h.writeVlenAttr(obj, name, names, false, false))
	}
	for i, c := range chunks {
		flat := make([]byte, len(c)*itemsize)
		for j, s := range c {
			copy(flat[j*itemsize:], s)
		}
		an := name + strconv.Itoa(i)
		if err := h.writeFixedAttr(obj, an, flat, len(c), itemsize); err != nil {
			return atObj(attrPath(obj, an), err)
		}
	}
	return nil
}

// versions returns the keras_version and backend to write for m.
func versions(m *saved.Model) (string, string) {
	kv := m.KerasVersion
	if m.Dialect == saved.Keras3 && !strings.HasPrefix(kv, "3.") {
		kv = defaultKeras3Version
	}
	if m.Dialect == saved.Keras2 && !strings.HasPrefix(kv, "2.") {
		kv = defaultKeras2Version
	}
	be := m.Backend
	if be == "" {
		be = defaultBackend
	}
	return kv, be
}

// checkLayers validates layer and weight names before anything is written. With slashOK
// (the legacy layout of a tf_keras model), a layer name may hold "/" as tf_keras's own
// applications name layers ("conv1/conv" in DenseNet121): its group is nested, as h5py
// makes it. Keras 3 refuses such names, so its layouts do too.
func checkLayers(m *saved.Model, slashOK bool) error {
	seen := map[string]bool{}
	for _, l := range m.Layers {
		if strings.Contains(l.Name, "/") && !slashOK && validSlashName(l.Name) {
			return unsupportedf("layer name %q holds \"/\", which Keras 3 refuses (tf_keras's DenseNet names its layers so): save it as a tf_keras .h5 or a checkpoint", l.Name)
		}
		if l.Name == "" || (strings.Contains(l.Name, "/") && !validSlashName(l.Name)) || l.Name == "." || l.Name == ".." {
			return formatf("bad layer name %q", l.Name)
		}
		if seen[l.Name] {
			return formatf("duplicate layer name %q", l.Name)
		}
		seen[l.Name] = true
		ws := map[string]bool{}
		for _, w := range l.Weights {
			if _, _, sub := saved.SubLayerOf(l.Class, w.Name); w.Name == "" || (strings.Contains(w.Name, "/") && l.Children == nil && l.Subs == nil && !sub) {
				return formatf("layer %q: bad weight name %q", l.Name, w.Name)
			}
			if ws[w.Name] {
				return formatf("layer %q: duplicate weight %q", l.Name, w.Name)
			}
			ws[w.Name] = true
			if w.Value == nil {
				return formatf("layer %q: weight %q has no value", l.Name, w.Name)
			}
		}
	}
	return nil
}

// validSlashName reports whether every "/"-separated part of name is a usable group name.
func validSlashName(name string) bool {
	for _, p := range strings.Split(name, "/") {
		if p == "" || p == "." || p == ".." {
			return false
		}
	}
	return true
}

// scoped puts a class's weight scope before a variable's short name ("lstm_cell/kernel"),
// as tf_keras and Keras 3 name the variables of a layer's sub-object.
func scoped(class, weight string) string {
	if sc := saved.WeightScopeOf(class); sc != "" {
		return sc + "/" + weight
	}
	return weight
}

// legacyWeightName is a variable's name in weight_names: tf_keras "conv_1/kernel:0",
// Keras 3 "<model>/conv_1/kernel" (variable.path).
func legacyWeightName(m *saved.Model, model, layer, weight string) string {
	if m.Dialect == saved.Keras3 {
		if model != "" {
			return model + "/" + layer + "/" + weight
		}
		return layer + "/" + weight
	}
	return layer + "/" + weight + ":0"
}

// writeLegacy writes the tf_keras/Keras 3 legacy layout: the full model or weights only.
func writeLegacy(h *h5file, m *saved.Model, full bool) error {
	// tf_keras's own names may hold "/" (MobileNetV3's "Conv/BatchNorm", DenseNet's
	// "conv1/conv"); weights alone (no config) are keyed by name in this layout too.
	if err := checkLayers(m, m.Dialect == saved.Keras2 || len(m.Config) == 0); err != nil {
		return err
	}
	kv, be := versions(m)
	model := modelName(m.Config)
	gm := &groupMaker{h: h, made: map[string]bool{}}
	wg := ""
	if full {
		cfg := json.RawMessage(m.Config)
		if !json.Valid(cfg) {
			return formatf("model config is not valid JSON")
		}
		if m.Dialect == saved.Keras3 {
			var err error
			if cfg, err = keras3LegacyConfig(cfg); err != nil {
				return err
			}
		}
		if err := h.writeVlenAttr("/", attrKerasVersion, []string{kv}, true, true); err != nil {
			return atObj(attrPath("", attrKerasVersion), err)
		}
		if err := h.writeVlenAttr("/", attrBackend, []string{be}, true, true); err != nil {
			return atObj(attrPath("", attrBackend), err)
		}
		if err := h.writeVlenAttr("/", attrModelConfig, []string{string(cfg)}, true, false); err != nil {
			return atObj(attrPath("", attrModelConfig), err)
		}
		if m.TrainingConfig != nil {
			tc := json.RawMessage(m.TrainingConfig)
			if !json.Valid(tc) {
				return formatf("training config is not valid JSON")
			}
			if m.Dialect == saved.Keras3 {
				var err error
				if tc, err = compileToTraining(tc); err != nil {
					return err
				}
			}
			if err := h.writeVlenAttr("/", attrTrainingConfig, []string{string(tc)}, true, false); err != nil {
				return atObj(attrPath("", attrTrainingConfig), err)
			}
		}
		wg = groupModelWeights
		if err := gm.mk(wg); err != nil {
			return err
		}
	}
	obj := parentOrRoot(wg)
	names := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		names[i] = l.Name
	}
	if err := h.writeNameList(obj, attrLayerNames, names); err != nil {
		return err
	}
	if err := h.writeVlenAttr(obj, attrBackend, []string{be}, true, false); err != nil {
		return atObj(attrPath(wg, attrBackend), err)
	}
	if err := h.writeVlenAttr(obj, attrKerasVersion, []string{kv}, true, false); err != nil {
		return atObj(attrPath(wg, attrKerasVersion), err)
	}
	for _, l := range m.Layers {
		lp := joinPath(wg, l.Name)
		if err := gm.mk(lp); err != nil {
			return err
		}
		wn := make([]string, len(l.Weights))
		for i, w := range l.Weights {
			wn[i] = legacyWeightName(m, model, l.Name, scoped(l.Class, w.Name))
			if l.Children != nil { // a nested model: its weights are named by their layers
				wn[i] = nestedWeightName(m, model, l.Name, w.Name)
			}
			if err := gm.dataset(lp, wn[i], w.Value); err != nil {
				return err
			}
		}
		if err := h.writeNameList(lp, attrWeightNames, wn); err != nil {
			return err
		}
	}
	tp := joinPath(wg, groupTopLevel)
	if err := gm.mk(tp); err != nil {
		return err
	}
	if err := h.writeNameList(tp, attrWeightNames, nil); err != nil {
		return err
	}
	if full && m.Optimizer != nil {
		return writeLegacyOptimizer(h, gm, m, model)
	}
	return nil
}

// writeLegacyOptimizer writes optimizer_weights: tf_keras new-optimizer names and order
// (iteration:0, then Adam/m/<var>:0, Adam/v/<var>:0 interleaved) or Keras 3 names (adam/iteration,
// adam/learning_rate, adam/<model>_<layer>_<weight>_momentum, ...).
func writeLegacyOptimizer(h *h5file, gm *groupMaker, m *saved.Model, model string) error {
	o := m.Optimizer
	if len(o.Slots) == 0 && len(o.Variables) > 2 {
		return unsupportedf("optimizer %q: its slot variables were read by position only (a Keras 3 weights file without the model's config); load them into a model to save them in the legacy layout", o.Name)
	}
	slots, err := fileSlots(o, m, m.Dialect == saved.Keras2)
	if err != nil {
		return err
	}
	g := groupOptimizerWeights
	if err := gm.mk(g); err != nil {
		return err
	}
	on := optimizerName(o, m.Dialect)
	classOf := map[string]string{}
	for _, l := range m.Layers {
		classOf[l.Name] = l.Class
	}
	var names []string
	put := func(name string, t *tensor.Tensor) error {
		names = append(names, name)
		return gm.dataset(g, name, t)
	}
	if m.Dialect == saved.Keras3 {
		if err := put(on+"/iteration", tensor.Scalar(o.Iterations)); err != nil {
			return err
		}
		lr := o.LearningRate
		if lr == 0 {
			lr = learningRateFrom(o.Config)
		}
		if err := put(on+"/learning_rate", tensor.Scalar(lr)); err != nil {
			return err
		}
		for _, s := range slots {
			vp := strings.ReplaceAll(legacyWeightName(m, model, s.Layer, scoped(classOf[s.Layer], s.Weight)), "/", "_")
			if err := put(on+"/"+vp+"_"+s.Name, s.Value); err != nil {
				return err
			}
		}
	} else {
		if err := put("iteration:0", tensor.Scalar(o.Iterations)); err != nil {
			return err
		}
		for _, s := range slots {
			if err := put(fmt.Sprintf("%s/%s/%s/%s:0", on, keras2Slot(o.Class, s.Name), s.Layer, scoped(classOf[s.Layer], s.Weight)), s.Value); err != nil {
				return err
			}
		}
	}
	return h.writeNameList(g, attrWeightNames, names)
}

// k3sink receives the Keras 3 weights tree in the order Keras's saving_lib visits it: an
// object's vars group (with the object's name, "" for none) before its variables and before
// its children's.
type k3sink interface {
	vars(vp, name string) error
	set(vp string, i int, t *tensor.Tensor) error
}

// fileSink writes the tree into one HDF5 file.
type fileSink struct {
	h  *h5file
	gm *groupMaker
}

func (s *fileSink) vars(vp, name string) error {
	if err := s.gm.mk(vp); err != nil {
		return err
	}
	if name == "" {
		return nil
	}
	if err := s.h.writeVlenAttr(vp, attrName, []string{name}, true, true); err != nil {
		return atObj(attrPath(vp, attrName), err)
	}
	return nil
}

func (s *fileSink) set(vp string, i int, t *tensor.Tensor) error {
	return s.gm.dataset(vp, strconv.Itoa(i), t)
}

// writeKeras3 writes the Keras 3 weights tree (FORMATS.md §2.2).
func writeKeras3(h *h5file, m *saved.Model) error {
	gm := &groupMaker{h: h, made: map[string]bool{}}
	if err := gm.mk(groupLayers); err != nil {
		return err
	}
	return emitKeras3(&fileSink{h: h, gm: gm}, m)
}

// emitKeras3 hands the Keras 3 weights tree of m to s: the model's own vars group, the
// layers, the optimizer.
func emitKeras3(s k3sink, m *saved.Model) error {
	if err := checkLayers(m, false); err != nil {
		return err
	}
	if err := s.vars(groupVars, modelName(m.Config)); err != nil {
		return err
	}
	if err := writeKeras3Layers(s, groupLayers, m.Layers, 0); err != nil {
		return err
	}
	if o := m.Optimizer; o != nil {
		var vals []*tensor.Tensor
		if len(o.Slots) == 0 && o.Variables != nil {
			// Read from a Keras 3 file without knowing the layout: written back as read.
			vals = o.Variables
		} else {
			slots, err := fileSlots(o, m, false)
			if err != nil {
				return err
			}
			lr := o.LearningRate
			if lr == 0 {
				lr = learningRateFrom(o.Config)
			}
			vals = []*tensor.Tensor{tensor.Scalar(o.Iterations), tensor.Scalar(lr)}
			for _, s := range slots {
				vals = append(vals, s.Value)
			}
		}
		vp := joinPath(groupOptimizer, groupVars)
		if err := s.vars(vp, optimizerName(o, saved.Keras3)); err != nil {
			return err
		}
		for i, v := range vals {
			if err := s.set(vp, i, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeKeras3Layers writes the vars of layers under top (layers/<path>/vars; a nested
// model's layers under layers/<path>/layers/...).
func writeKeras3Layers(s k3sink, top string, ls []saved.Layer, depth int) error {
	classes := make([]string, len(ls))
	for i, l := range ls {
		switch {
		case l.Class != "":
			classes[i] = l.Class
		case l.Path != "":
			// A layer read from a weights file without config whose class nobody registered:
			// its path's base name stands for the class (snake case is idempotent).
			classes[i] = stripNumSuffix(l.Path)
		default:
			return formatf("layer %q has no class (Keras 3 paths come from class names)", l.Name)
		}
	}
	for i, p := range keras3Paths(classes) {
		l := ls[i]
		vp := joinPath(top, p, groupVars)
		if err := s.vars(vp, l.Name); err != nil {
			return err
		}
		if l.Children != nil {
			if depth >= maxNesting {
				return unsupportedf("models nested more than %d deep", maxNesting)
			}
			// The weights are the children's.
			if err := writeKeras3Layers(s, joinPath(top, p, groupLayers), l.Children, depth+1); err != nil {
				return err
			}
			continue
		}
		if l.Subs != nil {
			if err := writeKeras3Subs(s, joinPath(top, p), l); err != nil {
				return err
			}
			continue
		}
		if obj := saved.WeightObjectOf(l.Class); obj != "" && l.Children == nil {
			// The variables belong to a sub-object (an RNN's cell), named by the class's
			// scope.
			vp = joinPath(top, p, obj, groupVars)
			if err := s.vars(vp, saved.WeightScopeOf(l.Class)); err != nil {
				return err
			}
		}
		if saved.SubLayersOf(l.Class) != nil {
			if err := writeKeras3SubLayers(s, joinPath(top, p), l); err != nil {
				return err
			}
			continue
		}
		for j, w := range l.Weights {
			if err := s.set(vp, j, w.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeKeras3Subs writes the variables of a layer whose variables belong to tracked
// sub-objects (a wrapper's inner layers, saved.SubObject): each object on a sub-object's path
// gets a vars group named as Keras 3 names it, the last one holds the variables.
func writeKeras3Subs(s k3sink, lp string, l saved.Layer) error {
	if err := saved.CheckSubs(&l); err != nil {
		return formatf("layer %q: %v", l.Name, err)
	}
	done := map[string]bool{}
	for i, so := range l.Subs {
		g := lp
		var vp string
		path, names := so.Keras3Groups()
		for k, step := range path {
			g = joinPath(g, step)
			vp = joinPath(g, groupVars)
			if (names[k] == "" && k < len(path)-1) || done[vp] {
				continue // a group without variables (StackedRNNCells' cells list), or written
			}
			done[vp] = true
			if err := s.vars(vp, names[k]); err != nil {
				return err
			}
		}
		lo, hi := l.SubRange(i)
		for j, w := range l.Weights[lo:hi] {
			if err := s.set(vp, j, w.Value); err != nil {
				return err
			}
		}
	}
	return nil
}
