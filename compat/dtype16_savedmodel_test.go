//go:build cgo

package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestDType16SavedModel saves the 16-bit models Keras wrote (testdata/dtype16: the MLP whose
// Dense layers have dtype="float16", the mixed_bfloat16 CNN; the applications_mobile cache's
// mixed_float16 CNN; testdata/bf16w's bfloat16 MLP, Keras 3 only), read from tf_keras's .h5
// and Keras 3's .keras, as SavedModel directories with kerasgo. Then:
//   - the variables are stored in their tf_keras dtype (float16 or bfloat16 for those layers
//     but BatchNormalization, whose tf_keras variables stay float32; float32 under the mixed
//     policies);
//   - tf.saved_model.load's serving signature predicts what kerasgo predicts within 1e-6 (the
//     graph rounds each layer's inputs, variables and outputs through float16/bfloat16 with
//     Cast ops, as kerasgo's forward pass does), and so Keras's own predictions within what
//     the dtype allows (float16: 2^-11, bfloat16: 2^-7 on softmax outputs; see model's
//     mixedTol and bf16Tol);
//   - tf_keras.models.load_model revives every layer with its dtype policy from the
//     SavedModel's Keras metadata, and so predicts as Keras does within the same tolerance.
func TestDType16SavedModel(t *testing.T) {
	python(t)
	cases := []struct {
		name, dir, file, want string
		tol                   float64
		var16                 bool
	}{
		{"float16_mlp_k3", "../testdata/dtype16/float16_mlp", "keras3/model.keras", "y0_keras3.npy", 0x1p-11, true},
		{"float16_mlp_k2", "../testdata/dtype16/float16_mlp", "tfkeras/model.h5", "y0.npy", 0x1p-11, true},
		{"mixed_bfloat16_cnn_k3", "../testdata/dtype16/mixed_bfloat16_cnn", "keras3/model.keras", "y0_keras3.npy", 0x1p-7, false},
		{"mixed_bfloat16_cnn_k2", "../testdata/dtype16/mixed_bfloat16_cnn", "tfkeras/model.h5", "y0.npy", 0x1p-7, false},
		{"mixed_float16_cnn_k3", "", "keras3/model.keras", "y0_keras3.npy", 0x1p-11, false},
		{"mixed_float16_cnn_k2", "", "tfkeras/model.h5", "y0.npy", 0x1p-11, false},
		{"bfloat16_mlp_k3", "../testdata/bf16w/bfloat16_mlp", "keras3/model.keras", "y0_keras3.npy", 0x1p-7, true},
	}
	out := t.TempDir()
	type goCase struct {
		y, keras *tensor.Tensor
		tol      float64
		policies map[string]string
	}
	goCases := map[string]goCase{}
	smArgs := map[string][]string{} // x.npy -> SavedModel dirs
	var spec []map[string]any
	for _, c := range cases {
		dir := c.dir
		if dir == "" {
			dir = filepath.Join(testref.AppsMobileDir(t), "mixed_float16_cnn")
		}
		m, err := model.Load(filepath.Join(dir, filepath.FromSlash(c.file)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		xPath := filepath.Join(dir, "x0.npy")
		x, err := npy.ReadFile(xPath)
		if err != nil {
			t.Fatal(err)
		}
		y, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		keras, err := npy.ReadFile(filepath.Join(dir, c.want))
		if err != nil {
			t.Fatal(err)
		}
		policies := map[string]string{}
		n16 := 0
		for _, l := range m.Layers() {
			policies[l.Name()] = layers.PolicyOf(l)
			if p := layers.PolicyOf(l); p != layers.PolicyFloat32 {
				n16++
			}
		}
		if n16 == 0 {
			t.Fatalf("%s: no layer has a 16-bit policy", c.name)
		}
		sm := filepath.Join(out, c.name)
		if err := m.Save(sm); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkVariableDTypes(t, c.name, filepath.Join(sm, "variables", "variables"), c.var16)
		smArgs[xPath] = append(smArgs[xPath], sm)
		goCases[sm] = goCase{y, keras, c.tol, policies}
		spec = append(spec, map[string]any{"id": c.name, "lib": "tf_keras", "file": c.name, "xs": []string{xPath}})
	}
	for xPath, dirs := range smArgs {
		var keys []string
		runPythonJSON(t, &keys, "savedmodel_predict.py", append([]string{xPath}, dirs...)...)
		for _, d := range dirs {
			got, err := npy.ReadFile(filepath.Join(d, "y.npy"))
			if err != nil {
				t.Fatal(err)
			}
			c := goCases[d]
			dg, dk := dt16MaxAbs(t, got, c.y), dt16MaxAbs(t, got, c.keras)
			if dg > 1e-6 {
				t.Errorf("%s: tf.saved_model predictions differ from kerasgo's by %g", filepath.Base(d), dg)
			}
			if dk > c.tol {
				t.Errorf("%s: tf.saved_model predictions differ from Keras's by %g > %g", filepath.Base(d), dk, c.tol)
			}
			t.Logf("%s: tf.saved_model vs kerasgo %.3g, vs Keras %.3g (allowed %.3g)", filepath.Base(d), dg, dk, c.tol)
		}
	}
	// tf_keras revives the layers from the metadata, policies included
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(out, "cases.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var results []struct {
		ID     string          `json:"id"`
		Config json.RawMessage `json:"config"`
	}
	runPythonJSON(t, &results, "functional_load.py", out)
	if len(results) != len(spec) {
		t.Fatalf("tf_keras loaded %d SavedModels, want %d", len(results), len(spec))
	}
	for _, r := range results {
		c := goCases[filepath.Join(out, r.ID)]
		got, err := npy.ReadFile(filepath.Join(out, r.ID+"_y0.npy"))
		if err != nil {
			t.Fatal(err)
		}
		// tf_keras runs the revived layers in their 16-bit dtype: Keras's own computation
		if d := dt16MaxAbs(t, got, c.keras); d > c.tol {
			t.Errorf("%s: tf_keras's predictions from the SavedModel differ from Keras's by %g > %g", r.ID, d, c.tol)
		}
		var cfg struct {
			Config struct {
				Layers []struct {
					Config struct {
						Name  string `json:"name"`
						DType any    `json:"dtype"`
					} `json:"config"`
				} `json:"layers"`
			} `json:"config"`
		}
		if err := json.Unmarshal(r.Config, &cfg); err != nil {
			t.Fatal(err)
		}
		for _, l := range cfg.Config.Layers {
			want := c.policies[l.Config.Name]
			if got := policyName(l.Config.DType); got != want {
				t.Errorf("%s: tf_keras revived layer %s with policy %s, want %s", r.ID, l.Config.Name, got, want)
			}
		}
	}
}

// policyName is the policy name of a tf_keras dtype config (a name or a Policy object).
func policyName(v any) string {
	switch d := v.(type) {
	case string:
		return d
	case map[string]any:
		if c, ok := d["config"].(map[string]any); ok {
			if n, ok := c["name"].(string); ok {
				return n
			}
		}
	}
	return fmt.Sprint(v)
}

// checkVariableDTypes checks the layers' variables of a SavedModel's variables bundle: all
// float16 or bfloat16 (var16) or all float32.
func checkVariableDTypes(t *testing.T, name, prefix string, var16 bool) {
	t.Helper()
	r, err := checkpoint.Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n16, n32 := 0, 0
	for _, e := range r.Entries() {
		if !strings.HasPrefix(e.Key, "variables/") && !strings.Contains(e.Key, "layer_with_weights") {
			continue
		}
		switch e.DType {
		case tensor.Float16, tensor.BFloat16:
			n16++
		case tensor.Float32:
			n32++
		}
	}
	// the float16/bfloat16 Dense layers' 4 variables in 16 bits; the bfloat16 MLP's
	// BatchNormalization's 4 in float32, as tf_keras keeps them (layers.VariableDTypeIn)
	if var16 && (n16 != 4 || n32 != 0 && !(strings.HasPrefix(name, "bfloat16_mlp") && n32 == 4)) {
		t.Errorf("%s: %d 16-bit and %d float32 variables, want the 16-bit layers' in 16 bits", name, n16, n32)
	}
	if !var16 && (n16 != 0 || n32 == 0) {
		t.Errorf("%s: %d float16 and %d float32 variables, want float32 (mixed policy)", name, n16, n32)
	}
	t.Logf("%s: %d 16-bit, %d float32 variables", name, n16, n32)
}

func dt16MaxAbs(t *testing.T, a, b *tensor.Tensor) float64 {
	t.Helper()
	if a.Len() != b.Len() {
		t.Fatalf("%d values, want %d", a.Len(), b.Len())
	}
	av, bv := a.Float32s(), b.Float32s()
	d := 0.0
	for i := range av {
		d = max(d, math.Abs(float64(av[i])-float64(bv[i])))
		if math.IsNaN(float64(av[i])) {
			return math.Inf(1)
		}
	}
	return d
}

// TestConv2DTransposeDilationSavedModel: a dilated Conv2DTranspose (strides 1) in a
// SavedModel kerasgo writes, whose graph is a dilated Conv2D of the padded input with the
// flipped kernel, predicts as kerasgo does in tf.saved_model (and as tf_keras and Keras 3 on
// the .h5 and .keras files), within 1e-5: valid and same padding, even, odd and unequal
// kernels, dilations 2 and 3 (tf_keras takes equal ones only), with and without bias; and the Keras-made models of
// testdata/conv2dt_dilation give Keras's own predictions from kerasgo's SavedModel.
func TestConv2DTransposeDilationSavedModel(t *testing.T) {
	python(t)
	tc := func(f int, k [2]int, o layers.Conv2DTransposeOptions) layers.Layer {
		return layers.NewConv2DTranspose(f, k, o)
	}
	builds := map[string]func() *model.Sequential{
		"dil_valid_same": func() *model.Sequential {
			return model.NewSequential(model.Input(5, 4, 2),
				tc(3, [2]int{3, 2}, layers.Conv2DTransposeOptions{DilationRate: [2]int{2, 2}}),
				tc(2, [2]int{2, 3}, layers.Conv2DTransposeOptions{DilationRate: [2]int{3, 3}, Padding: "same", Activation: "relu"}),
				tc(2, [2]int{4, 4}, layers.Conv2DTransposeOptions{DilationRate: [2]int{2, 2}, Padding: "same", NoBias: true}),
				layers.NewFlatten(), layers.NewDense(3))
		},
		"dil_only": func() *model.Sequential {
			return model.NewSequential(model.Input(5, 4, 2),
				tc(2, [2]int{3, 3}, layers.Conv2DTransposeOptions{DilationRate: [2]int{2, 2}, NoBias: true}))
		},
	}
	filesInKeras(t, builds, []int{2, 5, 4, 2})
}

// TestConv2DTransposeDilationFixturesSavedModel saves testdata/conv2dt_dilation's models (from
// tf_keras's .h5 and Keras 3's .keras) as SavedModels: tf.saved_model's predictions equal
// Keras's within 1e-5.
func TestConv2DTransposeDilationFixturesSavedModel(t *testing.T) {
	python(t)
	dirs, _ := filepath.Glob("../testdata/conv2dt_dilation/layer_*")
	if len(dirs) != 3 {
		t.Fatalf("%d cases under testdata/conv2dt_dilation, want 3", len(dirs))
	}
	out := t.TempDir()
	want := map[string]*tensor.Tensor{}
	args := map[string][]string{}
	for _, d := range dirs {
		for _, f := range []struct{ file, y string }{{"tfkeras/model.h5", "y0.npy"}, {"keras3/model.keras", "y0_keras3.npy"}} {
			m, err := model.Load(filepath.Join(d, filepath.FromSlash(f.file)))
			if err != nil {
				t.Fatal(err)
			}
			sm := filepath.Join(out, filepath.Base(d)+"_"+strings.Split(f.file, "/")[0])
			if err := m.Save(sm); err != nil {
				t.Fatalf("%s: %v", sm, err)
			}
			y, err := npy.ReadFile(filepath.Join(d, f.y))
			if err != nil {
				t.Fatal(err)
			}
			want[sm] = y
			x := filepath.Join(d, "x0.npy")
			args[x] = append(args[x], sm)
		}
	}
	for x, sms := range args {
		var keys []string
		runPythonJSON(t, &keys, "savedmodel_predict.py", append([]string{x}, sms...)...)
		for _, sm := range sms {
			got, err := npy.ReadFile(filepath.Join(sm, "y.npy"))
			if err != nil {
				t.Fatal(err)
			}
			if d := dt16MaxAbs(t, got, want[sm]); d > 1e-5 {
				t.Errorf("%s: tf.saved_model predictions differ from Keras's by %g", filepath.Base(sm), d)
			} else {
				t.Logf("%s: max |tf.saved_model - Keras| %.3g", filepath.Base(sm), d)
			}
		}
	}
}

// TestBFloat16WeightsInKeras loads the bfloat16 MLP Keras 3 wrote (testdata/bf16w) with
// kerasgo and writes it back as .keras and .weights.h5; Keras 3 loads both (the weights into
// a model built from Keras's config): every layer variable is bfloat16, the .keras file's
// Adam state too (iterations 2), and the predictions equal Keras's own from its files (the
// variables went through kerasgo unchanged) and kerasgo's within bf16 precision (2^-7).
func TestBFloat16WeightsInKeras(t *testing.T) {
	python(t)
	dir := "../testdata/bf16w/bfloat16_mlp"
	m, err := model.Load(filepath.Join(dir, "keras3", "model.keras"))
	if err != nil {
		t.Fatal(err)
	}
	xPath, _ := filepath.Abs(filepath.Join(dir, "x0.npy"))
	x, err := npy.ReadFile(xPath)
	if err != nil {
		t.Fatal(err)
	}
	y, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	keras, err := npy.ReadFile(filepath.Join(dir, "y0_keras3.npy"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := m.Save(filepath.Join(out, "m.keras")); err != nil {
		t.Fatal(err)
	}
	if err := m.SaveWeights(filepath.Join(out, "m.weights.h5")); err != nil {
		t.Fatal(err)
	}
	cfg, _ := filepath.Abs(filepath.Join(dir, "config_keras3.json"))
	var res map[string]struct {
		Weights    map[string]string `json:"weights"`
		Iterations int               `json:"iterations"`
		Optimizer  []string          `json:"optimizer"`
	}
	runPythonJSON(t, &res, "bf16w_load.py", xPath, cfg, filepath.Join(out, "m.keras"), filepath.Join(out, "m.weights.h5"), out)
	for _, f := range []string{"keras", "weights"} {
		r := res[f]
		n := 0
		for p, dt := range r.Weights {
			if strings.HasPrefix(p, "probs") {
				continue
			}
			n++
			if dt != "bfloat16" {
				t.Errorf("%s: Keras 3 loaded %s as %s", f, p, dt)
			}
		}
		if n != 8 {
			t.Errorf("%s: %d layer variables, want 8 (d1 2, bn 4, d2 2): %v", f, n, r.Weights)
		}
		got, err := npy.ReadFile(filepath.Join(out, f+"_y.npy"))
		if err != nil {
			t.Fatal(err)
		}
		if d := dt16MaxAbs(t, got, keras); d > 1e-6 {
			t.Errorf("%s: Keras 3's predictions from kerasgo's file differ from those from its own by %g", f, d)
		}
		if d := dt16MaxAbs(t, got, y); d > 0x1p-7 {
			t.Errorf("%s: Keras 3's predictions differ from kerasgo's by %g", f, d)
		}
	}
	k := res["keras"]
	if k.Iterations != 2 {
		t.Errorf("Keras 3 read iterations %d, want 2", k.Iterations)
	}
	n16 := 0
	for _, dt := range k.Optimizer {
		if dt == "bfloat16" {
			n16++
		}
	}
	if n16 != 12 {
		t.Errorf("Keras 3 read optimizer variables %v, want 12 bfloat16 slots", k.Optimizer)
	}
}
