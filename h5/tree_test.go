//go:build cgo

package h5

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestReadWeightsFileLayouts reads the files tf_keras and Keras 3 wrote for a Sequential
// nested in a Sequential (testdata/functional/nested_sequential) as stored: the legacy groups
// with their weight_names exactly as observed.json records them (from h5py), the Keras 3
// object tree with each object's name, and the configs of the model files.
func TestReadWeightsFileLayouts(t *testing.T) {
	d := filepath.Join("..", "testdata", "functional", "nested_sequential")
	var obs struct {
		Names map[string][]string `json:"tfkeras_weights_h5_weight_names"`
	}
	b, err := os.ReadFile(filepath.Join(d, "observed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &obs); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tfkeras/weights.h5", "tfkeras/model.h5", "keras3/legacy.h5"} {
		wf, err := ReadWeightsFile(filepath.Join(d, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if wf.Keras3 != nil || len(wf.Legacy) != 3 || (wf.Config == nil) != (f == "tfkeras/weights.h5") {
			t.Fatalf("%s: %d groups, Keras 3 %v, config %v", f, len(wf.Legacy), wf.Keras3 != nil, wf.Config != nil)
		}
		if f == "keras3/legacy.h5" {
			continue // variable paths: outer/inner/inner_dense_1/kernel
		}
		for _, g := range wf.Legacy {
			var names []string
			for _, w := range g.Weights {
				names = append(names, w.Name)
			}
			if !reflect.DeepEqual(names, obs.Names[g.Name]) {
				t.Errorf("%s: group %s: %v, h5py %v", f, g.Name, names, obs.Names[g.Name])
			}
		}
	}
	for _, f := range []string{"keras3/model.weights.h5", "keras3/model.keras"} {
		wf, err := ReadWeightsFile(filepath.Join(d, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if wf.Legacy != nil || wf.Keras3 == nil || (wf.Config == nil) != (f == "keras3/model.weights.h5") {
			t.Fatalf("%s: layout", f)
		}
		r := wf.Keras3
		inner := r.Child("layers").Child("sequential")
		if r.Name != "outer" || !r.HasVars || inner == nil || inner.Name != "inner" {
			t.Fatalf("%s: root %q, inner %+v", f, r.Name, inner)
		}
		d1 := inner.Child("layers").Child("dense_1")
		if d1 == nil || d1.Name != "inner_dense_2" || len(d1.Vars) != 2 || !reflect.DeepEqual(d1.Vars[0].Shape, []int{6, 4}) {
			t.Errorf("%s: layers/sequential/layers/dense_1: %+v", f, d1)
		}
		if len(r.Child("optimizer").Vars) != 18 {
			t.Errorf("%s: optimizer vars %d", f, len(r.Child("optimizer").Vars))
		}
	}
}

// TestWeightsTreeRoundTrip: what ReadWeightsFile reads, SaveLegacyWeights and
// SaveKeras3Weights write back as read.
func TestWeightsTreeRoundTrip(t *testing.T) {
	d := filepath.Join("..", "testdata", "functional", "sequential_in_functional")
	dir := t.TempDir()
	lw, err := ReadWeightsFile(filepath.Join(d, "tfkeras", "weights.h5"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "w.h5")
	if err := SaveLegacyWeights(p, lw.Legacy, ""); err != nil {
		t.Fatal(err)
	}
	back, err := ReadWeightsFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Legacy, lw.Legacy) || back.KerasVersion != defaultKeras2Version {
		t.Errorf("legacy groups differ after a round trip")
	}
	kw, err := ReadWeightsFile(filepath.Join(d, "keras3", "model.weights.h5"))
	if err != nil {
		t.Fatal(err)
	}
	p = filepath.Join(dir, "w.weights.h5")
	if err := SaveKeras3Weights(p, kw.Keras3); err != nil {
		t.Fatal(err)
	}
	if back, err = ReadWeightsFile(p); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Keras3, kw.Keras3) {
		t.Errorf("Keras 3 tree differs after a round trip")
	}
	bad := []LegacyGroup{{Name: "a"}, {Name: "a"}}
	if err := SaveLegacyWeights(filepath.Join(dir, "bad.h5"), bad, ""); !errors.Is(err, ErrFormat) {
		t.Errorf("duplicate layer names: err = %v", err)
	}
	dup := &Keras3Object{Children: []*Keras3Object{{Key: "layers"}, {Key: "layers"}}}
	if err := SaveKeras3Weights(filepath.Join(dir, "bad.weights.h5"), dup); !errors.Is(err, ErrFormat) {
		t.Errorf("duplicate keys: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.weights.h5")); err == nil {
		t.Error("a failed save left a file")
	}
}
