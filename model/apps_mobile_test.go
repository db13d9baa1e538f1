package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
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

// mobileCases are the float32 models of the cache.
var mobileCases = []string{"mobilenetv2_035", "mobilenetv3small", "efficientnetb0", "xception", "nasnetmobile", "unet_small"}

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
		if name == "mobilenetv3small" {
			continue // Keras 3's has a Keras-3-only activation: TestAppsMobileV3Small
		}
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

// TestAppsMobileV3SmallTrainStep loads MobileNetV3Small as tf_keras saved it (compiled with
// Adam, not fitted; built without its Dropout), runs one TrainOnBatchN and compares it with
// tf_keras's train_on_batch from the same file computed in this run (testref.AppsMobile): the
// loss within 2e-4 relative, and every Adam slot (the first moment is (1-beta_1)·gradient, the
// second (1-beta_2)·gradient², through the backward pass of its 56 operations, layers.TFOp)
// within v3StepTol of the slot's largest value in the median over the slots, and within 10x
// that in 90% of them.
//
// Not checkTrainStep's 1e-4: at 32x32 the last BatchNormalization layers normalize over batch
// x 1 x 1 (3 values per channel), which amplifies float32 rounding, and TF disagrees with itself
// this much: with 1 and 2 intra-op threads its slots differ by 7.8e-4 of their largest value in
// the median over the slots (up to 2.7 for slots that are sums of cancelling terms) and its
// losses by 2.7e-5 relative (3.0993290 and 3.0994129). A wrong operation gradient (a missing
// factor 1/6) moves every slot upstream of it by far more. TestTFOpsTrainStep checks the
// operations' gradients at 1e-4 on a chain without BatchNormalization. Keras 3's file is not
// stepped: the reference pairs slots by tf_keras's layer names ("Conv/BatchNorm"), which
// Keras 3's MobileNetV3Small does not share ("conv_bn").
func TestAppsMobileV3SmallTrainStep(t *testing.T) {
	const v3StepTol = 1e-2
	dir := filepath.Join(testref.AppsMobileDir(t), "mobilenetv3small")
	rdir := filepath.Join(testref.Dir(t, testref.AppsMobile), "mobilenetv3small")
	var logs map[string]float64
	if err := json.Unmarshal(readFile(t, filepath.Join(rdir, "logs.json")), &logs); err != nil {
		t.Fatal(err)
	}
	m := appsLoad(t, dir, "tfkeras/model.h5", "")
	// the reference's batch (reference.py draws APPS_MOBILE_BATCH inputs and writes them)
	loss, _, err := m.TrainOnBatchN([]*tensor.Tensor{readNpy(t, filepath.Join(rdir, "x0.npy"))},
		[]*tensor.Tensor{readNpy(t, filepath.Join(rdir, "y0.npy"))})
	if err != nil {
		t.Fatal(err)
	}
	if w := logs["loss"]; !(math.Abs(loss-w) <= 2e-4*math.Abs(w)) {
		t.Errorf("loss %v, tf_keras %v", loss, w)
	}
	var no trFixtureOptimizer
	trReadJSON(t, filepath.Join(rdir, "optimizer.json"), &no)
	slots := slotValues(t, m)
	if len(slots) != len(no.Slots) || len(slots) < 100 {
		t.Fatalf("%d slots, tf_keras %d", len(slots), len(no.Slots))
	}
	var rel []float64
	for _, s := range no.Slots {
		k := s.Layer + "/" + s.Weight + "/" + saved.Keras3SlotName(no.Class, s.Slot)
		want := readNpy(t, filepath.Join(rdir, s.File)).Float32s()
		got := slots[k]
		if len(got) != len(want) {
			t.Fatalf("slot %s: %d values, tf_keras %d", k, len(got), len(want))
		}
		d, top := 0.0, 0.0
		for i := range want {
			d = max(d, math.Abs(float64(got[i])-float64(want[i])))
			top = max(top, math.Abs(float64(want[i])))
		}
		rel = append(rel, d/(top+1e-30))
	}
	slices.Sort(rel)
	med, p90 := rel[len(rel)/2], rel[len(rel)*9/10]
	t.Logf("loss %v (tf_keras %v); slot differences relative to each slot's largest value: median %.2g, 90th percentile %.2g, largest %.2g", loss, logs["loss"], med, p90, rel[len(rel)-1])
	if med > v3StepTol || p90 > 10*v3StepTol {
		t.Errorf("slots differ from tf_keras's by %.2g (median) and %.2g (90th percentile) of their largest values, want within %g and %g", med, p90, v3StepTol, 10*v3StepTol)
	}
}

// TestAppsMobileV3Small checks what is particular to MobileNetV3Small (its predictions,
// summaries and files are in the tests above): its hard-sigmoid (x + 3.0, ReLU(6), * 1/6)
// is made of operations on a tensor and a constant, tf_keras TFOpLambda layers and Keras 3
// keras.src.ops.numpy operations (layers.TFOp).
//   - the case is meaningful: Keras's predictions vary (the generator calibrates the
//     BatchNormalization statistics; untrained they are all 0.1) and so do kerasgo's;
//   - the configs kerasgo writes equal Keras's in both dialects, read from either;
//   - the tf_keras model saves in every format but .keras (its layer names have "/", which
//     Keras 3 refuses) and reads back with the same predictions, bit for bit; Keras 3's (whose hard-swish is Activation("hard_swish"), an activation tf_keras
//     lacks) saves as .keras, .weights.h5 and a checkpoint, and .h5 and SavedModel (tf_keras
//     formats) are refused with ErrUnsupported naming the layer and the activation;
//   - Keras 3's legacy .h5, which Keras 3.15 itself cannot load (its operations lack their
//     module there), loads (in TestAppsMobilePredict) as an operation, not as an Add layer.
func TestAppsMobileV3Small(t *testing.T) {
	checkV3Small(t, filepath.Join(testref.AppsMobileDir(t), "mobilenetv3small"))
}

func checkV3Small(t *testing.T, dir string) {
	want := readNpy(t, filepath.Join(dir, "y0.npy")).Float32s()
	lo, hi := want[0], want[0]
	for _, v := range want {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi-lo < 0.05 {
		t.Fatalf("Keras's predictions lie in [%g, %g]: too uniform to test anything", lo, hi)
	}
	counts := func(m *Model) map[string]int {
		c := map[string]int{}
		for _, l := range m.Layers() {
			if op, ok := l.(*layers.TFOp); ok {
				c[l.Class()+" "+op.Op()]++
			}
		}
		return c
	}
	m2 := appsLoad(t, dir, "tfkeras/model.h5", "")
	m3 := appsLoad(t, dir, "keras3/model.keras", "")
	if got := fmt.Sprint(counts(m2)); got != "map[TFOpLambda add:28 TFOpLambda multiply:28]" {
		t.Errorf("tf_keras model: operations %s", got)
	}
	if got := fmt.Sprint(counts(m3)); got != "map[Add add:9 Multiply multiply:9]" {
		t.Errorf("Keras 3 model: operations %s", got)
	}
	for _, c := range []struct {
		m    *Model
		d    saved.Dialect
		want string
	}{{m2, saved.Keras2, "config_keras2_to_json.json"}, {m3, saved.Keras3, "config_keras3.json"}} {
		got, err := c.m.Config(c.d)
		if err != nil {
			t.Fatal(err)
		}
		assertJSONEqual(t, c.want, dropKey(t, got, "compile_config"), dropKey(t, readFile(t, filepath.Join(dir, c.want)), "compile_config"))
		back, err := FromJSON(got)
		if err != nil {
			t.Fatalf("%s: reading back: %v", c.want, err)
		}
		if fmt.Sprint(counts(back)) != fmt.Sprint(counts(c.m)) {
			t.Errorf("%s read back: operations %v, want %v", c.want, counts(back), counts(c.m))
		}
	}
	// tf_keras's model, through a Keras 3 config and back: the ops survive both dialects
	cfg3, err := m2.Config(saved.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	m23, err := FromJSON(cfg3)
	if err != nil {
		t.Fatal(err)
	}
	if err := m23.SetWeights(valuesOf(m2)); err != nil {
		t.Fatal(err)
	}
	x := readNpy(t, filepath.Join(dir, "x0.npy"))
	y2, err := m2.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	y23, err := m23.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, y23, y2); d != 0 {
		t.Errorf("tf_keras model through a Keras 3 config: predictions differ by %g", d)
	}
	if got := fmt.Sprint(counts(m23)); got != "map[Add add:28 Multiply multiply:28]" {
		t.Errorf("tf_keras model through a Keras 3 config: operations %s", got)
	}
	appsRoundTripFrom(t, dir, "tfkeras/model.h5", map[string]bool{"m.keras": true, "m.weights.h5": true})
	appsRoundTripFrom(t, dir, "keras3/model.keras", map[string]bool{"m.h5": true, "sm": true})
}

// valuesOf returns m's weight tensors in order.
func valuesOf(m *Model) []*tensor.Tensor {
	var out []*tensor.Tensor
	for _, w := range m.Weights() {
		out = append(out, w.Value)
	}
	return out
}

// appsRoundTripFrom is appsRoundTrip from the file src of dir; the files in refused must fail
// to save with ErrUnsupported naming what their dialect cannot express (an activation only
// Keras 3 has in a tf_keras file; a layer name with "/", which only tf_keras allows, in a
// Keras 3 config).
func appsRoundTripFrom(t *testing.T, dir, src string, refused map[string]bool) {
	t.Helper()
	x := readNpy(t, filepath.Join(dir, "x0.npy"))
	m := appsLoad(t, dir, src, "")
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
		if refused[f] {
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "only in Keras 3") && !strings.Contains(err.Error(), "which Keras 3 refuses") {
				t.Errorf("%s from %s: err = %v, want ErrUnsupported naming what the dialect cannot express", f, src, err)
			} else {
				t.Logf("%s from %s refused: %v", f, src, err)
			}
			continue
		}
		if err == nil && weightsOnly {
			if back, err = FromJSON(cfg); err == nil {
				err = back.LoadWeights(path)
			}
		} else if err == nil {
			back, err = Load(path)
		}
		if err != nil {
			t.Errorf("%s from %s: %v", f, src, err)
			continue
		}
		got, err := back.Predict(x)
		if err != nil {
			t.Errorf("%s from %s: predict: %v", f, src, err)
			continue
		}
		if d := maxAbsDiff(t, got, want); d != 0 {
			t.Errorf("%s from %s: predictions differ by %g after the round trip", f, src, d)
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
