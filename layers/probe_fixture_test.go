package layers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// The per-layer cases of testdata/functional (layer_<what>, see testdata/README.md), written
// by real tf_keras 2.21 and Keras 3.15: a layer named probe on input in0, then flat and head.
// probe.npy / probe_keras3.npy hold the probe's own output on x0.npy, y0.npy / y0_keras3.npy
// the model's.

const functionalRoot = "../testdata/functional"

// probeChainCases are the single-input per-layer cases whose layers form a chain (in0 ->
// probe -> [flat] -> head) that runs here layer by layer.
var probeChainCases = []string{
	"layer_conv2d_dilation",
	"layer_conv2d_dilation_same",
	"layer_conv2d_groups",
}

// functionalLayers returns the layers of a Functional config file: class, inner config and
// build_config, in the file's order.
func functionalLayers(t *testing.T, path string) []fixtureLayer {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ClassName string `json:"class_name"`
		Config    struct {
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
	if m.ClassName != "Functional" || len(m.Config.Layers) == 0 {
		t.Fatalf("%s: class %q with %d layers, want a Functional model", path, m.ClassName, len(m.Config.Layers))
	}
	var out []fixtureLayer
	for _, l := range m.Config.Layers {
		out = append(out, fixtureLayer{l.ClassName, l.Config, l.BuildConfig})
	}
	return out
}

func readNpy(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	v, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestProbeFixtures builds each case's layers from Keras's config in both dialects, checks
// their configs (emitted equal to Keras's), build_configs, weight names and shapes, loads
// Keras's weights, and compares the probe's output and the model's output on x0.npy with
// what tf_keras and Keras 3 computed, within 1e-5, in inference and training mode.
func TestProbeFixtures(t *testing.T) {
	for _, c := range probeChainCases {
		probeFixture(t, filepath.Join(functionalRoot, c), c)
	}
}

// probeFixture runs the checks of TestProbeFixtures on the per-layer case in dir.
func probeFixture(t *testing.T, dir, c string) {
	{
		var fw fixtureWeights
		b, err := os.ReadFile(filepath.Join(dir, "weights.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &fw); err != nil {
			t.Fatal(err)
		}
		x := readNpy(t, filepath.Join(dir, "x0.npy"))
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			t.Run(c+"/"+d.String(), func(t *testing.T) {
				cfgFile := "config_keras3.json"
				probeFile, yFile := "probe_keras3.npy", "y0_keras3.npy"
				if d == saved.Keras2 {
					// tf_keras's to_json, which has build_config (the .h5 model_config has none).
					cfgFile, probeFile, yFile = "config_keras2_to_json.json", "probe.npy", "y0.npy"
				}
				fl := functionalLayers(t, filepath.Join(dir, cfgFile))
				if len(fl) != len(fw.Layers) || fl[0].class != "InputLayer" {
					t.Fatalf("%d layers in %s (first %s), %d in weights.json", len(fl), cfgFile, fl[0].class, len(fw.Layers))
				}
				shape := x.Shape[1:]
				h := x
				probed := false
				for i, f := range fl[1:] {
					l, warns, err := FromConfig(f.class, f.cfg, d)
					if err != nil {
						t.Fatalf("layer %d: %v", i+1, err)
					}
					if len(warns) > 0 {
						t.Errorf("%s: warnings %q", l.Name(), warns)
					}
					if g, w := canon(t, l.Config(d)), canon(t, f.cfg); !reflect.DeepEqual(g, w) {
						t.Errorf("%s config differs:\n%s", l.Name(), jsonDiff(g, w))
					}
					if err := l.Build(shape, NewRand(1)); err != nil {
						t.Fatalf("build %s: %v", l.Name(), err)
					}
					if g, w := canon(t, BuildConfig(l, d)), canon(t, f.build); !reflect.DeepEqual(g, w) {
						t.Errorf("%s build_config: go %v, keras %v", l.Name(), g, w)
					}
					if shape, err = l.OutputShape(shape); err != nil {
						t.Fatal(err)
					}
					want := fw.Layers[i+1]
					ws := l.Weights()
					if l.Name() != want.Name || l.Class() != want.Class || len(ws) != len(want.Weights) {
						t.Fatalf("layer %d is %s %q with %d weights, weights.json: %s %q with %d", i+1,
							l.Class(), l.Name(), len(ws), want.Class, want.Name, len(want.Weights))
					}
					for j, w := range ws {
						ww := want.Weights[j]
						if w.Name != ww.Name || w.Trainable != ww.Trainable || !reflect.DeepEqual(w.Value.Shape, ww.Shape) {
							t.Fatalf("%s weight %d: %s trainable=%v %v, Keras %s trainable=%v %v", l.Name(), j,
								w.Name, w.Trainable, w.Value.Shape, ww.Name, ww.Trainable, ww.Shape)
						}
						if err := w.SetValue(readNpy(t, filepath.Join(dir, ww.File))); err != nil {
							t.Fatal(err)
						}
					}
					in := h
					if h, err = l.Forward(in, false); err != nil {
						t.Fatalf("%s: %v", l.Name(), err)
					}
					if !reflect.DeepEqual(h.Shape[1:], shape) {
						t.Fatalf("%s: output %v, OutputShape %v", l.Name(), h.Shape, shape)
					}
					ht, err := l.Forward(in, true)
					if err != nil {
						t.Fatalf("%s training: %v", l.Name(), err)
					}
					if diff, at := maxAbsDiff(ht.Float32s(), h.Float32s()); diff > 1e-6 {
						t.Errorf("%s: training Forward differs from inference by %.3g at %d", l.Name(), diff, at)
					}
					if l.Name() == "probe" {
						probed = true
						compareNpy(t, "probe", h, readNpy(t, filepath.Join(dir, probeFile)))
					}
				}
				if !probed {
					t.Fatal("no layer named probe")
				}
				compareNpy(t, "model", h, readNpy(t, filepath.Join(dir, yFile)))
			})
		}
	}
}

func compareNpy(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if !reflect.DeepEqual(got.Shape, want.Shape) {
		t.Fatalf("%s: shape %v, Keras %v", what, got.Shape, want.Shape)
	}
	diff, at := maxAbsDiff(got.Float32s(), want.Float32s())
	t.Logf("%s: max |go - keras| = %.3g over %d values", what, diff, want.Len())
	if diff > 1e-5 {
		t.Errorf("%s: max |go - keras| = %.3g at %d (go %v, keras %v)", what, diff, at, got.Float32s()[at], want.Float32s()[at])
	}
}
