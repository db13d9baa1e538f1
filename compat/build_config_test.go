package compat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// TestKeras3BuildConfig: for every single-input layer class kerasgo runs, Go writes a Keras 3
// "build_config" for a built layer exactly when Keras 3.15 does (asked in this run).
func TestKeras3BuildConfig(t *testing.T) {
	python(t)
	cases := []struct {
		l  layers.Layer
		in []int
	}{
		{layers.NewMaxPooling2D([2]int{2, 2}), []int{8, 8, 3}},
		{layers.NewAveragePooling2D([2]int{2, 2}), []int{8, 8, 3}},
		{layers.NewDropout(0.1), []int{8}},
		{layers.NewActivation("relu"), []int{8}},
		{layers.NewReshape([]int{4, 2}), []int{8}},
		{layers.NewGlobalAveragePooling2D(), []int{4, 4, 3}},
		{layers.NewGlobalMaxPooling2D(), []int{4, 4, 3}},
		{layers.NewZeroPadding2D([2][2]int{{1, 1}, {1, 1}}), []int{4, 4, 3}},
		{layers.NewCropping2D([2][2]int{{1, 1}, {1, 1}}), []int{4, 4, 3}},
		{layers.NewUpSampling2D([2]int{2, 2}), []int{4, 4, 3}},
		{layers.NewPermute([]int{2, 1}), []int{4, 3}},
		{layers.NewRepeatVector(2), []int{4}},
		{layers.NewReLU(), []int{4}},
		{layers.NewLeakyReLU(0.3), []int{4}},
		{layers.NewPReLU(), []int{4}},
		{layers.NewELU(1), []int{4}},
		{layers.NewSoftmax(-1), []int{4}},
		{layers.NewSpatialDropout2D(0.1), []int{4, 4, 3}},
		{layers.NewGaussianNoise(0.1), []int{4}},
		{layers.NewGaussianDropout(0.1), []int{4}},
		{layers.NewActivityRegularization(0, 0), []int{4}},
		{layers.NewFlatten(), []int{4, 3}},
		{layers.NewDense(2), []int{4}},
		{layers.NewConv2D(2, [2]int{3, 3}), []int{5, 5, 3}},
		{layers.NewBatchNormalization(), []int{4}},
	}
	type pyCase struct {
		Class  string         `json:"class"`
		Config map[string]any `json:"config"`
		Input  []int          `json:"input"`
	}
	var py []pyCase
	goHas := map[string]bool{}
	for _, c := range cases {
		if err := c.l.Build(c.in, layers.NewRand(1)); err != nil {
			t.Fatalf("%s: %v", c.l.Class(), err)
		}
		goHas[c.l.Class()] = layers.BuildConfig(c.l, saved.Keras3) != nil
		py = append(py, pyCase{Class: c.l.Class(), Config: c.l.Config(saved.Keras3), Input: c.in})
	}
	f := filepath.Join(t.TempDir(), "cases.json")
	b, _ := json.Marshal(py)
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var keras map[string]bool
	runPythonJSON(t, &keras, "build_config.py", f)
	if len(keras) != len(cases) {
		t.Fatalf("Keras answered for %d classes, want %d", len(keras), len(cases))
	}
	for class, want := range keras {
		if goHas[class] != want {
			t.Errorf("%s: Go writes build_config %v, Keras 3 %v", class, goHas[class], want)
		}
	}
}
