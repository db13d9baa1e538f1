package compat

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestAttentionLayers checks Attention and AdditiveAttention against real tf_keras 2.21 and
// Keras 3.15 in the same run: Go writes the layer's config in the dialect, Keras deserialises
// it, sets Go's weights and calls the layer on the same [query, value(, key)] inputs in
// training mode; the output, dL/d of every input and every weight's gradient (for the same
// dL/dy) agree within 1e-5, and Keras's get_config and weight names equal Go's.
func TestAttentionLayers(t *testing.T) {
	python(t)
	type goCase struct {
		id     string
		layer  layers.MultiInput
		shapes [][]int
		batch  int
	}
	qv, qvk := [][]int{{4, 3}, {5, 3}}, [][]int{{4, 3}, {5, 2}, {5, 3}}
	cases := []goCase{
		{"att_dot", layers.NewAttention(), qv, 3},
		{"att_dot_scale_key", layers.NewAttention(layers.AttentionOptions{UseScale: true}), qvk, 2},
		{"att_concat", layers.NewAttention(layers.AttentionOptions{Concat: true}), qv, 2},
		{"att_concat_scale_key", layers.NewAttention(layers.AttentionOptions{Concat: true, UseScale: true, Dropout: 0}), qvk, 2},
		{"add_att", layers.NewAdditiveAttention(), qv, 3},
		{"add_att_noscale_key", layers.NewAdditiveAttention(layers.AdditiveAttentionOptions{NoScale: true}), qvk, 2},
	}
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		t.Run(d.String(), func(t *testing.T) {
			dir := t.TempDir()
			var spec []map[string]any
			type result struct {
				y     *tensor.Tensor
				dxs   []*tensor.Tensor
				grads [][]float32
				names []string
				l     layers.MultiInput
			}
			results := map[string]*result{}
			for i, c := range cases {
				cb, _ := json.Marshal(c.layer.Config(d))
				var cfg map[string]any
				if err := json.Unmarshal(cb, &cfg); err != nil {
					t.Fatal(err)
				}
				l0, _, err := layers.FromConfig(c.layer.Class(), cfg, d)
				if err != nil {
					t.Fatal(err)
				}
				l := l0.(layers.MultiInput)
				l.SetName(c.id)
				rng := layers.NewRand(uint64(300 + i))
				if err := l.BuildN(c.shapes, rng); err != nil {
					t.Fatalf("%s: %v", c.id, err)
				}
				var wfiles, names []string
				for k, w := range l.Weights() {
					v := w.Value.Float32s()
					for j := range v {
						v[j] = rng.Uniform(0.3, 1.5)
					}
					f := fmt.Sprintf("%s_w%d.npy", c.id, k)
					writeNpy(t, filepath.Join(dir, f), w.Value)
					wfiles = append(wfiles, f)
					names = append(names, w.Name)
				}
				var xs []*tensor.Tensor
				var files []string
				for k, s := range c.shapes {
					full := append([]int{c.batch}, s...)
					n, _ := tensor.NumElements(full)
					v := make([]float32, n)
					for j := range v {
						v[j] = rng.Uniform(-1.5, 1.5)
					}
					x := tensor.MustFromFloat32(full, v)
					xs = append(xs, x)
					f := fmt.Sprintf("%s_x%d.npy", c.id, k)
					writeNpy(t, filepath.Join(dir, f), x)
					files = append(files, f)
				}
				y, err := l.ForwardN(xs, true)
				if err != nil {
					t.Fatalf("%s: %v", c.id, err)
				}
				dyd := make([]float32, y.Len())
				for j := range dyd {
					dyd[j] = rng.Uniform(-1, 1)
				}
				dy := tensor.MustFromFloat32(y.Shape, dyd)
				dxs, err := l.BackwardN(dy)
				if err != nil {
					t.Fatalf("%s: %v", c.id, err)
				}
				var grads [][]float32
				for _, w := range l.Weights() {
					grads = append(grads, slices.Clone(w.Grad))
				}
				results[c.id] = &result{y: y, dxs: dxs, grads: grads, names: names, l: l}
				writeNpy(t, filepath.Join(dir, c.id+"_dy.npy"), dy)
				spec = append(spec, map[string]any{
					"id": c.id, "flavor": d.String(), "class_name": l.Class(), "config": l.Config(d),
					"input_shapes": c.shapes, "xs": files, "dy": c.id + "_dy.npy", "weights": wfiles,
				})
			}
			b, _ := json.Marshal(spec)
			if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			var summary []struct {
				ID          string         `json:"id"`
				Config      map[string]any `json:"config"`
				Trainable   int            `json:"trainable"`
				WeightNames []string       `json:"weight_names"`
			}
			runPythonJSON(t, &summary, "attention_grads.py", dir)
			if len(summary) != len(cases) {
				t.Fatalf("python ran %d cases, want %d", len(summary), len(cases))
			}
			for _, s := range summary {
				r := results[s.ID]
				goCfg, _ := json.Marshal(r.l.Config(d))
				var g any
				json.Unmarshal(goCfg, &g)
				if !reflect.DeepEqual(g, any(s.Config)) {
					kb, _ := json.Marshal(s.Config)
					t.Errorf("%s: config differs\ngo:    %s\nkeras: %s", s.ID, goCfg, kb)
				}
				if !slices.Equal(s.WeightNames, r.names) || s.Trainable != len(r.grads) {
					t.Errorf("%s: weights %v (%d trainable), go %v", s.ID, s.WeightNames, s.Trainable, r.names)
				}
				cmp := func(what string, got []float32, file string) {
					compareNpy(t, s.ID, what, got, filepath.Join(dir, file), 1e-5, 1e-5)
				}
				cmp("y", r.y.Float32s(), s.ID+"_y.npy")
				for k, dx := range r.dxs {
					cmp(fmt.Sprintf("dx%d", k), dx.Float32s(), fmt.Sprintf("%s_dx%d.npy", s.ID, k))
				}
				for k, gr := range r.grads {
					cmp(fmt.Sprintf("grad %s", r.names[k]), gr, fmt.Sprintf("%s_g%d.npy", s.ID, k))
				}
			}
		})
	}
}
