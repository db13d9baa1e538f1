package compat

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestReshapingFilesInKeras saves Sequential models of the reshaping family (ZeroPadding2D,
// Cropping2D, UpSampling2D nearest and bilinear, Reshape, Permute, RepeatVector,
// GlobalAveragePooling2D, GlobalMaxPooling2D) from Go as .h5 and .keras; real tf_keras 2.21
// loads the .h5 and Keras 3.15 the .keras file. Keras's summary must equal Go's and Keras's
// predictions Go's within 1e-5.
func TestReshapingFilesInKeras(t *testing.T) {
	python(t)
	builds := map[string]func() *model.Sequential{
		"all": func() *model.Sequential {
			return model.NewSequential(
				model.Input(6, 5, 2),
				layers.NewZeroPadding2D([2][2]int{{1, 2}, {0, 1}}),
				layers.NewCropping2D([2][2]int{{2, 1}, {1, 0}}),
				layers.NewUpSampling2D([2]int{2, 2}),
				layers.NewUpSampling2D([2]int{1, 2}, layers.UpSampling2DOptions{Interpolation: "bilinear"}),
				layers.NewConv2D(3, [2]int{3, 3}, layers.Conv2DOptions{Activation: "tanh"}),
				layers.NewGlobalMaxPooling2D(layers.GlobalPoolingOptions{Keepdims: true}),
				layers.NewReshape([]int{-1}),
				layers.NewRepeatVector(4),
				layers.NewPermute([]int{2, 1}),
				layers.NewFlatten(),
				layers.NewDense(2),
			)
		},
		"declared": func() *model.Sequential {
			return model.NewSequential(
				layers.NewZeroPadding2D([2][2]int{{1, 1}, {2, 2}}, layers.ZeroPadding2DOptions{InputShape: []int{6, 5, 2}}),
				layers.NewGlobalAveragePooling2D(),
				layers.NewDense(3, layers.DenseOptions{Activation: "softmax"}),
			)
		},
	}
	filesInKeras(t, builds, []int{4, 6, 5, 2})
}

// filesInKeras saves each model of builds (all on inputs of shape xShape) as .h5, .keras and
// a SavedModel with random weights; tf_keras 2.21 loads the .h5, Keras 3.15 the .keras file
// and tf.saved_model the SavedModel. Keras's summaries must equal Go's, and every prediction
// Go's within 1e-5.
func filesInKeras(t *testing.T, builds map[string]func() *model.Sequential, xShape []int) {
	t.Helper()
	dir := t.TempDir()
	rng := layers.NewRand(11)
	n, _ := tensor.NumElements(xShape)
	xd := make([]float32, n)
	for i := range xd {
		xd[i] = rng.Uniform(-1, 1)
	}
	x := tensor.MustFromFloat32(xShape, xd)
	writeNpy(t, filepath.Join(dir, "x.npy"), x)
	type goCase struct {
		summary string
		y       *tensor.Tensor
	}
	goCases := map[string]goCase{}
	var spec []map[string]any
	for name, build := range builds {
		for _, c := range []struct{ file, lib string }{{name + ".h5", "tf_keras"}, {name + ".keras", "keras"}} {
			m := build()
			for _, w := range m.Weights() {
				randomWeight(w, rng)
			}
			y, err := m.Predict(x)
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
			id := name + "_" + c.lib
			goCases[id] = goCase{sum, y}
			spec = append(spec, map[string]any{"id": id, "lib": c.lib, "file": c.file, "x": filepath.Join(dir, "x.npy")})
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
	if len(results) != len(goCases) {
		t.Fatalf("python loaded %d files, want %d", len(results), len(goCases))
	}
	for _, r := range results {
		c := goCases[r.ID]
		if r.Summary != c.summary {
			t.Errorf("%s: Keras's summary:\n%s\nGo's:\n%s", r.ID, r.Summary, c.summary)
		}
		got, err := npy.ReadFile(filepath.Join(dir, r.ID+"_y.npy"))
		if err != nil {
			t.Fatal(err)
		}
		want := c.y.Float32s()
		if got.Len() != len(want) {
			t.Fatalf("%s: keras predicted %d values, go %d", r.ID, got.Len(), len(want))
		}
		worst := 0.0
		for i, v := range got.Float32s() {
			worst = max(worst, math.Abs(float64(v)-float64(want[i])))
		}
		if worst > 1e-5 || math.IsNaN(worst) {
			t.Errorf("%s: max |keras - go| = %g", r.ID, worst)
		}
		t.Logf("%s: max |keras - go| = %.2g", r.ID, worst)
	}

	// The same models as SavedModel directories (each layer written from its Graph ops),
	// served by tf.saved_model.load.
	smArgs := []string{filepath.Join(dir, "x.npy")}
	smWant := map[string]*tensor.Tensor{}
	for name, build := range builds {
		m := build()
		for _, w := range m.Weights() {
			randomWeight(w, rng)
		}
		y, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "sm_"+name)
		if err := m.Save(p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		smArgs = append(smArgs, p)
		smWant[p] = y
	}
	var keys []string
	runPythonJSON(t, &keys, "savedmodel_predict.py", smArgs...)
	if len(keys) != len(smWant) {
		t.Fatalf("python served %d SavedModels, want %d", len(keys), len(smWant))
	}
	for p, want := range smWant {
		got, err := npy.ReadFile(filepath.Join(p, "y.npy"))
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.SameShape(got.Shape, want.Shape) {
			t.Fatalf("%s: tf served shape %v, go %v", p, got.Shape, want.Shape)
		}
		worst := 0.0
		for i, v := range got.Float32s() {
			worst = max(worst, math.Abs(float64(v)-float64(want.Float32s()[i])))
		}
		if worst > 1e-5 || math.IsNaN(worst) {
			t.Errorf("%s: max |tf - go| = %g", filepath.Base(p), worst)
		}
		t.Logf("%s: max |tf - go| = %.2g", filepath.Base(p), worst)
	}
}

// randomWeight gives w random values in [-0.5, 0.5), positive ones in [0.5, 1.5) for
// variances, and an integer for Normalization's count.
func randomWeight(w *layers.Weight, rng *layers.Rand) {
	v := w.Value.Float32s()
	for j := range v {
		switch w.Name {
		case "variance", "moving_variance":
			v[j] = rng.Uniform(0.5, 1.5)
		case "count":
			v[j] = 12
		default:
			v[j] = rng.Uniform(-0.5, 0.5)
		}
	}
}
