package model

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// testdata/k3opt (testdata/gen/k3opt.py): Keras 3 files whose optimizer is the second of its
// class (adam_1, sgd_1, rm_sprop_1) on layers with fewer variables than the defaults, and
// files with one optimizer hyper-parameter at 0.

const k3optRoot = "../testdata/k3opt"

var k3optNames = []string{"adam", "adam_amsgrad", "sgd", "sgd_momentum", "rmsprop", "rmsprop_momentum",
	"rmsprop_centered", "rmsprop_momentum_centered"}

type k3optVar struct {
	Path, File string
}

func k3optSpecVars(t *testing.T, dir string) (name string, vars []k3optVar) {
	t.Helper()
	var spec struct {
		Name      string     `json:"name"`
		Variables []k3optVar `json:"variables"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "optimizer.json")), &spec); err != nil {
		t.Fatal(err)
	}
	return spec.Name, spec.Variables
}

// keras3OptimizerVariables lists the compiled optimizer's variables in Keras 3's order.
func keras3OptimizerVariables(m *Sequential) []*tensor.Tensor {
	t := m.train
	out := []*tensor.Tensor{tensor.Scalar(t.iterations), tensor.Scalar(t.opt.LearningRate())}
	for _, g := range t.opt.Keras3Groups() {
		for _, v := range t.vars {
			for _, name := range g {
				for j, sn := range t.slotNames {
					if sn == name {
						out = append(out, tensor.MustFromFloat32(v.w.Value.Shape, v.slots[j]))
					}
				}
			}
		}
	}
	return out
}

// checkK3OptState compares the model's optimizer variables with the dumps, bit for bit.
func checkK3OptState(t *testing.T, dir string, m *Sequential) {
	t.Helper()
	if !m.Compiled() || m.train.vars == nil {
		t.Fatalf("optimizer not restored (compiled %v); warnings %v", m.Compiled(), m.Warnings())
	}
	_, want := k3optSpecVars(t, dir)
	got := keras3OptimizerVariables(m)
	if len(got) != len(want) {
		t.Fatalf("%d optimizer variables, Keras has %d", len(got), len(want))
	}
	for i, w := range want {
		wt := readNpy(t, filepath.Join(dir, w.File))
		if !sameBytes(got[i], wt) {
			t.Errorf("optimizer variable %d (%s) differs from %s", i, w.Path, w.File)
		}
	}
}

func checkK3OptWeights(t *testing.T, dir string, m *Sequential) {
	t.Helper()
	ws := readFixtureWeights(t, dir)
	i := 0
	for _, l := range ws {
		for _, w := range l.Weights {
			got := m.Weights()[i]
			if d := maxAbsDiff(t, got.Value, readNpy(t, filepath.Join(dir, w.File))); d != 0 {
				t.Errorf("weight %s/%s differs by %g", l.Name, got.Name, d)
			}
			i++
		}
	}
}

// TestK3OptLoad: a model loaded from a Keras 3 .keras, and a compiled model given the
// .weights.h5 by LoadWeights (after a Go training step changed its state), hold every
// optimizer variable Keras holds, bit for bit, assigned by position as Keras 3 assigns them.
func TestK3OptLoad(t *testing.T) {
	for _, name := range k3optNames {
		dir := filepath.Join(k3optRoot, name)
		t.Run(name, func(t *testing.T) {
			m, err := Load(filepath.Join(dir, "model.keras"))
			if err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			checkK3OptState(t, dir, m)
			checkK3OptWeights(t, dir, m)

			// Change the state with a step, then load the weights file over it.
			xs := make([]float32, 2*5*5*2)
			for i := range xs {
				xs[i] = float32(i%7) / 7
			}
			x := tensor.MustFromFloat32([]int{2, 5, 5, 2}, xs)
			y := tensor.MustFromFloat32([]int{2}, []float32{0, 2})
			if _, _, err := m.TrainOnBatch(x, y); err != nil {
				t.Fatal(err)
			}
			if err := m.LoadWeights(filepath.Join(dir, "model.weights.h5"), LoadWeightsOptions{}); err != nil {
				t.Fatal(err)
			}
			checkK3OptState(t, dir, m)
			checkK3OptWeights(t, dir, m)
			for _, w := range m.Warnings() {
				if strings.Contains(w, "optimizer") {
					t.Errorf("warning: %s", w)
				}
			}

			// The legacy .h5 (Keras 3 dialect, slots named): the same state.
			lm, err := Load(filepath.Join(dir, "legacy.h5"))
			if err != nil {
				t.Fatal(err)
			}
			checkK3OptState(t, dir, lm)
		})
	}
}

// TestK3OptLoadWeightsMismatch: an optimizer state whose variable count does not fit the
// compiled optimizer is skipped with a warning (as Keras 3 skips it); the weights load.
func TestK3OptLoadWeightsMismatch(t *testing.T) {
	dir := filepath.Join(k3optRoot, "adam")
	m, err := Load(filepath.Join(k3optRoot, "sgd_momentum", "model.keras"))
	if err != nil {
		skipNoHDF5(t, err)
		t.Fatal(err)
	}
	if err := m.Compile(CompileOptions{Optimizer: RMSprop(RMSpropOptions{Momentum: 0.5, Centered: true}), Loss: "sparse_categorical_crossentropy"}); err != nil {
		t.Fatal(err)
	}
	if err := m.LoadWeights(filepath.Join(dir, "model.weights.h5"), LoadWeightsOptions{}); err != nil {
		t.Fatal(err)
	}
	checkK3OptWeights(t, dir, m)
	if m.Iterations() != 0 {
		t.Errorf("iterations %d after a skipped optimizer state", m.Iterations())
	}
	found := false
	for _, w := range m.Warnings() {
		found = found || strings.Contains(w, `optimizer "adam_1" has 14 variables, the compiled RMSprop has 20`)
	}
	if !found {
		t.Errorf("no warning about the skipped optimizer state: %v", m.Warnings())
	}
	// Uncompiled: the weights load, the state is reported as not loaded.
	u, err := Load(filepath.Join(dir, "model.keras"))
	if err != nil {
		t.Fatal(err)
	}
	u.train = nil
	if err := u.LoadWeights(filepath.Join(dir, "model.weights.h5"), LoadWeightsOptions{}); err != nil {
		t.Fatal(err)
	}
	if w := u.Warnings(); len(w) == 0 || !strings.Contains(w[len(w)-1], "not compiled") {
		t.Errorf("warnings %v", w)
	}
}

// TestK3OptSave: the state loaded from Keras 3 files is written back in order by SaveWeights
// (.weights.h5) and Save (.keras); a tf_keras-dialect .h5 names the optimizer as tf_keras
// does (its class name), not by the Keras 3 object name "adam_1" that Keras 3 would try to
// look up as an optimizer identifier.
func TestK3OptSave(t *testing.T) {
	for _, name := range k3optNames {
		dir := filepath.Join(k3optRoot, name)
		t.Run(name, func(t *testing.T) {
			m, err := Load(filepath.Join(dir, "model.keras"))
			if err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			tmp := t.TempDir()
			for _, f := range []string{"go.weights.h5", "go.keras"} {
				p := filepath.Join(tmp, f)
				var err error
				if strings.HasSuffix(f, ".keras") {
					err = m.Save(p)
				} else {
					err = m.SaveWeights(p)
				}
				if err != nil {
					t.Fatal(err)
				}
				sm, err := LoadSaved(p)
				if err != nil {
					t.Fatal(err)
				}
				_, want := k3optSpecVars(t, dir)
				if sm.Optimizer == nil || len(sm.Optimizer.Variables) != len(want) {
					t.Fatalf("%s: optimizer %+v", f, sm.Optimizer)
				}
				for i, w := range want {
					if !sameBytes(sm.Optimizer.Variables[i], readNpy(t, filepath.Join(dir, w.File))) {
						t.Errorf("%s: variable %d (%s) differs", f, i, w.Path)
					}
				}
			}
			sm, err := m.ToSaved(0)
			if err != nil {
				t.Fatal(err)
			}
			k2name := map[string]string{"Adam": "Adam", "SGD": "SGD", "RMSprop": "RMSprop"}[m.Optimizer().ClassName()]
			if !strings.Contains(string(sm.TrainingConfig), `"name": "`+k2name+`"`) {
				t.Errorf("tf_keras training config names the optimizer otherwise: %s", sm.TrainingConfig)
			}
			sm3, err := m.ToSaved(1)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(sm3.TrainingConfig), `_1"`) {
				t.Errorf("Keras 3 compile config lost the object name: %s", sm3.TrainingConfig)
			}
		})
	}
}

// zeroCases lists testdata/k3opt/zero's directories.
func zeroCases(t *testing.T) []string {
	t.Helper()
	var names []string
	if err := json.Unmarshal(readFile(t, filepath.Join(k3optRoot, "zero", "cases.json")), &names); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no zero cases")
	}
	return names
}

// zeroHyper splits a zero case name "keras3_adam_beta_1" into file, class and key.
func zeroHyper(name string) (file, class, key string) {
	lib, rest, _ := strings.Cut(name, "_")
	cls, key, _ := strings.Cut(rest, "_")
	file = "model.keras"
	if lib == "tfkeras" {
		file = "model.h5"
	}
	return file, cls, key
}

// TestZeroHyperParameters: a hyper-parameter that is 0 in a real Keras file is 0 in Go's
// optimizer, one training step uses 0 (checked against the update formula with the file's
// hyper-parameters, which a default in place of the 0 would miss), and the saved config
// writes 0 back.
func TestZeroHyperParameters(t *testing.T) {
	for _, name := range zeroCases(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(k3optRoot, "zero", name)
			file, _, key := zeroHyper(name)
			m, err := Load(filepath.Join(dir, file))
			if err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			if !m.Compiled() {
				t.Fatalf("not compiled: %v", m.Warnings())
			}
			d := m.train.raw.dialect
			cfg := m.train.opt.Config(d)
			if v, ok := cfg.Lookup(key); !ok || !isZero(v) {
				t.Fatalf("Go's optimizer has %s = %v", key, v)
			}
			// A fresh config (not the one read) must say 0 too.
			m.train.raw = nil
			sm, err := m.ToSaved(d)
			if err != nil {
				t.Fatal(err)
			}
			if !zeroInConfig(t, sm.TrainingConfig, key) {
				t.Errorf("saved config: %s is not 0: %s", key, sm.TrainingConfig)
			}
			checkZeroStep(t, m, dir, key)
		})
	}
}

func isZero(v any) bool {
	switch x := v.(type) {
	case float64:
		return x == 0
	case float32:
		return x == 0
	case int64:
		return x == 0
	}
	return false
}

func zeroInConfig(t *testing.T, tc []byte, key string) bool {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(tc, &c); err != nil {
		t.Fatal(err)
	}
	o, _ := c["optimizer"].(map[string]any)
	if o == nil {
		o, _ = c["optimizer_config"].(map[string]any)
	}
	cfg, _ := o["config"].(map[string]any)
	v, ok := cfg[key].(float64)
	return ok && v == 0
}

// checkZeroStep runs one step and compares the new weights with the update formula computed
// in float64 from the old weights, slots and gradients and the file's hyper-parameters
// (config.json, written by Keras). Where the formula with Keras's default in place of the 0
// gives other weights, the test would catch a default sneaking in.
func checkZeroStep(t *testing.T, m *Sequential, dir, key string) {
	t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "config.json")), &cfg); err != nil {
		t.Fatal(err)
	}
	num := func(k string, def float64) float64 {
		if v, ok := cfg[k].(float64); ok {
			return v
		}
		return def
	}
	x := readNpy(t, filepath.Join(dir, "x.npy"))
	y := readNpy(t, filepath.Join(dir, "y.npy"))
	tr := m.train
	m.buildOptimizer()
	if err := m.restoreSlots(); err != nil {
		t.Fatal(err)
	}
	type snap struct{ w, s [][]float64 }
	old := make([]snap, len(tr.vars))
	for i, v := range tr.vars {
		old[i].w = [][]float64{f64(v.w.Value.Float32s())}
		for _, s := range v.slots {
			old[i].s = append(old[i].s, f64(s))
		}
	}
	iter := float64(tr.iterations)
	if _, _, err := m.TrainOnBatch(x, y); err != nil {
		t.Fatal(err)
	}
	class := tr.opt.ClassName()
	if key == "weight_decay" || strings.Contains(key, "clip") || key == "ema_momentum" {
		return // no change to the update itself (checked against Keras in compat/)
	}
	step := func(hp map[string]float64, w, g []float64, s [][]float64) []float64 {
		out := make([]float64, len(w))
		lr := hp["learning_rate"]
		for i := range w {
			switch class {
			case "Adam":
				b1, b2, eps := hp["beta_1"], hp["beta_2"], hp["epsilon"]
				t := iter + 1
				mi := s[0][i] + (g[i]-s[0][i])*(1-b1)
				vi := s[1][i] + (g[i]*g[i]-s[1][i])*(1-b2)
				alpha := lr * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t))
				out[i] = w[i] - mi*alpha/(math.Sqrt(vi)+eps)
			case "SGD":
				mom := hp["momentum"]
				mi := -g[i]*lr + s[0][i]*mom
				out[i] = w[i] + mi
			case "RMSprop":
				rho, eps := hp["rho"], hp["epsilon"]
				vel := rho*s[0][i] + (1-rho)*g[i]*g[i]
				out[i] = w[i] - lr*g[i]/math.Sqrt(vel+eps)
			}
		}
		return out
	}
	defaults := map[string]float64{"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "rho": 0.9, "momentum": 0.9}
	if class == "SGD" {
		defaults["learning_rate"] = 0.01
	}
	hp := map[string]float64{}
	for k, def := range defaults {
		hp[k] = num(k, def)
	}
	if class != "SGD" || key != "momentum" {
		hp["momentum"] = num("momentum", 0)
	}
	alt := map[string]float64{}
	for k, v := range hp {
		alt[k] = v
	}
	alt[key] = defaults[key]
	discriminated := false
	for i, v := range tr.vars {
		g := f64(v.w.Grad)
		want := step(hp, old[i].w[0], g, old[i].s)
		other := step(alt, old[i].w[0], g, old[i].s)
		got := v.w.Value.Float32s()
		for j := range want {
			tol := 1e-5*math.Abs(want[j]-old[i].w[0][j]) + 1e-6*math.Abs(want[j]) + 1e-9
			if math.Abs(float64(got[j])-want[j]) > tol {
				t.Errorf("%s/%s[%d]: Go %v, formula with %s=0 %v (with the default %v)", v.layer, v.w.Name, j, got[j], key, want[j], other[j])
				return
			}
			if math.Abs(other[j]-want[j]) > 10*tol {
				discriminated = true
			}
		}
	}
	if !discriminated && key != "epsilon" && key != "momentum" {
		t.Errorf("the step does not tell %s=0 from the default (test data too weak)", key)
	}
	// epsilon and momentum barely change (or, from a state without momentum, do not change)
	// a step on the file's data: probe the loaded optimizer on one variable where they
	// decide the step (a gradient of 1e-9 from zero slots; a momentum slot of 1 with no
	// gradient).
	if key == "epsilon" || key == "momentum" {
		w, g := []float32{1}, []float32{1e-9}
		slots := make([][]float32, len(tr.slotNames))
		for j := range slots {
			slots[j] = []float32{0}
		}
		if key == "momentum" {
			g[0] = 0
			for j, n := range tr.slotNames {
				if n == "momentum" {
					slots[j][0] = 1
				}
			}
		}
		tr.opt.Update(0, w, g, slots)
		lr := float64(tr.opt.LearningRate())
		var want float64
		switch {
		case key == "momentum":
			want = 1 // momentum 0 forgets the slot: no step (0.9 would move w by -0.9 or +0.9)
		case class == "Adam":
			want = 1 - lr // m/sqrt(v) with epsilon 0 is exactly 1 after bias correction
		case class == "RMSprop":
			want = 1 - lr/math.Sqrt(1-num("rho", 0.9)) // g/sqrt((1-rho)g²)
		}
		if math.Abs(float64(w[0])-want) > 1e-6 {
			t.Errorf("probe step with %s=0: w = %v, want %v", key, w[0], want)
		}
	}
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// sameBytes reports whether two tensors have the same dtype, shape and bytes.
func sameBytes(a, b *tensor.Tensor) bool {
	x, err1 := a.AppendBytes(nil)
	y, err2 := b.AppendBytes(nil)
	return err1 == nil && err2 == nil && a.DType == b.DType && tensor.SameShape(a.Shape, b.Shape) && string(x) == string(y)
}
