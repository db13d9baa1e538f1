package savedmodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	pb "github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

func sameTensor(a, b *tensor.Tensor) bool {
	return a.DType == b.DType && reflect.DeepEqual(a.Shape, b.Shape) && reflect.DeepEqual(a.Data, b.Data)
}

// TestRoundTrip saves every fixture model with an optimizer state and loads it back.
func TestRoundTrip(t *testing.T) {
	for _, v := range modelVariants {
		t.Run(v, func(t *testing.T) {
			m := fixtureModel(t, v, true)
			dir := filepath.Join(t.TempDir(), "sm")
			if err := Save(dir, m); err != nil {
				t.Fatal(err)
			}
			got, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			// The architecture: class_name and config as model.to_json() has them.
			want := jsonValue(t, m.Config).(map[string]any)
			g := jsonValue(t, got.Config).(map[string]any)
			if !reflect.DeepEqual(g["class_name"], want["class_name"]) || !reflect.DeepEqual(g["config"], want["config"]) {
				t.Errorf("config differs:\n got %s\nwant %s", got.Config, m.Config)
			}
			if !reflect.DeepEqual(jsonValue(t, got.TrainingConfig), jsonValue(t, m.TrainingConfig)) {
				t.Errorf("training config %s, want %s", got.TrainingConfig, m.TrainingConfig)
			}
			if got.Dialect != saved.Keras2 || got.KerasVersion != "2.21.0" || got.Backend != "tensorflow" {
				t.Errorf("dialect %v version %q backend %q", got.Dialect, got.KerasVersion, got.Backend)
			}
			if len(got.Layers) != len(m.Layers) {
				t.Fatalf("%d layers, want %d", len(got.Layers), len(m.Layers))
			}
			for i, l := range m.Layers {
				gl := got.Layers[i]
				if gl.Name != l.Name || gl.Class != l.Class || len(gl.Weights) != len(l.Weights) {
					t.Fatalf("layer %d: %s %s %d weights, want %s %s %d", i, gl.Name, gl.Class, len(gl.Weights), l.Name, l.Class, len(l.Weights))
				}
				for j, w := range l.Weights {
					gw := gl.Weights[j]
					if gw.Name != w.Name || gw.Trainable != w.Trainable || !sameTensor(gw.Value, w.Value) {
						t.Errorf("%s/%s: %s trainable=%v %v, want %s trainable=%v %v", l.Name, w.Name, gw.Name, gw.Trainable, gw.Value.Shape, w.Name, w.Trainable, w.Value.Shape)
					}
				}
			}
			o, go_ := m.Optimizer, got.Optimizer
			if go_ == nil || go_.Class != o.Class || go_.Iterations != o.Iterations || go_.LearningRate != o.LearningRate || len(go_.Slots) != len(o.Slots) {
				t.Fatalf("optimizer %+v, want %s it=%d lr=%g %d slots", go_, o.Class, o.Iterations, o.LearningRate, len(o.Slots))
			}
			for i, s := range o.Slots {
				gs := go_.Slots[i]
				if gs.Layer != s.Layer || gs.Weight != s.Weight || gs.Name != s.Name || !sameTensor(gs.Value, s.Value) {
					t.Errorf("slot %d: %s/%s %s, want %s/%s %s (or values differ)", i, gs.Layer, gs.Weight, gs.Name, s.Layer, s.Weight, s.Name)
				}
			}
			var oc map[string]any
			if err := json.Unmarshal(go_.Config, &oc); err != nil || oc["name"] != "Adam" {
				t.Errorf("optimizer config %s", go_.Config)
			}
		})
	}
}

// TestSaveLayout checks the files and the keys tf_keras uses.
func TestSaveLayout(t *testing.T) {
	m := fixtureModel(t, "seed", true)
	dir := filepath.Join(t.TempDir(), "sm")
	if err := Save(dir, m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{SavedModelFile, KerasMetadataFile, "variables/variables.index", "variables/variables.data-00000-of-00001"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, AssetsDir)); err != nil || !st.IsDir() {
		t.Errorf("assets/: %v", err)
	}
	info, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, v := range info.Variables {
		keys[v.Key] = v.FullName
	}
	for key, full := range map[string]string{
		"layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE":          "conv_1/kernel",
		"layer_with_weights-1/moving_variance/.ATTRIBUTES/VARIABLE_VALUE": "batch_normalization/moving_variance",
		"layer_with_weights-3/bias/.ATTRIBUTES/VARIABLE_VALUE":            "dense_2/bias",
		"optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE":                "iteration",
		"optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE":             "learning_rate",
		"optimizer/_variables/1/.ATTRIBUTES/VARIABLE_VALUE":               "Adam/m/conv_1/kernel",
		"optimizer/_variables/16/.ATTRIBUTES/VARIABLE_VALUE":              "Adam/v/dense_2/bias",
	} {
		if keys[key] != full {
			t.Errorf("key %s: full name %q, want %q", key, keys[key], full)
		}
	}
	if len(info.Variables) != 10+2+16 {
		t.Errorf("%d variables, want 28", len(info.Variables))
	}
	if info.Keras == nil || info.Keras.Class != "Sequential" || info.Keras.Nodes != 8 {
		t.Errorf("keras info %+v", info.Keras)
	}
	s := info.Signatures
	if len(s) != 1 || s[0].Key != DefaultSignature || s[0].Method != PredictMethod ||
		s[0].Inputs[0].Key != "conv_1_input" || !reflect.DeepEqual(s[0].Inputs[0].Shape, []int{-1, 32, 32, 3}) ||
		s[0].Outputs[0].Key != "dense_2" || !reflect.DeepEqual(s[0].Outputs[0].Shape, []int{-1, 10}) ||
		s[0].Outputs[0].DType != tensor.Float32 {
		t.Errorf("signatures %+v", s)
	}
	// The graph uses the ops TF's Keras inference graph uses, with is_training false.
	b, err := os.ReadFile(filepath.Join(dir, SavedModelFile))
	if err != nil {
		t.Fatal(err)
	}
	sm, err := parseSavedModel(b)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]*pb.NodeDef{}
	for _, n := range sm.MetaGraphs[0].GraphDef.Library.Function[0].NodeDef {
		ops[n.Op] = n
	}
	for _, op := range []string{"ReadVariableOp", "Conv2D", "BiasAdd", "Relu", "MaxPool", "FusedBatchNormV3", "Reshape", "MatMul", "Softmax", "Identity"} {
		if ops[op] == nil {
			t.Errorf("no %s in the signature function", op)
		}
	}
	if bn := ops["FusedBatchNormV3"]; bn != nil && (bn.Attr["is_training"].GetB() || bn.Attr["epsilon"].GetF() != 0.001) {
		t.Errorf("FusedBatchNormV3 attrs %v", bn.Attr)
	}
	sd := sm.MetaGraphs[0].SaverDef
	if sd.GetRestoreOpName() != "save/restore_all" || sd.GetFilenameTensorName() != "saver_filename:0" || sd.GetVersion() != pb.SaverDef_V2 {
		t.Errorf("saver_def %v", sd)
	}
}

// TestDeterministic: the same model gives the same bytes.
func TestDeterministic(t *testing.T) {
	m := fixtureModel(t, "seed", true)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if err := Save(a, m); err != nil {
		t.Fatal(err)
	}
	if err := Save(b, m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{SavedModelFile, KerasMetadataFile, "variables/variables.index", "variables/variables.data-00000-of-00001"} {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two saves (%v, %v)", f, err1, err2)
		}
	}
}

// TestSaveAtomic: a save replaces the directory as a whole; a failed save leaves the old one.
func TestSaveAtomic(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "sm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A directory holding something other than a SavedModel is never replaced.
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(dir, fixtureModel(t, "seed", false)); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("save over a foreign directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "notes.txt"))
	// An old SavedModel is replaced as a whole (its fingerprint.pb, which kerasgo does not
	// write, goes with it).
	if err := os.WriteFile(filepath.Join(dir, FingerprintFile), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(dir, fixtureModel(t, "seed", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FingerprintFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old content survived the save: %v", err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, SavedModelFile))
	bad := fixtureModel(t, "seed", false)
	bad.Layers[0].Weights = bad.Layers[0].Weights[1:] // the graph reads the kernel
	err := Save(dir, bad)
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "conv_1") || !strings.Contains(err.Error(), "kernel") {
		t.Errorf("bad weights: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, SavedModelFile))
	if !bytes.Equal(before, after) {
		t.Error("a failed save changed the existing SavedModel")
	}
	ents, _ := os.ReadDir(parent)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("temporary files left next to the target: %v", names)
	}
}

func TestSaveErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sm")
	m := fixtureModel(t, "seed", false)
	m.Config = json.RawMessage(`{"class_name": "Functional", "config": {"name": "f", "layers": []}}`)
	if err := Save(dir, m); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "Functional config has no layers") {
		t.Errorf("Functional without layers: %v", err)
	}
	m.Config = json.RawMessage(`{"class_name": "MyModel", "config": {"name": "f", "layers": []}}`)
	if err := Save(dir, m); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "MyModel") {
		t.Errorf("subclassed model: %v", err)
	}
	m = fixtureModel(t, "seed", false)
	m.Dialect = saved.Keras3
	if err := Save(dir, m); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Keras3 dialect: %v", err)
	}
	m = fixtureModel(t, "seed", false)
	m.Layers[3].Graph = nil // as a codec reads a model
	if err := Save(dir, m); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `layer "flatten"`) || !strings.Contains(err.Error(), "no graph") {
		t.Errorf("layer without a graph: %v", err)
	}
	m = fixtureModel(t, "seed", false)
	m.Layers[3].Graph.Ops[1].Inputs[1] = "Nope"
	if err := Save(dir, m); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `"Nope"`) {
		t.Errorf("dangling op reference: %v", err)
	}
	m = fixtureModel(t, "seed", false)
	m.Layers[3].Graph.InputShapes[0] = []int{7}
	if err := Save(dir, m); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "input shape") {
		t.Errorf("graph for another input shape: %v", err)
	}
	m = fixtureModel(t, "seed", false)
	m.Layers[4].Weights = m.Layers[4].Weights[:1]
	if err := Save(dir, m); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "dense_1") {
		t.Errorf("missing bias: %v", err)
	}
	if err := Save(dir, &saved.Model{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("weights-only model: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed saves created %s", dir)
	}
}

// TestInspectCorpus lists the third-party SavedModels (TF1 and TF2, Keras and not).
func TestInspectCorpus(t *testing.T) {
	fx := fixturesDir(t)
	type sig struct{ key, in, inName, out, outName string }
	cases := []struct {
		dir      string
		tf       string
		objGraph bool
		keras    string
		sig      sig
		inShape  []int
		vars     []string
	}{
		{"tf-serving/saved_model_half_plus_two_cpu/00000123", "1.14.0", false, "",
			sig{"serving_default", "x", "x:0", "y", "y:0"}, []int{-1, 1}, []string{"a", "a2", "b", "c", "c2"}},
		{"tf-serving/saved_model_half_plus_two_tf2_cpu/00000123", "2.14.0", true, "",
			sig{"serving_default", "x", "serving_default_x:0", "y", "StatefulPartitionedCall_5:0"}, []int{1},
			[]string{"a/.ATTRIBUTES/VARIABLE_VALUE", "b/.ATTRIBUTES/VARIABLE_VALUE", "c/.ATTRIBUTES/VARIABLE_VALUE"}},
		{"tf-serving/saved_model_counter/00000123", "1.5.0-rc1", false, "",
			sig{"incr_counter_by", "delta", "delta:0", "output", "incr_counter_by_op/AssignAdd:0"}, nil, []string{"counter"}},
		{"tf-serving/saved_model_half_plus_three/00000123", "1.0.0-rc2", false, "",
			sig{"serving_default", "x", "x:0", "y", "y:0"}, nil, []string{"a", "b", "c"}},
		{"tf2onnx/regression/saved_model", "1.11.0", false, "",
			sig{"serving_default", "X", "X:0", "pred", "pred:0"}, nil, []string{"W", "b"}},
		{"tf-rust/keras_single_input_saved_model", "2.3.0", true, "Sequential",
			sig{"serving_default", "test_in_input", "serving_default_test_in_input:0", "test_out", "StatefulPartitionedCall:0"}, []int{-1, 5}, nil},
		{"tfnet/simple_model_from_auto_compile", "2.11.0", true, "Functional",
			sig{"serving_default", "input_1", "serving_default_input_1:0", "softmax", "StatefulPartitionedCall:0"}, []int{-1, 28, 28, 1}, nil},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			info, err := Inspect(filepath.Join(fx, c.dir))
			if err != nil {
				t.Fatal(err)
			}
			if info.TensorFlowVersion != c.tf || info.ObjectGraph != c.objGraph || !reflect.DeepEqual(info.Tags, [][]string{{"serve"}}) {
				t.Errorf("tf %q objgraph %v tags %v", info.TensorFlowVersion, info.ObjectGraph, info.Tags)
			}
			if (info.Keras == nil) != (c.keras == "") || (info.Keras != nil && info.Keras.Class != c.keras) {
				t.Errorf("keras %+v, want %q", info.Keras, c.keras)
			}
			var s *Signature
			for i := range info.Signatures {
				if info.Signatures[i].Key == c.sig.key {
					s = &info.Signatures[i]
				}
			}
			if s == nil {
				t.Fatalf("no signature %q in %+v", c.sig.key, info.Signatures)
			}
			if len(s.Inputs) < 1 || s.Inputs[0].Key != c.sig.in || s.Inputs[0].Name != c.sig.inName ||
				len(s.Outputs) != 1 || s.Outputs[0].Key != c.sig.out || s.Outputs[0].Name != c.sig.outName {
				t.Errorf("signature %+v", *s)
			}
			if c.inShape != nil && !reflect.DeepEqual(s.Inputs[0].Shape, c.inShape) {
				t.Errorf("input shape %v, want %v", s.Inputs[0].Shape, c.inShape)
			}
			if c.vars != nil {
				var keys []string
				for _, v := range info.Variables {
					keys = append(keys, v.Key)
					if v.DType != tensor.Float32 {
						t.Errorf("%s: %v", v.Key, v.DType)
					}
				}
				if !reflect.DeepEqual(keys, c.vars) {
					t.Errorf("variables %v, want %v", keys, c.vars)
				}
			}
			// Only Keras SavedModels load as models.
			_, err = Load(filepath.Join(fx, c.dir))
			if c.keras == "" && !errors.Is(err, ErrUnsupported) {
				t.Errorf("Load of a non-Keras SavedModel: %v, want ErrUnsupported", err)
			}
			if c.keras != "" && err != nil {
				t.Errorf("Load: %v", err)
			}
		})
	}
}

// TestLoadCorpusKeras: the TF.NET Keras model's weights equal the .npy files its test
// compares with; the TF 2.3 model (metadata inside saved_model.pb) loads with legacy Adam
// slots.
func TestLoadCorpusKeras(t *testing.T) {
	fx := fixturesDir(t)
	d := filepath.Join(fx, "tfnet/simple_model_from_auto_compile")
	m, err := Load(d)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range m.Layers {
		names = append(names, l.Name+":"+l.Class)
	}
	if want := []string{"input_1:InputLayer", "flatten:Flatten", "dense:Dense", "dense_1:Dense", "softmax:Softmax"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("layers %v, want %v", names, want)
	}
	for _, c := range []struct {
		layer, file string
		w           int
	}{{"dense", "bias0.npy", 1}, {"dense_1", "kernel1.npy", 0}} {
		want, err := npy.ReadFile(filepath.Join(d, c.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range m.Layers {
			if l.Name == c.layer && !sameTensor(l.Weights[c.w].Value, want) {
				t.Errorf("%s weight %d differs from %s", c.layer, c.w, c.file)
			}
		}
	}
	cfg := jsonValue(t, m.Config).(map[string]any)
	if cfg["class_name"] != "Functional" || strings.Contains(string(m.Config), "__tuple__") || strings.Contains(string(m.Config), "shared_object_id") {
		t.Errorf("config %s", m.Config)
	}

	m, err = Load(filepath.Join(fx, "tf-rust/keras_single_input_saved_model"))
	if err != nil {
		t.Fatal(err)
	}
	if m.KerasVersion != "2.4.0" || len(m.Layers) != 3 || m.Optimizer == nil || m.Optimizer.Iterations != 1 || len(m.Optimizer.Slots) != 12 {
		t.Errorf("tf-rust model: version %q, %d layers, optimizer %+v", m.KerasVersion, len(m.Layers), m.Optimizer)
	}
}

// TestCorrupt: truncated or garbled files give errors (never panics).
func TestCorrupt(t *testing.T) {
	src := filepath.Join(t.TempDir(), "sm")
	if err := Save(src, fixtureModel(t, "seed", true)); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{SavedModelFile, KerasMetadataFile} {
		orig, err := os.ReadFile(filepath.Join(src, file))
		if err != nil {
			t.Fatal(err)
		}
		fails := 0
		cuts := 0
		for cut := 0; cut < len(orig); cut += 1 + len(orig)/97 {
			cuts++
			dir := filepath.Join(t.TempDir(), "d")
			copyDir(t, src, dir)
			if err := os.WriteFile(filepath.Join(dir, file), orig[:cut], 0o644); err != nil {
				t.Fatal(err)
			}
			_, err1 := Inspect(dir)
			_, err2 := Load(dir)
			if err1 != nil || err2 != nil {
				fails++
			}
			for _, err := range []error{err1, err2} {
				if err != nil && !strings.HasPrefix(err.Error(), "savedmodel: ") {
					t.Errorf("error without package prefix: %v", err)
				}
			}
		}
		// A protobuf cut between fields is still a valid (smaller) message; most cuts are not.
		if fails < cuts/2 {
			t.Errorf("%s: only %d of %d truncations were reported", file, fails, cuts)
		}
	}
	dir := filepath.Join(t.TempDir(), "d")
	copyDir(t, src, dir)
	os.WriteFile(filepath.Join(dir, SavedModelFile), []byte("not a protobuf \xff\xff\xff"), 0o644)
	if _, err := Inspect(dir); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), SavedModelFile) {
		t.Errorf("garbage saved_model.pb: %v", err)
	}
	copyDir(t, src, dir)
	os.WriteFile(filepath.Join(dir, KerasMetadataFile), []byte{0x0a, 0x05, 0x2a, 0x03, '{', 'x', '}'}, 0o644)
	if _, err := Load(dir); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), KerasMetadataFile) {
		t.Errorf("bad metadata JSON: %v", err)
	}
	if _, err := Inspect(t.TempDir()); !errors.Is(err, ErrFormat) {
		t.Errorf("empty directory: %v", err)
	}
	// A flipped byte in the variables data is caught by the bundle's checksums.
	copyDir(t, src, dir)
	data := filepath.Join(dir, "variables", "variables.data-00000-of-00001")
	b, _ := os.ReadFile(data)
	b[100] ^= 0xff
	os.WriteFile(data, b, 0o644)
	if _, err := Load(dir); !errors.Is(err, checkpoint.ErrChecksum) || !errors.Is(err, ErrChecksum) {
		t.Errorf("flipped data byte: %v, want savedmodel.ErrChecksum wrapping checkpoint.ErrChecksum", err)
	}

	// An object graph pointing outside the node list.
	sm := &pb.SavedModel{MetaGraphs: []*pb.MetaGraphDef{{ObjectGraphDef: &pb.SavedObjectGraph{Nodes: []*pb.SavedObject{
		{Children: []*pb.TrackableObjectGraph_TrackableObject_ObjectReference{{NodeId: 7, LocalName: "x"}}}}}}}}
	raw, _ := proto.Marshal(sm)
	if _, err := parseSavedModel(raw); !errors.Is(err, ErrFormat) {
		t.Errorf("dangling child: %v", err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	os.RemoveAll(dst)
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDump(t *testing.T) {
	fx := fixturesDir(t)
	info, err := Inspect(filepath.Join(fx, "tf-serving/saved_model_counter/00000123"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := info.Dump(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"tag-set: serve\n",
		"written by TensorFlow 1.5.0-rc1\n",
		"signature_def[\"incr_counter_by\"]:\n  inputs[\"delta\"]: float32 unknown  (delta:0)\n  outputs[\"output\"]: float32_ref () ",
		"variables (1):\n  counter float32 ()\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Dump lacks %q:\n%s", want, b.String())
		}
	}
}

// TestLegacyOptimizer: a training config naming a legacy (tf_keras <= 2.10) optimizer gets the
// optimizer_v2 checkpoint layout, which reads back the same.
func TestLegacyOptimizer(t *testing.T) {
	m := fixtureModel(t, "seed", true)
	m.TrainingConfig = json.RawMessage(`{"loss": "sparse_categorical_crossentropy", "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}}}`)
	dir := filepath.Join(t.TempDir(), "sm")
	if err := Save(dir, m); err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, v := range info.Variables {
		keys[v.Key] = v.FullName
	}
	for k, full := range map[string]string{
		"optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE":                                          "Adam/iter",
		"layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE": "Adam/conv_1/kernel/m",
		"layer_with_weights-3/bias/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE":   "Adam/dense_2/bias/v",
	} {
		if keys[k] != full {
			t.Errorf("%s: %q, want %q", k, keys[k], full)
		}
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Optimizer == nil || got.Optimizer.Iterations != 8 || len(got.Optimizer.Slots) != len(m.Optimizer.Slots) {
		t.Fatalf("optimizer %+v", got.Optimizer)
	}
	for i, s := range m.Optimizer.Slots {
		g := got.Optimizer.Slots[i]
		if g.Layer != s.Layer || g.Weight != s.Weight || g.Name != s.Name || !sameTensor(g.Value, s.Value) {
			t.Errorf("slot %d: %s/%s %s, want %s/%s %s", i, g.Layer, g.Weight, g.Name, s.Layer, s.Weight, s.Name)
		}
	}
}

// TestNoKerasMetadata: a plain serving SavedModel has no Keras objects to revive.
func TestNoKerasMetadata(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sm")
	if err := (Options{NoKerasMetadata: true}).Save(dir, fixtureModel(t, "seed", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, KerasMetadataFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("keras_metadata.pb written: %v", err)
	}
	info, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Keras != nil || len(info.Signatures) != 1 || len(info.Variables) != 10 {
		t.Errorf("info %+v", info)
	}
	if _, err := Load(dir); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Load: %v", err)
	}
}

// TestTextFormat: a directory with saved_model.pbtxt instead of saved_model.pb reads the same.
func TestTextFormat(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sm")
	if err := Save(dir, fixtureModel(t, "seed", true)); err != nil {
		t.Fatal(err)
	}
	want, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, SavedModelFile))
	if err != nil {
		t.Fatal(err)
	}
	sm, err := parseSavedModel(b)
	if err != nil {
		t.Fatal(err)
	}
	txt, err := prototext.Marshal(sm)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, SavedModelFile))
	if err := os.WriteFile(filepath.Join(dir, SavedModelTxtFile), txt, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Signatures, want.Signatures) || !reflect.DeepEqual(got.Variables, want.Variables) {
		t.Errorf("pbtxt: %+v\nwant %+v", got, want)
	}
	if _, err := Load(dir); err != nil {
		t.Error(err)
	}
	os.WriteFile(filepath.Join(dir, SavedModelTxtFile), []byte("meta_graphs { nonsense"), 0o644)
	if _, err := Inspect(dir); !errors.Is(err, ErrFormat) {
		t.Errorf("bad pbtxt: %v", err)
	}
}

// TestLoadPositional: weights follow the layer-<i> edges, not the variables' names: a config
// whose layer names differ from the names the variables were created under still loads, and
// the optimizer slots follow their layers.
func TestLoadPositional(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sm")
	if err := Save(dir, fixtureModel(t, "seed", true)); err != nil {
		t.Fatal(err)
	}
	mdPath := filepath.Join(dir, KerasMetadataFile)
	b, err := os.ReadFile(mdPath)
	if err != nil {
		t.Fatal(err)
	}
	md, err := parseKerasMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	md.Nodes[0].Metadata = strings.ReplaceAll(md.Nodes[0].Metadata, `"conv_1"`, `"renamed_conv"`)
	b, _ = proto.Marshal(md)
	if err := os.WriteFile(mdPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Layers[0].Name != "renamed_conv" || len(m.Layers[0].Weights) != 2 {
		t.Errorf("layer 0: %s with %d weights", m.Layers[0].Name, len(m.Layers[0].Weights))
	}
	if s := m.Optimizer.Slots[0]; s.Layer != "renamed_conv" || s.Weight != "kernel" {
		t.Errorf("slot 0 belongs to %s/%s", s.Layer, s.Weight)
	}
}

// TestExtraLayersNamedDeterministically: when the variables hold layers the metadata's config
// does not have, the error names the first of them in sorted order, every time.
func TestExtraLayersNamedDeterministically(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "act")
	if err := Save(dir, fixtureModel(t, "activations", false)); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "seed")
	if err := Save(other, fixtureModel(t, "seed", false)); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(other, KerasMetadataFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, KerasMetadataFile), md, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		_, err := Load(dir)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `"conv_linear"`) {
			t.Fatalf("run %d: %v, want ErrFormat naming conv_linear", i, err)
		}
	}
}

// TestFloatObjectGraph: a variables bundle whose _CHECKPOINTABLE_OBJECT_GRAPH is a float32
// tensor is ErrFormat naming the key and the index file, for Inspect and Load.
func TestFloatObjectGraph(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	if err := Save(dir, fixtureModel(t, "seed", false)); err != nil {
		t.Fatal(err)
	}
	prefix := variablesPrefix(dir)
	r, err := checkpoint.Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	ts := map[string]*tensor.Tensor{}
	for _, k := range r.Keys() {
		if ts[k], err = r.Read(k); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	ts[checkpoint.ObjectGraphKey] = tensor.MustFromFloat32([]int{1}, []float32{1})
	w, err := checkpoint.NewWriter(prefix)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(ts))
	for k := range ts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := w.Add(k, ts[k]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Inspect(dir)
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), checkpoint.ObjectGraphKey) || !strings.Contains(err.Error(), "variables.index") {
		t.Errorf("Inspect: %v, want ErrFormat naming the object graph key and the index", err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrFormat) {
		t.Errorf("Load: %v, want ErrFormat", err)
	}
}
