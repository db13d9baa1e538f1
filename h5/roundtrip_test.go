//go:build cgo

package h5

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// seedModel builds a saved.Model shaped like the seed CNN with deterministic values.
func seedModel(d saved.Dialect, withOpt bool) *saved.Model {
	val := func(seed int, shape ...int) *tensor.Tensor {
		n, _ := tensor.NumElements(shape)
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Sin(float64(seed*1000+i))) * 0.5
		}
		return tensor.MustFromFloat32(shape, x)
	}
	layers := []saved.Layer{
		{Name: "conv_1", Class: "Conv2D", Weights: []saved.Variable{
			{Name: "kernel", Trainable: true, Value: val(1, 3, 3, 1, 4)},
			{Name: "bias", Trainable: true, Value: val(2, 4)}}},
		{Name: "bn_1", Class: "BatchNormalization", Weights: []saved.Variable{
			{Name: "gamma", Trainable: true, Value: val(3, 4)},
			{Name: "beta", Trainable: true, Value: val(4, 4)},
			{Name: "moving_mean", Value: val(5, 4)},
			{Name: "moving_variance", Value: val(6, 4)}}},
		{Name: "pool_1", Class: "MaxPooling2D"},
		{Name: "flatten", Class: "Flatten"},
		{Name: "dense_1", Class: "Dense", Weights: []saved.Variable{
			{Name: "kernel", Trainable: true, Value: val(7, 100, 8)},
			{Name: "bias", Trainable: true, Value: val(8, 8)}}},
		{Name: "dropout", Class: "Dropout"},
		{Name: "dense_2", Class: "Dense", Weights: []saved.Variable{
			{Name: "kernel", Trainable: true, Value: val(9, 8, 3)},
			{Name: "bias", Trainable: true, Value: val(10, 3)}}},
	}
	var cfg, tc, ocfg string
	layerCfg := func(class, name string) string {
		if d == saved.Keras3 {
			return fmt.Sprintf(`{"module": "keras.layers", "class_name": %q, "config": {"name": %q, "trainable": true}, "registered_name": null, "build_config": {"input_shape": [null, 12, 12, 1]}}`, class, name)
		}
		return fmt.Sprintf(`{"class_name": %q, "config": {"name": %q, "trainable": true}}`, class, name)
	}
	var ls []string
	if d == saved.Keras3 {
		ls = append(ls, `{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 12, 12, 1], "name": "input_layer"}, "registered_name": null}`)
	} else {
		ls = append(ls, `{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 12, 12, 1], "name": "input_1"}}`)
	}
	for _, l := range layers {
		ls = append(ls, layerCfg(l.Class, l.Name))
	}
	if d == saved.Keras3 {
		cfg = `{"module": "keras", "class_name": "Sequential", "config": {"name": "seq", "trainable": true, "layers": [` + strings.Join(ls, ", ") + `]}, "registered_name": null, "build_config": {"input_shape": [null, 12, 12, 1]}}`
		ocfg = `{"name": "adam", "learning_rate": 0.0010000000474974513, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}`
		tc = `{"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": ` + ocfg + `, "registered_name": null}, "loss": "sparse_categorical_crossentropy", "loss_weights": null, "metrics": ["accuracy"]}`
	} else {
		cfg = `{"class_name": "Sequential", "config": {"name": "seq", "layers": [` + strings.Join(ls, ", ") + `]}}`
		ocfg = `{"name": "Adam", "learning_rate": 0.0010000000474974513, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}`
		tc = `{"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "weighted_metrics": null, "loss_weights": null, "optimizer_config": {"class_name": "Custom>Adam", "config": ` + ocfg + `}}`
	}
	m := &saved.Model{Config: json.RawMessage(cfg), Dialect: d, Backend: "tensorflow", Layers: layers}
	if d == saved.Keras3 {
		m.KerasVersion = "3.15.1"
	} else {
		m.KerasVersion = "2.21.0"
	}
	if withOpt {
		m.TrainingConfig = json.RawMessage(tc)
		o := &saved.Optimizer{Class: "Adam", Config: json.RawMessage(ocfg), Iterations: 7, LearningRate: 0.001}
		seed := 100
		for _, l := range layers {
			for _, w := range l.Weights {
				if !w.Trainable {
					continue
				}
				for _, s := range []string{"momentum", "velocity"} {
					seed++
					o.Slots = append(o.Slots, saved.Slot{Layer: l.Name, Weight: w.Name, Name: s, Value: val(seed, w.Value.Shape...)})
				}
			}
		}
		m.Optimizer = o
	}
	return m
}

// sameTensor compares dtype, shape and bits.
func sameTensor(a, b *tensor.Tensor) bool {
	if a.DType != b.DType || !tensor.SameShape(a.Shape, b.Shape) {
		return false
	}
	x, err1 := a.AppendBytes(nil)
	y, err2 := b.AppendBytes(nil)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// compareModels reports every difference in layers, weights and optimizer state.
func compareModels(t *testing.T, want, got *saved.Model, checkOpt bool) {
	t.Helper()
	if len(got.Layers) != len(want.Layers) {
		t.Fatalf("%d layers, want %d", len(got.Layers), len(want.Layers))
	}
	for i, wl := range want.Layers {
		gl := got.Layers[i]
		if gl.Name != wl.Name || gl.Class != wl.Class || len(gl.Weights) != len(wl.Weights) {
			t.Fatalf("layer %d: got %s %s (%d weights), want %s %s (%d)", i, gl.Name, gl.Class, len(gl.Weights), wl.Name, wl.Class, len(wl.Weights))
		}
		for j, ww := range wl.Weights {
			gw := gl.Weights[j]
			if gw.Name != ww.Name || gw.Trainable != ww.Trainable || !sameTensor(gw.Value, ww.Value) {
				t.Errorf("layer %s weight %d: got %s trainable=%v %v, want %s trainable=%v %v", wl.Name, j, gw.Name, gw.Trainable, gw.Value.Shape, ww.Name, ww.Trainable, ww.Value.Shape)
			}
		}
	}
	if !checkOpt {
		return
	}
	wo, gopt := want.Optimizer, got.Optimizer
	if gopt == nil {
		t.Fatal("optimizer not read back")
	}
	if gopt.Class != wo.Class || gopt.Iterations != wo.Iterations || gopt.LearningRate != wo.LearningRate || len(gopt.Slots) != len(wo.Slots) {
		t.Fatalf("optimizer %s it=%d lr=%v %d slots, want %s it=%d lr=%v %d", gopt.Class, gopt.Iterations, gopt.LearningRate, len(gopt.Slots), wo.Class, wo.Iterations, wo.LearningRate, len(wo.Slots))
	}
	for i, ws := range wo.Slots {
		gs := gopt.Slots[i]
		if gs.Layer != ws.Layer || gs.Weight != ws.Weight || gs.Name != ws.Name || !sameTensor(gs.Value, ws.Value) {
			t.Errorf("slot %d: got %s/%s %s, want %s/%s %s", i, gs.Layer, gs.Weight, gs.Name, ws.Layer, ws.Weight, ws.Name)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		m := seedModel(d, true)
		cases := []struct {
			name    string
			save    func(string, *saved.Model) error
			load    func(string) (*saved.Model, error)
			opt     bool
			classes bool
		}{
			{"model.h5", SaveModel, Load, true, true},
			{"weights.h5", SaveWeights, Load, false, false},
			{"model.weights.h5", SaveWeightsKeras3, Load, true, true},
		}
		if d == saved.Keras3 {
			cases = append(cases, struct {
				name    string
				save    func(string, *saved.Model) error
				load    func(string) (*saved.Model, error)
				opt     bool
				classes bool
			}{"model.keras", SaveKeras, LoadKeras, true, true})
		}
		for _, c := range cases {
			t.Run(d.String()+"/"+c.name, func(t *testing.T) {
				p := filepath.Join(dir, d.String()+"_"+c.name)
				if err := c.save(p, m); err != nil {
					t.Fatal(err)
				}
				got, err := c.load(p)
				if err != nil {
					t.Fatal(err)
				}
				want := m
				if !c.classes {
					// weights-only legacy files do not record classes
					cp := *m
					cp.Layers = append([]saved.Layer(nil), m.Layers...)
					for i := range cp.Layers {
						cp.Layers[i].Class = ""
					}
					want = &cp
				}
				if c.name == "model.weights.h5" {
					// A standalone Keras 3 weights file does not record the model's layer order;
					// the layers with weights are put in order (from the optimizer's slots),
					// the weightless ones follow.
					want, got = weighted(want), weighted(got)
				}
				compareModels(t, want, got, c.opt)
				if c.name == "model.h5" || c.name == "model.keras" {
					if got.Dialect != d || !json.Valid(got.Config) || !json.Valid(got.TrainingConfig) {
						t.Errorf("dialect %v, config valid %v, training config valid %v", got.Dialect, json.Valid(got.Config), json.Valid(got.TrainingConfig))
					}
					if got.KerasVersion != m.KerasVersion {
						t.Errorf("keras_version %q, want %q", got.KerasVersion, m.KerasVersion)
					}
				}
				if c.name == "model.keras" && string(got.TrainingConfig) != string(m.TrainingConfig) {
					t.Errorf("compile_config changed:\n got %s\nwant %s", got.TrainingConfig, m.TrainingConfig)
				}
			})
		}
	}
}

// TestSaveAtomic: a save that fails leaves the previous file intact and no temporary files.
func TestSaveAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.h5")
	good := seedModel(saved.Keras2, true)
	if err := SaveModel(p, good); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	bad := seedModel(saved.Keras2, true)
	bad.Layers[0].Weights[1].Value = &tensor.Tensor{DType: tensor.Float32, Shape: []int{5}, Data: []float32{1}}
	err := SaveModel(p, bad)
	if err == nil {
		t.Fatal("save of inconsistent tensor succeeded")
	}
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(err.Error(), "conv_1") {
		t.Errorf("error does not name the object: %v", err)
	}
	after, _ := os.ReadFile(p)
	if string(before) != string(after) {
		t.Error("failed save changed the existing file")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries after a failed save, want 1", len(ents))
	}
}

// TestChunkedAttributes: names whose fixed-width size exceeds 64512 bytes are split into
// layer_names0, layer_names1, ... as Keras does, and read back joined.
func TestChunkedAttributes(t *testing.T) {
	m := &saved.Model{}
	for i := 0; i < 300; i++ {
		m.Layers = append(m.Layers, saved.Layer{Name: fmt.Sprintf("d%03d_%s", i, strings.Repeat("x", 240)), Class: "Dense",
			Weights: []saved.Variable{{Name: "kernel", Trainable: true, Value: tensor.MustFromFloat32([]int{1, 1}, []float32{float32(i)})}}})
	}
	p := filepath.Join(t.TempDir(), "w.h5")
	if err := SaveWeights(p, m); err != nil {
		t.Fatal(err)
	}
	unlock := lockLib()
	h, err := openLib(p)
	if err != nil {
		unlock()
		t.Fatal(err)
	}
	attrs, _ := h.attrNames("")
	h.close()
	unlock()
	if strings.Join(attrs, ",") != "backend,keras_version,layer_names0,layer_names1" {
		t.Errorf("root attributes %v, want layer_names split in two", attrs)
	}
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Layers) != 300 || got.Layers[299].Name != m.Layers[299].Name {
		t.Fatalf("read back %d layers", len(got.Layers))
	}
	if v := got.Layers[123].Weights[0].Value.Float32s()[0]; v != 123 {
		t.Errorf("layer 123 kernel = %v", v)
	}
}

func TestArraySplit(t *testing.T) {
	// np.array_split(range(7), 3) → [0,1,2], [3,4], [5,6]
	s := arraySplit([]string{"0", "1", "2", "3", "4", "5", "6"}, 3)
	if fmt.Sprint(s) != "[[0 1 2] [3 4] [5 6]]" {
		t.Errorf("arraySplit = %v", s)
	}
	chunks, size, err := splitForHeader([]string{strings.Repeat("a", 300), "b"})
	if err != nil || chunks != nil || size != 300 {
		t.Errorf("small list split: %v %d %v", chunks, size, err)
	}
	if _, _, err := splitForHeader([]string{strings.Repeat("a", headerLimit+1)}); !errors.Is(err, ErrFormat) {
		t.Errorf("oversized name: %v", err)
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"Conv2D": "conv2d", "BatchNormalization": "batch_normalization", "MaxPooling2D": "max_pooling2d",
		"Dense": "dense", "ReLU": "re_lu", "GlobalAveragePooling2D": "global_average_pooling2d",
		"LSTM": "lstm", "Conv2DTranspose": "conv2d_transpose", "InputLayer": "input_layer",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
	if got := strings.Join(Keras3Paths([]string{"Conv2D", "MaxPooling2D", "Conv2D", "Dense", "Dense"}), ","); got != "conv2d,max_pooling2d,conv2d_1,dense,dense_1" {
		t.Errorf("Keras3Paths = %s", got)
	}
}

// weighted returns m with only its layers that have weights.
func weighted(m *saved.Model) *saved.Model {
	cp := *m
	cp.Layers = nil
	for _, l := range m.Layers {
		if len(l.Weights) > 0 {
			cp.Layers = append(cp.Layers, l)
		}
	}
	return &cp
}
