package compat

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// trainCompatModel is a small CNN shaped like the seed model.
func trainCompatModel() *model.Sequential {
	m := model.NewSequential()
	m.SetSeed(11)
	for _, l := range []layers.Layer{
		layers.NewConv2D(4, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu", InputShape: []int{8, 8, 3}, Name: "conv_1"}),
		layers.NewMaxPooling2D([2]int{2, 2}, layers.MaxPoolingOptions{Name: "pool_1"}),
		layers.NewBatchNormalization(),
		layers.NewFlatten(layers.FlattenOptions{Name: "flatten"}),
		layers.NewDense(8, layers.DenseOptions{Activation: "relu", Name: "dense_1"}),
		layers.NewDense(3, layers.DenseOptions{Activation: "softmax", Name: "dense_2"}),
	} {
		if err := m.Add(l); err != nil {
			panic(err)
		}
	}
	return m
}

func trainBatch(seed uint64) (*tensor.Tensor, *tensor.Tensor) {
	r := layers.NewRand(seed)
	x := make([]float32, 16*8*8*3)
	for i := range x {
		x[i] = r.Float32()
	}
	y := make([]float32, 16)
	for i := range y {
		y[i] = float32(r.IntN(3))
	}
	return tensor.MustFromFloat32([]int{16, 8, 8, 3}, x), tensor.MustFromFloat32([]int{16}, y)
}

// compareWeights compares the model's weights with Keras's get_weights() files
// (prefix_<i>.npy): |go-keras| <= 1e-4 * max|keras| of each tensor (+1e-6).
//
// Elements whose gradient in the last step was zero up to float32 rounding (below 1e-6 of
// the step's largest gradient) are allowed one learning-rate step of difference: their exact
// gradient is zero (a conv bias feeding BatchNormalization through relu and max-pooling), so
// the value Adam gives them comes from rounding noise, which no other implementation (nor
// tf_keras on another thread count) reproduces.
func compareWeights(t *testing.T, m *model.Sequential, dir, prefix string) {
	t.Helper()
	var top float64
	for _, w := range m.Weights() {
		for _, g := range w.Grad {
			top = math.Max(top, math.Abs(float64(g)))
		}
	}
	lr := 0.0
	if o := m.Optimizer(); o != nil {
		lr = float64(o.LearningRate())
	}
	for i, w := range m.Weights() {
		want, err := npy.ReadFile(filepath.Join(dir, fmt.Sprintf("%s_%d.npy", prefix, i)))
		if err != nil {
			t.Fatal(err)
		}
		wf, _ := want.ToFloat32()
		wv, gv := wf.Float32s(), w.Value.Float32s()
		var scale float64
		for _, v := range wv {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for j := range wv {
			tol := 1e-4*scale + 1e-6
			if w.Trainable && w.Grad != nil && math.Abs(float64(w.Grad[j])) < 1e-6*top {
				tol = math.Max(tol, 2*lr)
			}
			if d := math.Abs(float64(gv[j] - wv[j])); d > tol {
				t.Errorf("weight %d (%s) [%d]: go %v, keras %v", i, w.Name, j, gv[j], wv[j])
				break
			}
		}
	}
}

// TestTrainGoStateContinuesInKeras: a model trained in Go and saved with its optimizer
// (tf_keras .h5 and Keras 3 .keras) continues training in real Keras exactly as it continues
// in Go: same loss, same iteration count, same weights after one more step.
func TestTrainGoStateContinuesInKeras(t *testing.T) {
	python(t)
	for _, c := range []struct {
		file, lib string
		opt       model.Optimizer
	}{
		{"model.h5", "tf_keras", model.Adam(model.AdamOptions{LearningRate: 0.01})},
		{"model.h5", "tf_keras", model.SGD(model.SGDOptions{LearningRate: 0.05, Momentum: 0.9, Nesterov: true})},
		{"model.h5", "tf_keras", model.RMSprop(model.RMSpropOptions{Momentum: 0.5, Centered: true})},
		{"model.keras", "keras", model.Adam(model.AdamOptions{LearningRate: 0.01})},
		{"model.keras", "keras", model.SGD(model.SGDOptions{LearningRate: 0.05, Momentum: 0.9})},
		{"model.h5", "tf_keras", model.Adam(model.AdamOptions{LearningRate: 0.01, Regularization: model.Regularization{ClipNorm: 0.05, WeightDecay: 0.1}})},
		{"model.h5", "tf_keras", model.SGD(model.SGDOptions{LearningRate: 0.1, Momentum: 0.5, Regularization: model.Regularization{GlobalClipNorm: 0.1}})},
		{"model.h5", "tf_keras", model.RMSprop(model.RMSpropOptions{Regularization: model.Regularization{ClipValue: 0.002}})},
		{"model.keras", "keras", model.Adam(model.AdamOptions{LearningRate: 0.01, Regularization: model.Regularization{ClipNorm: 0.05, WeightDecay: 0.1}})},
	} {
		name := c.lib + "_" + c.opt.ClassName()
		if tc, _ := optimizerConfig(c.opt); strings.Contains(tc, `"clipnorm": 0`) || strings.Contains(tc, `"global_clipnorm": 0`) || strings.Contains(tc, `"clipvalue": 0`) {
			name += "_clipped"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			m := trainCompatModel()
			if c.lib == "keras" {
				for _, l := range m.Layers() {
					if bn, ok := l.(*layers.BatchNormalization); ok {
						bn.SetVarianceRule(layers.Keras3Variance)
					}
				}
			}
			if err := m.Compile(model.CompileOptions{Optimizer: c.opt, Loss: "sparse_categorical_crossentropy", Metrics: []string{"accuracy"}}); err != nil {
				t.Fatal(err)
			}
			for s := uint64(1); s <= 2; s++ {
				if _, _, err := m.TrainOnBatch(trainBatch(s)); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, c.file)
			if err := m.Save(path); err != nil {
				t.Fatal(err)
			}
			x, y := trainBatch(3)
			if err := npy.WriteFile(filepath.Join(dir, "x.npy"), x); err != nil {
				t.Fatal(err)
			}
			if err := npy.WriteFile(filepath.Join(dir, "y.npy"), y); err != nil {
				t.Fatal(err)
			}
			loss, _, err := m.TrainOnBatch(x, y)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Loss             float64 `json:"loss"`
				IterationsBefore int64   `json:"iterations_before"`
				Iterations       int64   `json:"iterations"`
				Optimizer        string  `json:"optimizer"`
			}
			runPythonJSON(t, &got, "train_continue.py", "continue", c.lib, path, filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy"), filepath.Join(dir, "keras"))
			if got.IterationsBefore != 2 || got.Iterations != m.Iterations() || got.Optimizer != c.opt.ClassName() {
				t.Errorf("Keras restored %s with iterations %d (after the step %d); Go has %s at %d", got.Optimizer, got.IterationsBefore, got.Iterations, c.opt.ClassName(), m.Iterations())
			}
			if math.Abs(got.Loss-loss) > 1e-5*math.Abs(loss) {
				t.Errorf("loss of the next step: Keras %v, Go %v", got.Loss, loss)
			}
			compareWeights(t, m, filepath.Join(dir, "keras"), "w")
		})
	}
}

// TestTrainKerasStateContinuesInGo: a model trained and saved (.h5 with optimizer) by
// tf_keras continues training in Go as it does in tf_keras.
func TestTrainKerasStateContinuesInGo(t *testing.T) {
	python(t)
	dir := t.TempDir()
	var want struct {
		Loss       float64 `json:"loss"`
		Iterations int64   `json:"iterations"`
	}
	runPythonJSON(t, &want, "train_continue.py", "make", dir)
	m, err := model.Load(filepath.Join(dir, "model.h5"))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Compiled() || m.Iterations() != 2 {
		t.Fatalf("loaded model: compiled %v, iterations %d (want 2); warnings %v", m.Compiled(), m.Iterations(), m.Warnings())
	}
	x, _ := npy.ReadFile(filepath.Join(dir, "x.npy"))
	y, _ := npy.ReadFile(filepath.Join(dir, "y.npy"))
	loss, _, err := m.TrainOnBatch(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if m.Iterations() != want.Iterations {
		t.Errorf("iterations %d, Keras %d", m.Iterations(), want.Iterations)
	}
	if math.Abs(loss-want.Loss) > 1e-5*math.Abs(want.Loss) {
		t.Errorf("loss %v, Keras %v", loss, want.Loss)
	}
	compareWeights(t, m, dir, "after")
}

// optimizerConfig returns the optimizer's tf_keras config JSON, via a compiled model.
func optimizerConfig(o model.Optimizer) (string, error) {
	m := trainCompatModel()
	if err := m.Compile(model.CompileOptions{Optimizer: o, Loss: "mse"}); err != nil {
		return "", err
	}
	sm, err := m.ToSaved(0)
	if err != nil {
		return "", err
	}
	return string(sm.TrainingConfig), nil
}

// TestEvaluateMatchesKeras: Evaluate on a model trained in Go gives the loss and accuracy
// that real Keras's evaluate gives on the saved model (inference mode: BatchNormalization
// with its moving statistics, Dropout off).
func TestEvaluateMatchesKeras(t *testing.T) {
	python(t)
	dir := t.TempDir()
	m := trainCompatModel()
	if err := m.Compile(model.CompileOptions{Optimizer: "adam", Loss: "sparse_categorical_crossentropy", Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
	x, y := trainBatch(7)
	if _, err := m.Fit(x, y, model.FitOptions{Epochs: 3, BatchSize: 4, NoShuffle: true}); err != nil {
		t.Fatal(err)
	}
	ex := make([]float32, 0, 80*8*8*3)
	ey := make([]float32, 0, 80)
	for s := uint64(20); s < 25; s++ {
		bx, by := trainBatch(s)
		ex = append(ex, bx.Float32s()...)
		ey = append(ey, by.Float32s()...)
	}
	xe, ye := tensor.MustFromFloat32([]int{80, 8, 8, 3}, ex), tensor.MustFromFloat32([]int{80}, ey)
	loss, mets, err := m.Evaluate(xe, ye, model.EvaluateOptions{BatchSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model.h5", "model.keras"} {
		path := filepath.Join(dir, f)
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		if err := npy.WriteFile(filepath.Join(dir, "xe.npy"), xe); err != nil {
			t.Fatal(err)
		}
		if err := npy.WriteFile(filepath.Join(dir, "ye.npy"), ye); err != nil {
			t.Fatal(err)
		}
		lib := "tf_keras"
		if f == "model.keras" {
			lib = "keras"
		}
		var got struct{ Loss, Accuracy float64 }
		runPythonJSON(t, &got, "train_continue.py", "evaluate", lib, path, filepath.Join(dir, "xe.npy"), filepath.Join(dir, "ye.npy"))
		if math.Abs(got.Loss-loss) > 1e-5*math.Abs(loss) || math.Abs(got.Accuracy-mets["accuracy"]) > 1e-7 {
			t.Errorf("%s: Keras evaluate loss %v accuracy %v; Go %v %v", lib, got.Loss, got.Accuracy, loss, mets["accuracy"])
		}
	}
}
