package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/modelplot"
	"github.com/kerasgo/kerasgo/saved"
)

// dotCase is one set of model_to_dot options, as keyword arguments for Keras and as
// DotOptions for kerasgo.
type dotCase struct {
	kwargs map[string]any
	set    func(*model.DotOptions)
}

var dotCases = []dotCase{
	{map[string]any{}, func(*model.DotOptions) {}},
	{map[string]any{"show_shapes": true, "show_dtype": true, "show_trainable": true, "show_layer_activations": true},
		func(o *model.DotOptions) {
			o.ShowShapes, o.ShowDtype, o.ShowTrainable, o.ShowLayerActivations = true, true, true, true
		}},
	{map[string]any{"show_layer_names": false, "rankdir": "LR", "dpi": 72, "show_shapes": true},
		func(o *model.DotOptions) { o.ShowLayerNames, o.RankDir, o.DPI, o.ShowShapes = false, "LR", 72, true }},
	{map[string]any{"expand_nested": true, "show_shapes": true, "show_trainable": true, "show_layer_activations": true},
		func(o *model.DotOptions) {
			o.ExpandNested, o.ShowShapes, o.ShowTrainable, o.ShowLayerActivations = true, true, true, true
		}},
}

// TestModelDotMatchesKeras draws every fixture model of several testdata parts (Sequential,
// Functional, nested) with kerasgo's Model.Dot and with Keras's model_to_dot (tf_keras and
// Keras 3, each from the config that dialect wrote) under several option sets, and compares
// the two graphs as pydot parses them: graph attributes, node defaults, every node's label
// and attributes in order, clusters, and edges.
func TestModelDotMatchesKeras(t *testing.T) {
	python(t)
	root := filepath.Join(repoRoot(), "testdata")
	parts := []string{"models", "functional", "layers_1d", "layers_attn", "layers_conv2d", "layers_norm", "layers_rnn", "formats", "plot"}
	type job struct {
		Dialect string         `json:"dialect"`
		Config  string         `json:"config"`
		Kwargs  map[string]any `json:"kwargs"`
		Go      string         `json:"go"`
	}
	var jobs []job
	tmp := t.TempDir()
	models := map[string]bool{}
	for _, part := range parts {
		for _, dialect := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			name := "config_keras2.json"
			if dialect == saved.Keras3 {
				name = "config_keras3.json"
			}
			files, _ := filepath.Glob(filepath.Join(root, part, "*", name))
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				m, err := model.FromJSON(data)
				if err != nil {
					t.Errorf("%s: %v", f, err)
					continue
				}
				models[filepath.Dir(f)] = true
				for i, c := range dotCases {
					if strings.HasPrefix(part, "layers_") && (i == 0 || i == 3) {
						continue // the layer parts: labels of many classes; two option sets
					}
					o := model.DefaultDotOptions(dialect)
					c.set(&o)
					text, err := m.Dot(o)
					if err != nil {
						t.Errorf("%s case %d: %v", f, i, err)
						continue
					}
					out := filepath.Join(tmp, fmt.Sprintf("%d.dot", len(jobs)))
					if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
					d := "keras2"
					if dialect == saved.Keras3 {
						d = "keras3"
					}
					jobs = append(jobs, job{Dialect: d, Config: f, Kwargs: c.kwargs, Go: out})
				}
			}
		}
	}
	if len(models) < 100 {
		t.Fatalf("only %d fixture models found under %s", len(models), root)
	}
	jobFile := filepath.Join(tmp, "jobs.json")
	data, _ := json.Marshal(jobs)
	if err := os.WriteFile(jobFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var res []struct{ Keras, Go any }
	runPythonJSON(t, &res, "model_dot.py", jobFile)
	if len(res) != len(jobs) {
		t.Fatalf("%d results for %d jobs", len(res), len(jobs))
	}
	bad := 0
	for i, r := range res {
		if !reflect.DeepEqual(r.Keras, r.Go) {
			bad++
			if bad <= 10 {
				k, _ := json.Marshal(r.Keras)
				g, _ := json.Marshal(r.Go)
				t.Errorf("%s %s %v:\nkeras: %s\ngo:    %s", jobs[i].Dialect, strings.TrimPrefix(jobs[i].Config, root), jobs[i].Kwargs, k, g)
			}
		}
	}
	t.Logf("%d graphs (%d models, both dialects, %d option sets) compared; %d differ", len(jobs), len(models), len(dotCases), bad)
}

// TestPlotMatchesKerasPlotModel renders models as keras.utils.plot_model does (Keras's
// model_to_dot laid out by Debian's Graphviz through pydot) and as kerasgo does (model.Dot
// laid out by modelplot's Graphviz in WebAssembly), both to SVG, and compares what the
// pictures hold: every text drawn, and the numbers of nodes, edges and clusters. (The two
// Graphviz versions place things differently, so positions are not compared.)
func TestPlotMatchesKerasPlotModel(t *testing.T) {
	python(t)
	root := filepath.Join(repoRoot(), "testdata")
	cases := []string{"models/seed", "functional/shared_layer", "functional/two_branch_residual",
		"functional/frozen_backbone", "plot/func_in_func", "plot/deep_nested", "plot/shared_nested"}
	type job struct {
		Dialect string         `json:"dialect"`
		Config  string         `json:"config"`
		Kwargs  map[string]any `json:"kwargs"`
	}
	type picture struct {
		Texts                  []string
		Nodes, Edges, Clusters int
	}
	var jobs []job
	var gos []picture
	tmp := t.TempDir()
	for _, c := range cases {
		for _, d := range []string{"keras2", "keras3"} {
			cfg := filepath.Join(root, c, "config_"+d+".json")
			data, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			m, err := model.FromJSON(data)
			if err != nil {
				t.Fatalf("%s: %v", cfg, err)
			}
			dialect := saved.Keras2
			if d == "keras3" {
				dialect = saved.Keras3
			}
			o := model.DefaultDotOptions(dialect)
			o.ShowShapes, o.ShowTrainable, o.ExpandNested, o.ShowLayerActivations = true, true, true, true
			text, err := m.Dot(o)
			if err != nil {
				t.Fatal(err)
			}
			var svg bytes.Buffer
			if err := modelplot.Render(context.Background(), []byte(text), modelplot.SVG, &svg); err != nil {
				t.Fatalf("%s: %v", cfg, err)
			}
			svgPath := filepath.Join(tmp, fmt.Sprintf("%d.svg", len(jobs)))
			if err := os.WriteFile(svgPath, svg.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			var p picture
			runPythonJSON(t, &p, "plot_model_svg.py", "--svg", svgPath)
			gos = append(gos, p)
			jobs = append(jobs, job{Dialect: d, Config: cfg, Kwargs: map[string]any{"show_shapes": true,
				"show_trainable": true, "expand_nested": true, "show_layer_activations": true}})
		}
	}
	jobFile := filepath.Join(tmp, "jobs.json")
	data, _ := json.Marshal(jobs)
	if err := os.WriteFile(jobFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var keras []picture
	runPythonJSON(t, &keras, "plot_model_svg.py", jobFile)
	if len(keras) != len(jobs) {
		t.Fatalf("%d pictures for %d jobs", len(keras), len(jobs))
	}
	for i := range jobs {
		if !reflect.DeepEqual(keras[i], gos[i]) {
			t.Errorf("%s %s:\nkeras:   %+v\nkerasgo: %+v", jobs[i].Dialect, strings.TrimPrefix(jobs[i].Config, root), keras[i], gos[i])
		}
		if keras[i].Nodes == 0 || len(keras[i].Texts) == 0 {
			t.Errorf("%s %s: empty picture %+v", jobs[i].Dialect, jobs[i].Config, keras[i])
		}
	}
}
