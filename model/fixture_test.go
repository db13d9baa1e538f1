package model

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// The fixtures in testdata/models/<variant> were written by real tf_keras 2.21 and Keras 3.15
// (testdata/gen/models.py): both config dialects, both summaries, the trained weights
// (weights.json + w/*.npy), an input batch x.npy and each Keras's predictions.

const fixtureRoot = "../testdata/models"

func fixtureVariants(t testing.TB) []string {
	t.Helper()
	ents, err := os.ReadDir(fixtureRoot)
	if err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	var out []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(fixtureRoot, e.Name(), "config_keras2.json")); err == nil {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		t.Fatal("no fixtures under " + fixtureRoot)
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readNpy(t testing.TB, path string) *tensor.Tensor {
	t.Helper()
	x, err := npy.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return x
}

// fixtureWeights reads weights.json and the .npy files it names: per layer, name and values.
type fixtureLayerWeights struct {
	Name    string
	Class   string
	Weights []struct {
		Name      string
		Trainable bool
		File      string
		Shape     []int
	}
	values []*tensor.Tensor
}

func readFixtureWeights(t testing.TB, dir string) []fixtureLayerWeights {
	t.Helper()
	var spec struct {
		Layers []fixtureLayerWeights
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "weights.json")), &spec); err != nil {
		t.Fatal(err)
	}
	for i := range spec.Layers {
		for _, w := range spec.Layers[i].Weights {
			spec.Layers[i].values = append(spec.Layers[i].values, readNpy(t, filepath.Join(dir, w.File)))
		}
	}
	return spec.Layers
}

// setFixtureWeights sets the weights layer by layer, checking that the layer names and
// classes match Keras's.
func setFixtureWeights(t testing.TB, m *Sequential, ws []fixtureLayerWeights) {
	t.Helper()
	ls := m.Layers()
	if len(ls) != len(ws) {
		t.Fatalf("model has %d layers, weights.json %d", len(ls), len(ws))
	}
	for i, fl := range ws {
		if ls[i].Name() != fl.Name || ls[i].Class() != fl.Class {
			t.Fatalf("layer %d: %s (%s), Keras has %s (%s)", i, ls[i].Name(), ls[i].Class(), fl.Name, fl.Class)
		}
		if err := m.SetLayerWeights(fl.Name, fl.values); err != nil {
			t.Fatalf("layer %s: %v", fl.Name, err)
		}
		for j, w := range ls[i].Weights() {
			if w.Name != fl.Weights[j].Name || w.Trainable != fl.Weights[j].Trainable {
				t.Errorf("layer %s weight %d: %s trainable=%v, Keras %s trainable=%v", fl.Name, j, w.Name, w.Trainable, fl.Weights[j].Name, fl.Weights[j].Trainable)
			}
		}
	}
}

// jsonDiff lists the differences between two parsed JSON values, by path.
func jsonDiff(path string, a, b any) []string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %s vs %s", path, short(a), short(b))}
		}
		var out []string
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		ks := make([]string, 0, len(keys))
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			va, oka := x[k]
			vb, okb := y[k]
			switch {
			case !oka:
				out = append(out, fmt.Sprintf("%s.%s: missing (want %s)", path, k, short(vb)))
			case !okb:
				out = append(out, fmt.Sprintf("%s.%s: unexpected %s", path, k, short(va)))
			default:
				out = append(out, jsonDiff(path+"."+k, va, vb)...)
			}
		}
		return out
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return []string{fmt.Sprintf("%s: %s vs %s", path, short(a), short(b))}
		}
		var out []string
		for i := range x {
			out = append(out, jsonDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(a, b) {
		return []string{fmt.Sprintf("%s: %s, want %s", path, short(a), short(b))}
	}
	return nil
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		return string(b[:120]) + "..."
	}
	return string(b)
}

// assertJSONEqual compares got with the JSON in file want as parsed JSON.
func assertJSONEqual(t testing.TB, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: our JSON: %v", what, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: fixture JSON: %v", what, err)
	}
	if diff := jsonDiff("", g, w); len(diff) > 0 {
		if len(diff) > 15 {
			diff = append(diff[:15], fmt.Sprintf("... %d more", len(diff)-15))
		}
		t.Errorf("%s differs from Keras's:\n  %s", what, strings.Join(diff, "\n  "))
	}
}

// assertTextEqual compares texts and reports the first differing line.
func assertTextEqual(t testing.TB, what, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w || i >= len(gl) || i >= len(wl) {
			t.Errorf("%s differs at line %d:\n got: %q\nwant: %q\n--- got:\n%s--- want:\n%s", what, i+1, g, w, got, want)
			return
		}
	}
}

func maxAbsDiff(t testing.TB, got, want *tensor.Tensor) float64 {
	t.Helper()
	if !tensor.SameShape(got.Shape, want.Shape) {
		t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
	}
	w, err := want.ToFloat32()
	if err != nil {
		t.Fatal(err)
	}
	d := 0.0
	for i, v := range got.Float32s() {
		e := math.Abs(float64(v) - float64(w.Float32s()[i]))
		if math.IsNaN(e) {
			return math.Inf(1)
		}
		d = max(d, e)
	}
	return d
}

// TestFixtures checks, for every variant and for the model rebuilt from each Keras
// dialect's config: Summary and SummaryKeras3 byte for byte, both configs as parsed JSON,
// and the predictions on x.npy within 1e-5 of tf_keras's and Keras 3's.
func TestFixtures(t *testing.T) {
	for _, v := range fixtureVariants(t) {
		dir := filepath.Join(fixtureRoot, v)
		ws := readFixtureWeights(t, dir)
		x := readNpy(t, filepath.Join(dir, "x.npy"))
		for _, src := range []string{"config_keras2.json", "config_keras3.json"} {
			t.Run(v+"/"+strings.TrimSuffix(src, ".json"), func(t *testing.T) {
				data := readFile(t, filepath.Join(dir, src))
				if got := ConfigDialect(data).String() + ".json"; "config_"+got != src {
					t.Errorf("ConfigDialect = %s", got)
				}
				m, err := FromConfig(data)
				if err != nil {
					t.Fatal(err)
				}
				if w := m.Warnings(); len(w) > 0 {
					t.Errorf("warnings for a config Keras wrote: %q", w)
				}
				if !m.Built() {
					t.Fatal("model not built from the config")
				}
				assertTextEqual(t, "Summary", m.Summary(), string(readFile(t, filepath.Join(dir, "summary_keras2.txt"))))
				assertTextEqual(t, "SummaryKeras3", m.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3.txt"))))
				d := saved.Keras2
				if src == "config_keras3.json" {
					d = saved.Keras3
				}
				assertConfig(t, "", m, d, dir)
				setFixtureWeights(t, m, ws)
				for _, bs := range []int{0, 3} {
					y, err := m.Predict(x, PredictOptions{BatchSize: bs})
					if err != nil {
						t.Fatal(err)
					}
					for _, ref := range []string{"y_keras2.npy", "y_keras3.npy"} {
						if d := maxAbsDiff(t, y, readNpy(t, filepath.Join(dir, ref))); d > 1e-5 {
							t.Errorf("batch size %d: max |y - %s| = %g > 1e-5", bs, ref, d)
						}
					}
				}
			})
		}
	}
}

// TestFixtureConfigsCrossDialect reads each Keras config and writes the other dialect: the
// result must equal what the other Keras wrote for the same model (InputLayer, build
// configs, envelopes, batch_input_shape, initializer keys, BatchNormalization's axis).
func TestFixtureConfigsCrossDialect(t *testing.T) {
	for _, v := range fixtureVariants(t) {
		dir := filepath.Join(fixtureRoot, v)
		for _, c := range []struct {
			src string
			d   saved.Dialect
		}{{"config_keras2.json", saved.Keras3}, {"config_keras3.json", saved.Keras2}} {
			m, err := FromConfig(readFile(t, filepath.Join(dir, c.src)))
			if err != nil {
				t.Fatalf("%s/%s: %v", v, c.src, err)
			}
			assertConfig(t, v+": "+c.src+" → ", m, c.d, dir)
		}
	}
}

// TestFixtureCompiledConfig reads Keras 3's config of the compiled model: compile_config
// must reach the training code, which writes it back, and the summary then counts the
// optimizer's variables as Keras 3's does after model_from_json.
func TestFixtureCompiledConfig(t *testing.T) {
	for _, v := range fixtureVariants(t) {
		dir := filepath.Join(fixtureRoot, v)
		path := filepath.Join(dir, "config_keras3_compiled.json")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		t.Run(v, func(t *testing.T) {
			m, err := FromConfig(readFile(t, path))
			if err != nil {
				t.Fatal(err)
			}
			if m.train == nil {
				t.Fatal("compile_config did not compile the model")
			}
			got, err := m.Config(saved.Keras3)
			if err != nil {
				t.Fatal(err)
			}
			assertJSONEqual(t, "Config(keras3) of the compiled model", got, readFile(t, path))
			assertTextEqual(t, "SummaryKeras3 of the compiled model", m.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3_compiled.txt"))))
		})
	}
}

// assertConfig compares m's config in dialect d with what Keras wrote in dir. For tf_keras the
// generator keeps model.to_json() in config_keras2_to_json.json (what Config writes) and the
// .h5 model_config in config_keras2.json (what h5Config writes); older fixture sets have only
// config_keras2.json, holding to_json.
func assertConfig(t testing.TB, what string, m *Sequential, d saved.Dialect, dir string) {
	t.Helper()
	got, err := m.Config(d)
	if err != nil {
		t.Fatal(err)
	}
	if d == saved.Keras3 {
		assertJSONEqual(t, what+"Config(keras3)", got, readFile(t, filepath.Join(dir, "config_keras3.json")))
		return
	}
	toJSON := filepath.Join(dir, "config_keras2_to_json.json")
	if _, err := os.Stat(toJSON); err != nil {
		assertJSONEqual(t, what+"Config(keras2)", got, readFile(t, filepath.Join(dir, "config_keras2.json")))
		return
	}
	assertJSONEqual(t, what+"Config(keras2)", got, readFile(t, toJSON))
	h5, err := m.h5Config(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEqual(t, what+"h5Config(keras2)", h5, readFile(t, filepath.Join(dir, "config_keras2.json")))
}
