package savedmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/objgraph"
	"github.com/kerasgo/kerasgo/internal/regfile"
	pb "github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// Info describes a SavedModel directory without loading its weights.
type Info struct {
	Dir string
	// Tags of each MetaGraphDef, in file order.
	Tags [][]string
	// TensorFlowVersion recorded by the writer ("2.21.0"), "" if absent.
	TensorFlowVersion string
	// Signatures of the "serve" MetaGraphDef (or the only one), sorted by key.
	Signatures []Signature
	// Variables in the variables/ bundle, sorted by key. Empty when there is no bundle.
	Variables []Variable
	// Keras is set when the directory holds a tf_keras model (keras_metadata.pb, or Keras
	// metadata inside saved_model.pb for TF <= 2.4).
	Keras *KerasInfo
	// ObjectGraph reports whether saved_model.pb has a TF2 SavedObjectGraph.
	ObjectGraph bool
}

// KerasInfo is the Keras model recorded in a SavedModel.
type KerasInfo struct {
	Class        string // "Sequential", "Functional", ...
	Name         string
	KerasVersion string
	Nodes        int // Keras objects listed in the metadata
}

// Signature is one SignatureDef.
type Signature struct {
	Key     string
	Method  string
	Inputs  []TensorInfo // sorted by key
	Outputs []TensorInfo // sorted by key
}

// TensorInfo is one input or output of a signature.
type TensorInfo struct {
	Key   string
	Name  string // graph tensor name, "serving_default_x:0"
	DType tensor.DType
	Shape []int // -1 for unknown dims; nil when the rank is unknown
	Rank  int   // -1 when unknown
}

// Variable is one tensor of the variables bundle.
type Variable struct {
	Key      string // checkpoint key
	FullName string // variable name from the object graph ("conv_1/kernel"), or "" if none
	DType    tensor.DType
	Shape    []int
}

// ReaderOptions bounds what is read. The zero value is safe.
type ReaderOptions struct {
	// MaxBytes limits saved_model.pb and keras_metadata.pb (default MaxFileBytes).
	MaxBytes int64
	// MaxTensorBytes limits one tensor read from variables/ (default
	// tensor.DefaultMaxBytes).
	MaxTensorBytes int64
	// MaxTotalBytes limits all tensors of variables/ together (default
	// checkpoint.DefaultMaxTotalBytes).
	MaxTotalBytes int64
	// MaxConfigBytes limits the Keras model's metadata (its config), checked before it is
	// decoded (default DefaultMaxConfigBytes).
	MaxConfigBytes int64

	onRead func(key string) // Audit: called with every variables/ key Load reads
}

// DefaultMaxConfigBytes is the default of ReaderOptions.MaxConfigBytes (that of
// model.LoadOptions too).
const DefaultMaxConfigBytes = 64 << 20

// bundle returns the options for reading the variables bundle.
func (o ReaderOptions) bundle() checkpoint.ReaderOptions {
	return checkpoint.ReaderOptions{MaxTensorBytes: o.MaxTensorBytes, MaxTotalBytes: o.MaxTotalBytes, OnRead: o.onRead}
}

func (o ReaderOptions) maxConfig() int64 {
	if o.MaxConfigBytes <= 0 {
		return DefaultMaxConfigBytes
	}
	return o.MaxConfigBytes
}

func (o ReaderOptions) maxBytes() int64 {
	if o.MaxBytes <= 0 {
		return MaxFileBytes
	}
	return o.MaxBytes
}

// readFileLimited reads a whole regular file after checking its size against max (a named
// pipe, a device or a symlink to one fails at once).
func readFileLimited(name string, max int64) ([]byte, error) {
	b, err := regfile.ReadFile(name, max)
	if errors.Is(err, regfile.ErrNotRegular) || errors.Is(err, regfile.ErrTooLarge) {
		return nil, formatErr("%v", err)
	}
	return b, err
}

// parseSavedModel decodes the bytes of a saved_model.pb and checks its structure.
func parseSavedModel(b []byte) (*pb.SavedModel, error) {
	sm := &pb.SavedModel{}
	if err := proto.Unmarshal(b, sm); err != nil {
		return nil, formatErr("%v", err) // the caller names the file
	}
	if err := checkSavedModel(sm); err != nil {
		return nil, err
	}
	return sm, nil
}

func checkSavedModel(sm *pb.SavedModel) error {
	if len(sm.MetaGraphs) == 0 {
		return formatErr("no MetaGraphDef")
	}
	for i, mg := range sm.MetaGraphs {
		og := mg.GetObjectGraphDef()
		if og == nil {
			continue
		}
		n := len(og.Nodes)
		for j, nd := range og.Nodes {
			for _, c := range nd.Children {
				if c.NodeId < 0 || int(c.NodeId) >= n {
					return formatErr("meta graph %d: object %d: child %q points to node %d of %d", i, j, c.LocalName, c.NodeId, n)
				}
			}
		}
		for name, cf := range og.ConcreteFunctions {
			for _, b := range cf.BoundInputs {
				if b < 0 || int(b) >= n {
					return formatErr("meta graph %d: concrete function %q: bound input %d of %d nodes", i, name, b, n)
				}
			}
		}
	}
	return nil
}

// parseKerasMetadata decodes the bytes of a keras_metadata.pb.
func parseKerasMetadata(b []byte) (*pb.SavedMetadata, error) {
	md := &pb.SavedMetadata{}
	if err := proto.Unmarshal(b, md); err != nil {
		return nil, formatErr("keras_metadata.pb: %v", err)
	}
	for i, n := range md.Nodes {
		if n.NodeId < 0 {
			return nil, formatErr("keras_metadata.pb: node %d has id %d", i, n.NodeId)
		}
		if n.Metadata != "" && !json.Valid([]byte(n.Metadata)) {
			return nil, formatErr("keras_metadata.pb: node %d (%s): metadata is not JSON", i, n.NodePath)
		}
	}
	return md, nil
}

// readSavedModel reads saved_model.pb (or saved_model.pbtxt).
func readSavedModel(dir string, o ReaderOptions) (*pb.SavedModel, error) {
	name := filepath.Join(dir, SavedModelFile)
	b, err := readFileLimited(name, o.maxBytes())
	if errors.Is(err, fs.ErrNotExist) {
		txt := filepath.Join(dir, SavedModelTxtFile)
		b, err2 := readFileLimited(txt, o.maxBytes())
		if err2 != nil {
			if errors.Is(err2, fs.ErrNotExist) {
				return nil, &Error{Path: dir, Err: fmt.Errorf("%w: no %s: not a SavedModel directory", ErrFormat, SavedModelFile)}
			}
			return nil, &Error{Path: txt, Err: err2}
		}
		sm := &pb.SavedModel{}
		if err := (prototext.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, sm); err != nil {
			return nil, &Error{Path: txt, Err: fmt.Errorf("%w: %w", ErrFormat, err)}
		}
		if err := checkSavedModel(sm); err != nil {
			return nil, &Error{Path: txt, Err: err}
		}
		return sm, nil
	}
	if err != nil {
		return nil, &Error{Path: name, Err: err}
	}
	sm, err := parseSavedModel(b)
	if err != nil {
		return nil, &Error{Path: name, Err: err}
	}
	return sm, nil
}

// serveGraph picks the MetaGraphDef tagged "serve" (or the only one).
func serveGraph(sm *pb.SavedModel) *pb.MetaGraphDef {
	for _, mg := range sm.MetaGraphs {
		for _, t := range mg.GetMetaInfoDef().GetTags() {
			if t == TagServe {
				return mg
			}
		}
	}
	return sm.MetaGraphs[0]
}

// readKerasMetadata returns the Keras metadata of a directory: keras_metadata.pb, or (TF 2.4
// and earlier) the metadata strings of the object graph's Keras user objects. nil if none.
func readKerasMetadata(dir string, mg *pb.MetaGraphDef, o ReaderOptions) (*pb.SavedMetadata, error) {
	name := filepath.Join(dir, KerasMetadataFile)
	b, err := readFileLimited(name, o.maxBytes())
	if err == nil {
		md, err := parseKerasMetadata(b)
		if err != nil {
			return nil, &Error{Path: name, Err: err}
		}
		if len(md.Nodes) > 0 {
			return md, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{Path: name, Err: err}
	}
	og := mg.GetObjectGraphDef()
	if og == nil {
		return nil, nil
	}
	md := &pb.SavedMetadata{}
	paths := objectPaths(og)
	for i, n := range og.Nodes {
		u := n.GetUserObject()
		if u == nil || u.Metadata == "" || !isKerasIdentifier(u.Identifier) {
			continue
		}
		if !json.Valid([]byte(u.Metadata)) {
			return nil, &Error{Path: filepath.Join(dir, SavedModelFile), Object: fmt.Sprintf("object %d", i), Err: formatErr("Keras metadata is not JSON")}
		}
		md.Nodes = append(md.Nodes, &pb.KerasObject{NodeId: int32(i), NodePath: paths[i], Identifier: u.Identifier, Metadata: u.Metadata, Version: u.Version})
	}
	if len(md.Nodes) == 0 {
		return nil, nil
	}
	return md, nil
}

func isKerasIdentifier(s string) bool {
	switch s {
	case sequentialIdentifier, networkIdentifier, modelIdentifier, layerIdentifier,
		inputLayerIdentifier, metricIdentifier, "_tf_keras_rnn_layer":
		return true
	}
	return false
}

// objectPaths names each node by its breadth-first path from the root ("root.layer-0").
func objectPaths(og *pb.SavedObjectGraph) []string {
	paths := make([]string, len(og.Nodes))
	if len(og.Nodes) == 0 {
		return paths
	}
	paths[0] = "root"
	seen := make([]bool, len(og.Nodes))
	seen[0] = true
	q := []int{0}
	for len(q) > 0 {
		n := q[0]
		q = q[1:]
		for _, c := range og.Nodes[n].Children {
			if !seen[c.NodeId] {
				seen[c.NodeId] = true
				paths[c.NodeId] = paths[n] + "." + c.LocalName
				q = append(q, int(c.NodeId))
			}
		}
	}
	return paths
}

// Inspect lists a SavedModel's signatures and variables.
func Inspect(dir string) (*Info, error) { return ReaderOptions{}.Inspect(dir) }

// Inspect lists a SavedModel's signatures and variables (finishing an interrupted save
// first, as Load does).
func (o ReaderOptions) Inspect(dir string) (*Info, error) {
	settle(dir)
	sm, err := readSavedModel(dir, o)
	if err != nil {
		return nil, err
	}
	info := &Info{Dir: dir}
	for _, mg := range sm.MetaGraphs {
		info.Tags = append(info.Tags, append([]string(nil), mg.GetMetaInfoDef().GetTags()...))
	}
	mg := serveGraph(sm)
	info.TensorFlowVersion = mg.GetMetaInfoDef().GetTensorflowVersion()
	info.ObjectGraph = mg.GetObjectGraphDef() != nil
	for key, sd := range mg.SignatureDef {
		s := Signature{Key: key, Method: sd.GetMethodName(), Inputs: tensorInfos(sd.Inputs), Outputs: tensorInfos(sd.Outputs)}
		info.Signatures = append(info.Signatures, s)
	}
	sort.Slice(info.Signatures, func(i, j int) bool { return info.Signatures[i].Key < info.Signatures[j].Key })
	md, err := readKerasMetadata(dir, mg, o)
	if err != nil {
		return nil, err
	}
	if md != nil {
		ki := &KerasInfo{Nodes: len(md.Nodes)}
		if root := rootMetadata(md); root != nil {
			var rm struct {
				Name, Class_name, Keras_version string
			}
			_ = json.Unmarshal([]byte(root.Metadata), &rm)
			ki.Class, ki.Name, ki.KerasVersion = rm.Class_name, rm.Name, rm.Keras_version
		}
		info.Keras = ki
	}
	vars, err := bundleVariables(dir)
	if err != nil {
		return nil, err
	}
	info.Variables = vars
	return info, nil
}

func tensorInfos(m map[string]*pb.TensorInfo) []TensorInfo {
	var out []TensorInfo
	for k, ti := range m {
		t := TensorInfo{Key: k, DType: tensor.DType(ti.GetDtype()), Rank: -1}
		switch e := ti.Encoding.(type) {
		case *pb.TensorInfo_Name:
			t.Name = e.Name
		case *pb.TensorInfo_CooSparse_:
			t.Name = e.CooSparse.GetValuesTensorName()
		}
		if s := ti.GetTensorShape(); s != nil && !s.UnknownRank {
			t.Rank = len(s.Dim)
			t.Shape = make([]int, len(s.Dim))
			for i, d := range s.Dim {
				t.Shape[i] = int(d.Size)
			}
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func rootMetadata(md *pb.SavedMetadata) *pb.KerasObject {
	for _, n := range md.Nodes {
		if n.NodePath == "root" || n.NodeId == 0 {
			return n
		}
	}
	return nil
}

func variablesPrefix(dir string) string { return filepath.Join(dir, VariablesDir, VariablesPrefix) }

// bundleVariables lists the bundle's tensors (nil when the directory has none).
func bundleVariables(dir string) ([]Variable, error) {
	prefix := variablesPrefix(dir)
	if _, err := os.Stat(checkpoint.IndexFile(prefix)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	r, err := checkpoint.Open(prefix)
	if err != nil {
		return nil, variablesErr(dir, err)
	}
	defer r.Close()
	full := map[string]string{}
	if r.Has(checkpoint.ObjectGraphKey) {
		t, err := r.Read(checkpoint.ObjectGraphKey)
		if err != nil {
			return nil, variablesErr(dir, err)
		}
		g, err := objgraph.ParseTrackable(t)
		if err != nil {
			return nil, fmt.Errorf("savedmodel: %s: variables: %s in %s: %w: %w", dir, checkpoint.ObjectGraphKey, checkpoint.IndexFile(prefix), ErrFormat, err)
		}
		for _, n := range g.Nodes {
			for _, a := range n.Attributes {
				full[a.CheckpointKey] = a.FullName
			}
		}
	}
	var out []Variable
	for _, e := range r.Entries() {
		if e.Key == checkpoint.ObjectGraphKey {
			continue
		}
		out = append(out, Variable{Key: e.Key, FullName: full[e.Key], DType: e.DType, Shape: append([]int(nil), e.Shape...)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Load reads a SavedModel written by tf_keras (model.save(dir)) or by kerasgo: the
// architecture from keras_metadata.pb (Keras2 dialect), the weights and optimizer state from
// variables/. A Keras 3 model.export() directory gives its weights only (Config nil, Keras3
// dialect: the export does not record the architecture). Any other SavedModel gives
// ErrUnsupported; Inspect lists its signatures and variables.
func Load(dir string) (*saved.Model, error) { return ReaderOptions{}.Load(dir) }

// Load reads a Keras SavedModel; see the package-level Load. A save to dir that a crash
// interrupted is first finished or rolled back (see Recover), unless another save holds dir.
func (o ReaderOptions) Load(dir string) (*saved.Model, error) {
	settle(dir)
	return o.load(dir)
}

func (o ReaderOptions) load(dir string) (*saved.Model, error) {
	sm, err := readSavedModel(dir, o)
	if err != nil {
		return nil, err
	}
	mg := serveGraph(sm)
	md, err := readKerasMetadata(dir, mg, o)
	if err != nil {
		return nil, err
	}
	if md == nil {
		if m, err := o.keras3ExportWeights(dir, mg); m != nil || err != nil {
			return m, err
		}
		return nil, &Error{Path: dir, Err: fmt.Errorf("%w: no Keras metadata (not a Keras SavedModel); only signatures and variables can be listed", ErrUnsupported)}
	}
	if root := rootMetadata(md); root != nil && int64(len(root.Metadata)) > o.maxConfig() {
		return nil, &Error{Path: filepath.Join(dir, KerasMetadataFile), Object: "root", Err: formatErr("Keras metadata (the model config) of %d bytes, over the %d-byte limit", len(root.Metadata), o.maxConfig())}
	}
	m, optCfg, names, classes, err := modelFromMetadata(md)
	if err != nil {
		return nil, &Error{Path: filepath.Join(dir, KerasMetadataFile), Object: "root", Err: err}
	}
	prefix := variablesPrefix(dir)
	if err := checkVariables(dir, mg.GetObjectGraphDef()); err != nil {
		return nil, err
	}
	var w *saved.Model
	if _, err := os.Stat(checkpoint.IndexFile(prefix)); err == nil {
		if w, err = o.bundle().LoadKerasWeights(prefix); err != nil {
			return nil, variablesErr(dir, err)
		}
	}
	// The checkpoint lists layers by position (layer-<i> edges, the truth for which weights
	// belong to which layer); pair them with the config's layers by position when the counts
	// agree, else by the layer name in the variables' full names.
	rename := map[string]string{}
	if w != nil && len(w.Layers) == len(names) {
		for i, n := range names {
			l := saved.Layer{Name: n, Class: classes[i], Weights: w.Layers[i].Weights}
			if w.Layers[i].Name != "" {
				rename[w.Layers[i].Name] = n
			}
			m.Layers = append(m.Layers, l)
		}
	} else {
		byName := map[string]saved.Layer{}
		if w != nil {
			for _, l := range w.Layers {
				if l.Name != "" {
					byName[l.Name] = l
				}
			}
		}
		for i, n := range names {
			l := saved.Layer{Name: n, Class: classes[i]}
			if wl, ok := byName[n]; ok {
				l.Weights = wl.Weights
				delete(byName, n)
			}
			m.Layers = append(m.Layers, l)
		}
		if len(byName) > 0 {
			extra := make([]string, 0, len(byName))
			for n := range byName {
				extra = append(extra, n)
			}
			sort.Strings(extra)
			n := extra[0]
			return nil, &Error{Path: dir, Object: n, Err: formatErr("variables for layer %q, which the config does not have", n)}
		}
	}
	if w != nil && w.Optimizer != nil {
		for i, s := range w.Optimizer.Slots {
			if n, ok := rename[s.Layer]; ok {
				w.Optimizer.Slots[i].Layer = n
			}
		}
	}
	if w != nil && w.Optimizer != nil {
		m.Optimizer = w.Optimizer
		if optCfg != nil {
			if c, ok := optCfg["class_name"].(string); ok && m.Optimizer.Class == "" {
				m.Optimizer.Class = c
			}
			if oc, ok := optCfg["config"]; ok {
				if m.Optimizer.Config, err = json.Marshal(oc); err != nil {
					return nil, &Error{Path: filepath.Join(dir, KerasMetadataFile), Object: "optimizer config", Err: fmt.Errorf("%w: %w", ErrFormat, err)}
				}
			}
		}
	}
	return m, nil
}

// modelFromMetadata builds the config part of a saved.Model from the root node of Keras
// metadata, and returns the optimizer config and the layers of model.layers (names, classes).
func modelFromMetadata(md *pb.SavedMetadata) (m *saved.Model, optCfg map[string]any, names, classes []string, err error) {
	root := rootMetadata(md)
	if root == nil {
		return nil, nil, nil, nil, formatErr("no root node")
	}
	rm, err := decodeJSON([]byte(root.Metadata))
	if err != nil {
		return nil, nil, nil, nil, formatErr("metadata: %v", err)
	}
	class, _ := rm["class_name"].(string)
	cfg := rm["config"]
	if mc, ok := rm["model_config"].(map[string]any); ok && cfg == nil {
		cfg = mc["config"]
	}
	if class == "" || cfg == nil {
		return nil, nil, nil, nil, fmt.Errorf("%w: the Keras model has no config (subclassed model?)", ErrUnsupported)
	}
	cfg = untuple(cfg)
	cj, err := json.Marshal(map[string]any{"class_name": class, "config": cfg})
	if err != nil {
		return nil, nil, nil, nil, formatErr("config: %v", err)
	}
	m = &saved.Model{Config: cj, Dialect: saved.Keras2, Backend: "tensorflow"}
	m.KerasVersion, _ = rm["keras_version"].(string)
	if b, ok := rm["backend"].(string); ok {
		m.Backend = b
	}
	if tc, ok := untuple(rm["training_config"]).(map[string]any); ok {
		if m.TrainingConfig, err = json.Marshal(tc); err != nil {
			return nil, nil, nil, nil, formatErr("training config: %v", err)
		}
		optCfg, _ = tc["optimizer_config"].(map[string]any)
	}
	names, classes = configLayers(class, cfg)
	return m, optCfg, names, classes, nil
}

// configLayers lists the layers of model.layers from a model config: Sequential without the
// InputLayer, Functional with it.
func configLayers(class string, cfg any) (names, classes []string) {
	var layers []any
	switch c := cfg.(type) {
	case map[string]any:
		layers, _ = c["layers"].([]any)
	case []any:
		layers = c
	}
	for _, l := range layers {
		obj, _ := l.(map[string]any)
		cn, _ := obj["class_name"].(string)
		lc, _ := obj["config"].(map[string]any)
		name, _ := lc["name"].(string)
		if name == "" {
			name, _ = obj["name"].(string)
		}
		if cn == saved.InputLayerClass && class == "Sequential" {
			continue
		}
		names = append(names, name)
		classes = append(classes, cn)
	}
	return names, classes
}

// untuple replaces tf_keras's {"class_name": "__tuple__", "items": [...]} encoding (used in
// keras_metadata.pb) with plain lists, as model.to_json() writes them.
func untuple(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if cn, _ := x["class_name"].(string); cn == "__tuple__" && len(x) == 2 {
			if items, ok := x["items"].([]any); ok {
				return untuple(items)
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k == "shared_object_id" {
				continue
			}
			out[k] = untuple(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = untuple(e)
		}
		return out
	}
	return v
}

// keras3ExportWeights reads the weights of a Keras 3 model.export() directory: its root
// tracks the model's variables in the lists "variables" and "trainable_variables", each
// named "<model>/<layer>/<weight>". The architecture is not recorded, so the result has no
// Config; layers are those that have weights, in the order of the model's variables. It
// returns nil, nil when the directory is not laid out that way.
func (o ReaderOptions) keras3ExportWeights(dir string, mg *pb.MetaGraphDef) (*saved.Model, error) {
	og := mg.GetObjectGraphDef()
	if og == nil || len(og.Nodes) == 0 {
		return nil, nil
	}
	child := func(n int32, name string) int32 {
		for _, c := range og.Nodes[n].Children {
			if c.LocalName == name {
				return c.NodeId
			}
		}
		return -1
	}
	vars, train := child(0, "variables"), child(0, "trainable_variables")
	if vars < 0 || train < 0 {
		return nil, nil
	}
	trainable := map[int32]bool{}
	for _, c := range og.Nodes[train].Children {
		trainable[c.NodeId] = true
	}
	prefix := variablesPrefix(dir)
	r, err := o.bundle().Open(prefix)
	if err != nil {
		return nil, variablesErr(dir, err)
	}
	defer r.Close()
	m := &saved.Model{Dialect: saved.Keras3, Backend: "tensorflow"}
	index := map[string]int{}
	for _, c := range og.Nodes[vars].Children {
		v := og.Nodes[c.NodeId].GetVariable()
		if v == nil {
			return nil, nil
		}
		parts := strings.Split(v.Name, "/")
		if len(parts) < 2 || strings.HasPrefix(parts[0], "seed_generator") {
			continue // Dropout's RNG state is not a weight
		}
		layer, weight := parts[len(parts)-2], parts[len(parts)-1]
		key := "variables/" + c.LocalName + attributesSuffix
		t, err := r.Read(key)
		if err != nil {
			return nil, variablesErr(dir, err)
		}
		i, ok := index[layer]
		if !ok {
			i = len(m.Layers)
			index[layer] = i
			m.Layers = append(m.Layers, saved.Layer{Name: layer})
		}
		m.Layers[i].Weights = append(m.Layers[i].Weights, saved.Variable{Name: weight, Trainable: trainable[c.NodeId], Value: t})
	}
	if len(m.Layers) == 0 {
		return nil, nil
	}
	return m, nil
}
