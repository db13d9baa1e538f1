package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestMergeLayers checks the merge layers (Add, Subtract, Multiply, Average, Maximum,
// Minimum, Concatenate, Dot) against real tf_keras 2.21 and Keras 3.15 in the same run: Go
// writes the layer's config in the dialect, Keras deserialises it and calls the layer on the
// same inputs; the output, its shape and dL/dx of every input (for the same dL/dy) agree
// within 1e-5, Keras's get_config equals Go's config, and for tf_keras the TF op types of
// the traced call equal the op types of Go's Graph.
func TestMergeLayers(t *testing.T) {
	python(t)
	type goCase struct {
		id     string
		layer  layers.MultiInput
		shapes [][]int
		batch  int
		ties   bool
		// noOps: tf_keras computes reshape shapes at run time (Shape, StridedSlice, Pack ...)
		// where Go's graph has constants: op types are not compared.
		noOps bool
	}
	var cases []goCase
	add := func(id string, l layers.MultiInput, batch int, shapes ...[]int) *goCase {
		cases = append(cases, goCase{id: id, layer: l, shapes: shapes, batch: batch})
		return &cases[len(cases)-1]
	}
	add("add3", layers.NewAdd(), 3, []int{3, 4}, []int{3, 4}, []int{3, 4})
	add("add_bcast", layers.NewAdd(), 2, []int{3, 4}, []int{1, 4}, []int{4})
	add("add1", layers.NewAdd(), 2, []int{5})
	add("sub", layers.NewSubtract(), 4, []int{5}, []int{5})
	add("sub_bcast", layers.NewSubtract(), 2, []int{2, 3}, []int{3})
	add("mul3", layers.NewMultiply(), 3, []int{2, 3}, []int{2, 3}, []int{2, 1})
	add("mul_bcast", layers.NewMultiply(), 2, []int{4}, []int{3, 4})
	add("avg4", layers.NewAverage(), 2, []int{4}, []int{4}, []int{4}, []int{4})
	add("avg_bcast", layers.NewAverage(), 2, []int{2, 1, 3}, []int{2, 4, 1})
	add("max_ties", layers.NewMaximum(), 3, []int{3, 4}, []int{3, 4}, []int{3, 4}).ties = true
	add("max_bcast", layers.NewMaximum(), 2, []int{2, 3}, []int{3}).ties = true
	add("min_ties", layers.NewMinimum(), 3, []int{6}, []int{6}, []int{6}).ties = true
	add("min_bcast", layers.NewMinimum(), 2, []int{2, 3}, []int{1, 3}).ties = true
	add("concat_last", layers.NewConcatenate(-1), 3, []int{3, 2}, []int{3, 5})
	add("concat_axis1", layers.NewConcatenate(1), 2, []int{2, 4}, []int{3, 4}, []int{1, 4})
	add("concat_neg2", layers.NewConcatenate(-2), 2, []int{3, 2, 2}, []int{3, 4, 2})
	add("concat_neg3", layers.NewConcatenate(-3), 2, []int{2, 3, 2}, []int{4, 3, 2})
	add("concat_2d", layers.NewConcatenate(1), 4, []int{3}, []int{1}, []int{2})
	add("dot_2d", layers.NewDot([]int{1}), 4, []int{5}, []int{5})
	add("dot_2d_norm", layers.NewDot([]int{-1}, layers.DotOptions{Normalize: true}), 4, []int{5}, []int{5})
	add("dot_3d_22", layers.NewDot([]int{2, 2}), 2, []int{3, 4}, []int{5, 4})
	add("dot_3d_12", layers.NewDot([]int{1, 2}), 2, []int{4, 3}, []int{2, 4})
	add("dot_3d_norm", layers.NewDot([]int{1, 1}, layers.DotOptions{Normalize: true}), 3, []int{4, 3}, []int{4, 2})
	add("dot_2d3d", layers.NewDot([]int{1, 1}), 2, []int{4}, []int{4, 3})
	add("dot_3d2d", layers.NewDot([]int{2, 1}), 2, []int{3, 4}, []int{4})
	add("dot_4d", layers.NewDot([]int{3, 1}), 2, []int{2, 3, 4}, []int{4, 5}).noOps = true

	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		t.Run(d.String(), func(t *testing.T) {
			dir := t.TempDir()
			var spec []map[string]any
			type result struct {
				y   *tensor.Tensor
				dxs []*tensor.Tensor
				c   *goCase
			}
			results := map[string]*result{}
			for i := range cases {
				c := &cases[i]
				// A fresh layer per dialect: the layer read back from Go's own config.
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
				rng := layers.NewRand(uint64(200 + i))
				if err := l.BuildN(c.shapes, rng); err != nil {
					t.Fatalf("%s: %v", c.id, err)
				}
				var xs []*tensor.Tensor
				var files []string
				for k, s := range c.shapes {
					full := append([]int{c.batch}, s...)
					n, _ := tensor.NumElements(full)
					v := make([]float32, n)
					for j := range v {
						v[j] = rng.Uniform(-2, 2)
						if c.ties {
							v[j] = float32(math.Round(float64(v[j]))) // many equal values
						}
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
				if want, err := l.OutputShapeN(c.shapes); err != nil || !slices.Equal(want, y.Shape[1:]) {
					t.Errorf("%s: OutputShapeN %v (%v), ForwardN gave %v", c.id, want, err, y.Shape)
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
				results[c.id] = &result{y: y, dxs: dxs, c: c}
				writeNpy(t, filepath.Join(dir, c.id+"_dy.npy"), dy)
				spec = append(spec, map[string]any{
					"id": c.id, "flavor": d.String(), "class_name": l.Class(), "config": l.Config(d),
					"input_shapes": c.shapes, "xs": files, "dy": c.id + "_dy.npy",
				})
				c.layer = l
			}
			b, _ := json.Marshal(spec)
			if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			var summary []struct {
				ID     string         `json:"id"`
				Config map[string]any `json:"config"`
				YShape []int          `json:"y_shape"`
				Ops    []string       `json:"ops"`
			}
			runPythonJSON(t, &summary, "merge_grads.py", dir)
			if len(summary) != len(cases) {
				t.Fatalf("python ran %d cases, want %d", len(summary), len(cases))
			}
			for _, s := range summary {
				r := results[s.ID]
				goCfg, _ := json.Marshal(r.c.layer.Config(d))
				var g any
				json.Unmarshal(goCfg, &g)
				if !reflect.DeepEqual(g, any(s.Config)) {
					kb, _ := json.Marshal(s.Config)
					t.Errorf("%s: config differs\ngo:    %s\nkeras: %s", s.ID, goCfg, kb)
				}
				if !slices.Equal(s.YShape, r.y.Shape) {
					t.Errorf("%s: output shape %v, keras %v", s.ID, r.y.Shape, s.YShape)
				}
				cmp := func(what string, got []float32, file string) {
					compareNpy(t, s.ID, what, got, filepath.Join(dir, file), 1e-5, 1e-5)
				}
				cmp("y", r.y.Float32s(), s.ID+"_y.npy")
				for k, dx := range r.dxs {
					cmp(fmt.Sprintf("dx%d", k), dx.Float32s(), fmt.Sprintf("%s_dx%d.npy", s.ID, k))
				}
				gr, err := r.c.layer.(layers.Grapher).Graph()
				if err != nil {
					t.Errorf("%s: Graph: %v", s.ID, err)
					continue
				}
				var ops []string
				for _, op := range gr.Ops {
					ops = append(ops, op.Type)
				}
				slices.Sort(ops)
				if d == saved.Keras2 && !r.c.noOps && !slices.Equal(ops, s.Ops) {
					t.Errorf("%s: graph op types %v, tf_keras traces %v", s.ID, ops, s.Ops)
				} else if d == saved.Keras3 {
					t.Logf("%s: Keras 3 traces %v", s.ID, s.Ops)
				}
			}
		})
	}
}
