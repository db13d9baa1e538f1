package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// The mobile and efficient keras.applications models (MobileNetV2 alpha 0.35,
// MobileNetV3Small, EfficientNetB0, Xception, NASNetMobile; weights=None, 10 classes) and a
// hand-built U-Net that testdata/gen/applications_mobile.py writes with real tf_keras 2.21 and
// Keras 3.15 into a cache outside the clone (internal/testref.AppsMobileDir).

// mobileCases are the float32 models of the cache kerasgo runs (MobileNetV3Small is not one:
// see TestAppsMobileV3SmallRefused).
var mobileCases = []string{"mobilenetv2_035", "efficientnetb0", "xception", "nasnetmobile", "unet_small"}

// mobileFiles are the files of each case kerasgo reads: whole models, and weights files loaded
// into a model built from Keras's config.
var mobileFiles = []struct{ file, config, want string }{
	{"tfkeras/model.h5", "", "y0.npy"},
	{"tfkeras/savedmodel", "", "y0.npy"},
	{"keras3/model.keras", "", "y0_keras3.npy"},
	{"keras3/legacy.h5", "", "y0_keras3.npy"},
	{"tfkeras/weights.h5", "config_keras2.json", "y0.npy"},
	{"tfkeras/ckpt/weights", "config_keras2.json", "y0.npy"},
	{"keras3/model.weights.h5", "config_keras3.json", "y0_keras3.npy"},
}

// TestAppsMobilePredict loads every file of each model and compares the predictions with
// Keras's within appsRelTol relative (1e-4).
func TestAppsMobilePredict(t *testing.T) {
	root := testref.AppsMobileDir(t)
	for _, name := range mobileCases {
		dir := filepath.Join(root, name)
		t.Run(name, func(t *testing.T) {
			x := readNpy(t, filepath.Join(dir, "x0.npy"))
			for _, f := range mobileFiles {
				t.Run(f.file, func(t *testing.T) {
					m := appsLoad(t, dir, f.file, f.config)
					y, err := m.Predict(x)
					if err != nil {
						t.Fatalf("predict: %v", err)
					}
					assertRelClose(t, y, readNpy(t, filepath.Join(dir, f.want)), f.want)
				})
			}
		})
	}
}

// TestAppsMobileSummary compares both summaries with Keras's text.
func TestAppsMobileSummary(t *testing.T) {
	root := testref.AppsMobileDir(t)
	for _, name := range mobileCases {
		dir := filepath.Join(root, name)
		t.Run(name, func(t *testing.T) {
			m := appsLoad(t, dir, "tfkeras/model.h5", "")
			assertTextEqual(t, "tf_keras summary", m.Summary(), string(readFile(t, filepath.Join(dir, "summary_keras2.txt"))))
			m3 := appsLoad(t, dir, "keras3/model.keras", "")
			assertTextEqual(t, "Keras 3 summary", m3.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3.txt"))))
		})
	}
}

// TestAppsMobileRoundTrip saves each model (read from Keras 3's model.keras) in every format
// kerasgo writes, loads it back and checks the predictions are unchanged, bit for bit.
func TestAppsMobileRoundTrip(t *testing.T) {
	root := testref.AppsMobileDir(t)
	for _, name := range mobileCases {
		t.Run(name, func(t *testing.T) {
			appsRoundTrip(t, filepath.Join(root, name), 0)
		})
	}
}

// appsRoundTrip loads dir's keras3/model.keras, saves it as .h5, .keras, .weights.h5, a
// checkpoint and a SavedModel, loads each back (weights files into a model built from the
// config) and checks the predictions agree within tol (0: bit for bit) with the loaded model's.
func appsRoundTrip(t *testing.T, dir string, tol float64) {
	t.Helper()
	x := readNpy(t, filepath.Join(dir, "x0.npy"))
	m := appsLoad(t, dir, "keras3/model.keras", "")
	want, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := m.Config(saved.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, f := range []string{"m.h5", "m.keras", "m.weights.h5", "ckpt/w", "sm"} {
		path := filepath.Join(out, f)
		weightsOnly := f == "m.weights.h5" || f == "ckpt/w"
		var back *Model
		if weightsOnly {
			err = m.SaveWeights(path)
		} else {
			err = m.Save(path)
		}
		if err == nil && weightsOnly {
			if back, err = FromJSON(cfg); err == nil {
				err = back.LoadWeights(path)
			}
		} else if err == nil {
			back, err = Load(path)
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		got, err := back.Predict(x)
		if err != nil {
			t.Errorf("%s: predict: %v", f, err)
			continue
		}
		if d := maxAbsDiff(t, got, want); d > tol {
			t.Errorf("%s: predictions differ by %g after the round trip", f, d)
		}
	}
}

// mixedTol bounds |kerasgo - Keras| per element of the mixed_float16 CNN's softmax output (in
// [0, 1]): Keras computes every layer in float16 (unit roundoff 2^-11 ≈ 4.9e-4) and rounds
// after each op, kerasgo rounds inputs, weights and outputs of each layer to float16 and
// computes in float32; the softmax of logits that differ by a float16 unit or so differs by
// less than 2^-11 (observed: 8.6e-5; tf_keras and Keras 3 differ by 9.5e-5 from each other).
const mixedTol = 0x1p-11

// TestAppsMobileMixedFloat16 loads every file of the CNN saved under the mixed_float16 policy
// and compares its predictions with Keras's within mixedTol, checks that every layer kept its
// policy and that the summaries are Keras's.
func TestAppsMobileMixedFloat16(t *testing.T) {
	dir := filepath.Join(testref.AppsMobileDir(t), "mixed_float16_cnn")
	x := readNpy(t, filepath.Join(dir, "x0.npy"))
	for _, f := range mobileFiles {
		t.Run(f.file, func(t *testing.T) {
			m := appsLoad(t, dir, f.file, f.config)
			y, err := m.Predict(x)
			if err != nil {
				t.Fatalf("predict: %v", err)
			}
			want := readNpy(t, filepath.Join(dir, f.want))
			if d := maxAbsDiff(t, y, want); d > mixedTol {
				t.Errorf("predictions differ from Keras's by %g > %g", d, mixedTol)
			} else {
				t.Logf("max |diff| %.3g", d)
			}
			// the policy takes effect: float32 computation gives other predictions
			if maxAbsDiff(t, predictFloat32(t, dir, f.file, f.config, x), y) == 0 {
				t.Errorf("predictions equal those of the float32 computation: mixed_float16 not applied")
			}
			for _, l := range m.Layers() {
				if p := layers.PolicyOf(l); p != mixedPolicyOf(l.Name()) {
					t.Errorf("layer %s: policy %s, want %s", l.Name(), p, mixedPolicyOf(l.Name()))
				}
			}
		})
	}
	m := appsLoad(t, dir, "tfkeras/model.h5", "")
	assertTextEqual(t, "tf_keras summary", m.Summary(), string(readFile(t, filepath.Join(dir, "summary_keras2.txt"))))
	m3 := appsLoad(t, dir, "keras3/model.keras", "")
	assertTextEqual(t, "Keras 3 summary", m3.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3.txt"))))
}

// mixedPolicyOf is the policy applications_mobile.py gives each layer of the mixed CNN: the
// input and the final softmax float32, every other layer mixed_float16.
func mixedPolicyOf(name string) string {
	if name == "image" || name == "probs" {
		return layers.PolicyFloat32
	}
	return layers.PolicyMixedFloat16
}

// predictFloat32 loads file (relative to dir; weights into config's model) and predicts
// with every layer switched to the float32 policy.
func predictFloat32(t *testing.T, dir, file, config string, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	c := appsLoad(t, dir, file, config)
	for _, l := range c.Layers() {
		if p, ok := l.(interface{ SetDTypePolicy(string) error }); ok {
			if err := p.SetDTypePolicy(layers.PolicyFloat32); err != nil {
				t.Fatal(err)
			}
		}
	}
	y, err := c.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// TestAppsMobileMixedFloat16RoundTrip writes the mixed_float16 CNN in every format kerasgo
// writes and reads it back: same predictions bit for bit, every layer's policy kept, and the
// configs written with the policies as Keras writes them (tf_keras's and Keras 3's config of
// the model.h5 / model.keras read back equal Keras's own).
func TestAppsMobileMixedFloat16RoundTrip(t *testing.T) {
	dir := filepath.Join(testref.AppsMobileDir(t), "mixed_float16_cnn")
	appsRoundTrip(t, dir, 0)
	m := appsLoad(t, dir, "keras3/model.keras", "")
	for _, d := range []struct {
		dialect saved.Dialect
		file    string
	}{{saved.Keras2, "config_keras2.json"}, {saved.Keras3, "config_keras3.json"}} {
		got, err := m.Config(d.dialect)
		if err != nil {
			t.Fatal(err)
		}
		gotP, wantP := layerDTypes(t, got), layerDTypes(t, readFile(t, filepath.Join(dir, d.file)))
		if gotP != wantP {
			t.Errorf("%s: layer dtypes\n got %s\nwant %s", d.file, gotP, wantP)
		}
	}
}

// layerDTypes lists "name: dtype" of every layer of a Functional model config, as JSON.
func layerDTypes(t *testing.T, cfg []byte) string {
	t.Helper()
	var c struct {
		Config struct {
			Layers []struct {
				Config map[string]any `json:"config"`
			} `json:"layers"`
		} `json:"config"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range c.Config.Layers {
		b, _ := json.Marshal(l.Config["dtype"])
		out = append(out, fmt.Sprintf("%v: %s", l.Config["name"], b))
	}
	return strings.Join(out, "\n")
}

// TestAppsMobileV3SmallRefused: MobileNetV3Small's hard-sigmoid (x + 3.0, then * 1/6) is made
// of tf_keras TFOpLambda layers and Keras 3 keras.src.ops.numpy operations with a scalar
// argument, which kerasgo does not run yet: loading fails with ErrUnsupported naming them.
func TestAppsMobileV3SmallRefused(t *testing.T) {
	dir := filepath.Join(testref.AppsMobileDir(t), "mobilenetv3small")
	for _, f := range []struct{ file, want string }{
		{"tfkeras/model.h5", `"tf.__operators__.add" (TFOpLambda)`},
		{"tfkeras/savedmodel", `"tf.math.multiply" (TFOpLambda)`},
		{"keras3/model.keras", `"add" (Keras 3 operation keras.src.ops.numpy.Add)`},
		// Keras 3's legacy .h5 config does not record the operation's module
		{"keras3/legacy.h5", `"add" (Add): unsupported: inbound node: argument 2 is the constant 3`},
	} {
		_, err := Load(filepath.Join(dir, f.file))
		if err == nil {
			t.Errorf("%s: loaded; move mobilenetv3small into mobileCases", f.file)
			continue
		}
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), f.want) {
			t.Errorf("%s: err = %.300v, want ErrUnsupported naming %s", f.file, err, f.want)
		}
	}
}

// mobileAt224 builds a case of the applications_mobile cache from its tf_keras config at
// 224x224x3 (fresh random weights; the heads are global average pooling).
func mobileAt224(b *testing.B, name string) *Model {
	b.Helper()
	return appAt224(b, filepath.Join(testref.AppsMobileDir(b), name))
}

// BenchmarkMobileNetV2Predict1 runs MobileNetV2 (alpha 0.35) on one 224x224x3 image.
func BenchmarkMobileNetV2Predict1(b *testing.B) {
	benchPredict224(b, mobileAt224(b, "mobilenetv2_035"), 1)
}

// BenchmarkMobileNetV2Predict32 runs MobileNetV2 (alpha 0.35) on 32 images of 224x224x3.
func BenchmarkMobileNetV2Predict32(b *testing.B) {
	benchPredict224(b, mobileAt224(b, "mobilenetv2_035"), 32)
}

// BenchmarkEfficientNetB0Predict32 runs EfficientNetB0 on 32 images of 224x224x3.
func BenchmarkEfficientNetB0Predict32(b *testing.B) {
	benchPredict224(b, mobileAt224(b, "efficientnetb0"), 32)
}
