package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pythonOrSkip returns $KERASGO_PYTHON (the pinned reference stack) or skips.
func pythonOrSkip(t *testing.T) string {
	t.Helper()
	py := os.Getenv("KERASGO_PYTHON")
	if py == "" {
		if os.Getenv("KERASGO_COMPAT") == "1" {
			t.Fatal("KERASGO_COMPAT=1 but KERASGO_PYTHON is not set")
		}
		t.Skip("KERASGO_PYTHON not set")
	}
	return py
}

func runPy(t *testing.T, py, script string, input any) []byte {
	t.Helper()
	in, _ := json.Marshal(input)
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=3", "CUDA_VISIBLE_DEVICES=")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return []byte(lines[len(lines)-1])
}

// scriptedLogs sets logs[key] to a scripted value at each epoch end, before the callbacks
// that follow it see the logs.
type scriptedLogs struct {
	CallbackBase
	key    string
	values []float64
}

func (s *scriptedLogs) OnEpochEnd(_ *Sequential, epoch int, logs Logs) error {
	logs[s.key] = s.values[epoch]
	return nil
}

// TestEarlyStoppingMatchesKeras runs Fit with a scripted monitored value and compares the
// epoch at which EarlyStopping stops, and the best epoch it restores, with tf_keras's
// EarlyStopping fed the same values.
func TestEarlyStoppingMatchesKeras(t *testing.T) {
	type esCase struct {
		Values   []float64 `json:"values"`
		Monitor  string    `json:"monitor"`
		Patience int       `json:"patience"`
		MinDelta float64   `json:"min_delta"`
		Mode     string    `json:"mode"`
		Baseline *float64  `json:"baseline"`
		Start    int       `json:"start_from_epoch"`
	}
	base := 0.85
	cases := []esCase{
		{Values: []float64{1.0, 0.8, 0.9, 0.85, 0.95, 0.7, 0.6, 0.9}, Monitor: "val_loss", Patience: 2, Mode: "auto"},
		{Values: []float64{1.0, 0.8, 0.79, 0.785, 0.95, 0.7, 0.6, 0.9}, Monitor: "val_loss", Patience: 1, MinDelta: 0.02, Mode: "min"},
		{Values: []float64{0.1, 0.5, 0.4, 0.45, 0.3, 0.6, 0.2, 0.1}, Monitor: "val_accuracy", Patience: 2, Mode: "auto"},
		{Values: []float64{1.0, 0.9, 0.88, 0.87, 0.86, 0.84, 0.83, 0.82}, Monitor: "val_loss", Patience: 2, Mode: "auto", Baseline: &base},
		{Values: []float64{1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7}, Monitor: "val_loss", Patience: 0, Mode: "auto", Start: 2},
	}
	x, y := tinyData(32, 4)
	type res struct {
		Stopped int `json:"stopped"`
		Best    int `json:"best"`
		Epochs  int `json:"epochs"`
	}
	var got []res
	for _, c := range cases {
		m := tinyModel(2)
		compileTiny(t, m)
		es := &EarlyStopping{Monitor: c.Monitor, Patience: c.Patience, MinDelta: c.MinDelta, Mode: c.Mode, Baseline: c.Baseline, StartFromEpoch: c.Start, RestoreBestWeights: true}
		var snapshots [][]float32
		snap := &epochSnapshot{out: &snapshots}
		h, err := m.Fit(x, y, FitOptions{Epochs: len(c.Values), BatchSize: 16, NoShuffle: true, Callbacks: []Callback{&scriptedLogs{key: c.Monitor, values: c.Values}, es, snap}})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res{es.StoppedEpoch, es.BestEpoch, len(h.Epoch)})
		// The restored weights are those at the end of the best epoch.
		if !slicesEqual(m.Weights()[0].Value.Float32s(), snapshots[es.BestEpoch]) {
			t.Errorf("%+v: weights after training are not those of epoch %d", c, es.BestEpoch)
		}
	}
	py := pythonOrSkip(t)
	out := runPy(t, py, `
import json, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, tf_keras as keras
cases = json.load(sys.stdin)
res = []
for c in cases:
    m = keras.Sequential([keras.layers.Dense(1, input_shape=(1,))])
    es = keras.callbacks.EarlyStopping(monitor=c["monitor"], patience=c["patience"], min_delta=c["min_delta"], mode=c["mode"], baseline=c["baseline"], start_from_epoch=c["start_from_epoch"], restore_best_weights=True)
    es.set_model(m); m.stop_training = False
    es.on_train_begin()
    n = 0
    for e, v in enumerate(c["values"]):
        n += 1
        es.on_epoch_end(e, {c["monitor"]: v})
        if m.stop_training: break
    res.append({"stopped": es.stopped_epoch, "best": es.best_epoch, "epochs": n})
print(json.dumps(res))
`, cases)
	var want []res
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i := range cases {
		if got[i] != want[i] {
			t.Errorf("case %d %+v: Go %+v, tf_keras %+v", i, cases[i], got[i], want[i])
		}
	}
}

// epochSnapshot records the first weight's value at each epoch end.
type epochSnapshot struct {
	CallbackBase
	out *[][]float32
}

func (s *epochSnapshot) OnEpochEnd(m *Sequential, _ int, _ Logs) error {
	*s.out = append(*s.out, append([]float32(nil), m.Weights()[0].Value.Float32s()...))
	return nil
}

// TestModelCheckpoint saves during Fit through SaveWeights/Save: one file per epoch named
// from the template, only improvements with SaveBestOnly, every N batches with SaveFreq.
func TestModelCheckpoint(t *testing.T) {
	x, y := tinyData(96, 6)
	dir := t.TempDir()
	m := tinyModel(8)
	compileTiny(t, m)
	// With cgo the callbacks write HDF5; without it (no libhdf5) TF checkpoints and a
	// SavedModel, which are pure Go: the callback logic under test is the same.
	ext := ".h5"
	if !haveCgo {
		ext = ""
	}
	every := &ModelCheckpoint{Filepath: filepath.Join(dir, "weights.{epoch:02d}-{val_loss:.2f}"+ext), SaveWeightsOnly: true}
	best := &ModelCheckpoint{Filepath: filepath.Join(dir, "best"+ext), Monitor: "val_accuracy", SaveBestOnly: true}
	batches := &ModelCheckpoint{Filepath: filepath.Join(dir, "b", "e{epoch}-b{batch}"+ext), SaveWeightsOnly: true, SaveFreq: 2}
	h, err := m.Fit(x, y, FitOptions{Epochs: 3, BatchSize: 16, NoShuffle: true, ValidationSplit: 1.0 / 3, Callbacks: []Callback{every, best, batches}})
	if err != nil {
		t.Fatal(err)
	}
	if len(every.Saved) != 3 {
		t.Fatalf("saved %v, want one file per epoch", every.Saved)
	}
	for i, p := range every.Saved {
		want := filepath.Join(dir, fmt.Sprintf("weights.%02d-%.2f", i+1, h.History["val_loss"][i])+ext)
		if p != want {
			t.Errorf("epoch %d saved %s, want %s", i+1, p, want)
		}
		if _, err := detectOnly(p); err != nil {
			t.Error(err)
		}
	}
	// The last per-epoch file holds the final weights.
	m2 := tinyModel(99)
	if err := m2.LoadWeights(every.Saved[2]); err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(m2.Weights()[0].Value.Float32s(), m.Weights()[0].Value.Float32s()) {
		t.Error("the last checkpoint does not hold the final weights")
	}
	improvements := 0
	bestSoFar := -1.0
	for _, v := range h.History["val_accuracy"] {
		if v > bestSoFar {
			improvements++
			bestSoFar = v
		}
	}
	if len(best.Saved) != improvements {
		t.Errorf("SaveBestOnly saved %d times, val_accuracy improved %d times (%v)", len(best.Saved), improvements, h.History["val_accuracy"])
	}
	// 64 training samples / 16 = 4 batches per epoch, 12 in all: a save every 2 batches.
	if len(batches.Saved) != 6 || filepath.Base(batches.Saved[0]) != "e1-b2"+ext || filepath.Base(batches.Saved[5]) != "e3-b4"+ext {
		t.Errorf("SaveFreq 2 saved %v", batches.Saved)
	}
}

// detectOnly checks that something loadable exists at p (a file, a checkpoint prefix or a
// SavedModel directory).
func detectOnly(p string) (Format, error) {
	f, _, err := Detect(p)
	return f, err
}
