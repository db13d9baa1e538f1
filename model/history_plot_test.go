package model

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

func sampleHistory() *History {
	return &History{
		Epoch: []int{0, 1, 2},
		Keys:  []string{"loss", "accuracy", "val_loss", "val_accuracy"},
		History: map[string][]float64{
			"loss": {1.2, 0.7, 0.4}, "accuracy": {0.5, 0.7, 0.8},
			"val_loss": {1.3, 0.9, 0.6}, "val_accuracy": {0.4, 0.6, 0.7},
		},
		LearningRate: []float64{0.001, 0.001, 0.001},
	}
}

// TestHistoryPlot: PNG and SVG pictures of the panels (loss, accuracy, learning rate), the
// format from SavePlot's extension, errors for an empty history and an unknown format.
func TestHistoryPlot(t *testing.T) {
	h := sampleHistory()
	if n := len(must(h.panels())); n != 3 {
		t.Fatalf("%d panels, want 3 (loss, accuracy, learning_rate)", n)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "h.png")
	if err := h.SavePlot(p); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != 960 || r.Dy() != 614 {
		t.Errorf("PNG %dx%d, want two 5x3.2in panels wide and two high at 96 dpi", r.Dx(), r.Dy())
	}
	s := filepath.Join(dir, "h.svg")
	if err := h.SavePlot(s); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(s)
	for _, want := range []string{"<svg", "val_loss", "learning_rate", "epoch"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if err := h.SavePlot(filepath.Join(dir, "h.gif")); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "h.gif") {
		t.Errorf("gif: %v", err)
	}
	if err := (&History{}).SavePlot(filepath.Join(dir, "e.png")); !errors.Is(err, ErrShape) {
		t.Errorf("empty history: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestFitHistoryLearningRate: Fit records the optimizer's learning rate after each epoch.
func TestFitHistoryLearningRate(t *testing.T) {
	m := NewSequential(layers.NewDense(2, layers.DenseOptions{InputShape: []int{3}}))
	if err := m.Compile(CompileOptions{Optimizer: SGD(SGDOptions{LearningRate: 0.125}), Loss: "mse"}); err != nil {
		t.Fatal(err)
	}
	x := tensor.MustFromFloat32([]int{4, 3}, make([]float32, 12))
	y := tensor.MustFromFloat32([]int{4, 2}, make([]float32, 8))
	h, err := m.Fit(x, y, FitOptions{Epochs: 3})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(h.LearningRate) != "[0.125 0.125 0.125]" || fmt.Sprint(h.Epoch) != "[0 1 2]" {
		t.Errorf("LearningRate %v, Epoch %v", h.LearningRate, h.Epoch)
	}
}

type abortRecorder struct {
	CallbackBase
	failAt  int
	aborted int
	ended   int
}

func (a *abortRecorder) OnEpochEnd(_ *Model, epoch int, _ Logs) error {
	if epoch == a.failAt {
		return errors.New("callback failed")
	}
	return nil
}
func (a *abortRecorder) OnTrainEnd(*Model, Logs) error { a.ended++; return nil }
func (a *abortRecorder) Abort() error                  { a.aborted++; return nil }

// TestFitAbortsCallbacks: a failed Fit calls Abort (not OnTrainEnd) on the callbacks holding
// files; a Fit that succeeds calls OnTrainEnd only.
func TestFitAbortsCallbacks(t *testing.T) {
	m := NewSequential(layers.NewDense(1, layers.DenseOptions{InputShape: []int{2}}))
	if err := m.Compile(CompileOptions{Optimizer: SGD(), Loss: "mse"}); err != nil {
		t.Fatal(err)
	}
	x := tensor.MustFromFloat32([]int{4, 2}, make([]float32, 8))
	y := tensor.MustFromFloat32([]int{4, 1}, make([]float32, 4))
	a := &abortRecorder{failAt: 1}
	if _, err := m.Fit(x, y, FitOptions{Epochs: 3, Callbacks: []Callback{a}}); err == nil || a.aborted != 1 || a.ended != 0 {
		t.Errorf("failing fit: err %v, aborted %d, ended %d", err, a.aborted, a.ended)
	}
	b := &abortRecorder{failAt: -1}
	if _, err := m.Fit(x, y, FitOptions{Epochs: 2, Callbacks: []Callback{b}}); err != nil || b.aborted != 0 || b.ended != 1 {
		t.Errorf("fit: err %v, aborted %d, ended %d", err, b.aborted, b.ended)
	}
}
