//go:build cgo

package model

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/tensor"
)

// nestedFixtureCases are the functional/ model cases holding a model as a layer.
var nestedFixtureCases = []string{"nested_sequential", "sequential_in_functional", "frozen_backbone"}

// TestNestedSavedNames saves each nested-model case (read from tf_keras's .h5) in every
// weights format and compares the names Keras would find with the names Keras wrote
// (observed.json): the tf_keras .h5 weight names of each layer group, the Keras 3
// .weights.h5 dataset paths (layers/<model>/layers/<leaf>/vars/i), and the TF checkpoint keys.
func TestNestedSavedNames(t *testing.T) {
	for _, name := range nestedFixtureCases {
		dir := filepath.Join(functionalRoot, name)
		t.Run(name, func(t *testing.T) {
			var obs struct {
				H5Names  map[string][]string `json:"tfkeras_weights_h5_weight_names"`
				K3Paths  []string            `json:"keras3_weights_h5_datasets"`
				CkptKeys map[string][]int    `json:"tfkeras_ckpt_keys"`
			}
			if err := json.Unmarshal(readFile(t, filepath.Join(dir, "observed.json")), &obs); err != nil {
				t.Fatal(err)
			}
			m, err := Load(filepath.Join(dir, "tfkeras", "model.h5"))
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()

			// tf_keras weights .h5: group per layer, weight_names as tf_keras names them.
			p := filepath.Join(out, "w.h5")
			if err := m.SaveWeights(p); err != nil {
				t.Fatal(err)
			}
			rep, err := h5.Audit(p)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for l, ws := range obs.H5Names {
				for _, w := range ws {
					want = append(want, l+"/"+w)
				}
			}
			var got []string
			for _, v := range rep.Vars {
				got = append(got, v.Path)
			}
			assertSameSet(t, "tf_keras .h5 weights", got, want)

			// Keras 3 .weights.h5: nested models under layers/<model>/layers/<leaf>/vars.
			p = filepath.Join(out, "w.weights.h5")
			if err := m.SaveWeights(p); err != nil {
				t.Fatal(err)
			}
			if rep, err = h5.Audit(p); err != nil {
				t.Fatal(err)
			}
			got, want = nil, nil
			for _, v := range rep.Vars {
				if strings.HasPrefix(v.Path, "layers/") {
					got = append(got, v.Path)
				}
			}
			for _, v := range obs.K3Paths {
				if strings.HasPrefix(v, "layers/") {
					want = append(want, v)
				}
			}
			assertSameSet(t, "Keras 3 .weights.h5 paths", got, want)

			// TF checkpoint: object-graph keys with shapes.
			p = filepath.Join(out, "ckpt", "w")
			if err := m.SaveWeights(p); err != nil {
				t.Fatal(err)
			}
			r, err := checkpoint.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, want = nil, nil
			for _, k := range r.Keys() {
				if !strings.HasPrefix(k, "optimizer/") {
					got = append(got, k)
				}
			}
			for k := range obs.CkptKeys {
				if !strings.HasPrefix(k, "optimizer/") {
					want = append(want, k)
				}
			}
			assertSameSet(t, "checkpoint keys", got, want)
		})
	}
}

func assertSameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// TestNestedLoadKerasWeights loads the weights files Keras wrote for each nested-model case
// (tf_keras .h5 and TF checkpoint, Keras 3 .weights.h5) into the model read from the Keras 3
// .keras file, and predicts what Keras predicted.
func TestNestedLoadKerasWeights(t *testing.T) {
	for _, name := range nestedFixtureCases {
		dir := filepath.Join(functionalRoot, name)
		x := readNpy(t, filepath.Join(dir, "x0.npy"))
		for _, f := range []string{"tfkeras/weights.h5", "tfkeras/ckpt/weights", "keras3/model.weights.h5"} {
			t.Run(name+"/"+f, func(t *testing.T) {
				m, err := Load(filepath.Join(dir, "keras3", "model.keras"))
				if err != nil {
					t.Fatal(err)
				}
				// Scramble the weights first, so that the check sees what the file sets.
				for _, w := range m.Weights() {
					for i, d := 0, w.Value.Float32s(); i < len(d); i++ {
						d[i] = 0.5
					}
				}
				if err := m.LoadWeights(filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
				y, err := m.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				want := "y0.npy"
				if strings.HasPrefix(f, "keras3") {
					want = "y0_keras3.npy"
				}
				if d := maxAbsDiff(t, y, readNpy(t, filepath.Join(dir, want))); d > 1e-5 {
					t.Errorf("max abs diff %g", d)
				}
			})
		}
	}
}

// TestNestedFrozenBackbone checks the transfer-learning case read from each file: the
// backbone is a Functional layer with trainable false and every weight in it frozen, and
// only the head is trained.
func TestNestedFrozenBackbone(t *testing.T) {
	dir := filepath.Join(functionalRoot, "frozen_backbone")
	for _, f := range []string{"tfkeras/model.h5", "keras3/model.keras"} {
		m, err := Load(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		n, ok := m.Layer("backbone").(*Nested)
		if !ok {
			t.Fatalf("%s: backbone is %T, want *Nested", f, m.Layer("backbone"))
		}
		if n.Class() != "Functional" || n.Trainable() || !n.Model().Functional() {
			t.Errorf("%s: backbone class %s trainable %v", f, n.Class(), n.Trainable())
		}
		for _, w := range n.Weights() {
			if w.Trainable {
				t.Errorf("%s: backbone weight %s trainable", f, w.Name)
			}
		}
		var train []string
		for _, v := range m.trainableVars() {
			train = append(train, v.layer+"/"+v.w.Name)
		}
		if !slices.Equal(train, []string{"head/kernel", "head/bias"}) {
			t.Errorf("%s: trainable variables %q", f, train)
		}
		// A training step leaves the backbone as it is (BatchNormalization's moving
		// statistics included: a frozen BatchNormalization runs in inference mode) and
		// changes the head.
		var before [][]float32
		for _, w := range m.Weights() {
			before = append(before, slices.Clone(w.Value.Float32s()))
		}
		x := readNpy(t, filepath.Join(dir, "x0.npy"))
		y := tensor.MustFromFloat32([]int{x.Shape[0]}, make([]float32, x.Shape[0]))
		if !m.Compiled() {
			if err := m.Compile(CompileOptions{Optimizer: "adam", Loss: "sparse_categorical_crossentropy"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatalf("%s: train: %v", f, err)
		}
		frozen := len(n.Weights())
		for i, w := range m.Weights() {
			same := slices.Equal(before[i], w.Value.Float32s())
			if i < frozen && !same {
				t.Errorf("%s: backbone weight %d (%s) changed", f, i, w.Name)
			}
			if i >= frozen && same {
				t.Errorf("%s: head weight %s unchanged", f, w.Name)
			}
		}
	}
}
