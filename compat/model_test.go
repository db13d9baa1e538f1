package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestModelConfigRebuild writes models built in Go (the input shape given each way Keras
// allows) as config JSON in both dialects; real tf_keras 2.21 and Keras 3.15 rebuild them
// with model_from_json, set Go's weights and predict. Keras's summary must equal Go's byte
// for byte, Keras's own to_json of the rebuilt model must equal Go's config as parsed JSON,
// and Keras's predictions must equal Go's within 1e-5.
func TestModelConfigRebuild(t *testing.T) {
	python(t)
	c2 := func(f, k int, o layers.Conv2DOptions) layers.Layer { return layers.NewConv2D(f, [2]int{k, k}, o) }
	models := map[string]func() (*model.Sequential, []int){
		"seed": func() (*model.Sequential, []int) {
			return model.NewSequential(
				c2(16, 3, layers.Conv2DOptions{Activation: "relu", InputShape: []int{32, 32, 3}, Name: "conv_1"}),
				layers.NewMaxPooling2D([2]int{4, 4}, layers.MaxPoolingOptions{Name: "pool_1"}),
				layers.NewBatchNormalization(),
				layers.NewFlatten(layers.FlattenOptions{Name: "flatten"}),
				layers.NewDense(32, layers.DenseOptions{Activation: "relu", Name: "dense_1"}),
				layers.NewDropout(0.5),
				layers.NewDense(10, layers.DenseOptions{Activation: "softmax", Name: "dense_2"}),
			), []int{32, 32, 3}
		},
		"input": func() (*model.Sequential, []int) {
			return model.NewSequential(
				model.Input(12, 11, 2),
				c2(4, 3, layers.Conv2DOptions{Padding: "same", Activation: "tanh"}),
				c2(6, 2, layers.Conv2DOptions{Strides: [2]int{2, 2}, Activation: "relu"}),
				layers.NewBatchNormalization(layers.BatchNormOptions{Momentum: 0.9}),
				layers.NewMaxPooling2D([2]int{2, 2}),
				layers.NewFlatten(),
				layers.NewDense(5, layers.DenseOptions{Activation: "sigmoid"}),
				layers.NewDense(3),
			), []int{12, 11, 2}
		},
		"long_names": func() (*model.Sequential, []int) {
			// Names longer than a column: tf_keras cuts them, Keras 3 wraps and crops them.
			return model.NewSequential(
				model.Input(4),
				layers.NewDense(3, layers.DenseOptions{Name: "a_very_long_layer_name_that_does_not_fit_at_all"}),
				layers.NewDense(2, layers.DenseOptions{Name: "name_of_exactly_31_characters_"}),
				layers.NewDense(2000, layers.DenseOptions{Name: "wide"}),
			), []int{4}
		},
		// The reshaping family (layers/reshaping.go) in one model, from the input to the head.
		"reshaping": func() (*model.Sequential, []int) {
			return model.NewSequential(
				model.Input(6, 5, 2),
				layers.NewZeroPadding2D([2][2]int{{1, 2}, {0, 1}}),
				layers.NewCropping2D([2][2]int{{2, 1}, {1, 0}}),
				layers.NewUpSampling2D([2]int{2, 2}),
				layers.NewUpSampling2D([2]int{1, 2}, layers.UpSampling2DOptions{Interpolation: "bilinear"}),
				c2(3, 3, layers.Conv2DOptions{Activation: "relu"}),
				layers.NewGlobalMaxPooling2D(layers.GlobalPoolingOptions{Keepdims: true}),
				layers.NewReshape([]int{-1}),
				layers.NewRepeatVector(4),
				layers.NewPermute([]int{2, 1}),
				layers.NewFlatten(),
				layers.NewDense(2),
			), []int{6, 5, 2}
		},
		"reshaping_declared": func() (*model.Sequential, []int) {
			return model.NewSequential(
				layers.NewZeroPadding2D([2][2]int{{1, 1}, {2, 2}}, layers.ZeroPadding2DOptions{InputShape: []int{4, 3, 2}}),
				layers.NewGlobalAveragePooling2D(),
				layers.NewDense(3, layers.DenseOptions{Activation: "softmax"}),
			), []int{4, 3, 2}
		},
		"build": func() (*model.Sequential, []int) {
			m := model.NewSequential(
				c2(3, 3, layers.Conv2DOptions{NoBias: true}),
				layers.NewFlatten(),
				layers.NewDropout(0.2),
				layers.NewDense(4, layers.DenseOptions{Activation: "softmax"}),
			)
			m.SetName("built_later")
			if err := m.Build(9, 8, 1); err != nil {
				panic(err)
			}
			return m, []int{9, 8, 1}
		},
	}

	dir := t.TempDir()
	type goCase struct {
		m *model.Sequential
		d saved.Dialect
		y *tensor.Tensor
	}
	goCases := map[string]goCase{}
	var spec []map[string]any
	for name, build := range models {
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			id := name + "_" + d.String()
			m, in := build()
			rng := layers.NewRand(7)
			var files []string
			for i, w := range m.Weights() {
				v := w.Value.Float32s()
				for j := range v {
					switch w.Name {
					case "gamma", "moving_variance":
						v[j] = rng.Uniform(0.5, 2)
					default:
						v[j] = rng.Uniform(-0.5, 0.5)
					}
				}
				f := fmt.Sprintf("%s_w%d.npy", id, i)
				if err := npy.WriteFile(filepath.Join(dir, f), w.Value); err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			xs := append([]int{5}, in...)
			n, _ := tensor.NumElements(xs)
			xd := make([]float32, n)
			for j := range xd {
				xd[j] = rng.Uniform(0, 1)
			}
			x := tensor.MustFromFloat32(xs, xd)
			if err := npy.WriteFile(filepath.Join(dir, id+"_x.npy"), x); err != nil {
				t.Fatal(err)
			}
			y, err := m.Predict(x, model.PredictOptions{BatchSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := m.Config(d)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, id+".json"), cfg, 0o644); err != nil {
				t.Fatal(err)
			}
			goCases[id] = goCase{m, d, y}
			spec = append(spec, map[string]any{"id": id, "dialect": d.String(), "config": id + ".json",
				"weights": files, "x": id + "_x.npy"})
		}
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var results []struct {
		ID      string          `json:"id"`
		Summary string          `json:"summary"`
		Wide    string          `json:"summary_wide"`
		Config  json.RawMessage `json:"config"`
		Layers  []string        `json:"layers"`
	}
	runPythonJSON(t, &results, "model_rebuild.py", dir)
	if len(results) != len(goCases) {
		t.Fatalf("python ran %d cases, want %d", len(results), len(goCases))
	}
	for _, r := range results {
		c := goCases[r.ID]
		sum := c.m.Summary()
		if c.d == saved.Keras3 {
			sum = c.m.SummaryKeras3()
		}
		if r.Summary != sum {
			t.Errorf("%s: Keras's summary of the rebuilt model:\n%s\nGo's:\n%s", r.ID, r.Summary, sum)
		}
		if c.d == saved.Keras3 && r.Wide != c.m.SummaryKeras3Columns(200) {
			t.Errorf("%s: Keras 3's summary on 200 columns:\n%s\nGo's:\n%s", r.ID, r.Wide, c.m.SummaryKeras3Columns(200))
		}
		var names []string
		for _, l := range c.m.Layers() {
			names = append(names, l.Name())
		}
		if !reflect.DeepEqual(names, r.Layers) {
			t.Errorf("%s: Keras's layer names %q, Go's %q", r.ID, r.Layers, names)
		}
		goCfg, _ := c.m.Config(c.d)
		var g, k any
		_ = json.Unmarshal(goCfg, &g)
		_ = json.Unmarshal(r.Config, &k)
		if !reflect.DeepEqual(g, k) {
			t.Errorf("%s: Keras's to_json of the rebuilt model differs from Go's config:\nkeras: %s\ngo:    %s", r.ID, r.Config, goCfg)
		}
		ky, err := npy.ReadFile(filepath.Join(dir, r.ID+"_y.npy"))
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i, v := range c.y.Float32s() {
			worst = max(worst, math.Abs(float64(v)-float64(ky.Float32s()[i])))
		}
		if worst > 1e-5 || len(ky.Float32s()) != c.y.Len() {
			t.Errorf("%s: max |go - keras| = %g over %d outputs", r.ID, worst, c.y.Len())
		} else {
			t.Logf("%s: max |go - keras| = %.2g over %d outputs", r.ID, worst, c.y.Len())
		}
	}
}

// TestModelInputStyles builds the same small models in Go and in real tf_keras 2.21 and
// Keras 3.15, with the input shape given on the first layer, by an Input, by build(), or not
// at all: both configs must be equal as parsed JSON (the InputLayer's name and place, the
// first layer's batch_input_shape, build configs) and both summaries equal byte for byte.
func TestModelInputStyles(t *testing.T) {
	python(t)
	var keras map[string]map[string]struct {
		Config  json.RawMessage `json:"config"`
		Summary string          `json:"summary"`
	}
	runPythonJSON(t, &keras, "model_styles.py")
	build := func(style string) *model.Sequential {
		d3 := layers.NewDense(3)
		d2 := layers.NewDense(2, layers.DenseOptions{Activation: "softmax"})
		switch style {
		case "declared":
			return model.NewSequential(layers.NewDense(3, layers.DenseOptions{InputShape: []int{4}}), d2)
		case "input":
			return model.NewSequential(model.Input(4), d3, d2)
		case "input_named":
			return model.NewSequential(model.Input(4).WithName("features"), d3, d2)
		case "build":
			m := model.NewSequential(d3, d2)
			if err := m.Build(4); err != nil {
				t.Fatal(err)
			}
			return m
		}
		return model.NewSequential(d3, d2)
	}
	if len(keras) != 5 {
		t.Fatalf("python gave %d cases", len(keras))
	}
	for style, byDialect := range keras {
		m := build(style)
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			k := byDialect[d.String()]
			got, err := m.Config(d)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			_ = json.Unmarshal(got, &g)
			_ = json.Unmarshal(k.Config, &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s %v: config differs:\ngo:    %s\nkeras: %s", style, d, got, k.Config)
			}
			if k.Summary == "" {
				continue
			}
			sum := m.Summary()
			if d == saved.Keras3 {
				sum = m.SummaryKeras3()
			}
			if sum != k.Summary {
				t.Errorf("%s %v: summary differs:\ngo:\n%s\nkeras:\n%s", style, d, sum, k.Summary)
			}
		}
	}
}

// TestModelConvertDialects converts each fixture model between Keras dialects as `kerasgo
// convert` does: the tf_keras config with Keras's weights saved as a Keras 3 .keras file,
// the Keras 3 config saved as a tf_keras .h5 file. Real Keras 3 and tf_keras load what Go
// wrote: the summary must equal Keras's own for the model, the predictions Keras's within
// 1e-5.
func TestModelConvertDialects(t *testing.T) {
	python(t)
	root := filepath.Join(repoRoot(), "testdata", "models")
	variants, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	type goCase struct{ variant, summary, y string }
	goCases := map[string]goCase{}
	var spec []map[string]any
	for _, e := range variants {
		v := e.Name()
		vdir := filepath.Join(root, v)
		if _, err := os.Stat(filepath.Join(vdir, "config_keras2.json")); err != nil {
			continue
		}
		for _, c := range []struct{ src, file, lib, summary string }{
			{"config_keras2.json", v + ".keras", "keras", "summary_keras3.txt"},
			{"config_keras3.json", v + ".h5", "tf_keras", "summary_keras2.txt"},
		} {
			cfg, err := os.ReadFile(filepath.Join(vdir, c.src))
			if err != nil {
				t.Fatal(err)
			}
			m, err := model.FromConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var vals []*tensor.Tensor
			var ws struct {
				Layers []struct{ Weights []struct{ File string } }
			}
			b, err := os.ReadFile(filepath.Join(vdir, "weights.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &ws); err != nil {
				t.Fatal(err)
			}
			for _, l := range ws.Layers {
				for _, w := range l.Weights {
					x, err := npy.ReadFile(filepath.Join(vdir, w.File))
					if err != nil {
						t.Fatal(err)
					}
					vals = append(vals, x)
				}
			}
			if err := m.SetWeights(vals); err != nil {
				t.Fatal(err)
			}
			if err := m.Save(filepath.Join(dir, c.file)); err != nil {
				t.Fatalf("%s: %v", c.file, err)
			}
			id := v + "_" + c.lib
			goCases[id] = goCase{v, filepath.Join(vdir, c.summary), filepath.Join(vdir, "y_keras2.npy")}
			spec = append(spec, map[string]any{"id": id, "lib": c.lib, "file": c.file, "x": filepath.Join(vdir, "x.npy")})
		}
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var results []struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	}
	runPythonJSON(t, &results, "model_convert.py", dir)
	if len(results) != len(goCases) || len(results) == 0 {
		t.Fatalf("python loaded %d files, want %d", len(results), len(goCases))
	}
	for _, r := range results {
		c := goCases[r.ID]
		want, err := os.ReadFile(c.summary)
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary != string(want) {
			t.Errorf("%s: summary of the converted model:\n%s\nKeras's:\n%s", r.ID, r.Summary, want)
		}
		got, err := npy.ReadFile(filepath.Join(dir, r.ID+"_y.npy"))
		if err != nil {
			t.Fatal(err)
		}
		ref, err := npy.ReadFile(c.y)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i, v := range got.Float32s() {
			worst = max(worst, math.Abs(float64(v)-float64(ref.Float32s()[i])))
		}
		if worst > 1e-5 {
			t.Errorf("%s: max |keras(converted) - keras(original)| = %g", r.ID, worst)
		}
	}
}
