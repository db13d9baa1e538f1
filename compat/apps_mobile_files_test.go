package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestAppsMobileFilesInKeras converts the models of the applications_mobile cache kerasgo runs
// (MobileNetV2, EfficientNetB0, Xception, NASNetMobile, the U-Net, the mixed_float16 CNN; read from Keras
// 3's model.keras) with kerasgo to tf_keras .h5, Keras 3 .keras and a SavedModel; tf_keras,
// Keras 3 and tf.saved_model load them and predict on the cache's inputs: within 1e-4 relative
// of kerasgo's predictions (the mixed_float16 CNN: within 2^-11, float16 compute in Keras; a
// SavedModel kerasgo writes rounds as kerasgo does, compat/dtype16_savedmodel_test.go), with
// Keras's summaries equal to kerasgo's.
func TestAppsMobileFilesInKeras(t *testing.T) {
	root := testref.AppsMobileDir(t)
	dir := t.TempDir()
	tols := map[string]float64{"mixed_float16_cnn": 0x1p-11}
	type goCase struct {
		summary string
		y       *tensor.Tensor
		tol     float64
	}
	goCases := map[string]goCase{}
	var spec []map[string]any
	smArgs := map[string][]string{}
	all := []string{"tf_keras", "keras", "savedmodel"}
	for _, c := range []struct {
		name, from string
		to         []string
	}{
		{"mobilenetv2_035", "keras3/model.keras", all},
		{"efficientnetb0", "keras3/model.keras", all},
		{"xception", "keras3/model.keras", all},
		{"nasnetmobile", "keras3/model.keras", all},
		{"unet_small", "keras3/model.keras", all},
		{"mixed_float16_cnn", "keras3/model.keras", all},
		// MobileNetV3Small's operations (layers.TFOp): Keras 3's has an activation tf_keras
		// lacks (hard_swish) and tf_keras's has layer names Keras 3 refuses ("Conv/BatchNorm"),
		// so each goes to its own library's formats (kerasgo refuses the others on save)
		{"mobilenetv3small", "keras3/model.keras", []string{"keras"}},
		{"mobilenetv3small", "tfkeras/model.h5", []string{"tf_keras", "savedmodel"}},
	} {
		name, to := c.name, c.to
		src := filepath.Join(root, name)
		m, err := model.Load(filepath.Join(src, c.from))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.from != "keras3/model.keras" {
			name += "_from_tfkeras"
		}
		xPath := filepath.Join(src, "x0.npy")
		x, err := npy.ReadFile(xPath)
		if err != nil {
			t.Fatal(err)
		}
		y, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		tol := tols[name]
		// Keras loads with compile=False: Keras 3's summary then has no "Optimizer params"
		// line and counts no optimizer variables; the table above "Total params" is compared.
		sums := map[string]string{"tf_keras": m.Summary(), "keras": summaryTable(m.SummaryKeras3())}
		for _, c := range []struct{ file, lib string }{{name + ".h5", "tf_keras"}, {name + ".keras", "keras"}} {
			if !slices.Contains(to, c.lib) {
				continue
			}
			if err := m.Save(filepath.Join(dir, c.file)); err != nil {
				t.Fatalf("%s: %v", c.file, err)
			}
			sum := sums[c.lib]
			id := name + "_" + c.lib
			goCases[id] = goCase{sum, y, tol}
			spec = append(spec, map[string]any{"id": id, "lib": c.lib, "file": c.file, "xs": []string{xPath}})
		}
		if !slices.Contains(to, "savedmodel") {
			continue
		}
		sm := filepath.Join(dir, "sm_"+name)
		if err := m.Save(sm); err != nil {
			t.Fatalf("%s: %v", sm, err)
		}
		smArgs[xPath] = append(smArgs[xPath], sm)
		goCases[sm] = goCase{"", y, tol}
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var results []struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	}
	runPythonJSON(t, &results, "functional_load.py", dir)
	if len(results) != len(spec) {
		t.Fatalf("python loaded %d files, want %d", len(results), len(spec))
	}
	for _, r := range results {
		c := goCases[r.ID]
		if strings.HasSuffix(r.ID, "_keras") && !strings.HasSuffix(r.ID, "_tf_keras") {
			r.Summary = summaryTable(r.Summary)
		}
		if r.Summary != c.summary {
			t.Errorf("%s: Keras's summary:\n%s\nGo's:\n%s", r.ID, r.Summary, c.summary)
		}
		appsCompare(t, r.ID, filepath.Join(dir, r.ID+"_y0.npy"), c.y, c.tol)
	}
	for xPath, dirs := range smArgs {
		var keys []string
		runPythonJSON(t, &keys, "savedmodel_predict.py", append([]string{xPath}, dirs...)...)
		for _, d := range dirs {
			appsCompare(t, filepath.Base(d), filepath.Join(d, "y.npy"), goCases[d].y, goCases[d].tol)
		}
	}
}

// appsCompare checks the predictions in file against want: within tol absolute when tol > 0,
// else within 1e-4 relative (+1e-7).
func appsCompare(t *testing.T, id, file string, want *tensor.Tensor, tol float64) {
	t.Helper()
	got, err := npy.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.SameShape(got.Shape, want.Shape) {
		t.Fatalf("%s: keras shape %v, go %v", id, got.Shape, want.Shape)
	}
	worst := 0.0
	for i, v := range got.Float32s() {
		w := float64(want.Float32s()[i])
		d := math.Abs(float64(v) - w)
		lim := tol
		if tol == 0 {
			lim = 1e-4*math.Abs(w) + 1e-7
		}
		if !(d <= lim) {
			t.Errorf("%s[%d]: keras %g, go %g (|diff| %g)", id, i, v, w, d)
			return
		}
		worst = max(worst, d)
	}
	t.Logf("%s: max |keras - go| = %s", id, fmt.Sprintf("%.2g", worst))
}

// summaryTable is a Keras 3 summary up to its "Total params" line.
func summaryTable(s string) string {
	if i := strings.Index(s, "Total params"); i >= 0 {
		return s[:i]
	}
	return s
}
