package model

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// reshapingModel is a Sequential holding every layer class of the reshaping family.
func reshapingModel() *Sequential {
	m := NewSequential(
		Input(6, 5, 2),
		layers.NewZeroPadding2D([2][2]int{{1, 2}, {0, 1}}),
		layers.NewCropping2D([2][2]int{{2, 1}, {1, 0}}),
		layers.NewUpSampling2D([2]int{2, 2}),
		layers.NewUpSampling2D([2]int{1, 2}, layers.UpSampling2DOptions{Interpolation: "bilinear"}),
		layers.NewConv2D(3, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu"}),
		layers.NewGlobalMaxPooling2D(layers.GlobalPoolingOptions{Keepdims: true}),
		layers.NewReshape([]int{-1}),
		layers.NewRepeatVector(4),
		layers.NewPermute([]int{2, 1}),
		layers.NewFlatten(),
		layers.NewDense(2),
	)
	return m
}

// TestReshapingSaveLoad saves a model of the reshaping family as .h5 and .keras (both
// dialects) and loads it back: same summary, config, weights and predictions.
func TestReshapingSaveLoad(t *testing.T) {
	builds := map[string]func() *Sequential{
		"all": reshapingModel,
		"declared": func() *Sequential {
			return NewSequential(
				layers.NewZeroPadding2D([2][2]int{{1, 1}, {2, 2}}, layers.ZeroPadding2DOptions{InputShape: []int{6, 5, 2}}),
				layers.NewGlobalAveragePooling2D(layers.GlobalPoolingOptions{Keepdims: true}),
				layers.NewFlatten(),
				layers.NewDense(3),
			)
		},
	}
	for name, build := range builds {
		src := build()
		rng := layers.NewRand(5)
		xd := make([]float32, 3*6*5*2)
		for i := range xd {
			xd[i] = rng.Uniform(-1, 1)
		}
		x := tensor.MustFromFloat32([]int{3, 6, 5, 2}, xd)
		want, err := src.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range []string{"m.h5", "m.keras"} {
			t.Run(name+"/"+file, func(t *testing.T) {
				p := filepath.Join(t.TempDir(), file)
				if err := src.Save(p); err != nil {
					skipNoHDF5(t, err)
					t.Fatal(err)
				}
				m, err := Load(p)
				if err != nil {
					t.Fatal(err)
				}
				if m.Summary() != src.Summary() || m.SummaryKeras3() != src.SummaryKeras3() {
					t.Errorf("summary:\n%s\nwant:\n%s", m.Summary(), src.Summary())
				}
				var classes []string
				for _, l := range m.Layers() {
					classes = append(classes, l.Class())
				}
				var wantClasses []string
				for _, l := range src.Layers() {
					wantClasses = append(wantClasses, l.Class())
				}
				if !slices.Equal(classes, wantClasses) {
					t.Errorf("classes %v, want %v", classes, wantClasses)
				}
				if !sameWeights(snapshot(m), snapshot(src)) {
					t.Error("weights differ")
				}
				y, err := m.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(y.Float32s(), want.Float32s()) {
					t.Error("predictions differ")
				}
			})
		}
	}
}
