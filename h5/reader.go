package h5

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// ReadOptions holds limits for reading. The zero value uses safe defaults.
type ReadOptions struct {
	// MaxTensorBytes bounds one dataset's payload; 0 means tensor.DefaultMaxBytes.
	MaxTensorBytes int64
	// MaxTotalBytes bounds the bytes of all tensors one Load, List or Audit reads (and that
	// the file's datasets declare together); 0 means DefaultMaxTotalBytes. Independently of
	// it, no file is read for more tensor bytes than its size allows (see bounds.go).
	MaxTotalBytes int64
	// MaxWeightsMember bounds model.weights.h5 inside a .keras zip. A stored member (as
	// Keras writes it) is read in place; a compressed one is extracted to a temporary file
	// (which no other process sees), and 0 bounds it by the tensor limit MaxTotalBytes plus
	// an eighth and 64 MiB for HDF5's own structures.
	MaxWeightsMember int64
	// MaxConfigBytes bounds a model or training config (the model_config and
	// training_config attributes, config.json), checked before the config is decoded; 0
	// means DefaultMaxConfigBytes.
	MaxConfigBytes int64
}

// DefaultMaxConfigBytes is the default bound on the size of a config read from a file (the
// default of model.LoadOptions.MaxConfigBytes too).
const DefaultMaxConfigBytes = 64 << 20

func (o ReadOptions) maxConfig() int64 {
	if o.MaxConfigBytes <= 0 {
		return DefaultMaxConfigBytes
	}
	return o.MaxConfigBytes
}

func (o ReadOptions) maxWeightsMember() int64 {
	if o.MaxWeightsMember > 0 {
		return o.MaxWeightsMember
	}
	return o.maxTotal() + o.maxTotal()/8 + 64<<20
}

// Var is one dataset of an HDF5 file, as List reports it.
type Var struct {
	Path  string       // "model_weights/conv_1/conv_1/kernel:0"
	DType tensor.DType // tensor.Invalid when no tensor dtype fits (see Type)
	Type  string       // NumPy-style name: "float32", "int64", "string", "compound", ...
	Shape []int        // nil for a scalar
}

// Load reads any Keras HDF5 file: a tf_keras or Keras 1/2 full model (model.save("x.h5")),
// a Keras 3 legacy .h5, a tf_keras weights-only file (save_weights("x.h5")) or a Keras 3
// .weights.h5. A file that is a zip is read as a .keras archive, and a directory holding
// config.json as an unzipped Keras 3 model (LoadKeras). The files of Keras 3 sharded weights
// (a .weights.json manifest, or a shard beside its manifest) fail with ErrUnsupported.
func Load(path string) (*saved.Model, error) { return ReadOptions{}.Load(path) }

// List returns every dataset of an HDF5 file (or of the model.weights.h5 inside a .keras
// zip) with its path, dtype and shape, independent of any Keras layout.
func List(path string) ([]Var, error) { return ReadOptions{}.List(path) }

// Load is Load with options.
func (o ReadOptions) Load(path string) (*saved.Model, error) {
	if IsShardManifest(path) {
		var m *saved.Model
		err := o.withShards(path, func(h *h5file, _ int) (err error) {
			m, err = o.readModel(h, nil)
			return err
		})
		return m, fileErr("load", path, err)
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
		return o.LoadKeras(path)
	case "hdf5":
	default:
		return nil, fileErr("load", path, formatf("not an HDF5 file (no HDF5 signature)"))
	}
	defer lockLib()()
	h, err := openChecked(path)
	if err != nil {
		return nil, fileErr("load", path, err)
	}
	defer h.close()
	m, err := o.readModel(h, nil)
	return m, fileErr("load", path, err)
}

// List is List with options.
func (o ReadOptions) List(path string) ([]Var, error) {
	if IsShardManifest(path) {
		var vars []Var
		err := o.withShards(path, func(h *h5file, _ int) (err error) {
			vars, err = h.listVars()
			return err
		})
		return vars, fileErr("list", path, err)
	}
	kind, err := sourceKind(path)
	if err != nil {
		return nil, fileErr("list", path, err)
	}
	if kind != "hdf5" && kind != "zip" && kind != "kerasdir" {
		if err := checkSharded(path); err != nil {
			return nil, fileErr("list", path, err)
		}
	}
	if kind == "zip" || kind == "kerasdir" {
		var vars []Var
		err := o.withKerasWeights(path, func(open weightsOpener, _ *kerasArchive) error {
			defer lockLib()()
			h, err := open()
			if err != nil {
				return atObj(memberWeights, err)
			}
			defer h.close()
			if vars, err = h.listVars(); err != nil {
				return atObj(memberWeights, err)
			}
			return nil
		})
		return vars, fileErr("list", path, err)
	}
	defer lockLib()()
	h, err := openChecked(path)
	if err != nil {
		return nil, fileErr("list", path, err)
	}
	defer h.close()
	out, err := h.listVars()
	if err != nil {
		return nil, fileErr("list", path, err)
	}
	return out, nil
}

// listVars lists every dataset of an open file, sorted by path.
func (h *h5file) listVars() ([]Var, error) {
	var out []Var
	count := 0
	visited := map[uint64]bool{}
	var walk func(p string, depth int) error
	walk = func(p string, depth int) error {
		if depth > maxDepth {
			return atObj(p, formatf("groups nested deeper than %d", maxDepth))
		}
		if a := h.objAddr(p); a != 0 {
			if visited[a] {
				return nil // a hard link back to a group already listed
			}
			visited[a] = true
		}
		c, err := h.children(p)
		if err != nil {
			return err
		}
		count += len(c.groups) + len(c.datasets)
		if count > maxObjects {
			return formatf("more than %d objects", maxObjects)
		}
		for _, d := range c.datasets {
			dp := joinPath(p, d)
			ti, bf16, err := h.datasetInfoBF16(dp)
			if err != nil {
				return atObj(dp, err)
			}
			dt, desc := dtypeOf(ti, bf16)
			v := Var{Path: dp, DType: dt, Type: desc}
			if ti.space != 2 {
				v.Shape, err = ti.shape()
				if err != nil {
					return atObj(dp, err)
				}
				if len(v.Shape) == 0 {
					v.Shape = nil
				}
			}
			out = append(out, v)
		}
		for _, g := range c.groups {
			if err := walk(joinPath(p, g), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("", 0); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// readModel reads an open file in whichever Keras layout it holds. ka is the surrounding
// .keras archive when the file is its model.weights.h5.
func (o ReadOptions) readModel(h *h5file, ka *kerasArchive) (*saved.Model, error) {
	if h.read == nil {
		h.read = map[string]bool{}
	}
	o.startRead(h)
	vars, err := h.listVars()
	if err != nil {
		return nil, err
	}
	if err := h.checkDeclared(vars, o.MaxTensorBytes); err != nil {
		return nil, err
	}
	root, err := h.attrNames("")
	if err != nil {
		return nil, err
	}
	if ka != nil {
		return o.readKeras3(h, ka)
	}
	mw, err := h.kind(groupModelWeights)
	if err != nil {
		return nil, err
	}
	switch {
	case hasAttr(root, attrModelConfig) || mw == kindGroup:
		return o.readLegacy(h, root, true)
	case hasAttr(root, attrLayerNames) || hasAttr(root, attrLayerNames+"0"):
		return o.readLegacy(h, root, false)
	}
	c, err := h.children("")
	if err != nil {
		return nil, err
	}
	for _, g := range c.groups {
		if g == groupLayers || g == groupVars || g == groupOptimizer || g == groupTF213Layers || strings.HasPrefix(g, groupLayers+`\`) {
			return o.readKeras3(h, nil)
		}
	}
	return nil, formatf("not a Keras HDF5 file: no model_config, layer_names or layers group")
}

var reVarSuffix = regexp.MustCompile(`:\d+$`)

// shortWeightName derives the short weight name ("kernel") from a weight_names entry:
// "conv_1/kernel:0" (tf_keras), "seq/conv_1/kernel" (Keras 3), "convolution2d_1_W:0" (Keras 1).
func shortWeightName(layer, full string) string {
	s := reVarSuffix.ReplaceAllString(full, "")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	if strings.HasPrefix(s, layer+"_") && len(s) > len(layer)+1 {
		return s[len(layer)+1:]
	}
	return s
}

// nonTrainableNames are weights Keras creates non-trainable.
var nonTrainableNames = map[string]bool{
	"moving_mean": true, "moving_variance": true, "running_mean": true, "running_std": true,
	"running_variance": true, "seed_generator_state": true,
}

// readLegacy reads the tf_keras / Keras 1-3 legacy layout (FORMATS.md §1, §2.5): the full
// model when full, otherwise weights only at the root.
func (o ReadOptions) readLegacy(h *h5file, root []string, full bool) (*saved.Model, error) {
	m := &saved.Model{}
	var err error
	wg := ""
	if full {
		wg = groupModelWeights
		if err := h.requireKind(wg, kindGroup); err != nil {
			return nil, err
		}
	}
	wattrs := root
	if wg != "" {
		if wattrs, err = h.attrNames(wg); err != nil {
			return nil, atObj(wg, err)
		}
	}
	if m.KerasVersion, err = optString(h, "", root, attrKerasVersion); err != nil {
		return nil, err
	}
	if m.KerasVersion == "" && wg != "" {
		if m.KerasVersion, err = optString(h, wg, wattrs, attrKerasVersion); err != nil {
			return nil, err
		}
	}
	if m.Backend, err = optString(h, "", root, attrBackend); err != nil {
		return nil, err
	}
	if m.Backend == "" && wg != "" {
		if m.Backend, err = optString(h, wg, wattrs, attrBackend); err != nil {
			return nil, err
		}
	}
	if strings.HasPrefix(m.KerasVersion, "3.") {
		m.Dialect = saved.Keras3
	}
	classes := map[string]layerInfo{}
	if hasAttr(root, attrModelConfig) {
		s, err := h.readStringMax("", attrModelConfig, o.maxConfig())
		if err != nil {
			return nil, err
		}
		if !json.Valid([]byte(s)) {
			return nil, atObj(attrPath("", attrModelConfig), formatf("not valid JSON"))
		}
		m.Config = json.RawMessage(s)
		_, ls, err := modelLayers(m.Config)
		if err != nil {
			return nil, atObj(attrPath("", attrModelConfig), err)
		}
		for _, l := range ls {
			classes[l.Name] = l
		}
	}
	names, ok, err := h.readChunkedStrings(wg, attrLayerNames, wattrs)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, atObj(attrPath(wg, attrLayerNames), formatf("missing"))
	}
	var refs []varRef
	for _, ln := range names {
		lp := joinPath(wg, ln)
		if err := h.requireKind(lp, kindGroup); err != nil {
			return nil, err
		}
		layer, lrefs, err := o.readLegacyLayer(h, lp, ln, classes[ln])
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, layer)
		refs = append(refs, lrefs...)
	}
	// tf_keras ≥2.11 writes top_level_model_weights; it is empty for Sequential and Functional.
	tp := joinPath(wg, groupTopLevel)
	if k, err := h.kind(tp); err != nil {
		return nil, atObj(tp, err)
	} else if k == kindGroup {
		layer, lrefs, err := o.readLegacyLayer(h, tp, groupTopLevel, layerInfo{Trainable: true})
		if err != nil {
			return nil, err
		}
		if len(layer.Weights) > 0 {
			m.Layers = append(m.Layers, layer)
			refs = append(refs, lrefs...)
		}
	}
	if !full {
		return m, nil
	}
	if hasAttr(root, attrTrainingConfig) {
		s, err := h.readStringMax("", attrTrainingConfig, o.maxConfig())
		if err != nil {
			return nil, err
		}
		if !json.Valid([]byte(s)) {
			return nil, atObj(attrPath("", attrTrainingConfig), formatf("not valid JSON"))
		}
		m.TrainingConfig = json.RawMessage(s)
	}
	var oc *optimizerConfig
	if m.TrainingConfig != nil {
		if oc, err = optimizerFromTraining(m.TrainingConfig); err != nil {
			return nil, atObj(attrPath("", attrTrainingConfig), err)
		}
		if m.Dialect == saved.Keras3 {
			cc, err := trainingToCompile(m.TrainingConfig)
			if err != nil {
				return nil, atObj(attrPath("", attrTrainingConfig), err)
			}
			m.TrainingConfig = cc
		}
	}
	if k, err := h.kind(groupOptimizerWeights); err != nil {
		return nil, atObj(groupOptimizerWeights, err)
	} else if k == kindGroup {
		if m.Optimizer, err = o.readLegacyOptimizer(h, m, refs, oc); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// optString reads an optional string attribute ("" when absent).
func optString(h *h5file, obj string, attrs []string, name string) (string, error) {
	if !hasAttr(attrs, name) {
		return "", nil
	}
	return h.readString(obj, name)
}

// readLegacyLayer reads one layer group: weight_names and the datasets they name.
func (o ReadOptions) readLegacyLayer(h *h5file, lp, name string, info layerInfo) (saved.Layer, []varRef, error) {
	layer := saved.Layer{Name: name, Class: info.Class}
	attrs, err := h.attrNames(lp)
	if err != nil {
		return layer, nil, atObj(lp, err)
	}
	wnames, ok, err := h.readChunkedStrings(lp, attrWeightNames, attrs)
	if err != nil {
		return layer, nil, err
	}
	if !ok {
		return layer, nil, atObj(attrPath(lp, attrWeightNames), formatf("missing"))
	}
	trainableLayer := info.Trainable || info.Class == ""
	sub := nestedLayers(info)
	subClass := map[string]string{}
	for _, c := range allNested(sub, 0) {
		subClass[c.Name] = c.Class
	}
	var refs []varRef
	seen := map[string]bool{}
	for _, wn := range wnames {
		dp := joinPath(lp, wn)
		if err := h.requireKind(dp, kindDataset); err != nil {
			return layer, nil, err
		}
		t, err := h.readTensor(dp, o.MaxTensorBytes)
		if err != nil {
			return layer, nil, err
		}
		if sub != nil {
			// A nested model: its weights are named by their own layers ("inner_dense_1/kernel",
			// Keras 3: "outer/inner/inner_dense_1/kernel").
			full := reVarSuffix.ReplaceAllString(wn, "")
			parts := strings.Split(full, "/")
			owner, short := "", parts[len(parts)-1]
			if len(parts) > 1 {
				owner = parts[len(parts)-2]
			}
			tr := trainableLayer && !nonTrainable(subClass[owner], short)
			layer.Weights = append(layer.Weights, saved.Variable{Name: owner + "/" + short, Trainable: tr, Value: t})
			refs = append(refs, varRef{layer: owner, weight: short, value: t, key: full, trainable: tr})
			continue
		}
		short := shortWeightName(name, wn)
		if saved.SubLayersOf(info.Class) != nil {
			// Variables of sub-layers keep the sub-layer's name ("query/kernel").
			short = strings.TrimPrefix(reVarSuffix.ReplaceAllString(wn, ""), name+"/")
		}
		if seen[short] {
			short = reVarSuffix.ReplaceAllString(wn, "")
		}
		seen[short] = true
		layer.Weights = append(layer.Weights, saved.Variable{
			Name: short, Trainable: trainableLayer && !nonTrainableNames[short], Value: t})
		refs = append(refs, varRef{layer: name, weight: short, value: t, key: reVarSuffix.ReplaceAllString(wn, ""),
			trainable: trainableLayer && !nonTrainableNames[short]})
	}
	return layer, refs, nil
}

// readLegacyOptimizer reads optimizer_weights (FORMATS.md §1.5): tf_keras ≤2.10
// optimizer_v2 (iter, all m, all v), tf_keras 2.11+ (iteration, m/v interleaved) and
// Keras 3 (iteration, learning_rate, momentum/velocity interleaved).
func (o ReadOptions) readLegacyOptimizer(h *h5file, m *saved.Model, refs []varRef, oc *optimizerConfig) (*saved.Optimizer, error) {
	g := groupOptimizerWeights
	attrs, err := h.attrNames(g)
	if err != nil {
		return nil, atObj(g, err)
	}
	names, ok, err := h.readChunkedStrings(g, attrWeightNames, attrs)
	if err != nil {
		return nil, err
	}
	if !ok || len(names) == 0 {
		return nil, nil
	}
	if oc != nil && oc.LossScale != "" {
		// Keras 3's LossScaleOptimizer's own variables ("loss_scale_optimizer/iteration",
		// learning_rate, step_counter, dynamic_scale) are skipped; the inner optimizer's
		// ("adam/iteration", ..., slots under "loss_scale_optimizer/adam/") are kept.
		kept := names[:0:0]
		for _, n := range names {
			rest, ok := strings.CutPrefix(n, oc.LossScale+"/")
			if !ok || strings.Contains(rest, "/") {
				kept = append(kept, n)
			}
		}
		names = kept
	}
	vals := make([]*tensor.Tensor, len(names))
	for i, n := range names {
		dp := joinPath(g, n)
		if err := h.requireKind(dp, kindDataset); err != nil {
			return nil, err
		}
		if vals[i], err = h.readTensor(dp, o.MaxTensorBytes); err != nil {
			return nil, err
		}
	}
	opt := &saved.Optimizer{}
	if oc != nil {
		opt.Class, opt.Config = oc.Class, oc.Config
	} else if i := strings.IndexByte(names[len(names)-1], '/'); i > 0 {
		opt.Class = optimizerClassFromName(names[len(names)-1][:i])
	}
	opt.LearningRate = learningRateFrom(opt.Config)
	last := func(s string) string {
		s = reVarSuffix.ReplaceAllString(s, "")
		if i := strings.LastIndexByte(s, '/'); i >= 0 {
			return s[i+1:]
		}
		return s
	}
	first := last(names[0])
	iterOK := false
	switch {
	case m.Dialect == saved.Keras3 && first == "iteration":
		opt.Iterations, iterOK = scalarInt(vals[0])
		slotsAt := 1
		if len(names) > 1 && last(names[1]) == "learning_rate" {
			lr, ok := scalarFloat(vals[1])
			if !ok {
				return nil, atObj(joinPath(g, names[1]), formatf("learning_rate is not a float scalar"))
			}
			opt.LearningRate = lr
			slotsAt = 2
		}
		if err := o.positional(opt, refs, vals[slotsAt:], names[slotsAt:], false); err != nil {
			return nil, atObj(g, err)
		}
	case first == "iteration" || first == "iter":
		opt.Iterations, iterOK = scalarInt(vals[0])
		if err := o.byName(m, opt, refs, vals[1:], names[1:], first == "iteration"); err != nil {
			return nil, atObj(g, err)
		}
	case unnamedVariables(names):
		// Keras 1.x–2.0.x (Theano-era optimizers on TF): every variable carries TF's default
		// name ("Variable_3:0"), in the optimizer's own order: an iterations scalar when the
		// optimizer had one, then the slots of each kind over the trainable variables.
		// tf_keras assigns them by position, with iterations 0 where the file has none.
		slots, slotNames := vals, names
		ntrain := 0
		for _, r := range refs {
			if r.trainable {
				ntrain++
			}
		}
		if ntrain > 0 && len(vals)%ntrain == 1 && len(vals[0].Shape) <= 1 && vals[0].Len() == 1 {
			opt.Iterations, iterOK = scalarInt(vals[0])
			slots, slotNames = vals[1:], names[1:]
		} else {
			iterOK = true
		}
		if err := o.positional(opt, refs, slots, slotNames, true); err != nil {
			return nil, atObj(g, err)
		}
	default:
		return nil, atObj(attrPath(g, attrWeightNames), unsupportedf("optimizer_weights layout starting with %q (Keras %s)", names[0], m.KerasVersion))
	}
	if !iterOK {
		return nil, atObj(joinPath(g, names[0]), formatf("iteration counter is not a scalar"))
	}
	return opt, nil
}

// unnamedVariables reports whether every optimizer variable name is TF's default
// "Variable:0" or "Variable_N:0" (Keras 1.x and 2.0.x optimizers named none of them).
func unnamedVariables(names []string) bool {
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, "Variable")
		if !ok {
			return false
		}
		rest, ok = strings.CutSuffix(rest, ":0")
		if !ok {
			return false
		}
		if rest != "" {
			num, ok := strings.CutPrefix(rest, "_")
			if !ok || num == "" || strings.Trim(num, "0123456789") != "" {
				return false
			}
		}
	}
	return true
}

// positional fills opt.Slots from slot tensors in file order, using the optimizer's layout
// over the model's trainable variables.
func (o ReadOptions) positional(opt *saved.Optimizer, refs []varRef, vals []*tensor.Tensor, names []string, keras2 bool) error {
	if len(vals) == 0 {
		return nil
	}
	var train []varRef
	for _, r := range refs {
		if r.trainable {
			train = append(train, r)
		}
	}
	layout, ok := layoutForCount(opt.Class, opt.Config, len(vals), len(train), keras2)
	if !ok {
		return unsupportedf("slot layout of optimizer %q (%d slot variables, %d trainable variables)", opt.Class, len(vals), len(train))
	}
	s, err := positionalSlots(opt.Class, layout, train, vals, names)
	if err != nil {
		return err
	}
	opt.Slots = s
	return nil
}

// byName fills opt.Slots from tf_keras slot names: "Adam/m/conv_1/kernel:0" (new, 2.11+)
// or "Adam/conv_1/kernel/m:0" (optimizer_v2). Variables with slots become the trainable
// ones.
func (o ReadOptions) byName(m *saved.Model, opt *saved.Optimizer, refs []varRef, vals []*tensor.Tensor, names []string, newStyle bool) error {
	if len(vals) == 0 {
		return nil
	}
	byKey := map[string]int{}
	for i, r := range refs {
		byKey[r.key] = i
	}
	type got struct {
		order []string
		vals  map[string]*tensor.Tensor
	}
	slots := map[int]*got{}
	for i, n := range names {
		s := reVarSuffix.ReplaceAllString(n, "")
		parts := strings.Split(s, "/")
		if len(parts) < 3 {
			return atObj(n, unsupportedf("optimizer slot name"))
		}
		var slot, key string
		if newStyle {
			slot, key = parts[1], strings.Join(parts[2:], "/")
		} else {
			slot, key = parts[len(parts)-1], strings.Join(parts[1:len(parts)-1], "/")
		}
		ri, ok := byKey[key]
		if !ok {
			return atObj(n, formatf("slot for unknown variable %q", key))
		}
		if !tensor.SameShape(vals[i].Shape, refs[ri].value.Shape) {
			return atObj(n, formatf("slot shape %v does not match variable shape %v", vals[i].Shape, refs[ri].value.Shape))
		}
		k3 := keras3Slot(opt.Class, slot)
		gs := slots[ri]
		if gs == nil {
			gs = &got{vals: map[string]*tensor.Tensor{}}
			slots[ri] = gs
		}
		if _, dup := gs.vals[k3]; dup {
			return atObj(n, formatf("duplicate slot"))
		}
		gs.order = append(gs.order, k3)
		gs.vals[k3] = vals[i]
	}
	layout, known := layoutFor(opt.Class, opt.Config, true)
	for ri, r := range refs {
		gs := slots[ri]
		r.trainable = gs != nil
		setTrainable(m, r.layer, r.weight, gs != nil)
		if gs == nil {
			continue
		}
		order := gs.order
		if known {
			order = layout.names()
			if len(order) != len(gs.order) {
				return formatf("variable %s has %d slots, %s wants %d", r.key, len(gs.order), opt.Class, len(order))
			}
		}
		for _, name := range order {
			v, ok := gs.vals[name]
			if !ok {
				return formatf("variable %s has no %q slot", r.key, name)
			}
			opt.Slots = append(opt.Slots, saved.Slot{Layer: r.layer, Weight: r.weight, Name: name, Value: v})
		}
	}
	return nil
}

func setTrainable(m *saved.Model, layer, weight string, tr bool) {
	for i := range m.Layers {
		if m.Layers[i].Name != layer {
			continue
		}
		for j := range m.Layers[i].Weights {
			if m.Layers[i].Weights[j].Name == weight {
				m.Layers[i].Weights[j].Trainable = tr
			}
		}
	}
}

// weightNamesFor names the variables of a Keras 3 layer, which Keras 3 weight files store
// only by index, from the facts its implementation registered with package saved (the
// layer's class and config decide). A class nobody registered (a program without package
// layers, or a class kerasgo does not implement) keeps the file's names: "0", "1", ...
func weightNamesFor(class string, cfg map[string]any, n int) []string {
	if f, ok := saved.Facts(class); ok && f.WeightNames != nil {
		if names := f.WeightNames(cfg, n); len(names) == n {
			return names
		}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

// nonTrainable reports whether Keras creates the variable name of a class non-trainable.
func nonTrainable(class, name string) bool {
	if f, ok := saved.Facts(class); ok && slices.Contains(f.NonTrainable, name) {
		return true
	}
	return nonTrainableNames[name]
}

// classForPath returns the class of a Keras 3 weight-file layer path ("max_pooling2d_1")
// from the registered class facts, "" when no registered class has the path's base name.
func classForPath(p string) string {
	if f, ok := saved.ClassFor(stripNumSuffix(p)); ok {
		return f.Class
	}
	return ""
}

// naturalLess orders "dense" < "dense_1" < "dense_2" < "dense_10".
func naturalLess(a, b string) bool {
	ab, an := splitSuffix(a)
	bb, bn := splitSuffix(b)
	if ab != bb {
		return a < b
	}
	return an < bn
}

func splitSuffix(s string) (string, int) {
	if i := strings.LastIndexByte(s, '_'); i >= 0 {
		if n, err := strconv.Atoi(s[i+1:]); err == nil && n >= 0 {
			return s[:i], n
		}
	}
	return s, 0
}

// readVars reads a Keras 3 vars group: datasets "0", "1", ... in index order.
func (o ReadOptions) readVars(h *h5file, vp string) ([]*tensor.Tensor, error) {
	c, err := h.children(vp)
	if err != nil {
		return nil, err
	}
	if len(c.softs) > 0 {
		return nil, atObj(joinPath(vp, c.softs[0]), unsupportedf("soft or external link"))
	}
	out := make([]*tensor.Tensor, len(c.datasets))
	for _, d := range c.datasets {
		i, err := strconv.Atoi(d)
		if err != nil || i < 0 || i >= len(out) || out[i] != nil || strconv.Itoa(i) != d {
			return nil, atObj(joinPath(vp, d), formatf("variables must be named 0..%d", len(out)-1))
		}
		if out[i], err = h.readTensor(joinPath(vp, d), o.MaxTensorBytes); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// findVars locates a layer's vars group: layers/<p>/vars, the tf_keras 2.13
// _layer_checkpoint_dependencies/<p>/vars, or the flat "layers\<p>" groups written on Windows.
func findVars(h *h5file, p string) (string, error) {
	for _, cand := range []string{
		joinPath(groupLayers, p, groupVars),
		joinPath(groupTF213Layers, p, groupVars),
		groupLayers + `\` + p + "/" + groupVars,
	} {
		k, err := h.kind(cand)
		if err != nil {
			return "", atObj(cand, err)
		}
		if k == kindGroup {
			return cand, nil
		}
		if k == kindSoftLink || k == kindExternalLink {
			return "", atObj(cand, unsupportedf("link"))
		}
	}
	return "", nil
}

// readKeras3 reads the Keras 3 weights layout (FORMATS.md §2.2, §2.3): standalone, or the
// model.weights.h5 of a .keras archive ka (whose config gives layer classes and order).
func (o ReadOptions) readKeras3(h *h5file, ka *kerasArchive) (*saved.Model, error) {
	m := &saved.Model{Dialect: saved.Keras3}
	var infos []layerInfo
	haveList := false
	var oc *optimizerConfig
	if ka != nil {
		m.Config, m.TrainingConfig, m.KerasVersion = ka.config, ka.compile, ka.version
		if strings.HasPrefix(ka.version, "2.") {
			m.Dialect = saved.Keras2
		}
		m.Backend = defaultBackend
		class, ls, err := modelLayers(ka.config)
		if err != nil {
			return nil, err
		}
		if ls != nil {
			haveList = true
			for _, l := range ls {
				if class == "Sequential" && l.Class == saved.InputLayerClass {
					continue
				}
				infos = append(infos, l)
			}
		}
		if ka.compile != nil {
			if oc, err = optimizerFromCompile(ka.compile); err != nil {
				return nil, err
			}
			if m.Dialect == saved.Keras2 {
				if m.TrainingConfig, err = compileToTraining(ka.compile); err != nil {
					return nil, err
				}
			}
		}
	}
	var refs []varRef
	noList := false
	addLayer := func(info layerInfo, vals []*tensor.Tensor) {
		names := weightNamesFor(info.Class, info.Config, len(vals))
		l := saved.Layer{Name: info.Name, Class: info.Class}
		for i, v := range vals {
			tr := info.Trainable && !nonTrainable(info.Class, names[i])
			l.Weights = append(l.Weights, saved.Variable{Name: names[i], Trainable: tr, Value: v})
			refs = append(refs, varRef{layer: l.Name, weight: names[i], value: v, trainable: tr})
		}
		m.Layers = append(m.Layers, l)
	}
	if haveList {
		classes := make([]string, len(infos))
		for i, l := range infos {
			classes[i] = l.Class
		}
		for i, p := range keras3Paths(classes) {
			if sub := nestedLayers(infos[i]); sub != nil {
				l, err := o.readKeras3Nested(h, p, infos[i], sub, 0)
				if err != nil {
					return nil, err
				}
				m.Layers = append(m.Layers, l)
				refs = append(refs, nestedRefs(l)...)
				continue
			}
			vp, err := findVars(h, p)
			if err != nil {
				return nil, err
			}
			if obj := saved.WeightObjectOf(infos[i].Class); obj != "" {
				// The variables sit in the layer's sub-object (an RNN's cell).
				if vp, err = findVars(h, p+"/"+obj); err != nil {
					return nil, err
				}
			}
			var vals []*tensor.Tensor
			if vp != "" {
				if vals, err = o.readVars(h, vp); err != nil {
					return nil, err
				}
			}
			if f, _ := saved.Facts(infos[i].Class); f.SubObjects != nil && vp != "" && len(vals) == 0 {
				// A wrapper: the variables sit in its inner layers.
				vals, subs, err := o.readKeras3Subs(h, strings.TrimSuffix(vp, "/"+groupVars), f.SubObjects)
				if err != nil {
					return nil, err
				}
				addLayer(infos[i], vals)
				m.Layers[len(m.Layers)-1].Subs = subs
				continue
			}
			if subs := saved.SubLayersOf(infos[i].Class); subs != nil && len(vals) == 0 {
				if vals, err = o.readKeras3SubLayers(h, p, subs); err != nil {
					return nil, err
				}
			}
			addLayer(infos[i], vals)
		}
	} else {
		// No layer list: take the layer groups in path order.
		type entry struct{ path, vars string }
		var entries []entry
		for _, top := range []string{groupLayers, groupTF213Layers} {
			k, err := h.kind(top)
			if err != nil {
				return nil, atObj(top, err)
			}
			if k != kindGroup {
				continue
			}
			c, err := h.children(top)
			if err != nil {
				return nil, err
			}
			for _, g := range c.groups {
				entries = append(entries, entry{g, joinPath(top, g, groupVars)})
			}
		}
		rc, err := h.children("")
		if err != nil {
			return nil, err
		}
		for _, g := range rc.groups {
			if p, ok := strings.CutPrefix(g, groupLayers+`\`); ok && !strings.Contains(p, `\`) {
				entries = append(entries, entry{p, g + "/" + groupVars})
			}
		}
		sort.SliceStable(entries, func(i, j int) bool { return naturalLess(entries[i].path, entries[j].path) })
		for _, e := range entries {
			if l, ok, err := o.readKeras3NestedByPath(h, strings.TrimSuffix(e.vars, "/"+groupVars), e.path, 0); err != nil {
				return nil, err
			} else if ok {
				m.Layers = append(m.Layers, l)
				refs = append(refs, nestedRefs(l)...)
				continue
			}
			k, err := h.kind(e.vars)
			if err != nil {
				return nil, atObj(e.vars, err)
			}
			info := layerInfo{Name: e.path, Class: classForPath(e.path), Trainable: true}
			var vals []*tensor.Tensor
			if k == kindGroup {
				attrs, err := h.attrNames(e.vars)
				if err != nil {
					return nil, atObj(e.vars, err)
				}
				if n, err := optString(h, e.vars, attrs, attrName); err != nil {
					return nil, err
				} else if n != "" {
					info.Name = n
				}
				if vals, err = o.readVars(h, e.vars); err != nil {
					return nil, err
				}
			}
			var subs []saved.SubObject
			if f, _ := saved.Facts(info.Class); f.SubObjects != nil && len(vals) == 0 {
				if vals, subs, err = o.readKeras3Subs(h, strings.TrimSuffix(e.vars, "/"+groupVars), f.SubObjects); err != nil {
					return nil, err
				}
			}
			if obj := saved.WeightObjectOf(info.Class); obj != "" && len(vals) == 0 {
				sub := strings.TrimSuffix(e.vars, groupVars) + obj + "/" + groupVars
				if k, err := h.kind(sub); err != nil {
					return nil, atObj(sub, err)
				} else if k == kindGroup {
					if vals, err = o.readVars(h, sub); err != nil {
						return nil, err
					}
				}
				if f, _ := saved.Facts(info.Class); f.SubObjects != nil && len(vals) == 0 {
					// Sub-objects below the object (StackedRNNCells' cells in an RNN's cell).
					if vals, subs, err = o.readKeras3Subs(h, strings.TrimSuffix(sub, "/"+groupVars), f.SubObjects); err != nil {
						return nil, err
					}
				}
			}
			if subs := saved.SubLayersOf(info.Class); subs != nil && len(vals) == 0 && strings.HasPrefix(e.vars, groupLayers+"/") {
				if vals, err = o.readKeras3SubLayers(h, e.path, subs); err != nil {
					return nil, err
				}
			}
			addLayer(info, vals)
			m.Layers[len(m.Layers)-1].Path = e.path
			m.Layers[len(m.Layers)-1].Subs = subs
		}
		noList = true
	}
	// Every weight must have been read by now: weights kept below the layers' own vars
	// groups (nested models, RNN cells) would otherwise be dropped without a word.
	if err := h.checkAllRead("layer variables", func(p string) bool { return !strings.HasPrefix(p, groupOptimizer+"/") }); err != nil {
		return nil, err
	}
	// Optimizer: optimizer/vars (Keras 3: iteration, learning_rate, slots; tf_keras 2.13-2.15
	// .keras: iteration, slots).
	ov := joinPath(groupOptimizer, groupVars)
	// Keras 3's LossScaleOptimizer (models compiled under mixed_float16) keeps its own
	// variables (iteration, learning rate, loss scale, step counter) in optimizer/vars and the
	// wrapped optimizer's, the one the compile config names, in optimizer/inner_optimizer/vars:
	// the wrapped optimizer's are read, the loss-scale state is skipped (kerasgo trains in
	// float32 and writes the wrapped optimizer's variables only).
	inner := joinPath(groupOptimizer, "inner_optimizer", groupVars)
	if k, err := h.kind(inner); err != nil {
		return nil, atObj(inner, err)
	} else if k == kindGroup {
		if err := h.skipVars(ov + "/"); err != nil {
			return nil, err
		}
		ov = inner
	}
	k, err := h.kind(ov)
	if err != nil {
		return nil, atObj(ov, err)
	}
	if k == kindGroup {
		vals, err := o.readVars(h, ov)
		if err != nil {
			return nil, err
		}
		if len(vals) > 0 {
			attrs, err := h.attrNames(ov)
			if err != nil {
				return nil, atObj(ov, err)
			}
			n, err := optString(h, ov, attrs, attrName)
			if err != nil {
				return nil, err
			}
			opt := &saved.Optimizer{Name: n}
			if oc != nil {
				opt.Class, opt.Config = oc.Class, oc.Config
			} else {
				if n == "" && ka == nil {
					// tf_keras 2.13-2.15 save_weights: the optimizer is named nowhere in
					// the file, so its slots cannot be attributed; the weights stand alone.
					return m, nil
				}
				// A weights file records only the optimizer's object name: the class's default
				// ("adam", "rm_sprop"), numbered for further optimizers ("adam_1"), or any
				// name the user gave. The class is a hint for mapping the slots, not needed.
				opt.Class = optimizerClassFromName(stripNumSuffix(n))
			}
			opt.LearningRate = learningRateFrom(opt.Config)
			var ok bool
			if opt.Iterations, ok = scalarInt(vals[0]); !ok {
				return nil, atObj(joinPath(ov, "0"), formatf("iteration counter is not a scalar"))
			}
			rest := vals[1:]
			if m.Dialect == saved.Keras3 {
				opt.Variables = vals
				if len(rest) > 0 && rest[0].Len() == 1 && len(rest[0].Shape) == 0 {
					if lr, ok := scalarFloat(rest[0]); ok {
						opt.LearningRate = lr
						rest = rest[1:]
					}
				}
			}
			names := make([]string, len(rest))
			for i := range names {
				names[i] = joinPath(ov, strconv.Itoa(len(vals)-len(rest)+i))
			}
			if len(rest) > 0 {
				if err := o.mapSlots(m, &refs, opt, rest, names, noList); err != nil {
					if opt.Variables == nil {
						return nil, atObj(ov, err)
					}
					// Keras 3 assigns the variables by position to the optimizer it loads
					// into: they stay in opt.Variables for the model to do the same.
					opt.Slots = nil
				}
			}
			m.Optimizer = opt
		}
	}
	if err := h.checkAllRead("variables", nil); err != nil {
		return nil, err
	}
	return m, nil
}

// mapSlots assigns the slot variables rest (in file order) to the model's trainable variables
// using the optimizer's slot layout. Without a model config (noList) the layer order is first
// recovered from the slot shapes, which follow the trainable variables in model order.
func (o ReadOptions) mapSlots(m *saved.Model, refs *[]varRef, opt *saved.Optimizer, rest []*tensor.Tensor, names []string, noList bool) error {
	if noList {
		if err := orderBySlots(m, refs, opt, rest); err != nil {
			return err
		}
	}
	return o.positional(opt, *refs, rest, names, m.Dialect == saved.Keras2)
}

// stripNumSuffix removes a "_<n>" suffix with n > 0: "adam_1" → "adam".
func stripNumSuffix(s string) string {
	b, n := splitSuffix(s)
	if n > 0 {
		return b
	}
	return s
}

// orderBySlots reorders m.Layers (and refs) so that the trainable variables' shapes, in
// layer order, match the order of the optimizer's slot shapes. Layers of one class keep
// their path order (conv2d before conv2d_1). It fails when no order or more than one
// distinct order fits.
func orderBySlots(m *saved.Model, refs *[]varRef, opt *saved.Optimizer, slots []*tensor.Tensor) error {
	n := 0
	for _, r := range *refs {
		if r.trainable {
			n++
		}
	}
	layout, ok := layoutForCount(opt.Class, opt.Config, len(slots), n, m.Dialect == saved.Keras2)
	if !ok || layout.perVar() == 0 {
		return unsupportedf("slot layout of optimizer %q (%d slot variables, %d trainable variables)", opt.Class, len(slots), n)
	}
	// Shapes of the trainable variables in model order, from the first group of the layout.
	g0 := len(layout[0])
	if len(slots) != layout.perVar()*n {
		return unsupportedf("%s has %d slot variables for %d trainable variables", opt.Class, len(slots), n)
	}
	want := make([][]int, n)
	for i := range want {
		want[i] = slots[i*g0].Shape
	}
	type cand struct {
		idx    int
		shapes [][]int
		base   string
	}
	var cands []cand
	for i, l := range m.Layers {
		var sh [][]int
		for _, w := range l.Weights {
			if w.Trainable {
				sh = append(sh, w.Value.Shape)
			}
		}
		if len(sh) == 0 {
			continue
		}
		cands = append(cands, cand{idx: i, shapes: sh, base: snakeCase(l.Class)})
	}
	used := make([]bool, len(cands))
	var order, found []int
	solutions := 0
	var search func(pos int) bool
	search = func(pos int) bool {
		if pos == len(want) {
			solutions++
			if solutions == 1 {
				found = append([]int(nil), order...)
			}
			return solutions > 1
		}
		for ci, c := range cands {
			if used[ci] || pos+len(c.shapes) > len(want) {
				continue
			}
			// Layers of the same class appear in path order.
			blocked := false
			for cj := 0; cj < ci; cj++ {
				if !used[cj] && cands[cj].base == c.base {
					blocked = true
					break
				}
			}
			if blocked {
				continue
			}
			fits := true
			for k, s := range c.shapes {
				if !tensor.SameShape(s, want[pos+k]) {
					fits = false
					break
				}
			}
			if !fits {
				continue
			}
			used[ci] = true
			order = append(order, c.idx)
			if search(pos + len(c.shapes)) {
				return true
			}
			order = order[:len(order)-1]
			used[ci] = false
		}
		return false
	}
	search(0)
	if solutions == 0 {
		return formatf("no layer order matches the optimizer's slot shapes")
	}
	if solutions > 1 {
		return unsupportedf("layer order is ambiguous without a model config (load the weights through the model)")
	}
	// Rebuild: layers with trainable weights in the found order, the others after them in
	// path order.
	inOrder := map[int]bool{}
	var layers []saved.Layer
	for _, i := range found {
		inOrder[i] = true
		layers = append(layers, m.Layers[i])
	}
	for i, l := range m.Layers {
		if !inOrder[i] {
			layers = append(layers, l)
		}
	}
	m.Layers = layers
	var nr []varRef
	for _, l := range m.Layers {
		for _, r := range *refs {
			if r.layer == l.Name {
				nr = append(nr, r)
			}
		}
	}
	*refs = nr
	return nil
}
