package compat

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestKeras206OptimizerState loads the third-party corpus file
// dl4j/.../simple_lstm_tf_keras_2_model.h5 (Keras 2.0.6: an LSTM with implementation 0 and
// RMSprop whose optimizer variables are all named "Variable_N:0") in Go and in tf_keras: the
// summaries, the predictions on the same random input (within 1e-5), the optimizer class, the
// iteration count and every slot (exactly, in tf_keras's order) must agree.
func TestKeras206OptimizerState(t *testing.T) {
	python(t)
	corpus := os.Getenv("KERASGO_FIXTURES")
	if corpus == "" {
		corpus = filepath.Join(repoRoot(), "..", "shared", "fixtures")
	}
	src := filepath.Join(corpus, "dl4j", "modelimport", "keras", "examples", "simple_lstm", "simple_lstm_tf_keras_2_model.h5")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("third-party corpus not found (set KERASGO_FIXTURES): %v", err)
	}
	m, err := model.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := h5.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	if sm.Optimizer == nil {
		t.Fatal("no optimizer state read")
	}
	out := t.TempDir()
	shape := append([]int{25}, m.DeclaredInputShapes()[0]...) // batch_input_shape [25, 1, 1]
	n := 1
	for i, d := range shape {
		if d <= 0 {
			shape[i] = 4
		}
		n *= shape[i]
	}
	rng := layers.NewRand(5)
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Uniform(-1, 1)
	}
	x := tensor.MustFromFloat32(shape, v)
	xp := filepath.Join(out, "x.npy")
	writeNpy(t, xp, x)
	y, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := json.Marshal(map[string]string{"file": src, "x": xp, "out": filepath.Join(out, "k")})
	sp := filepath.Join(out, "spec.json")
	if err := os.WriteFile(sp, spec, 0o644); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Summary    string   `json:"summary"`
		Optimizer  string   `json:"optimizer"`
		Iterations int64    `json:"iterations"`
		Slots      []string `json:"slots"`
	}
	runPythonJSON(t, &got, "legacy_load.py", sp)
	if s := m.Summary(); s != got.Summary {
		t.Errorf("tf_keras's summary:\n%s\nGo's:\n%s", got.Summary, s)
	}
	ky, err := npy.ReadFile(filepath.Join(out, "k_y.npy"))
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, w := range ky.Float32s() {
		d := math.Abs(float64(w) - float64(y.Float32s()[i]))
		worst = max(worst, d)
		if d > 1e-5 {
			t.Fatalf("y[%d]: tf_keras %v, go %v", i, w, y.Float32s()[i])
		}
	}
	o := sm.Optimizer
	if o.Class != got.Optimizer || o.Iterations != got.Iterations {
		t.Errorf("optimizer %s at %d iterations, tf_keras %s at %d", o.Class, o.Iterations, got.Optimizer, got.Iterations)
	}
	if len(o.Slots) != len(got.Slots) || len(o.Slots) != 5 {
		t.Fatalf("%d slots, tf_keras %d (%v)", len(o.Slots), len(got.Slots), got.Slots)
	}
	for i, s := range o.Slots {
		want, err := npy.ReadFile(filepath.Join(out, "k_slot"+strconv.Itoa(i)+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(want.Float32s(), s.Value.Float32s()) || !slices.Equal(want.Shape, s.Value.Shape) {
			t.Errorf("slot %d (%s/%s %s): differs from tf_keras's %s", i, s.Layer, s.Weight, s.Name, got.Slots[i])
		}
	}
	t.Logf("predictions within %.2g; %s, %d iterations, %d slots equal to tf_keras's", worst, o.Class, o.Iterations, len(o.Slots))
}
