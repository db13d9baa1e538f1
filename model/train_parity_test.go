package model

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// trainFixtureDir is where testdata/gen writes the training-parity fixtures (real tf_keras
// runs); KERASGO_TRAIN_FIXTURES overrides it.
func trainFixtureDir() string {
	if d := os.Getenv("KERASGO_TRAIN_FIXTURES"); d != "" {
		return d
	}
	return filepath.Join("..", "testdata", "train")
}

type trFixtureWeights struct {
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

type trFixtureOptimizer struct {
	Class      string `json:"class_name"`
	Iterations int64  `json:"iterations"`
	Slots      []struct {
		Layer  string `json:"layer"`
		Weight string `json:"weight"`
		Slot   string `json:"slot"`
		File   string `json:"file"`
	} `json:"slots"`
}

func trReadJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func trReadNpy(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	v, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// parityCompare records the worst relative error of a comparison and reports values outside
// the tolerance: |go - keras| <= max(1e-4*|keras|, 1e-6).
type parityCompare struct {
	t       *testing.T
	worst   float64
	worstAt string
	fails   int
	// worstScaled is the worst |go-keras| / max|keras| over the tensor.
	worstScaled   float64
	worstScaledAt string
	// skipped counts elements whose gradient was zero up to rounding (see updateNoiseMask)
	// and that were compared with noiseTol.
	skipped  int
	noiseTol float64
	// scaleTol is the tolerance relative to the tensor's largest magnitude (1e-4).
	scaleTol float64
	// absTol is an extra absolute tolerance; noiseDiff the largest difference seen on a
	// rounding-noise element.
	absTol, noiseDiff float64
	// quiet records failures in failed (by tensor) instead of reporting them.
	quiet  bool
	failed map[string]int
}

func (p *parityCompare) check(what string, got []float32, want *tensor.Tensor, noise []bool) {
	p.t.Helper()
	wf, err := want.ToFloat32()
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	w := wf.Float32s()
	var scale float64
	for _, v := range w {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	if len(got) != len(w) {
		p.t.Errorf("%s: %d values, Keras has %d", what, len(got), len(w))
		p.fails++
		if p.failed == nil {
			p.failed = map[string]int{}
		}
		p.failed[what]++
		return
	}
	for i := range w {
		d := math.Abs(float64(got[i]) - float64(w[i]))
		tol := math.Max(math.Max(1e-4*math.Abs(float64(w[i])), 1e-6), math.Max(p.scaleTol*scale, p.absTol))
		if noise != nil && noise[i] {
			p.noiseDiff = math.Max(p.noiseDiff, d)
			if d > tol {
				// Rounding-noise gradient: only check that the value stayed within the
				// largest drift the optimizer allows (one learning rate per step, twice).
				p.skipped++
				tol = p.noiseTol
			}
		} else {
			rel := d / math.Max(math.Abs(float64(w[i])), 1e-2)
			if rel > p.worst {
				p.worst, p.worstAt = rel, fmt.Sprintf("%s[%d]", what, i)
			}
			if sr := d / math.Max(scale, 1e-6); sr > p.worstScaled {
				p.worstScaled, p.worstScaledAt = sr, fmt.Sprintf("%s[%d]", what, i)
			}
		}
		if d > tol || math.IsNaN(float64(got[i])) {
			if p.failed == nil {
				p.failed = map[string]int{}
			}
			p.failed[what]++
			if p.fails < 5 && !p.quiet {
				p.t.Errorf("%s[%d] = %g, Keras %g (diff %.3g > tol %.3g)", what, i, got[i], w[i], d, tol)
			}
			p.fails++
		}
	}
}

// loadParityCase builds the fixture's model from its tf_keras config, sets its initial
// weights and compiles it as the fixture's compile.json says.
func loadParityCase(t *testing.T, dir string) *Sequential {
	t.Helper()
	cfg, err := os.ReadFile(filepath.Join(dir, "config_keras2.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	trSetWeights(t, m, filepath.Join(dir, "init"))
	tc, err := os.ReadFile(filepath.Join(dir, "training_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.trainingFromSaved(&saved.Model{TrainingConfig: tc, Dialect: saved.Keras2}); err != nil {
		t.Fatal(err)
	}
	if m.train == nil {
		t.Fatalf("not compiled from %s: %v", tc, m.Warnings())
	}
	return m
}

func trSetWeights(t *testing.T, m *Sequential, dir string) {
	t.Helper()
	var fw trFixtureWeights
	trReadJSON(t, filepath.Join(dir, "weights.json"), &fw)
	for _, l := range fw.Layers {
		var vals []*tensor.Tensor
		for _, w := range l.Weights {
			vals = append(vals, trReadNpy(t, filepath.Join(dir, w.File)))
		}
		if err := m.SetLayerWeights(l.Name, vals); err != nil {
			t.Fatal(err)
		}
	}
}

func compareAfter(t *testing.T, m *Sequential, dir string, goNoise map[string][]bool, steps int, quiet bool) *parityCompare {
	t.Helper()
	noise := confirmNoise(m, goNoise)
	base := 1e-4
	if noiseUpstream(m, noise, "") {
		// Variables driven by rounding noise perturb everything after them slightly
		// (tf_keras run with 1 and with 2 threads differs by this much on the seed model).
		base = 3e-4
	}
	p := &parityCompare{t: t, scaleTol: base, noiseTol: 2 * float64(m.train.opt.LearningRate()) * float64(steps), quiet: quiet}
	var fw trFixtureWeights
	trReadJSON(t, filepath.Join(dir, "weights.json"), &fw)
	for _, l := range fw.Layers {
		layer := m.Layer(l.Name)
		if layer == nil {
			t.Fatalf("no layer %q", l.Name)
		}
		ws := layer.Weights()
		if len(ws) != len(l.Weights) {
			t.Fatalf("layer %q: %d weights, Keras %d", l.Name, len(ws), len(l.Weights))
		}
		for i, w := range l.Weights {
			p.scaleTol, p.absTol = base, 0
			if !w.Trainable && noiseUpstream(m, noise, l.Name) {
				// Moving statistics downstream of a rounding-noise variable inherit its
				// drift: a conv bias shifted by d shifts the BatchNormalization input mean
				// by at most d, and the moving mean averages those shifts. (tf_keras itself
				// differs by ~1e-3 of the scale between 1 and 2 threads on the seed model.)
				p.absTol = p.noiseDiff
			}
			p.check(l.Name+"/"+w.Name, ws[i].Value.Float32s(), trReadNpy(t, filepath.Join(dir, w.File)), noise[l.Name+"/"+w.Name])
		}
	}
	p.scaleTol = base
	var fo trFixtureOptimizer
	trReadJSON(t, filepath.Join(dir, "optimizer.json"), &fo)
	if m.Iterations() != fo.Iterations {
		t.Errorf("iterations %d, Keras %d", m.Iterations(), fo.Iterations)
	}
	_, so, err := m.trainingToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	if so.Iterations != fo.Iterations {
		t.Errorf("saved iterations %d, Keras %d", so.Iterations, fo.Iterations)
	}
	if len(so.Slots) != len(fo.Slots) {
		t.Errorf("%d slots, Keras %d", len(so.Slots), len(fo.Slots))
	}
	for _, s := range fo.Slots {
		found := false
		for _, g := range so.Slots {
			if g.Layer == s.Layer && g.Weight == s.Weight && g.Name == saved.Keras3SlotName(fo.Class, s.Slot) {
				p.check(fmt.Sprintf("slot %s/%s/%s", s.Layer, s.Weight, s.Slot), g.Value.Float32s(), trReadNpy(t, filepath.Join(dir, s.File)), noise[s.Layer+"/"+s.Weight])
				found = true
			}
		}
		if !found {
			t.Errorf("no slot %s/%s/%s", s.Layer, s.Weight, s.Slot)
		}
	}
	return p
}

// TestTrainParity compares each of the 10 training steps of every fixture case with tf_keras:
// before step s, the model is set to tf_keras's exact state after s-1 steps (weights, BN moving
// statistics, every optimizer slot, iterations); then one TrainOnBatch must give tf_keras's
// loss and accuracy for that step and tf_keras's state after it (every weight and slot).
// Syncing before every step keeps each comparison well-conditioned: freely running models
// drift apart wherever a gradient is zero up to rounding (a conv bias feeding
// BatchNormalization), because Adam and RMSprop amplify that noise to a learning rate per step
// and relu turns it into real differences downstream; tf_keras itself drifts that way between
// CPUs and thread counts. TestTrainParityFreeRunning covers ten free steps where that cannot
// happen. tf_keras runs on this machine in this test run (internal/testref): its training
// results differ between CPUs, so none of them is committed.
func TestTrainParity(t *testing.T) {
	root, cases := parityCases(t)
	ref := testref.Dir(t, testref.Train)
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			rdir := filepath.Join(ref, name)
			m := loadParityCase(t, dir)
			losses, accs := parityRefLosses(t, rdir)
			lossCmp := &parityCompare{t: t, scaleTol: 0}
			got := make([]float32, 0, len(losses))
			kinks := 0
			for s := range losses {
				if s > 0 {
					trSetState(t, m, filepath.Join(rdir, fmt.Sprintf("after_%02d", s)))
				}
				x := trReadNpy(t, filepath.Join(dir, "batches", fmt.Sprintf("x_%02d.npy", s)))
				y := trReadNpy(t, filepath.Join(dir, "batches", fmt.Sprintf("y_%02d.npy", s)))
				l, mets, err := m.TrainOnBatch(x, y)
				if err != nil {
					t.Fatalf("step %d: %v", s+1, err)
				}
				if accs != nil && float32(mets["accuracy"]) != accs[s] {
					t.Errorf("step %d: accuracy %v, Keras %v", s+1, mets["accuracy"], accs[s])
				}
				got = append(got, float32(l))
				noise := map[string][]bool{}
				updateNoiseMask(m, noise)
				after := filepath.Join(rdir, fmt.Sprintf("after_%02d", s+1))
				p := compareAfter(t, m, after, noise, 1, true)
				if p.fails > 0 {
					if kinks == 0 && kinkStep(m, p, l, losses[s]) {
						kinks++
						t.Logf("step %d: gradients before the last layer differ (%v) with the loss equal (%v, tf_keras %v) and the last layer equal: a relu pre-activation within rounding of 0 in one library and not the other; allowed once per case", s+1, p.failed, l, losses[s])
					} else {
						compareAfter(t, m, after, noise, 1, false) // report
					}
				}
				if s == 0 || s == len(losses)-1 {
					t.Logf("step %d from tf_keras's state: worst relative error %.2e at %s; worst error relative to the tensor's scale %.2e at %s; %d rounding-noise values compared within 2·lr (largest difference %.2e)", s+1, p.worst, p.worstAt, p.worstScaled, p.worstScaledAt, p.skipped, p.noiseDiff)
				}
			}
			lossCmp.check("loss", got, tensor.MustFromFloat32([]int{len(losses)}, losses), nil)
			t.Logf("losses: worst relative error %.2e", lossCmp.worst)
		})
	}
}

// TestTrainParityFreeRunning runs the ten steps of each case freely (Go's own state throughout)
// and compares the state after 10 steps with tf_keras's, for the cases where no variable's
// gradient is zero up to rounding (see TestTrainParity for why the others diverge in any two
// implementations, tf_keras on two CPUs included); it checks that those cases do have such a
// variable.
func TestTrainParityFreeRunning(t *testing.T) {
	root, cases := parityCases(t)
	ref := testref.Dir(t, testref.Train)
	free := 0
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			rdir := filepath.Join(ref, name)
			m := loadParityCase(t, dir)
			losses, _ := parityRefLosses(t, rdir)
			noise := map[string][]bool{}
			got := make([]float32, 0, len(losses))
			for s := range losses {
				x := trReadNpy(t, filepath.Join(dir, "batches", fmt.Sprintf("x_%02d.npy", s)))
				y := trReadNpy(t, filepath.Join(dir, "batches", fmt.Sprintf("y_%02d.npy", s)))
				l, _, err := m.TrainOnBatch(x, y)
				if err != nil {
					t.Fatalf("step %d: %v", s+1, err)
				}
				got = append(got, float32(l))
				updateNoiseMask(m, noise)
			}
			if conf := confirmNoise(m, noise); anyNoise(conf) && amplifies(m) {
				// Structurally zero gradients (a bias feeding BatchNormalization) under an
				// optimizer that normalises the step: ill-conditioned, compared step by step
				// in TestTrainParity instead.
				t.Logf("not compared freely: rounding-noise gradients under %s", m.train.opt.ClassName())
				return
			}
			free++
			p := compareAfter(t, m, filepath.Join(rdir, "after_10"), noise, len(losses), false)
			lossCmp := &parityCompare{t: t, scaleTol: 0}
			lossCmp.check("loss", got, tensor.MustFromFloat32([]int{len(losses)}, losses), nil)
			t.Logf("after 10 free steps: worst relative error %.2e at %s; losses %.2e", p.worst, p.worstAt, lossCmp.worst)
		})
	}
	if free < len(cases)/2 {
		t.Errorf("only %d of %d cases compared freely", free, len(cases))
	}
}

// kinkStep reports whether a step's differences from tf_keras have the signature of a relu
// kink: a pre-activation within float rounding of 0 that one library clips and the other does
// not. Then the forward pass (the loss) agrees, the last layer's gradient (after the kink)
// agrees, and the gradients of the layers before it differ by that one sample's contribution.
// A backward bug would show at every step of every case, not at one step; TestTrainParity
// allows this signature once per case.
func kinkStep(m *Sequential, p *parityCompare, loss float64, want float32) bool {
	if math.Abs(loss-float64(want)) > 1e-5*math.Abs(float64(want)) {
		return false
	}
	last := ""
	for _, l := range m.layers {
		if len(l.Weights()) > 0 {
			last = l.Name()
		}
	}
	for what := range p.failed {
		if strings.HasPrefix(what, last+"/") || strings.Contains(what, " "+last+"/") {
			return false
		}
	}
	return true
}

// amplifies reports whether the model's optimizer scales each step by a running gradient
// magnitude (Adam, RMSprop, ...), turning gradients that are zero up to rounding into steps of
// the learning rate's size. SGD moves such a variable by lr times the noise: nothing.
func amplifies(m *Sequential) bool { return m.train.opt.ClassName() != "SGD" }

func anyNoise(noise map[string][]bool) bool {
	for _, mask := range noise {
		for _, n := range mask {
			if n {
				return true
			}
		}
	}
	return false
}

// parityCases lists the committed training cases (those with batches/).
func parityCases(t *testing.T) (string, []string) {
	t.Helper()
	root := trainFixtureDir()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("no training fixtures in %s (committed; regenerate with make fixtures)", root)
	}
	var cases []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(root, e.Name(), "batches")); err == nil {
			cases = append(cases, e.Name())
		}
	}
	sort.Strings(cases)
	if len(cases) < 13 {
		t.Fatalf("%d training fixtures in %s, want 13", len(cases), root)
	}
	return root, cases
}

// parityRefLosses reads tf_keras's per-step losses and accuracies (nil without metrics).
func parityRefLosses(t *testing.T, rdir string) ([]float32, []float32) {
	t.Helper()
	losses := trReadNpy(t, filepath.Join(rdir, "losses.npy")).Float32s()
	if len(losses) != 10 {
		t.Fatalf("%d reference steps, want 10", len(losses))
	}
	var accs []float32
	if _, err := os.Stat(filepath.Join(rdir, "accuracy.npy")); err == nil {
		accs = trReadNpy(t, filepath.Join(rdir, "accuracy.npy")).Float32s()
	}
	return losses, accs
}

// trSetState sets the model to a state tf_keras wrote (weights.json + optimizer.json): every
// weight, every optimizer slot and the iteration count.
func trSetState(t *testing.T, m *Sequential, dir string) {
	t.Helper()
	trSetWeights(t, m, dir)
	var fo trFixtureOptimizer
	trReadJSON(t, filepath.Join(dir, "optimizer.json"), &fo)
	o := &saved.Optimizer{Class: fo.Class, Iterations: fo.Iterations, LearningRate: m.train.opt.LearningRate()}
	pairs := map[[2]string]*layers.Weight{}
	for _, l := range m.layers {
		for _, w := range l.Weights() {
			pairs[[2]string{l.Name(), w.Name}] = w
		}
	}
	for _, s := range fo.Slots {
		o.Slots = append(o.Slots, saved.Slot{Layer: s.Layer, Weight: s.Weight, Name: saved.Keras3SlotName(fo.Class, s.Slot),
			Value: trReadNpy(t, filepath.Join(dir, s.File))})
	}
	r, err := m.planOptimizerRestore(o, pairs)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.warnings) > 0 || len(r.slots) != len(fo.Slots) {
		t.Fatalf("optimizer state of %s: %d of %d slots, warnings %q", dir, len(r.slots), len(fo.Slots), r.warnings)
	}
	m.applyOptimizerRestore(r)
	if m.Iterations() != fo.Iterations {
		t.Fatalf("iterations %d after restoring %d", m.Iterations(), fo.Iterations)
	}
}

// updateNoiseMask marks the elements of trainable variables whose gradient in the last step
// was zero up to float32 rounding: below 1e-6 of the largest gradient of the step. Their exact
// gradient is zero (for example a conv bias feeding, through relu and max-pooling, a
// BatchNormalization that removes any per-channel shift), so Keras's value for them is
// rounding noise that Adam and RMSprop amplify to a full step; no implementation with a
// different summation order can reproduce it.
func updateNoiseMask(m *Sequential, noise map[string][]bool) {
	var top float32
	for _, v := range m.train.vars {
		for _, g := range v.w.Grad {
			top = max(top, float32(math.Abs(float64(g))))
		}
	}
	for _, v := range m.train.vars {
		k := v.layer + "/" + v.w.Name
		if noise[k] == nil {
			noise[k] = make([]bool, len(v.w.Grad))
		}
		for i, g := range v.w.Grad {
			if float32(math.Abs(float64(g))) < 1e-6*top {
				noise[k][i] = true
			}
		}
	}
}

// noiseUpstream reports whether a layer before the named one has a variable with a
// rounding-noise gradient (and a value that differs from Keras's because of it).
func noiseUpstream(m *Sequential, noise map[string][]bool, layer string) bool {
	for _, l := range m.layers {
		if l.Name() == layer {
			return false
		}
		for _, w := range l.Weights() {
			for _, n := range noise[l.Name()+"/"+w.Name] {
				if n {
					return true
				}
			}
		}
	}
	return false
}

// confirmNoise keeps, of the elements whose Go gradient was rounding noise at some step,
// those of variables whose gradient can be zero for structural reasons: the bias of a layer
// whose output reaches a BatchNormalization through max-pooling, activations or dropout
// only (BatchNormalization removes any per-channel shift; the bias gradient is non-zero
// only through windows whose maximum the relu clips). A Go bug that zeroes other gradients
// is therefore not excused.
func confirmNoise(m *Sequential, goNoise map[string][]bool) map[string][]bool {
	out := map[string][]bool{}
	for i, l := range m.layers {
		if !feedsBatchNorm(m, i) {
			continue
		}
		k := l.Name() + "/bias"
		if mask, ok := goNoise[k]; ok {
			out[k] = mask
		}
	}
	// MultiHeadAttention's key bias: the softmax over the keys is invariant to it, so its
	// gradient is zero but for rounding.
	for _, l := range m.layers {
		if _, ok := l.(*layers.MultiHeadAttention); ok {
			k := l.Name() + "/key/bias"
			if mask, ok := goNoise[k]; ok {
				out[k] = mask
			}
		}
	}
	return out
}

func feedsBatchNorm(m *Sequential, i int) bool {
	for _, l := range m.layers[i+1:] {
		switch l.Class() {
		case "MaxPooling2D", "Activation", "Dropout":
			continue
		case "BatchNormalization":
			return true
		}
		return false
	}
	return false
}
