package model

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

func names(m *Sequential) []string {
	var out []string
	for _, l := range m.Layers() {
		out = append(out, l.Name())
	}
	return out
}

// TestAutoNamesSkipTaken: an automatic name never collides with an explicit one (where
// Keras's session counter would produce a duplicate and fail).
func TestAutoNamesSkipTaken(t *testing.T) {
	m := NewSequential(
		dense(4, dns{Name: "dense", InputShape: []int{3}}),
		dense(4, dns{}),
		dense(4, dns{Name: "dense_2"}),
		dense(4, dns{}),
	)
	if got, want := names(m), []string{"dense", "dense_1", "dense_2", "dense_3"}; !slices.Equal(got, want) {
		t.Errorf("names %q, want %q", got, want)
	}
}

func TestAddErrors(t *testing.T) {
	m := NewSequential(dense(4, dns{Name: "a", InputShape: []int{3}}))
	if err := m.Add(dense(2, dns{Name: "a"})); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("duplicate name: err = %v", err)
	}
	if err := m.Add(Input(3)); !errors.Is(err, ErrFormat) {
		t.Errorf("late Input: err = %v", err)
	}
	// A Conv2D after a Dense: the rank does not fit, and the error names the layer.
	err := m.Add(conv2d(2, 3, 3, conv{Name: "c"}))
	if err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("conv after dense: err = %v", err)
	}
	if got := names(m); !slices.Equal(got, []string{"a"}) {
		t.Errorf("failed Adds changed the model: %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("NewSequential with duplicate names did not panic")
		}
	}()
	NewSequential(dense(1, dns{Name: "x"}), dense(1, dns{Name: "x"}))
}

// TestDeferredBuild: without an input shape nothing is built; Build or the first Predict
// builds every layer; a second Build with another shape fails.
func TestDeferredBuild(t *testing.T) {
	m := NewSequential(dense(3, dns{}), dense(2, dns{Activation: "softmax"}))
	if m.Built() || len(m.Weights()) != 0 {
		t.Fatal("built without an input shape")
	}
	if _, err := m.ToSaved(saved.Keras2); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("ToSaved unbuilt: err = %v", err)
	}
	if !strings.Contains(m.Summary(), "dense (Dense)               ?                         0 (unused)") {
		t.Errorf("unbuilt summary:\n%s", m.Summary())
	}
	if !strings.Contains(m.SummaryKeras3(), "0 (unbuilt)") {
		t.Errorf("unbuilt Keras 3 summary:\n%s", m.SummaryKeras3())
	}
	x := tensor.MustFromFloat32([]int{2, 5}, make([]float32, 10))
	y, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y.Shape, []int{2, 2}) || !m.Built() || !slices.Equal(m.InputShape(), []int{5}) {
		t.Errorf("after Predict: y %v, built %v, input %v", y.Shape, m.Built(), m.InputShape())
	}
	if err := m.Build(6); !errors.Is(err, ErrShape) {
		t.Errorf("Build with another shape: err = %v", err)
	}
	if err := m.Build(5); err != nil {
		t.Errorf("Build with the same shape: %v", err)
	}
}

func TestPredictShapeErrors(t *testing.T) {
	m := seedModel()
	for _, x := range []*tensor.Tensor{
		tensor.MustFromFloat32([]int{2, 32, 32, 1}, make([]float32, 2*32*32)),
		tensor.MustFromFloat32([]int{2, 3072}, make([]float32, 2*3072)),
		tensor.Scalar(float32(1)),
		nil,
	} {
		_, err := m.Predict(x)
		if !errors.Is(err, ErrShape) {
			t.Errorf("err = %v, want ErrShape", err)
		}
	}
	_, err := m.Predict(tensor.MustFromFloat32([]int{1, 32, 32, 2}, make([]float32, 32*32*2)))
	if err == nil || !strings.Contains(err.Error(), "(None, 32, 32, 3)") {
		t.Errorf("error does not give the expected shape: %v", err)
	}
	// An empty batch gives an empty result; other dtypes are converted.
	y, err := m.Predict(tensor.MustFromFloat32([]int{0, 32, 32, 3}, nil))
	if err != nil || !slices.Equal(y.Shape, []int{0, 10}) {
		t.Errorf("empty batch: %v %v", y, err)
	}
	x8, _ := tensor.New(tensor.Uint8, []int{3, 32, 32, 3})
	if y, err := m.Predict(x8, PredictOptions{BatchSize: 2}); err != nil || !slices.Equal(y.Shape, []int{3, 10}) {
		t.Errorf("uint8 input: %v %v", y, err)
	}
}

// TestPredictBatchesAgree: the result does not depend on the batch size.
func TestPredictBatchesAgree(t *testing.T) {
	m := trainedSeed(t)
	x := readNpy(t, filepath.Join(fixtureRoot, "seed", "x.npy"))
	ref, err := m.Predict(x, PredictOptions{BatchSize: x.Shape[0]})
	if err != nil {
		t.Fatal(err)
	}
	for _, bs := range []int{1, 3, 5, 100} {
		y, err := m.Predict(x, PredictOptions{BatchSize: bs})
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(t, y, ref); d > 1e-6 {
			t.Errorf("batch size %d: max diff %g from one batch", bs, d)
		}
	}
}

// TestInputKindsConfig: how the input shape was given decides tf_keras's InputLayer entry
// (as tf_keras 2.21 writes it: see compat TestModelConfigRebuild, which checks these configs
// against real Keras); reading the config back keeps it.
func TestInputKindsConfig(t *testing.T) {
	byInput := NewSequential(Input(4), dense(2, dns{}))
	built := NewSequential(dense(2, dns{}))
	if err := built.Build(4); err != nil {
		t.Fatal(err)
	}
	named := NewSequential(Input(4).WithName("features"), dense(2, dns{}))
	for _, c := range []struct {
		m        *Sequential
		k2Input  string
		declared bool
	}{
		{byInput, "input_1", false},
		{built, "dense_input", false},
		{named, "features", false},
		{NewSequential(dense(2, dns{InputShape: []int{4}})), "dense_input", true},
	} {
		cfg, err := c.m.Config(saved.Keras2)
		if err != nil {
			t.Fatal(err)
		}
		in, decl := inputEntry(t, cfg)
		if in != c.k2Input || decl != c.declared {
			t.Errorf("keras2: InputLayer %q, first layer batch_input_shape %v; want %q %v", in, decl, c.k2Input, c.declared)
		}
		cfg3, _ := c.m.Config(saved.Keras3)
		in3, _ := inputEntry(t, cfg3)
		if want := map[bool]string{true: "features", false: "input_layer"}[c.k2Input == "features"]; in3 != want {
			t.Errorf("keras3: InputLayer %q, want %q", in3, want)
		}
		// Reading either config back gives the same configs again.
		for _, src := range [][]byte{cfg, cfg3} {
			m2, err := FromConfig(src)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
				want, _ := c.m.Config(d)
				got, _ := m2.Config(d)
				if ConfigDialect(src) == d {
					assertJSONEqual(t, "round trip "+d.String(), got, want)
				}
			}
		}
	}
}

// inputEntry returns the InputLayer name of a Keras 2 or 3 config and whether the first
// layer carries batch_input_shape.
func inputEntry(t *testing.T, cfg []byte) (string, bool) {
	t.Helper()
	var v struct {
		Config struct {
			Layers []struct {
				ClassName string         `json:"class_name"`
				Config    map[string]any `json:"config"`
			}
		}
	}
	if err := json.Unmarshal(cfg, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Config.Layers) < 2 || v.Config.Layers[0].ClassName != "InputLayer" {
		t.Fatalf("no InputLayer: %s", cfg)
	}
	_, decl := v.Config.Layers[1].Config["batch_input_shape"]
	return v.Config.Layers[0].Config["name"].(string), decl
}

// TestFromConfigErrors: malformed and unsupported configs give errors of the right kind that
// name the problem.
func TestFromConfigErrors(t *testing.T) {
	seed := string(readFile(t, filepath.Join(fixtureRoot, "seed", "config_keras2.json")))
	for _, c := range []struct {
		cfg  string
		kind error
		text string
	}{
		{`[]`, ErrFormat, "want a JSON object"},
		{`{"config": {}}`, ErrFormat, "no class_name"},
		{`{"class_name": "Functional", "config": {}}`, ErrFormat, `Functional config: layers`},
		{`{"class_name": "Subclassed", "config": {}}`, ErrUnsupported, `"Subclassed"`},
		{`{"class_name": "Sequential", "config": 3}`, ErrFormat, "Sequential config"},
		{`{"class_name": "Sequential", "config": {"layers": [{"class_name": "ConvLSTM3D", "config": {}}]}}`, ErrUnsupported, `1 layer of classes kerasgo does not implement: "layer 0" (ConvLSTM3D)`},
		{`{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": -1}}]}}`, ErrFormat, "units"},
		{`{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 2, "data_format": "channels_first"}}, {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2]}}]}}`, ErrUnsupported, "InputLayer"},
		{strings.Replace(seed, `"padding": "valid"`, `"padding": "full"`, 1), ErrUnsupported, "padding"},
		{strings.Replace(seed, `"class_name": "Dropout"`, `"class_name": "AlphaDropout"`, 1), ErrUnsupported, `"dropout" (AlphaDropout)`},
		{seed[:len(seed)/2], ErrFormat, "model config"},
	} {
		_, err := FromConfig([]byte(c.cfg))
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%.60s...: err = %v, want %v naming %s", c.cfg, err, c.kind, c.text)
		}
	}
}

// TestFromConfigWarnings: unknown keys at every level are reported, not dropped silently.
func TestFromConfigWarnings(t *testing.T) {
	seed := string(readFile(t, filepath.Join(fixtureRoot, "seed", "config_keras2.json")))
	cfg := strings.Replace(seed, `"class_name": "Sequential", "config": {`, `"class_name": "Sequential", "extra_top": 1, "config": {"extra_model": 2, `, 1)
	cfg = strings.Replace(cfg, `"rate": 0.5`, `"rate": 0.5, "extra_layer": 3`, 1)
	cfg = strings.Replace(cfg, `"sparse": false`, `"sparse": false, "extra_input": 4`, 1)
	if cfg == seed {
		t.Fatal("fixture layout changed: edits did not apply")
	}
	m, err := FromConfig([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(m.Warnings(), "\n")
	for _, k := range []string{"extra_top", "extra_model", "extra_layer", "extra_input"} {
		if !strings.Contains(w, k) {
			t.Errorf("no warning for %s in:\n%s", k, w)
		}
	}
	if len(m.Warnings()) != 4 {
		t.Errorf("%d warnings, want 4:\n%s", len(m.Warnings()), w)
	}
}

// TestListStyleConfig reads the seed's tf_keras config rewritten in the Keras 1 / 2.0
// list style (the config is the bare layer list, no InputLayer, batch_input_shape on the
// first layer).
func TestListStyleConfig(t *testing.T) {
	var v map[string]any
	if err := json.Unmarshal(readFile(t, filepath.Join(fixtureRoot, "seed", "config_keras2.json")), &v); err != nil {
		t.Fatal(err)
	}
	ls := v["config"].(map[string]any)["layers"].([]any)[1:]
	b, _ := json.Marshal(map[string]any{"class_name": "Sequential", "config": ls})
	m, err := FromConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	assertTextEqual(t, "Summary", m.Summary(), string(readFile(t, filepath.Join(fixtureRoot, "seed", "summary_keras2.txt"))))
}

func TestSummaryHelpers(t *testing.T) {
	// rich's wrap: words stay whole when they fit; a longer word is cut with "…" (as Keras
	// 3.15 prints a 47-character layer name).
	got := wrapCell("batch_normalization (BatchNormalization)", 31)
	if !slices.Equal(got, []string{"batch_normalization", "(BatchNormalization)"}) {
		t.Errorf("wrap %q", got)
	}
	got = wrapCell("a_very_long_layer_name_that_does_not_fit_at_all (Dense)", 31)
	if !slices.Equal(got, []string{"a_very_long_layer_name_that_do…", "(Dense)"}) {
		t.Errorf("fold %q", got)
	}
	if g := groupThousands(1234567); g != "1,234,567" {
		t.Errorf("groupThousands %q", g)
	}
	// rich's ratio_reduce of the default 76-column table: widths 33, 24 and 15.
	if w := ratioReduce(10, []int{36, 28, 18}); !slices.Equal(w, []int{33, 24, 15}) {
		t.Errorf("ratioReduce %v", w)
	}
}

// TestNonTrainable: a frozen layer's weights move from the trainable to the non-trainable
// count.
func TestNonTrainable(t *testing.T) {
	m := seedModel()
	tr0, _, ntr0, _ := m.paramCounts()
	l := m.Layer("dense_1")
	n := countParams(l.Weights())
	l.(layers.TrainableFlag).SetTrainable(false)
	tr, _, ntr, _ := m.paramCounts()
	if n == 0 || tr != tr0-n || ntr != ntr0+n {
		t.Errorf("frozen dense_1 (%d params): trainable %d -> %d, non-trainable %d -> %d", n, tr0, tr, ntr0, ntr)
	}
	if !strings.Contains(m.Summary(), "Non-trainable params: "+strconv.FormatInt(ntr, 10)+" ") {
		t.Errorf("summary:\n%s", m.Summary())
	}
}

// TestConfigParamLimit: a config asking for more parameters than LoadOptions.MaxParams
// fails before anything is allocated.
func TestConfigParamLimit(t *testing.T) {
	cfg := `{"class_name": "Sequential", "config": {"layers": [
		{"class_name": "Dense", "config": {"units": 16777216, "batch_input_shape": [null, 1024]}}]}}`
	_, err := FromConfig([]byte(cfg))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "MaxParams") {
		t.Errorf("err = %v", err)
	}
	seed := readFile(t, filepath.Join(fixtureRoot, "seed", "config_keras2.json"))
	if _, err := FromConfig(seed, LoadOptions{MaxParams: 100}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("seed with a limit of 100: err = %v", err)
	}
	if _, err := FromConfig(seed, LoadOptions{MaxConfigBytes: 100}); !errors.Is(err, ErrFormat) {
		t.Errorf("seed with a config limit of 100 bytes: err = %v", err)
	}
	if _, err := FromConfig(seed); err != nil {
		t.Errorf("seed with the default limits: %v", err)
	}
}

func TestPop(t *testing.T) {
	m := seedModel()
	full := m.CountParams()
	last := m.Layer("dense_2")
	l, err := m.Pop()
	if err != nil || l != last {
		t.Fatalf("Pop = %v, %v", l, err)
	}
	if m.CountParams() != full-countParams(last.Weights()) || !slices.Equal(m.OutputShape(), []int{32}) {
		t.Errorf("after Pop: %d params, output %v", m.CountParams(), m.OutputShape())
	}
	if err := m.Add(dense(3, dns{})); err != nil {
		t.Fatal(err)
	}
	if got := names(m); got[len(got)-1] != "dense" || !slices.Equal(m.OutputShape(), []int{3}) {
		t.Errorf("after Add: %q %v", got, m.OutputShape())
	}
	for range len(m.Layers()) {
		if _, err := m.Pop(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Pop(); !errors.Is(err, ErrFormat) {
		t.Errorf("Pop on an empty model: err = %v", err)
	}
}
