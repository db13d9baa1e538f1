package checkpoint

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// repoRoot is the repository root.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// fixturesDir returns the shared third-party corpus, or skips.
func fixturesDir(t testing.TB) string {
	d := os.Getenv("KERASGO_FIXTURES")
	if d == "" {
		d = filepath.Join(repoRoot(), "..", "shared", "fixtures")
	}
	if _, err := os.Stat(d); err != nil {
		t.Skipf("third-party corpus not found at %s (set KERASGO_FIXTURES): %v", d, err)
	}
	return d
}

// weightsJSON is the generator's weights.json layout.
type weightsJSON struct {
	Layers []struct {
		Name    string `json:"name"`
		Class   string `json:"class"`
		Weights []struct {
			Name      string `json:"name"`
			Trainable bool   `json:"trainable"`
			File      string `json:"file"`
		} `json:"weights"`
	} `json:"layers"`
}

// loadWeightsJSON builds a saved.Model (layers and weights only) from a generator fixture dir
// holding weights.json and w/*.npy.
func loadWeightsJSON(t testing.TB, dir string) *saved.Model {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "weights.json"))
	if err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	var wj weightsJSON
	if err := json.Unmarshal(b, &wj); err != nil {
		t.Fatal(err)
	}
	m := &saved.Model{}
	for _, l := range wj.Layers {
		sl := saved.Layer{Name: l.Name, Class: l.Class, Tracked: trackedOf(t, l.Class)}
		for _, w := range l.Weights {
			v, err := npy.ReadFile(filepath.Join(dir, w.File))
			if err != nil {
				t.Fatal(err)
			}
			sl.Weights = append(sl.Weights, saved.Variable{Name: w.Name, Trainable: w.Trainable, Value: v})
		}
		m.Layers = append(m.Layers, sl)
	}
	return m
}

func sameTensor(a, b *tensor.Tensor) bool {
	if a.DType != b.DType || !tensor.SameShape(a.Shape, b.Shape) {
		return false
	}
	switch x := a.Data.(type) {
	case []float32:
		y := b.Data.([]float32)
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Data, b.Data)
}

// optimizerJSON is the generator's optimizer.json (tf_keras optimizer state).
type optimizerJSON struct {
	ClassName    string  `json:"class_name"`
	Iterations   int64   `json:"iterations"`
	LearningRate float64 `json:"learning_rate"`
	Slots        []struct {
		Layer  string `json:"layer"`
		Weight string `json:"weight"`
		Slot   string `json:"slot"`
		File   string `json:"file"`
	} `json:"slots"`
}

// loadState builds a saved.Model with weights and tf_keras optimizer state from a generator
// directory (weights.json, w/, optimizer.json, slots/). Slots are put in Keras 3 order: per
// trainable variable in model order, the optimizer's slot kinds in first-seen order.
func loadState(t testing.TB, dir string) *saved.Model {
	t.Helper()
	m := loadWeightsJSON(t, dir)
	b, err := os.ReadFile(filepath.Join(dir, "optimizer.json"))
	if err != nil {
		return m
	}
	var oj optimizerJSON
	if err := json.Unmarshal(b, &oj); err != nil {
		t.Fatal(err)
	}
	o := &saved.Optimizer{Class: oj.ClassName, Iterations: oj.Iterations, LearningRate: float32(oj.LearningRate)}
	rank := map[string]int{}
	for _, s := range oj.Slots {
		if _, ok := rank[s.Slot]; !ok {
			rank[s.Slot] = len(rank)
		}
	}
	pos := map[[2]string]int{}
	for i, v := range m.TrainableVariables() {
		pos[v] = i
	}
	type ent struct {
		key [2]int
		s   saved.Slot
	}
	var ents []ent
	for _, s := range oj.Slots {
		v, err := npy.ReadFile(filepath.Join(dir, s.File))
		if err != nil {
			t.Fatal(err)
		}
		p, ok := pos[[2]string{s.Layer, s.Weight}]
		if !ok {
			t.Fatalf("slot for unknown variable %s/%s", s.Layer, s.Weight)
		}
		ents = append(ents, ent{[2]int{p, rank[s.Slot]}, saved.Slot{Layer: s.Layer, Weight: s.Weight,
			Name: saved.Keras3SlotName(oj.ClassName, s.Slot), Value: v}})
	}
	sort.SliceStable(ents, func(a, b int) bool {
		if ents[a].key[0] != ents[b].key[0] {
			return ents[a].key[0] < ents[b].key[0]
		}
		return ents[a].key[1] < ents[b].key[1]
	})
	for _, e := range ents {
		o.Slots = append(o.Slots, e.s)
	}
	m.Optimizer = o
	return m
}

// formatsDir is the generator's testdata/formats (KERASGO_FORMATS overrides it).
func formatsDir(t testing.TB) string {
	d := os.Getenv("KERASGO_FORMATS")
	if d == "" {
		d = filepath.Join(repoRoot(), "testdata", "formats")
	}
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("generator fixtures not found at %s: %v", d, err)
	}
	return d
}

// compareModels reports every difference in layers, weights and optimizer state.
func compareModels(t testing.TB, what string, got, want *saved.Model, names bool) {
	t.Helper()
	if len(got.Layers) != len(want.Layers) {
		t.Fatalf("%s: %d layers, want %d", what, len(got.Layers), len(want.Layers))
	}
	for i, wl := range want.Layers {
		gl := got.Layers[i]
		// A checkpoint records layer names (of layers with weights) but no classes.
		if names && len(wl.Weights) > 0 && (gl.Name != wl.Name || gl.Class != "") {
			t.Errorf("%s: layer %d is %q class %q, want %q and no class", what, i, gl.Name, gl.Class, wl.Name)
		}
		if len(wl.Weights) > 0 && strings.Join(gl.Tracked, ",") != strings.Join(wl.Tracked, ",") {
			t.Errorf("%s: layer %d tracks %q, want %q", what, i, gl.Tracked, wl.Tracked)
		}
		if len(gl.Weights) != len(wl.Weights) {
			t.Errorf("%s: layer %d has %d weights, want %d", what, i, len(gl.Weights), len(wl.Weights))
			continue
		}
		for j, ww := range wl.Weights {
			gw := gl.Weights[j]
			if gw.Name != ww.Name || gw.Trainable != ww.Trainable || !sameTensor(gw.Value, ww.Value) {
				t.Errorf("%s: layer %d weight %d: %s (trainable %v) differs from %s (trainable %v)", what, i, j, gw.Name, gw.Trainable, ww.Name, ww.Trainable)
			}
		}
	}
	wo, gotO := want.Optimizer, got.Optimizer
	if wo == nil {
		return
	}
	if gotO == nil {
		t.Fatalf("%s: no optimizer", what)
	}
	if gotO.Class != wo.Class || gotO.Iterations != wo.Iterations || gotO.LearningRate != wo.LearningRate {
		t.Errorf("%s: optimizer %s it=%d lr=%g, want %s it=%d lr=%g", what, gotO.Class, gotO.Iterations, gotO.LearningRate, wo.Class, wo.Iterations, wo.LearningRate)
	}
	if len(gotO.Slots) != len(wo.Slots) {
		t.Fatalf("%s: %d slots, want %d", what, len(gotO.Slots), len(wo.Slots))
	}
	for i, ws := range wo.Slots {
		gs := gotO.Slots[i]
		if gs.Layer != ws.Layer || gs.Weight != ws.Weight || gs.Name != ws.Name || !sameTensor(gs.Value, ws.Value) {
			t.Errorf("%s: slot %d is %s/%s %s, want %s/%s %s (or values differ)", what, i, gs.Layer, gs.Weight, gs.Name, ws.Layer, ws.Weight, ws.Name)
		}
	}
}

// trackedOf returns the tracked children without variables that the layer class declares
// (layers.TrackedChildren), as package model fills saved.Layer.Tracked.
func trackedOf(t testing.TB, class string) []string {
	t.Helper()
	// Classes whose config has required keys fail here; a layer with tracked children that
	// failed would make the byte comparisons with tf_keras's checkpoints fail.
	l, _, err := layers.FromConfig(class, nil, saved.Keras2)
	if err != nil {
		return nil
	}
	if tc, ok := l.(layers.TrackedChildren); ok {
		return tc.Tracked()
	}
	return nil
}

// crashTensors is the content of checkpoint number gen: values depend on gen so that a
// mixed-up load is visible.
func crashTensors(gen int) map[string]*tensor.Tensor {
	ts := map[string]*tensor.Tensor{}
	for i := 0; i < 4; i++ {
		d := make([]float32, 1<<14)
		for j := range d {
			d[j] = float32(gen*1000 + i)
		}
		ts[fmt.Sprintf("layer_%d/kernel", i)] = tensor.MustFromFloat32([]int{128, 128}, d)
	}
	ts["step"] = tensor.Scalar(int64(gen))
	return ts
}
