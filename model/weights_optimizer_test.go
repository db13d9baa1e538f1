package model

import (
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// compiledFresh returns the variant's model compiled as tf_keras compiled it (the training
// config of tfkeras/model.h5) with a fresh optimizer (no slots, iteration 0) and every
// weight zero.
func compiledFresh(t *testing.T, dir string) *Sequential {
	t.Helper()
	sm, err := LoadSaved(filepath.Join(dir, "tfkeras", "model.h5"))
	if err != nil {
		skipNoHDF5(t, err)
		t.Fatal(err)
	}
	sm.Optimizer = nil
	m, err := FromSaved(sm)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Compiled() || m.Iterations() != 0 {
		t.Fatalf("compiled %v, iterations %d", m.Compiled(), m.Iterations())
	}
	for _, w := range m.Weights() {
		clear(w.Value.Float32s())
	}
	return m
}

// slotValues returns the model's optimizer slots keyed layer/weight/slot (Keras 3 names).
func slotValues(t *testing.T, m *Sequential) map[string][]float32 {
	t.Helper()
	_, so, err := m.trainingToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	if so == nil {
		return out
	}
	for _, s := range so.Slots {
		out[s.Layer+"/"+s.Weight+"/"+s.Name] = s.Value.Float32s()
	}
	return out
}

// TestLoadWeightsCheckpointOptimizer loads tf_keras's save_weights checkpoint (written with
// Adam / SGD-momentum state after 4 training steps) into a compiled model with a fresh
// optimizer: the weights, every slot and the iteration count must equal tf_keras's exactly
// (optimizer.json, slots/), and one more training step must match tf_keras's (next/).
func TestLoadWeightsCheckpointOptimizer(t *testing.T) {
	root := formatsRoot(t)
	for _, v := range formatVariants(t, root) {
		t.Run(v, func(t *testing.T) {
			dir := filepath.Join(root, v)
			m := compiledFresh(t, dir)
			if err := m.LoadWeights(filepath.Join(dir, "tfkeras", "ckpt", "weights")); err != nil {
				t.Fatal(err)
			}
			if !sameWeights(snapshot(m), snapshot(seedModelLike(t, dir, readFixtureWeights(t, dir)))) {
				t.Error("weights differ from Keras's")
			}
			var fo trFixtureOptimizer
			trReadJSON(t, filepath.Join(dir, "optimizer.json"), &fo)
			if m.Iterations() != fo.Iterations {
				t.Errorf("iterations %d, tf_keras %d", m.Iterations(), fo.Iterations)
			}
			got := slotValues(t, m)
			if len(got) != len(fo.Slots) {
				t.Errorf("%d slots, tf_keras %d", len(got), len(fo.Slots))
			}
			for _, s := range fo.Slots {
				k := s.Layer + "/" + s.Weight + "/" + saved.Keras3SlotName(fo.Class, s.Slot)
				want := readNpy(t, filepath.Join(dir, s.File)).Float32s()
				g, ok := got[k]
				if !ok || len(g) != len(want) {
					t.Errorf("slot %s: missing or %d values, tf_keras %d", k, len(g), len(want))
					continue
				}
				for i := range want {
					if math.Float32bits(g[i]) != math.Float32bits(want[i]) {
						t.Errorf("slot %s[%d] = %v, tf_keras %v", k, i, g[i], want[i])
						break
					}
				}
			}
			if len(m.Warnings()) > 0 {
				t.Errorf("warnings: %q", m.Warnings())
			}
			next := filepath.Join(dir, "next")
			nx, ny := readNpy(t, filepath.Join(next, "x.npy")), readNpy(t, filepath.Join(next, "y.npy"))
			// tf_keras's own next step, computed on this machine in this run.
			next = filepath.Join(testref.Dir(t, testref.Formats), v, "next")
			wantLoss := readNpy(t, filepath.Join(next, "loss.npy")).Float32s()[0]
			before := slotValues(t, m)
			m = checkNextStep(t, m, nx, ny, wantLoss, seedModelLike(t, dir, readFixtureWeights(t, next)))
			// The slots after the step against tf_keras's (computed in this run): within 1e-4
			// of the slot's change, plus 1e-4 of the largest change in the tensor (float noise
			// in a gradient is relative to the tensor's gradients, and TF's sums change with
			// its thread count), plus 1e-6 of the tensor's scale.
			var no trFixtureOptimizer
			trReadJSON(t, filepath.Join(next, "optimizer.json"), &no)
			if m.Iterations() != no.Iterations {
				t.Errorf("iterations after the step %d, tf_keras %d", m.Iterations(), no.Iterations)
			}
			after := slotValues(t, m)
			// Slots of elements whose gradient is zero up to rounding (a conv bias feeding
			// BatchNormalization) hold rounding noise in both libraries: compared within 2·lr,
			// as TestTrainParity does.
			noise := map[string][]bool{}
			updateNoiseMask(m, noise)
			noise = confirmNoise(m, noise)
			lr := float64(m.Optimizer().LearningRate())
			excused := 0
			worst := 0.0
			for _, s := range no.Slots {
				k := s.Layer + "/" + s.Weight + "/" + saved.Keras3SlotName(no.Class, s.Slot)
				want := readNpy(t, filepath.Join(next, s.File)).Float32s()
				g, b := after[k], before[k]
				if len(g) != len(want) || len(b) != len(want) {
					t.Errorf("slot %s: %d values, tf_keras %d", k, len(g), len(want))
					continue
				}
				scale := 0.0
				for _, w := range want {
					scale = max(scale, math.Abs(float64(w)))
				}
				mask := noise[s.Layer+"/"+s.Weight]
				// The step's scale in this tensor: gradients carry float noise relative to the
				// tensor's largest, not to each element (TF's sums change with its threads).
				step := 0.0
				for i := range want {
					step = max(step, math.Abs(float64(want[i])-float64(b[i])))
				}
				for i := range want {
					d := math.Abs(float64(g[i]) - float64(want[i]))
					moved := math.Abs(float64(want[i]) - float64(b[i]))
					tol := 1e-4*moved + 1e-4*step + 1e-6*scale
					if mask != nil && mask[i] && d > tol && d <= 2*lr {
						excused++
						continue
					}
					if d > tol {
						t.Errorf("slot %s[%d] after the step = %v, tf_keras %v (was %v)", k, i, g[i], want[i], b[i])
						break
					}
					worst = max(worst, d/max(scale, 1e-30))
				}
			}
			t.Logf("slots after the step: worst |diff| %.2g of the tensor's scale; %d rounding-noise elements within 2·lr", worst, excused)
		})
	}
}

// TestLoadWeightsCheckpointOptimizerUncompiled: an uncompiled model takes the weights and
// reports (in Warnings) that the optimizer state was not loaded.
func TestLoadWeightsCheckpointOptimizerUncompiled(t *testing.T) {
	dir := filepath.Join(formatsRoot(t), "seed")
	m, err := FromConfig(readFile(t, filepath.Join(dir, "config_keras2.json")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadWeights(filepath.Join(dir, "tfkeras", "ckpt", "weights")); err != nil {
		t.Fatal(err)
	}
	if m.Compiled() || len(m.Warnings()) != 1 {
		t.Errorf("compiled %v, warnings %q", m.Compiled(), m.Warnings())
	}
}

// TestLoadWeightsCheckpointOptimizerAllOrNothing: a checkpoint whose weights fit but one
// optimizer slot has another shape is refused, and neither the weights nor the optimizer
// state (slots, iterations) change.
func TestLoadWeightsCheckpointOptimizerAllOrNothing(t *testing.T) {
	dir := filepath.Join(formatsRoot(t), "seed")
	sm, err := LoadSaved(filepath.Join(dir, "tfkeras", "ckpt", "weights"))
	if err != nil {
		t.Fatal(err)
	}
	if sm.Optimizer == nil || len(sm.Optimizer.Slots) < 4 {
		t.Fatalf("checkpoint optimizer %+v", sm.Optimizer)
	}
	bad := &sm.Optimizer.Slots[3]
	bad.Value = tensor.MustFromFloat32([]int{bad.Value.Len() + 1}, make([]float32, bad.Value.Len()+1))
	prefix := filepath.Join(t.TempDir(), "bad")
	if err := checkpoint.SaveKerasWeights(prefix, sm); err != nil {
		t.Skipf("checkpoint refuses to write the corrupted state: %v", err)
	}

	m := compiledFresh(t, dir)
	// Give the model a known optimizer state: one training step.
	nx, ny := readNpy(t, filepath.Join(dir, "next", "x.npy")), readNpy(t, filepath.Join(dir, "next", "y.npy"))
	if _, _, err := m.TrainOnBatch(nx, ny); err != nil {
		t.Fatal(err)
	}
	w0, s0, it0 := snapshot(m), slotValues(t, m), m.Iterations()
	err = m.LoadWeights(prefix)
	if !errors.Is(err, ErrShape) {
		t.Fatalf("err = %v, want ErrShape", err)
	}
	t.Log(err)
	if !sameWeights(snapshot(m), w0) || m.Iterations() != it0 {
		t.Error("weights or iterations changed")
	}
	s1 := slotValues(t, m)
	for k, v := range s0 {
		if !sameWeights([][]float32{v}, [][]float32{s1[k]}) {
			t.Errorf("slot %s changed", k)
		}
	}
}
