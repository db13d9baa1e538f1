package layers

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// The fixtures in testdata/models/<variant> are written by real tf_keras 2.21 and Keras 3.15
// (testdata/gen): both config dialects, the trained weights, an input batch and each Keras's
// predictions.

const fixtureRoot = "../testdata/models"

type fixtureLayer struct {
	class string
	cfg   map[string]any // inner config
	build map[string]any // build_config, if any
}

// fixtureVariants lists the variant directories; the test fails when there are none.
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

// readFixtureConfig returns the Sequential's layers (without InputLayer) and the batch input
// shape of the InputLayer.
func readFixtureConfig(t testing.TB, path string) ([]fixtureLayer, []int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Config struct {
			Layers []struct {
				ClassName   string         `json:"class_name"`
				Config      map[string]any `json:"config"`
				BuildConfig map[string]any `json:"build_config"`
			} `json:"layers"`
		} `json:"config"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []fixtureLayer
	var batch []int
	for _, l := range m.Config.Layers {
		if l.ClassName == "InputLayer" {
			for _, k := range []string{"batch_input_shape", "batch_shape"} {
				if s, ok := l.Config[k].([]any); ok {
					for _, d := range s {
						if d == nil {
							batch = append(batch, -1)
						} else {
							batch = append(batch, int(d.(float64)))
						}
					}
				}
			}
			continue
		}
		out = append(out, fixtureLayer{l.ClassName, l.Config, l.BuildConfig})
	}
	return out, batch
}

type fixtureWeights struct {
	Layers []struct {
		Name    string `json:"name"`
		Class   string `json:"class"`
		Weights []struct {
			Name      string `json:"name"`
			Trainable bool   `json:"trainable"`
			File      string `json:"file"`
			Shape     []int  `json:"shape"`
		} `json:"weights"`
	} `json:"layers"`
}

// buildFixtureStack parses the config of variant in dialect d, builds every layer and loads
// the fixture weights. It checks warnings, weight names, order and shapes on the way.
func buildFixtureStack(t testing.TB, variant string, d saved.Dialect) ([]Layer, []fixtureLayer) {
	t.Helper()
	dir := filepath.Join(fixtureRoot, variant)
	path := filepath.Join(dir, "config_"+d.String()+".json")
	if toJSON := filepath.Join(dir, "config_keras2_to_json.json"); d == saved.Keras2 {
		// tf_keras's model.to_json() (with build_config); config_keras2.json is then the
		// .h5 model_config, which has none.
		if _, err := os.Stat(toJSON); err == nil {
			path = toJSON
		}
	}
	fl, batch := readFixtureConfig(t, path)
	var fw fixtureWeights
	b, err := os.ReadFile(filepath.Join(dir, "weights.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fw); err != nil {
		t.Fatal(err)
	}
	if len(fw.Layers) != len(fl) {
		t.Fatalf("%d layers in weights.json, %d in the config", len(fw.Layers), len(fl))
	}
	var stack []Layer
	shape := batch[1:]
	for i, f := range fl {
		l, warns, err := FromConfig(f.class, f.cfg, d)
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		if len(warns) > 0 {
			t.Errorf("layer %d %s: warnings %q", i, f.class, warns)
		}
		if i == 0 {
			if ds := DeclaredInputShape(l); d == saved.Keras2 && !reflect.DeepEqual(ds, batch) {
				t.Errorf("declared input shape %v, InputLayer says %v", ds, batch)
			}
		}
		if err := l.Build(shape, NewRand(1)); err != nil {
			t.Fatalf("build %s: %v", l.Name(), err)
		}
		if shape, err = l.OutputShape(shape); err != nil {
			t.Fatal(err)
		}
		ws := l.Weights()
		want := fw.Layers[i]
		if l.Name() != want.Name || l.Class() != want.Class {
			t.Errorf("layer %d is %s %q, weights.json says %s %q", i, l.Class(), l.Name(), want.Class, want.Name)
		}
		if len(ws) != len(want.Weights) {
			t.Fatalf("%s: %d weights, Keras has %d", l.Name(), len(ws), len(want.Weights))
		}
		for j, w := range ws {
			ww := want.Weights[j]
			if w.Name != ww.Name || w.Trainable != ww.Trainable || !reflect.DeepEqual(w.Value.Shape, ww.Shape) {
				t.Errorf("%s weight %d: %s trainable=%v %v, Keras %s trainable=%v %v", l.Name(), j,
					w.Name, w.Trainable, w.Value.Shape, ww.Name, ww.Trainable, ww.Shape)
				continue
			}
			v, err := npy.ReadFile(filepath.Join(dir, ww.File))
			if err != nil {
				t.Fatal(err)
			}
			copy(w.Value.Float32s(), v.Float32s())
		}
		stack = append(stack, l)
	}
	return stack, fl
}

func runStack(t testing.TB, stack []Layer, x *tensor.Tensor, training bool) *tensor.Tensor {
	t.Helper()
	var err error
	for _, l := range stack {
		if x, err = l.Forward(x, training); err != nil {
			t.Fatalf("%s: %v", l.Name(), err)
		}
	}
	return x
}

func maxAbsDiff(a, b []float32) (float64, int) {
	worst, at := 0.0, -1
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	return worst, at
}

// TestFixturePredictions runs each fixture's layer stack over x.npy with Keras's weights
// and compares with Keras's predictions (tf_keras and Keras 3) within 1e-5 absolute.
func TestFixturePredictions(t *testing.T) {
	for _, v := range fixtureVariants(t) {
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			t.Run(v+"/"+d.String(), func(t *testing.T) {
				dir := filepath.Join(fixtureRoot, v)
				stack, _ := buildFixtureStack(t, v, d)
				x, err := npy.ReadFile(filepath.Join(dir, "x.npy"))
				if err != nil {
					t.Fatal(err)
				}
				want, err := npy.ReadFile(filepath.Join(dir, "y_"+d.String()+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				got := runStack(t, stack, x, false)
				if !reflect.DeepEqual(got.Shape, want.Shape) {
					t.Fatalf("prediction shape %v, Keras %v", got.Shape, want.Shape)
				}
				diff, at := maxAbsDiff(got.Float32s(), want.Float32s())
				t.Logf("max |go - keras| = %.3g over %d values", diff, want.Len())
				if diff > 1e-5 {
					t.Errorf("max |go - keras| = %.3g at %d (go %v, keras %v)", diff, at, got.Float32s()[at], want.Float32s()[at])
				}
			})
		}
	}
}

// canon round-trips v through JSON so that Go values compare with parsed JSON.
func canon(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFixtureConfigs checks that each layer's Config equals the config real Keras wrote, as
// parsed JSON, in both dialects, and that BuildConfig matches Keras's build_config.
func TestFixtureConfigs(t *testing.T) {
	for _, v := range fixtureVariants(t) {
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			t.Run(v+"/"+d.String(), func(t *testing.T) {
				stack, fl := buildFixtureStack(t, v, d)
				for i, l := range stack {
					got := l.Config(d)
					if i == 0 && d == saved.Keras2 {
						// The model adds batch_input_shape to the first layer.
						got["batch_input_shape"] = fl[0].cfg["batch_input_shape"]
					}
					if g, w := canon(t, got), canon(t, fl[i].cfg); !reflect.DeepEqual(g, w) {
						t.Errorf("%s config differs:\n%s", l.Name(), jsonDiff(g, w))
					}
					if g, w := canon(t, BuildConfig(l, d)), canon(t, fl[i].build); !reflect.DeepEqual(g, w) {
						t.Errorf("%s build_config: go %v, keras %v", l.Name(), g, w)
					}
				}
			})
		}
	}
}

// jsonDiff lists the keys where two parsed JSON objects differ.
func jsonDiff(got, want any) string {
	g, _ := got.(map[string]any)
	w, _ := want.(map[string]any)
	s := ""
	for k, wv := range w {
		if gv, ok := g[k]; !ok {
			s += fmt.Sprintf("  missing %q (keras %v)\n", k, wv)
		} else if !reflect.DeepEqual(gv, wv) {
			s += fmt.Sprintf("  %q: go %v, keras %v\n", k, gv, wv)
		}
	}
	for k, gv := range g {
		if _, ok := w[k]; !ok {
			s += fmt.Sprintf("  extra %q (go %v)\n", k, gv)
		}
	}
	return s
}
