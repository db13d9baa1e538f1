package savedmodel

import (
	"encoding/json"
	"fmt"
	"strconv"

	pb "github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
	"google.golang.org/protobuf/proto"
)

// signatureFunction is the name of the FunctionDef behind the serving_default signature.
const signatureFunction = "__inference_signature_wrapper_1"

// Options controls Save. The zero value writes what tf_keras writes.
type Options struct {
	// KerasVersion recorded in keras_metadata.pb; default "2.21.0" (the tf_keras kerasgo
	// is checked against).
	KerasVersion string
	// NoKerasMetadata skips keras_metadata.pb and the Keras identifiers: the directory is then
	// a plain serving SavedModel (tf_keras load_model returns a bare TF object for it).
	NoKerasMetadata bool
}

// Save writes m as a SavedModel directory at dir with default options.
func Save(dir string, m *saved.Model) error { return Options{}.Save(dir, m) }

// Save writes m as a SavedModel directory at dir. The directory is built next to dir under a
// temporary name and renamed into place; an existing dir is replaced only after the new one
// is complete.
func (o Options) Save(dir string, m *saved.Model) error {
	if m == nil {
		return &Error{Path: dir, Err: fmt.Errorf("%w: nil model", ErrFormat)}
	}
	files, err := o.build(m)
	if err != nil {
		return &Error{Path: dir, Err: err}
	}
	if err := writeDirAtomic(dir, files); err != nil {
		return &Error{Path: dir, Err: err}
	}
	return nil
}

// built is everything that goes into the directory.
type built struct {
	savedModel    []byte
	kerasMetadata []byte // nil: no keras_metadata.pb
	varKeys       []string
	varValues     []*tensor.Tensor
}

func (o Options) build(m *saved.Model) (*built, error) {
	sm, err := parseSequential(m)
	if err != nil {
		return nil, err
	}
	t := &tree{}
	rootID := sequentialIdentifier
	if sm.Functional {
		rootID = networkIdentifier
	}
	root := t.user(inBoth, rootID)
	// Layers and their variables, linked as tf_keras's Sequential and Functional track them
	// (a Functional's layers include its InputLayers; a nested model's layers are below it).
	t.addLayerNodes(root, sm)
	varNode := map[[2]string]int{}
	modelVars, err := t.addLayerVariables(sm, varNode)
	if err != nil {
		return nil, err
	}
	if sm.hasNested() || t.subVars {
		// tf_keras's root "variables" list (model.variables): the variables of nested models
		// and of sub-layers (MultiHeadAttention's EinsumDense) are keyed by it
		// ("variables/<i>"), a shorter path than through their layers.
		list := t.user(inBoth, listWrapperIdentifier)
		t.link(root, "variables", list, inBoth)
		for j, v := range modelVars {
			t.link(list, strconv.Itoa(j), nodeOfVar(t, v), inBoth)
		}
	}
	if err := addOptimizer(t, root, m, varNode); err != nil {
		return nil, err
	}
	// The serving signature, a bare concrete function under root.signatures: one keyword
	// argument per model input and one output per model output, each in name order as TF
	// flattens them.
	ins, outs := sortedEndpoints(sm.inputs()), sortedEndpoints(sm.outputs())
	inNames := make([]string, len(ins))
	for i, e := range ins {
		inNames[i] = e.Name
	}
	sigMap := t.user(inSaved, signatureMapIdentifier)
	t.link(root, "signatures", sigMap, inSaved)
	positional := int64(0)
	if len(ins) == 1 {
		positional = 1
	}
	bare := t.add(&tnode{mask: inSaved, bareFn: &pb.SavedBareConcreteFunction{
		ConcreteFunctionName:       signatureFunction,
		ArgumentKeywords:           inNames,
		AllowedPositionalArguments: positional,
		FunctionSpec:               kwOnlySpec(inNames...),
	}})
	t.link(sigMap, DefaultSignature, bare, inSaved)
	if o.NoKerasMetadata {
		for _, n := range t.nodes {
			switch n.identifier {
			case sequentialIdentifier, networkIdentifier, layerIdentifier, inputLayerIdentifier:
				n.identifier = genericObjectIdentifier
			}
		}
	}

	t.assignKeys()
	og, ids := t.savedObjectGraph()
	bound := make([]int32, len(modelVars))
	for i := range modelVars {
		bound[i] = int32(ids[nodeOfVar(t, modelVars[i])])
	}
	inSpecs := map[string]*pb.StructuredValue{}
	sigInputs := map[string]*pb.TensorInfo{}
	for _, e := range ins {
		inSpecs[e.Name] = tensorSpecValue(e.Name, batchDims(e.Shape))
		sigInputs[e.Name] = &pb.TensorInfo{
			Encoding: &pb.TensorInfo_Name{Name: "serving_default_" + e.Name + ":0"},
			Dtype:    pb.DataType_DT_FLOAT, TensorShape: shapeProto(batchDims(e.Shape))}
	}
	outSpecs := map[string]*pb.StructuredValue{}
	sigOutputs := map[string]*pb.TensorInfo{}
	for i, e := range outs {
		name := "StatefulPartitionedCall:0"
		if i > 0 {
			name = fmt.Sprintf("StatefulPartitionedCall:%d", i)
		}
		outSpecs[e.Name] = tensorSpecValue(e.Name, batchDims(e.Shape))
		sigOutputs[e.Name] = &pb.TensorInfo{Encoding: &pb.TensorInfo_Name{Name: name},
			Dtype: pb.DataType_DT_FLOAT, TensorShape: shapeProto(batchDims(e.Shape))}
	}
	og.ConcreteFunctions = map[string]*pb.SavedConcreteFunction{
		signatureFunction: {
			BoundInputs:                 bound,
			CanonicalizedInputSignature: tupleValue(tupleValue(), dictValue(inSpecs)),
			OutputSignature:             dictValue(outSpecs),
		},
	}

	fn, err := signatureFunctionDef(sm, modelVars, ins, outs)
	if err != nil {
		return nil, err
	}
	g := topLevelGraph(modelVars, ins, outs)
	g.Library = &pb.FunctionDefLibrary{Function: []*pb.FunctionDef{fn}}
	g.Versions = &pb.VersionDef{Producer: graphProducer, MinConsumer: graphMinConsumer}

	mg := &pb.MetaGraphDef{
		MetaInfoDef: &pb.MetaGraphDef_MetaInfoDef{Tags: []string{TagServe}, StrippedDefaultAttrs: true},
		GraphDef:    g,
		SaverDef: &pb.SaverDef{
			FilenameTensorName: "saver_filename:0",
			SaveTensorName:     "save/control_dependency:0",
			RestoreOpName:      "save/restore_all",
			Version:            pb.SaverDef_V2,
		},
		SignatureDef: map[string]*pb.SignatureDef{
			DefaultSignature: {Inputs: sigInputs, Outputs: sigOutputs, MethodName: PredictMethod},
		},
		ObjectGraphDef: og,
	}
	smp := &pb.SavedModel{SavedModelSchemaVersion: savedModelSchema, MetaGraphs: []*pb.MetaGraphDef{mg}}
	det := proto.MarshalOptions{Deterministic: true}
	b := &built{}
	if b.savedModel, err = det.Marshal(smp); err != nil {
		return nil, err
	}
	if !o.NoKerasMetadata {
		md, err := kerasMetadata(o, m, sm, t, ids, root)
		if err != nil {
			return nil, err
		}
		if b.kerasMetadata, err = det.Marshal(md); err != nil {
			return nil, err
		}
	}
	// The bundle: every checkpointed variable plus the object graph.
	ckg, err := det.Marshal(t.checkpointGraph())
	if err != nil {
		return nil, err
	}
	for _, n := range t.nodes {
		if v := n.variable; v != nil && v.key != "" {
			b.varKeys = append(b.varKeys, v.key)
			b.varValues = append(b.varValues, v.value)
		}
	}
	// Last in the data file, as TF writes it.
	b.varKeys = append(b.varKeys, objectGraphKey)
	b.varValues = append(b.varValues, &tensor.Tensor{DType: tensor.String, Shape: []int{}, Data: [][]byte{ckg}})
	return b, nil
}

func nodeOfVar(t *tree, v *tvar) int {
	for i, n := range t.nodes {
		if n.variable == v {
			return i
		}
	}
	return -1
}

// addOptimizer adds the tf_keras (2.11+) optimizer state under root.optimizer, in the
// checkpoint only: tf_keras's loader then restores it into the optimizer that compile()
// creates (a deferred restoration), which a SavedObjectGraph node would prevent. The slots go
// to optimizer._variables in the order tf_keras creates them (after the iteration counter).
func addOptimizer(t *tree, root int, m *saved.Model, varNode map[[2]string]int) error {
	op := m.Optimizer
	if op == nil {
		return nil
	}
	if legacyOptimizer(m) {
		return addLegacyOptimizer(t, root, m, varNode)
	}
	on := t.user(inCkpt, optimizerIdentifier)
	t.link(root, "optimizer", on, inCkpt)
	list := t.user(inCkpt, listWrapperIdentifier)
	iter := t.variable(inCkpt, &tvar{name: "iteration", value: tensor.Scalar(op.Iterations)})
	t.link(on, "_variables", list, inCkpt)
	t.link(on, "_iterations", iter, inCkpt)
	if lr, ok := learningRate(op, m); ok {
		t.link(on, "_learning_rate", t.variable(inCkpt, &tvar{name: "learning_rate", value: tensor.Scalar(lr)}), inCkpt)
	}
	t.link(list, "0", iter, inCkpt)
	order, err := slotOrder(op)
	if err != nil {
		return err
	}
	for i, s := range order {
		name := fmt.Sprintf("%s/%s/%s/%s", op.Class, saved.Keras2SlotName(op.Class, s.Name), s.Layer, s.Weight)
		t.link(list, fmt.Sprint(i+1), t.variable(inCkpt, &tvar{name: name, value: s.Value}), inCkpt)
	}
	return nil
}

// legacyOptimizer reports whether tf_keras will rebuild the training config's optimizer as a
// legacy (optimizer_v2) one: it does so when the optimizer config is not empty and lacks
// is_legacy_optimizer (files from tf_keras 2.10 and earlier) or sets it.
func legacyOptimizer(m *saved.Model) bool {
	if len(m.TrainingConfig) == 0 {
		return false
	}
	var tc struct {
		OptimizerConfig struct {
			Config map[string]any `json:"config"`
		} `json:"optimizer_config"`
	}
	if json.Unmarshal(m.TrainingConfig, &tc) != nil || len(tc.OptimizerConfig.Config) == 0 {
		return false
	}
	v, ok := tc.OptimizerConfig.Config["is_legacy_optimizer"]
	return !ok || v == true
}

// legacySlotName is the optimizer_v2 name of a slot (Keras 3 or 2.11+ name in).
func legacySlotName(class, name string) string {
	switch class {
	case "Adam", "Adamax", "Nadam":
		switch name {
		case "momentum", "m":
			return "m"
		case "velocity", "v":
			return "v"
		case "velocity_hat", "vhat":
			return "vhat"
		}
	case "SGD":
		if name == "m" {
			return "momentum"
		}
	case "RMSprop":
		switch name {
		case "velocity":
			return "rms"
		case "average_gradient":
			return "mg"
		}
	}
	return name
}

// addLegacyOptimizer writes the optimizer_v2 layout: the iteration counter "iter" and the
// learning rate as children of root.optimizer, and each slot as a slot-variable reference of
// the optimizer node (key <variable>/.OPTIMIZER_SLOT/optimizer/<slot>/.ATTRIBUTES/...).
// tf_keras restores the slots when the rebuilt optimizer creates them.
func addLegacyOptimizer(t *tree, root int, m *saved.Model, varNode map[[2]string]int) error {
	op := m.Optimizer
	on := t.user(inCkpt, "optimizer")
	t.link(root, "optimizer", on, inCkpt)
	t.link(on, "iter", t.variable(inCkpt, &tvar{name: op.Class + "/iter", value: tensor.Scalar(op.Iterations)}), inCkpt)
	if lr, ok := learningRate(op, m); ok {
		t.link(on, "learning_rate", t.variable(inCkpt, &tvar{name: op.Class + "/learning_rate", value: tensor.Scalar(lr)}), inCkpt)
	}
	for _, s := range op.Slots {
		if s.Value == nil {
			return formatErr("optimizer slot %s/%s %s has no value", s.Layer, s.Weight, s.Name)
		}
		orig, ok := varNode[[2]string{s.Layer, s.Weight}]
		if !ok {
			return formatErr("optimizer slot %s names unknown variable %s/%s", s.Name, s.Layer, s.Weight)
		}
		name := legacySlotName(op.Class, s.Name)
		sv := t.variable(inCkpt, &tvar{name: fmt.Sprintf("%s/%s/%s/%s", op.Class, s.Layer, s.Weight, name), value: s.Value})
		t.nodes[on].slots = append(t.nodes[on].slots, tslot{orig: orig, slot: sv, name: name})
	}
	return nil
}

// learningRate is the optimizer's current learning rate: the recorded variable, else the
// configured constant. A schedule (or nothing) gives false: the variable is then left out and
// tf_keras keeps what the config says.
func learningRate(op *saved.Optimizer, m *saved.Model) (float32, bool) {
	if op.LearningRate != 0 {
		return op.LearningRate, true
	}
	for _, raw := range [][]byte{op.Config, m.TrainingConfig} {
		if len(raw) == 0 {
			continue
		}
		var c struct {
			LearningRate    any `json:"learning_rate"`
			OptimizerConfig struct {
				Config struct {
					LearningRate any `json:"learning_rate"`
				} `json:"config"`
			} `json:"optimizer_config"`
		}
		if json.Unmarshal(raw, &c) != nil {
			continue
		}
		for _, v := range []any{c.LearningRate, c.OptimizerConfig.Config.LearningRate} {
			if f, ok := v.(float64); ok {
				return float32(f), true
			}
		}
	}
	return 0, false
}

// slotOrder lists the slots in the order tf_keras's optimizer build() creates them: Adam
// and AdamW interleave m and v per variable (then every vhat); the others create each kind
// for every variable in turn (RMSprop: velocity, momentum, average_gradient).
func slotOrder(op *saved.Optimizer) ([]saved.Slot, error) {
	var kinds []string
	byKind := map[string][]saved.Slot{}
	for _, s := range op.Slots {
		if s.Value == nil {
			return nil, formatErr("optimizer slot %s/%s %s has no value", s.Layer, s.Weight, s.Name)
		}
		k := saved.Keras2SlotName(op.Class, s.Name)
		if _, ok := byKind[k]; !ok {
			kinds = append(kinds, k)
		}
		byKind[k] = append(byKind[k], s)
	}
	var out []saved.Slot
	switch op.Class {
	case "Adam", "AdamW":
		m, v := byKind["m"], byKind["v"]
		if len(m) != len(v) || len(m)+len(v)+len(byKind["vhat"]) != len(op.Slots) {
			return nil, formatErr("%s slots: %d m, %d v of %d", op.Class, len(m), len(v), len(op.Slots))
		}
		for i := range m {
			out = append(out, m[i], v[i])
		}
		return append(out, byKind["vhat"]...), nil
	case "RMSprop":
		kinds = []string{"velocity", "momentum", "average_gradient"}
		n := 0
		for _, k := range kinds {
			n += len(byKind[k])
		}
		if n != len(op.Slots) {
			return nil, formatErr("RMSprop slots: unknown kind among %d slots", len(op.Slots))
		}
	}
	for _, k := range kinds {
		out = append(out, byKind[k]...)
	}
	return out, nil
}

// Structured values.

func tupleValue(v ...*pb.StructuredValue) *pb.StructuredValue {
	return &pb.StructuredValue{Kind: &pb.StructuredValue_TupleValue{TupleValue: &pb.TupleValue{Values: v}}}
}
func listValue(v ...*pb.StructuredValue) *pb.StructuredValue {
	return &pb.StructuredValue{Kind: &pb.StructuredValue_ListValue{ListValue: &pb.ListValue{Values: v}}}
}
func dictValue(f map[string]*pb.StructuredValue) *pb.StructuredValue {
	if f == nil {
		f = map[string]*pb.StructuredValue{}
	}
	return &pb.StructuredValue{Kind: &pb.StructuredValue_DictValue{DictValue: &pb.DictValue{Fields: f}}}
}
func noneValue() *pb.StructuredValue {
	return &pb.StructuredValue{Kind: &pb.StructuredValue_NoneValue{NoneValue: &pb.NoneValue{}}}
}
func stringValue(s string) *pb.StructuredValue {
	return &pb.StructuredValue{Kind: &pb.StructuredValue_StringValue{StringValue: s}}
}
func tensorSpecValue(name string, shape []int) *pb.StructuredValue {
	return &pb.StructuredValue{Kind: &pb.StructuredValue_TensorSpecValue{TensorSpecValue: &pb.TensorSpecProto{
		Name: name, Shape: shapeProto(shape), Dtype: pb.DataType_DT_FLOAT}}}
}

// kwOnlySpec is the FunctionSpec of a signature function: keyword-only arguments.
func kwOnlySpec(args ...string) *pb.FunctionSpec {
	kw := make([]*pb.StructuredValue, len(args))
	for i, a := range args {
		kw[i] = stringValue(a)
	}
	pair := func(k string, v *pb.StructuredValue) *pb.PairValue { return &pb.PairValue{Key: k, Value: v} }
	return &pb.FunctionSpec{
		Fullargspec: &pb.StructuredValue{Kind: &pb.StructuredValue_NamedTupleValue{NamedTupleValue: &pb.NamedTupleValue{
			Name: "FullArgSpec",
			Values: []*pb.PairValue{
				pair("args", listValue()), pair("varargs", noneValue()), pair("varkw", noneValue()),
				pair("defaults", noneValue()), pair("kwonlyargs", listValue(kw...)),
				pair("kwonlydefaults", noneValue()), pair("annotations", dictValue(nil)),
			}}}},
		InputSignature: noneValue(),
	}
}

// signatureFunctionDef builds the FunctionDef computing the model: one float argument per
// input (ins, in name order), then one resource argument per model variable (bound to the
// variables on load); one result per output (outs, in name order).
func signatureFunctionDef(sm *seqModel, vars []*tvar, ins, outs []endpoint) (*pb.FunctionDef, error) {
	sig := &pb.OpDef{Name: signatureFunction, IsStateful: true}
	handles := map[string]string{}
	used := map[string]bool{}
	var shapes []*pb.TensorShapeProto
	argAttr := map[uint32]*pb.FunctionDef_ArgAttrs{}
	inRefs := map[string]string{}
	for i, e := range ins {
		a := argName(e.Name)
		for used[a] {
			a += "_"
		}
		used[a] = true
		inRefs[e.Name] = a
		sig.InputArg = append(sig.InputArg, &pb.OpDef_ArgDef{Name: a, Type: pb.DataType_DT_FLOAT})
		shapes = append(shapes, shapeProto(batchDims(e.Shape)))
		argAttr[uint32(i)] = &pb.FunctionDef_ArgAttrs{Attr: map[string]*pb.AttrValue{
			"_user_specified_name": aS(e.Name),
			"_output_shapes":       aShapes(shapeProto(batchDims(e.Shape))),
		}}
	}
	for _, v := range vars {
		a := argName(v.name)
		for used[a] {
			a += "_"
		}
		used[a] = true
		handles[v.name] = a
		sig.InputArg = append(sig.InputArg, &pb.OpDef_ArgDef{Name: a, Type: pb.DataType_DT_RESOURCE,
			HandleData: []*pb.ResourceHandleProto_DtypeAndShape{{Dtype: pb.DataType(v.value.DType), Shape: shapeProto(v.value.Shape)}}})
		shapes = append(shapes, shapeProto(nil))
	}
	b := newBuilder(true)
	var ys []string
	if sm.Functional {
		got, err := lowerFunctional(b, sm, inRefs, handles)
		if err != nil {
			return nil, err
		}
		byName := map[string]string{}
		for i, o := range sm.Outputs {
			byName[o.Name] = got[i]
		}
		for _, o := range outs {
			ys = append(ys, byName[o.Name])
		}
	} else {
		y, err := lowerSequential(b, sm, inRefs[sm.InputName], handles)
		if err != nil {
			return nil, err
		}
		ys = []string{y}
	}
	ret := map[string]string{}
	for i, y := range ys {
		name, arg := "Identity", "identity"
		if i > 0 {
			name, arg = fmt.Sprintf("Identity_%d", i), fmt.Sprintf("identity_%d", i)
		}
		ret[arg] = b.add(name, "Identity", []string{y}, map[string]*pb.AttrValue{"T": aType(pb.DataType_DT_FLOAT)})
		sig.OutputArg = append(sig.OutputArg, &pb.OpDef_ArgDef{Name: arg, Type: pb.DataType_DT_FLOAT})
	}
	return &pb.FunctionDef{
		Signature: sig,
		NodeDef:   b.nodes,
		Ret:       ret,
		Attr: map[string]*pb.AttrValue{
			"_input_shapes":         aShapes(shapes...),
			"_construction_context": aS("kEagerRuntime"),
		},
		ArgAttr: argAttr,
	}, nil
}

// topLevelGraph builds the graph the C++ loader and TF1 sessions run: one VarHandleOp per
// model variable, a serving placeholder per input, a call of the signature function, and a
// SaveV2/RestoreV2 saver over the model variables.
func topLevelGraph(vars []*tvar, ins, outs []endpoint) *pb.GraphDef {
	b := newBuilder(false)
	f := aType(pb.DataType_DT_FLOAT)
	str := aType(pb.DataType_DT_STRING)
	handles := make([]string, len(vars))
	reads := make([]string, len(vars))
	for i, v := range vars {
		vt := aType(pb.DataType(v.value.DType))
		handles[i] = b.add(v.name, "VarHandleOp", nil, map[string]*pb.AttrValue{
			"dtype": vt, "shape": aShape(v.value.Shape), "shared_name": aS(v.name)})
		reads[i] = b.add(v.name+"/Read/ReadVariableOp", "ReadVariableOp", []string{handles[i]}, map[string]*pb.AttrValue{"dtype": vt})
	}
	var args []string
	var tin []pb.DataType
	for _, e := range ins {
		args = append(args, b.add("serving_default_"+e.Name, "Placeholder", nil, map[string]*pb.AttrValue{"dtype": f, "shape": aShape(batchDims(e.Shape))}))
		tin = append(tin, pb.DataType_DT_FLOAT)
	}
	for range vars {
		tin = append(tin, pb.DataType_DT_RESOURCE)
	}
	var tout []pb.DataType
	var outShapes []*pb.TensorShapeProto
	for _, e := range outs {
		tout = append(tout, pb.DataType_DT_FLOAT)
		outShapes = append(outShapes, shapeProto(batchDims(e.Shape)))
	}
	b.add("StatefulPartitionedCall", "StatefulPartitionedCall", append(args, handles...), map[string]*pb.AttrValue{
		"Tin": aTypes(tin...), "Tout": aTypes(tout...), "f": aFunc(signatureFunction),
		"config": aS(""), "config_proto": aS(""), "executor_type": aS(""),
		"_output_shapes": aShapes(outShapes...),
	})
	// Saver.
	fn := b.add("saver_filename", "Placeholder", nil, map[string]*pb.AttrValue{"dtype": str, "shape": aShape(nil)})
	names := make([]string, len(vars))
	slices := make([]string, len(vars))
	dtypes := make([]pb.DataType, len(vars))
	for i, v := range vars {
		names[i] = v.key
		dtypes[i] = pb.DataType(v.value.DType)
	}
	tn := b.add("save/tensor_names", "Const", nil, map[string]*pb.AttrValue{"dtype": str, "value": aTensor(stringConst(names, false))})
	ss := b.add("save/shape_and_slices", "Const", nil, map[string]*pb.AttrValue{"dtype": str, "value": aTensor(stringConst(slices, false))})
	save := b.add("save/SaveV2", "SaveV2", append([]string{fn, tn, ss}, reads...), map[string]*pb.AttrValue{"dtypes": aTypes(dtypes...)})
	b.add("save/control_dependency", "Identity", []string{fn, "^" + save}, map[string]*pb.AttrValue{"T": str})
	restore := b.add("save/RestoreV2", "RestoreV2", []string{fn, tn, ss}, map[string]*pb.AttrValue{"dtypes": aTypes(dtypes...)})
	var assigns []string
	for i, v := range vars {
		a := b.add("save/AssignVariableOp_"+fmt.Sprint(i), "AssignVariableOp",
			[]string{handles[i], b.ref(restore, "RestoreV2", i)}, map[string]*pb.AttrValue{"dtype": aType(pb.DataType(v.value.DType))})
		assigns = append(assigns, "^"+a)
	}
	b.add("save/restore_all", "NoOp", assigns, nil)
	return &pb.GraphDef{Node: b.nodes}
}

// kerasMetadata builds keras_metadata.pb: one node per Keras object (the model and its layers).
func kerasMetadata(o Options, m *saved.Model, sm *seqModel, t *tree, ids []int, root int) (*pb.SavedMetadata, error) {
	kv := o.KerasVersion
	if kv == "" {
		kv = m.KerasVersion
	}
	if kv == "" || kv[0] != '2' {
		kv = "2.21.0"
	}
	ver := &pb.VersionDef{Producer: kerasMetadataProducer, MinConsumer: kerasMetadataMinCons}
	tshape := func(s []int) map[string]any {
		items := make([]any, len(s)+1)
		for i, d := range s {
			items[i+1] = d
		}
		return map[string]any{"class_name": "TensorShape", "items": items}
	}
	// build_input_shape: one TensorShape, or a list of them for a layer or model with
	// several inputs.
	tshapes := func(s [][]int) any {
		if len(s) == 1 {
			return tshape(s[0])
		}
		out := make([]any, len(s))
		for i := range s {
			out[i] = tshape(s[i])
		}
		return out
	}
	class, rootID := "Sequential", sequentialIdentifier
	if sm.Functional {
		class, rootID = "Functional", networkIdentifier
	}
	var inShapes [][]int
	for _, e := range sm.inputs() {
		inShapes = append(inShapes, e.Shape)
	}
	modelConfig := map[string]any{"class_name": class, "config": sm.Config}
	rootMD := map[string]any{
		"name": sm.Name, "trainable": true, "expects_training_arg": true, "dtype": "float32",
		"batch_input_shape": nil, "must_restore_from_config": false,
		"preserve_input_structure_in_config": false, "autocast": false, "class_name": class,
		"config": sm.Config, "is_graph_network": true, "build_input_shape": tshapes(inShapes),
		"keras_version": kv, "backend": "tensorflow", "model_config": modelConfig,
	}
	if len(m.TrainingConfig) > 0 {
		tc, err := decodeJSON(m.TrainingConfig)
		if err != nil {
			return nil, formatErr("training config: %v", err)
		}
		rootMD["training_config"] = tc
	}
	js, err := json.Marshal(rootMD)
	if err != nil {
		return nil, err
	}
	md := &pb.SavedMetadata{Nodes: []*pb.KerasObject{{
		NodeId: int32(ids[root]), NodePath: "root", Identifier: rootID, Metadata: string(js), Version: ver}}}
	var addLayers func(sm *seqModel, parent int, parentPath string) error
	addLayers = func(sm *seqModel, parent int, parentPath string) error {
		for _, l := range sm.Layers {
			path := ""
			for _, e := range t.nodes[parent].children {
				if e.node == l.node {
					path = parentPath + "." + e.name
					break
				}
			}
			if l.Input {
				bis := map[string]any{"class_name": "__tuple__", "items": append([]any{nil}, intsAny(l.Out)...)}
				lmd := map[string]any{"class_name": l.Class, "name": l.Name, "dtype": strCfg(l.Cfg, "dtype", "float32"),
					"sparse": boolCfg(l.Cfg, "sparse", false), "ragged": boolCfg(l.Cfg, "ragged", false),
					"batch_input_shape": bis, "config": l.Cfg}
				js, err := json.Marshal(lmd)
				if err != nil {
					return err
				}
				md.Nodes = append(md.Nodes, &pb.KerasObject{NodeId: int32(ids[l.node]), NodePath: path,
					Identifier: inputLayerIdentifier, Metadata: string(js), Version: ver})
				continue
			}
			if l.Sub != nil {
				// A nested model: described as a model (its config, model_config, input
				// shape), then its own layers below it.
				class, id := "Sequential", sequentialIdentifier
				if l.Sub.Functional {
					class, id = "Functional", networkIdentifier
				}
				var in [][]int
				for _, e := range l.Sub.inputs() {
					in = append(in, e.Shape)
				}
				lmd := map[string]any{
					"name": l.Name, "trainable": boolCfg(l.Cfg, "trainable", true), "expects_training_arg": true,
					"dtype": strCfg(l.Cfg, "dtype", "float32"), "batch_input_shape": nil,
					"must_restore_from_config": false, "preserve_input_structure_in_config": false,
					"autocast": false, "class_name": class, "config": l.Cfg, "build_input_shape": tshapes(in),
					"is_graph_network": true, "keras_version": kv, "backend": "tensorflow",
					"model_config": map[string]any{"class_name": class, "config": l.Cfg},
				}
				if nodes, ok := l.Raw["inbound_nodes"]; ok && sm.Functional {
					lmd["inbound_nodes"] = nodes
				}
				js, err := json.Marshal(lmd)
				if err != nil {
					return err
				}
				md.Nodes = append(md.Nodes, &pb.KerasObject{NodeId: int32(ids[l.node]), NodePath: path,
					Identifier: id, Metadata: string(js), Version: ver})
				if err := addLayers(l.Sub, l.node, path); err != nil {
					return err
				}
				continue
			}
			var bis any
			if l.First {
				items := []any{nil}
				for _, d := range sm.InputShape {
					items = append(items, d)
				}
				bis = map[string]any{"class_name": "__tuple__", "items": items}
			}
			lmd := map[string]any{
				"name": l.Name, "trainable": boolCfg(l.Cfg, "trainable", true), "expects_training_arg": l.Graph.Training,
				"dtype": dtypeCfg(l.Cfg), "batch_input_shape": bis, "stateful": false,
				"must_restore_from_config": false, "preserve_input_structure_in_config": false,
				"autocast": true, "class_name": l.Class, "config": l.Cfg, "build_input_shape": tshape(l.In),
			}
			if sm.Functional {
				lmd["build_input_shape"] = tshapes(l.InShapes)
				if nodes, ok := l.Raw["inbound_nodes"]; ok {
					lmd["inbound_nodes"] = nodes
				}
			}
			js, err := json.Marshal(lmd)
			if err != nil {
				return err
			}
			md.Nodes = append(md.Nodes, &pb.KerasObject{NodeId: int32(ids[l.node]), NodePath: path,
				Identifier: layerIdentifier, Metadata: string(js), Version: ver})
			subs, err := subLayerMetadata(t, ids, l.node, path, l, ver, tshape)
			if err != nil {
				return err
			}
			md.Nodes = append(md.Nodes, subs...)
		}
		return nil
	}
	if err := addLayers(sm, root, "root"); err != nil {
		return nil, err
	}
	return md, nil
}

// subLayerGraph returns the metadata the layer's graph gives for its sub-layer attr (nil:
// none).
func subLayerGraph(l *layerSpec, attr string) *saved.SubLayerGraph {
	if l.Graph == nil {
		return nil
	}
	for i := range l.Graph.SubLayers {
		if l.Graph.SubLayers[i].Attr == attr {
			return &l.Graph.SubLayers[i]
		}
	}
	return nil
}

// subLayerMetadata is the Keras metadata of the sub-layers of layer node ln (tf_keras's
// loader builds a revived layer's unbuilt sub-layers from it).
func subLayerMetadata(t *tree, ids []int, ln int, path string, l *layerSpec, ver *pb.VersionDef, tshape func([]int) map[string]any) ([]*pb.KerasObject, error) {
	var out []*pb.KerasObject
	for _, e := range t.nodes[ln].children {
		g := subLayerGraph(l, e.name)
		if g == nil {
			continue
		}
		lmd := map[string]any{
			"name": g.Config["name"], "trainable": true, "expects_training_arg": false, "dtype": "float32",
			"batch_input_shape": nil, "stateful": false, "must_restore_from_config": false,
			"preserve_input_structure_in_config": false, "autocast": true, "class_name": g.Class,
			"config": g.Config, "build_input_shape": tshape(g.InputShape),
		}
		js, err := json.Marshal(lmd)
		if err != nil {
			return nil, err
		}
		out = append(out, &pb.KerasObject{NodeId: int32(ids[e.node]), NodePath: path + "." + e.name,
			Identifier: layerIdentifier, Metadata: string(js), Version: ver})
	}
	return out, nil
}

func intsAny(v []int) []any {
	out := make([]any, len(v))
	for i, d := range v {
		out[i] = d
	}
	return out
}
