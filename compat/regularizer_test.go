package compat

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// compareWeightFiles compares ws with Keras's get_weights() files dir/<prefix><i>.npy:
// |go-keras| <= 1e-4·max|keras| (+1e-5) per tensor.
//
// Elements whose last gradient is zero up to float32 rounding (below 1e-5 of the step's
// largest; a conv bias feeding BatchNormalization) move by whatever Adam makes of that noise,
// which neither side reproduces: they are allowed 10 learning-rate steps.
func compareWeightFiles(t *testing.T, what string, ws []*layers.Weight, lr float64, dir, prefix string) {
	t.Helper()
	var top float64
	for _, w := range ws {
		for _, g := range w.Grad {
			top = math.Max(top, math.Abs(float64(g)))
		}
	}
	for i, w := range ws {
		want, err := npy.ReadFile(filepath.Join(dir, fmt.Sprintf("%s%d.npy", prefix, i)))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		wf, _ := want.ToFloat32()
		wv, gv := wf.Float32s(), w.Value.Float32s()
		if len(wv) != len(gv) {
			t.Fatalf("%s: weight %d (%s): %d values, keras %d", what, i, w.Name, len(gv), len(wv))
		}
		var scale float64
		for _, v := range wv {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for j := range wv {
			tol := 1e-4*scale + 1e-5
			if w.Trainable && w.Grad != nil && math.Abs(float64(w.Grad[j])) < 1e-5*top {
				tol += 10 * lr
			}
			if d := math.Abs(float64(gv[j] - wv[j])); d > tol {
				t.Errorf("%s: weight %d (%s) [%d]: go %v, keras %v (gradient %.3g, largest %.3g)", what, i, w.Name, j, gv[j], wv[j], w.Grad[j], top)
				break
			}
		}
	}
}

func sameLoss(a, b float64) bool { return math.Abs(a-b) <= 1e-5*math.Max(1, math.Abs(b)) }

// TestRegularizersTrainLikeKeras: models with L1, L2 and L1L2 regularizers and MaxNorm,
// NonNeg, UnitNorm and MinMaxNorm constraints on Dense, Conv2D, BatchNormalization,
// Embedding and LSTM weights (and inside TimeDistributed, Bidirectional, RNN cells and a nested model),
// built and saved
// by tf_keras (.h5) and Keras 3 (.keras), train three steps in Go (Adam and SGD) as in Keras
// in the same run: the loss of each step (penalty included), the weights after steps 1 and 3
// and evaluate's loss after them. In "frozen" the first layer is not trainable: tf_keras
// still adds its penalty to the loss, Keras 3 does not.
func TestRegularizersTrainLikeKeras(t *testing.T) {
	python(t)
	for _, lib := range []string{"tf_keras", "keras"} {
		for _, c := range []string{"dense", "conv", "rnn", "wrap", "cells", "nested", "frozen"} {
			for _, opt := range []string{"adam", "sgd"} {
				name := lib + "/" + c + "/" + opt
				t.Run(name, func(t *testing.T) {
					dir := t.TempDir()
					var want struct {
						Losses []float64
						Eval   float64
					}
					runPythonJSON(t, &want, "reg_train.py", "make", lib, c, opt, dir)
					file := "model.h5"
					if lib == "keras" {
						file = "model.keras"
					}
					m, err := model.Load(filepath.Join(dir, file))
					if err != nil {
						t.Fatal(err)
					}
					for _, w := range m.Warnings() {
						if strings.Contains(w, "regularizer") || strings.Contains(w, "constraint") {
							t.Errorf("load warning: %s", w)
						}
					}
					x, y := readNpy(t, dir, "x.npy"), readNpy(t, dir, "y.npy")
					for k := 1; k <= 3; k++ {
						loss, _, err := m.TrainOnBatch(x, y)
						if err != nil {
							t.Fatal(err)
						}
						if !sameLoss(loss, want.Losses[k-1]) {
							t.Errorf("step %d: loss %v, keras %v", k, loss, want.Losses[k-1])
						}
						if k == 1 || k == 3 {
							compareWeightFiles(t, fmt.Sprintf("step %d", k), m.Weights(), 0, dir, fmt.Sprintf("s%d_", k))
						}
					}
					ev, _, err := m.Evaluate(x, y, model.EvaluateOptions{BatchSize: 16})
					if err != nil {
						t.Fatal(err)
					}
					if !sameLoss(ev, want.Eval) {
						t.Errorf("evaluate: loss %v, keras %v", ev, want.Eval)
					}
				})
			}
		}
	}
}

func readNpy(t *testing.T, dir, name string) *tensor.Tensor {
	t.Helper()
	x, err := npy.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestPretrainedResnetStepLikeKeras: mlcommons-tiny's pretrainedResnet.h5 (L2
// kernel_regularizer on its convolutions and Dense) trains one step in Go as in tf_keras on
// the same random batch: the loss (with the penalty, which is most of it) and every weight.
func TestPretrainedResnetStepLikeKeras(t *testing.T) {
	python(t)
	corpus := os.Getenv("KERASGO_FIXTURES")
	if corpus == "" {
		corpus = filepath.Join(repoRoot(), "..", "shared", "fixtures")
	}
	src := filepath.Join(corpus, "mlcommons-tiny", "pretrainedResnet.h5")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("third-party corpus not found (set KERASGO_FIXTURES): %v", err)
	}
	m, err := model.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Compiled() {
		t.Fatal("pretrainedResnet.h5 loads without its training config")
	}
	dir := t.TempDir()
	r := layers.NewRand(5)
	in := m.InputShape()
	n := 4
	for _, d := range in {
		n *= d
	}
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = r.Float32()
	}
	x := tensor.MustFromFloat32(append([]int{4}, in...), xs)
	out := m.OutputShape()
	ys := make([]float32, 4*out[len(out)-1])
	for i := 0; i < 4; i++ {
		ys[i*out[len(out)-1]+r.IntN(out[len(out)-1])] = 1
	}
	y := tensor.MustFromFloat32([]int{4, out[len(out)-1]}, ys)
	if err := npy.WriteFile(filepath.Join(dir, "x.npy"), x); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFile(filepath.Join(dir, "y.npy"), y); err != nil {
		t.Fatal(err)
	}
	var want struct{ Loss float64 }
	runPythonJSON(t, &want, "reg_train.py", "step", "tf_keras", src, filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy"), dir)
	loss, _, err := m.TrainOnBatch(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if !sameLoss(loss, want.Loss) {
		t.Errorf("loss %v, tf_keras %v", loss, want.Loss)
	}
	compareWeightFiles(t, "after one step", m.Weights(), float64(m.Optimizer().LearningRate()), dir, "w_")
}
