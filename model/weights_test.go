package model

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// trainedSeed returns the seed model with Keras's trained weights from the fixture.
func trainedSeed(t testing.TB) *Sequential {
	t.Helper()
	m := seedModel()
	setFixtureWeights(t, m, readFixtureWeights(t, filepath.Join(fixtureRoot, "seed")))
	return m
}

// snapshot copies every weight value of m.
func snapshot(m *Sequential) [][]float32 {
	var out [][]float32
	for _, w := range m.Weights() {
		out = append(out, slices.Clone(w.Value.Float32s()))
	}
	return out
}

func sameWeights(a, b [][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestToSavedFromSavedRoundTrip(t *testing.T) {
	m := trainedSeed(t)
	x := readNpy(t, filepath.Join(fixtureRoot, "seed", "x.npy"))
	want, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		t.Run(d.String(), func(t *testing.T) {
			sm, err := m.ToSaved(d)
			if err != nil {
				t.Fatal(err)
			}
			wantVersion := map[saved.Dialect]string{saved.Keras2: "2.21.0", saved.Keras3: "3.15.1"}[d]
			if sm.Dialect != d || sm.KerasVersion != wantVersion || sm.Backend != "tensorflow" {
				t.Errorf("dialect %v version %q backend %q", sm.Dialect, sm.KerasVersion, sm.Backend)
			}
			if ConfigDialect(sm.Config) != d {
				t.Errorf("config dialect %v, want %v", ConfigDialect(sm.Config), d)
			}
			// Layers: every layer, weights in Keras order with Keras's short names.
			var names []string
			for _, l := range sm.Layers {
				s := l.Name + ":"
				for _, w := range l.Weights {
					s += " " + w.Name
				}
				names = append(names, s)
			}
			wantNames := []string{"conv_1: kernel bias", "pool_1:", "batch_normalization: gamma beta moving_mean moving_variance",
				"flatten:", "dense_1: kernel bias", "dropout:", "dense_2: kernel bias"}
			if !slices.Equal(names, wantNames) {
				t.Errorf("layers %q, want %q", names, wantNames)
			}
			if got := sm.Layers[2].Weights[2]; got.Trainable || !sm.Layers[2].Weights[0].Trainable {
				t.Errorf("BN trainable flags wrong: moving_mean %v, gamma %v", got.Trainable, sm.Layers[2].Weights[0].Trainable)
			}
			m2, err := FromSaved(sm)
			if err != nil {
				t.Fatal(err)
			}
			if m2.Summary() != m.Summary() {
				t.Errorf("summary after round trip:\n%s", m2.Summary())
			}
			if !sameWeights(snapshot(m2), snapshot(m)) {
				t.Error("weights differ after round trip")
			}
			y, err := m2.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(y.Float32s(), want.Float32s()) {
				t.Error("predictions differ after round trip")
			}
		})
	}
}

// TestH5ConfigIsLegacyForm checks that the Keras 2 config in the saved form is the one
// tf_keras writes into .h5 files: {"class_name", "config"} entries only.
func TestH5ConfigIsLegacyForm(t *testing.T) {
	sm, err := seedModel().ToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	s := string(sm.Config)
	for _, bad := range []string{`"build_config"`, `"keras_version"`, `"registered_name":null,"build`} {
		if strings.Contains(s, bad) {
			t.Errorf("Keras 2 saved config holds %s: %s", bad, s[:200])
		}
	}
	if !strings.Contains(s, `"batch_input_shape":[null,32,32,3]`) {
		t.Error("no batch_input_shape")
	}
}

func TestFromSavedShapeMismatch(t *testing.T) {
	sm, err := trainedSeed(t).ToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	// dense_1's kernel as if the file held a wider Dense.
	sm.Layers[4].Weights[0].Value = &tensor.Tensor{DType: tensor.Float32, Shape: []int{784, 33}, Data: make([]float32, 784*33)}
	_, err = FromSaved(sm)
	var wm *WeightMismatchError
	if !errors.As(err, &wm) || !errors.Is(err, ErrShape) {
		t.Fatalf("err = %v, want a WeightMismatchError", err)
	}
	if wm.Layer != "dense_1" || !slices.Equal(wm.Expected, []int{784, 32}) || !slices.Equal(wm.Found, []int{784, 33}) {
		t.Errorf("error %+v", wm)
	}
	for _, s := range []string{`"dense_1"`, "kernel", "(784, 32)", "(784, 33)"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
}

// TestLoadSavedWeightsAllOrNothing: a mismatch in the last layer leaves every layer
// unchanged, including the ones before it that matched.
func TestLoadSavedWeightsAllOrNothing(t *testing.T) {
	src := trainedSeed(t)
	sm, err := src.ToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	dst := seedModel()
	before := snapshot(dst)
	if sameWeights(before, snapshot(src)) {
		t.Fatal("fresh model already has the trained weights")
	}
	bad := *sm
	bad.Layers = slices.Clone(sm.Layers)
	last := len(bad.Layers) - 1
	bad.Layers[last].Weights = slices.Clone(bad.Layers[last].Weights)
	bad.Layers[last].Weights[1].Value = &tensor.Tensor{DType: tensor.Float32, Shape: []int{11}, Data: make([]float32, 11)}
	for _, opts := range []LoadWeightsOptions{{}, {ByName: true}} {
		err := dst.LoadSavedWeights(&bad, opts)
		var wm *WeightMismatchError
		if !errors.As(err, &wm) || wm.Layer != "dense_2" || wm.Weight != "bias" {
			t.Fatalf("%+v: err = %v", opts, err)
		}
		if !sameWeights(snapshot(dst), before) {
			t.Fatalf("%+v: the model changed although loading failed", opts)
		}
	}

	// A missing layer (count of layers with weights) is an error too, model unchanged.
	short := *sm
	short.Layers = sm.Layers[:4]
	if err := dst.LoadSavedWeights(&short); !errors.Is(err, ErrShape) {
		t.Fatalf("short: err = %v", err)
	}
	if !sameWeights(snapshot(dst), before) {
		t.Fatal("short: the model changed")
	}

	// SkipMismatch loads everything else and reports the skipped layer.
	if err := dst.LoadSavedWeights(&bad, LoadWeightsOptions{SkipMismatch: true}); err != nil {
		t.Fatal(err)
	}
	got := snapshot(dst)
	want := snapshot(src)
	n := len(got)
	if !sameWeights(got[:n-2], want[:n-2]) || !sameWeights(got[n-2:], before[n-2:]) {
		t.Error("SkipMismatch: want every layer but dense_2 loaded")
	}
	if w := dst.Warnings(); len(w) != 1 || !strings.Contains(w[0], `"dense_2"`) {
		t.Errorf("warnings %q", w)
	}
}

// TestLoadSavedWeightsByName: layers are matched by name, whatever the order, and layers of
// the file that the model lacks are ignored.
func TestLoadSavedWeightsByName(t *testing.T) {
	src := trainedSeed(t)
	sm, err := src.ToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	rev := *sm
	rev.Layers = slices.Clone(sm.Layers)
	slices.Reverse(rev.Layers)
	rev.Layers = append(rev.Layers, saved.Layer{Name: "extra", Class: "Dense", Weights: []saved.Variable{{Name: "kernel",
		Value: tensor.MustFromFloat32([]int{1}, []float32{1})}}})
	dst := seedModel()
	if err := dst.LoadSavedWeights(&rev); err == nil {
		t.Error("positional load of reversed layers succeeded")
	}
	if err := dst.LoadSavedWeights(&rev, LoadWeightsOptions{ByName: true}); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(snapshot(dst), snapshot(src)) {
		t.Error("by-name load did not restore the weights")
	}
}

// TestLoadSavedWeightsConverts: float64 weights (as some writers store them) are converted;
// layer names need not match positionally.
func TestLoadSavedWeightsConverts(t *testing.T) {
	src := trainedSeed(t)
	sm, err := src.ToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sm.Layers {
		sm.Layers[i].Name = "renamed"
		for j, w := range sm.Layers[i].Weights {
			f := w.Value.Float32s()
			d := make([]float64, len(f))
			for k, v := range f {
				d[k] = float64(v)
			}
			sm.Layers[i].Weights[j].Value = &tensor.Tensor{DType: tensor.Float64, Shape: w.Value.Shape, Data: d}
		}
	}
	dst := seedModel()
	if err := dst.LoadSavedWeights(sm); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(snapshot(dst), snapshot(src)) {
		t.Error("weights differ")
	}
}

func TestSetWeights(t *testing.T) {
	src := trainedSeed(t)
	var vals []*tensor.Tensor
	for _, w := range src.Weights() {
		vals = append(vals, w.Value)
	}
	dst := seedModel()
	before := snapshot(dst)
	if err := dst.SetWeights(vals[:len(vals)-1]); !errors.Is(err, ErrShape) {
		t.Errorf("short list: err = %v", err)
	}
	swapped := slices.Clone(vals)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	if err := dst.SetWeights(swapped); !errors.Is(err, ErrShape) {
		t.Errorf("swapped: err = %v", err)
	}
	if !sameWeights(snapshot(dst), before) {
		t.Fatal("model changed by a failed SetWeights")
	}
	if err := dst.SetWeights(vals); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(snapshot(dst), snapshot(src)) {
		t.Error("weights differ")
	}
	if len(dst.Weights()) != 10 {
		t.Errorf("%d weights, want 10", len(dst.Weights()))
	}
}

func TestFromSavedNoConfig(t *testing.T) {
	sm, err := trainedSeed(t).ToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	sm.Config = nil
	if _, err := FromSaved(sm); !errors.Is(err, ErrNoConfig) {
		t.Errorf("err = %v", err)
	}
}
