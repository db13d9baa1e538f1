package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// functionalBuilds are Functional models built with kerasgo's graph API: two inputs and two
// outputs, a residual branch with a merge, a shared layer, and a sequential-like chain.
func functionalBuilds() map[string]func() *model.Model {
	return map[string]func() *model.Model{
		"two_in_two_out": func() *model.Model {
			img := model.Input(6, 6, 2).WithName("img")
			vec := model.Input(5).WithName("vec")
			c := model.MustApply(layers.NewConv2D(3, [2]int{3, 3}, layers.Conv2DOptions{Name: "img_conv", Activation: "relu"}), img.Output())
			f := model.MustApply(layers.NewFlatten(layers.FlattenOptions{Name: "img_flat"}), c)
			v := model.MustApply(layers.NewDense(4, layers.DenseOptions{Name: "vec_dense", Activation: "tanh"}), vec.Output())
			cat := model.MustApply(layers.NewConcatenate(-1, layers.MergeOptions{Name: "concat"}), v, f)
			cls := model.MustApply(layers.NewDense(3, layers.DenseOptions{Name: "cls", Activation: "softmax"}), cat)
			reg := model.MustApply(layers.NewDense(2, layers.DenseOptions{Name: "reg"}), cat)
			return model.MustNewModel([]*model.KerasTensor{vec.Output(), img.Output()}, []*model.KerasTensor{cls, reg}, model.ModelOptions{Name: "two_in_two_out"})
		},
		"residual": func() *model.Model {
			in := model.Input(7, 7, 3).WithName("image")
			a := model.MustApply(layers.NewConv2D(4, [2]int{3, 3}, layers.Conv2DOptions{Name: "conv_a", Padding: "same"}), in.Output())
			a = model.MustApply(layers.NewBatchNormalization(layers.BatchNormOptions{Name: "bn"}), a)
			a = model.MustApply(layers.NewReLU(layers.ReLUOptions{Name: "relu"}), a)
			s := model.MustApply(layers.NewConv2D(4, [2]int{1, 1}, layers.Conv2DOptions{Name: "shortcut"}), in.Output())
			sum := model.MustApply(layers.NewAdd(layers.MergeOptions{Name: "add"}), a, s)
			g := model.MustApply(layers.NewGlobalAveragePooling2D(layers.GlobalPoolingOptions{Name: "gap"}), sum)
			out := model.MustApply(layers.NewDense(3, layers.DenseOptions{Name: "probs", Activation: "softmax"}), g)
			return model.MustNewModel([]*model.KerasTensor{in.Output()}, []*model.KerasTensor{out}, model.ModelOptions{Name: "residual"})
		},
		"shared": func() *model.Model {
			l := model.Input(5).WithName("left")
			r := model.Input(5).WithName("right")
			shared := layers.NewDense(4, layers.DenseOptions{Name: "shared", Activation: "tanh"})
			a := model.MustApply(shared, l.Output())
			b := model.MustApply(shared, r.Output())
			sum := model.MustApply(layers.NewAdd(layers.MergeOptions{Name: "sum"}), a, b)
			out := model.MustApply(layers.NewDense(2, layers.DenseOptions{Name: "out"}), sum)
			return model.MustNewModel([]*model.KerasTensor{l.Output(), r.Output()}, []*model.KerasTensor{out}, model.ModelOptions{Name: "shared"})
		},
		"chain": func() *model.Model {
			in := model.Input(4).WithName("x")
			h := model.MustApply(layers.NewDense(8, layers.DenseOptions{Name: "h", Activation: "relu"}), in.Output())
			out := model.MustApply(layers.NewDense(2, layers.DenseOptions{Name: "y"}), h)
			return model.MustNewModel([]*model.KerasTensor{in.Output()}, []*model.KerasTensor{out}, model.ModelOptions{Name: "chain"})
		},
	}
}

// TestFunctionalFilesInKeras builds Functional models in Go, saves them as .h5 and .keras,
// and has tf_keras 2.21 and Keras 3.15 load them: the same summaries, configs (to_json equal
// to Go's Config in the library's dialect), input and output names, and predictions of every
// output within 1e-5.
func TestFunctionalFilesInKeras(t *testing.T) {
	python(t)
	functionalFilesInKeras(t, functionalBuilds())
}

// functionalFilesInKeras is TestFunctionalFilesInKeras for the given models.
func functionalFilesInKeras(t *testing.T, builds map[string]func() *model.Model) {
	t.Helper()
	dir := t.TempDir()
	rng := layers.NewRand(23)
	type goCase struct {
		summary string
		config  []byte
		ins     []string
		outs    []string
		ys      []*tensor.Tensor
	}
	goCases := map[string]goCase{}
	var spec []map[string]any
	names := []string{}
	for name := range builds {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		build := builds[name]
		for _, c := range []struct {
			file, lib string
			d         saved.Dialect
		}{{name + ".h5", "tf_keras", saved.Keras2}, {name + ".keras", "keras", saved.Keras3}} {
			m := build()
			for _, w := range m.Weights() {
				v := w.Value.Float32s()
				lo, hi := float32(-0.5), float32(0.5)
				if w.Name == "moving_variance" {
					lo, hi = 0.5, 1.5
				}
				for j := range v {
					v[j] = rng.Uniform(lo, hi)
				}
			}
			var xs []*tensor.Tensor
			var xPaths []string
			for i, in := range m.Inputs() {
				shape := append([]int{3}, in.Shape()...)
				n, _ := tensor.NumElements(shape)
				data := make([]float32, n)
				for j := range data {
					data[j] = rng.Uniform(-1, 1)
				}
				x := tensor.MustFromFloat32(shape, data)
				p := filepath.Join(dir, fmt.Sprintf("%s_%s_x%d.npy", name, c.lib, i))
				writeNpy(t, p, x)
				xs = append(xs, x)
				xPaths = append(xPaths, p)
			}
			ys, err := m.PredictN(xs)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Save(filepath.Join(dir, c.file)); err != nil {
				t.Fatalf("%s: %v", c.file, err)
			}
			sum := m.Summary()
			if c.lib == "keras" {
				sum = m.SummaryKeras3()
			}
			cfg, err := m.Config(c.d)
			if err != nil {
				t.Fatal(err)
			}
			id := name + "_" + c.lib
			goCases[id] = goCase{sum, cfg, m.InputNames(), m.OutputNames(), ys}
			spec = append(spec, map[string]any{"id": id, "lib": c.lib, "file": c.file, "xs": xPaths})
		}
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var results []struct {
		ID       string          `json:"id"`
		Summary  string          `json:"summary"`
		Config   json.RawMessage `json:"config"`
		Inputs   []string        `json:"inputs"`
		Outputs  []string        `json:"outputs"`
		NOutputs int             `json:"n_outputs"`
	}
	runPythonJSON(t, &results, "functional_load.py", dir)
	if len(results) != len(goCases) {
		t.Fatalf("python loaded %d files, want %d", len(results), len(goCases))
	}
	for _, r := range results {
		c := goCases[r.ID]
		if r.Summary != c.summary {
			t.Errorf("%s: Keras's summary:\n%s\nGo's:\n%s", r.ID, r.Summary, c.summary)
		}
		if !slices.Equal(r.Inputs, c.ins) || !slices.Equal(r.Outputs, c.outs) {
			t.Errorf("%s: Keras's inputs %v outputs %v, Go's %v %v", r.ID, r.Inputs, r.Outputs, c.ins, c.outs)
		}
		if diff := jsonDifference(r.Config, c.config, "compile_config"); diff != "" {
			t.Errorf("%s: Keras's to_json differs from Go's Config: %s", r.ID, diff)
		}
		if r.NOutputs != len(c.ys) {
			t.Fatalf("%s: keras gave %d outputs, go %d", r.ID, r.NOutputs, len(c.ys))
		}
		for i, want := range c.ys {
			got, err := npy.ReadFile(filepath.Join(dir, fmt.Sprintf("%s_y%d.npy", r.ID, i)))
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.SameShape(got.Shape, want.Shape) {
				t.Fatalf("%s output %d: keras shape %v, go %v", r.ID, i, got.Shape, want.Shape)
			}
			worst := 0.0
			for j, v := range got.Float32s() {
				d := math.Abs(float64(v) - float64(want.Float32s()[j]))
				if math.IsNaN(d) {
					d = math.Inf(1)
				}
				worst = max(worst, d)
			}
			if worst > 1e-5 {
				t.Errorf("%s output %d: max |keras - go| = %g", r.ID, i, worst)
			}
			t.Logf("%s output %d: max |keras - go| = %.2g", r.ID, i, worst)
		}
	}
}

// jsonDifference compares two JSON documents as values, ignoring the top-level keys given,
// and returns "" when equal or the first difference's path.
func jsonDifference(a, b []byte, ignore ...string) string {
	var va, vb map[string]any
	if err := json.Unmarshal(a, &va); err != nil {
		return "keras: " + err.Error()
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		return "go: " + err.Error()
	}
	for _, k := range ignore {
		delete(va, k)
		delete(vb, k)
	}
	return firstDiff("", va, vb)
}

func firstDiff(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return path + ": object vs " + fmt.Sprintf("%T", b)
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok {
				return path + "." + k + ": missing in Go's"
			}
			if d := firstDiff(path+"."+k, v, w); d != "" {
				return d
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				return path + "." + k + ": extra in Go's"
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return path + ": list lengths differ"
		}
		for i := range x {
			if d := firstDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		return fmt.Sprintf("%s: keras %v, go %v", path, a, b)
	}
	return ""
}
