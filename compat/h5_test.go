package compat

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/saved"
)

// TestH5GoToPython: real tf_keras and Keras 3 write a compiled, trained Sequential CNN; Go
// loads it with package h5 and writes it back in every HDF5-based format; Python loads what
// Go wrote next to the original and compares predictions, every weight, every optimizer
// variable, and one more training step.
func TestH5GoToPython(t *testing.T) {
	python(t)
	dir := t.TempDir()
	var made struct {
		Chunked []string `json:"chunked_layers"`
	}
	runPythonJSON(t, &made, "h5_make.py", dir)
	p := func(name string) string { return filepath.Join(dir, name) }
	x, y := p("x.npy"), p("y.npy")

	tfk, err := h5.Load(p("tfk_model.h5"))
	if err != nil {
		t.Fatal(err)
	}
	k3, err := h5.LoadKeras(p("k3_model.keras"))
	if err != nil {
		t.Fatal(err)
	}
	if tfk.Dialect != saved.Keras2 || k3.Dialect != saved.Keras3 {
		t.Fatalf("dialects %v, %v", tfk.Dialect, k3.Dialect)
	}
	for _, m := range []*saved.Model{tfk, k3} {
		if m.Optimizer == nil || len(m.Optimizer.Slots) != 16 || m.Optimizer.Iterations != 2 {
			t.Fatalf("optimizer state not loaded: %+v", m.Optimizer)
		}
	}

	type check struct {
		mode, orig, file string
		save             func(string, *saved.Model) error
		m                *saved.Model
		nopt             int
	}
	checks := []check{
		{"tfk_h5", "tfk_model.h5", "go_tfk.h5", h5.SaveModel, tfk, 17},
		{"tfk_weights", "tfk_model.h5", "go_tfk_weights.h5", h5.SaveWeights, tfk, 0},
		{"k3_keras", "k3_model.keras", "go_k3.keras", h5.SaveKeras, k3, 18},
		{"k3_weights", "k3_model.keras", "go_k3.weights.h5", h5.SaveWeightsKeras3, k3, 18},
		{"k3_legacy", "k3_model.keras", "go_k3_legacy.h5", h5.SaveModel, k3, 18},
	}
	for _, c := range checks {
		t.Run(c.mode, func(t *testing.T) {
			if err := c.save(p(c.file), c.m); err != nil {
				t.Fatal(err)
			}
			var r struct {
				Pred, Weights float64
				Opt           *float64 `json:"max_abs_opt"`
				NOpt          int      `json:"n_opt"`
				Iterations    int      `json:"iterations"`
				Step          float64  `json:"max_abs_step"`
				OptStep       float64  `json:"max_abs_opt_step"`
				RawPred       float64  `json:"max_abs_pred"`
				RawWeights    float64  `json:"max_abs_weights"`
				NamesEqual    *bool    `json:"names_equal"`
			}
			runPythonJSON(t, &r, "h5_check.py", c.mode, p(c.orig), p(c.file), x, y)
			opt := "-"
			if r.Opt != nil {
				opt = fmt.Sprintf("%.3g", *r.Opt)
			}
			t.Logf("%s: pred %.3g weights %.3g opt %s (n=%d, it=%d) step %.3g opt-step %.3g names-equal %v",
				c.mode, r.RawPred, r.RawWeights, opt, r.NOpt, r.Iterations, r.Step, r.OptStep, r.NamesEqual != nil && *r.NamesEqual)
			if r.RawPred > 1e-5 {
				t.Errorf("predictions differ by %g", r.RawPred)
			}
			if r.RawWeights != 0 {
				t.Errorf("weights differ by %g (want bit-exact)", r.RawWeights)
			}
			if r.NamesEqual != nil && !*r.NamesEqual {
				t.Errorf("layer_names / weight_names / optimizer weight_names differ from what Keras writes")
			}
			if c.nopt > 0 {
				if r.Opt == nil || *r.Opt != 0 || r.NOpt != c.nopt || r.Iterations != 2 {
					t.Errorf("optimizer: max diff %v, %d variables (want %d), iterations %d (want 2)", r.Opt, r.NOpt, c.nopt, r.Iterations)
				}
				if r.Step > 1e-5 || r.OptStep > 1e-5 {
					t.Errorf("after one more step: weights differ by %g, optimizer by %g", r.Step, r.OptStep)
				}
			}
		})
	}

	// Split attributes: Keras wrote layer_names0, layer_names1; Go reads them, writes them
	// back split the same way, and Keras's reader joins Go's chunks.
	t.Run("chunked_attributes", func(t *testing.T) {
		m, err := h5.Load(p("tfk_chunked_weights.h5"))
		if err != nil {
			t.Fatal(err)
		}
		want := made.Chunked
		if len(want) > 0 && strings.HasPrefix(want[0], "input") {
			want = want[1:]
		}
		if len(m.Layers) != len(want) {
			t.Fatalf("%d layers, want %d", len(m.Layers), len(want))
		}
		for i, l := range m.Layers {
			if l.Name != want[i] {
				t.Fatalf("layer %d is %q, want %q", i, l.Name, want[i])
			}
		}
		out := p("go_chunked.h5")
		if err := h5.SaveWeights(out, m); err != nil {
			t.Fatal(err)
		}
		var r struct {
			Names []string `json:"names"`
			Keys  []string `json:"keys"`
		}
		runPythonJSON(t, &r, "h5_attrs.py", out, "/", "layer_names")
		if strings.Join(r.Keys, ",") != "backend,keras_version,layer_names0,layer_names1" {
			t.Errorf("root attributes %v", r.Keys)
		}
		if strings.Join(r.Names, ",") != strings.Join(want, ",") {
			t.Errorf("Keras read %d names back, want %d", len(r.Names), len(want))
		}
	})
}

// TestH5ListMatchesH5py: h5.List reports the same datasets, dtypes and shapes as h5py for
// every HDF5 and .keras fixture written by tf_keras and Keras 3.
func TestH5ListMatchesH5py(t *testing.T) {
	python(t)
	files, _ := filepath.Glob(filepath.Join(repoRoot(), "testdata", "formats", "*", "*", "*"))
	var hdf []string
	for _, f := range files {
		if strings.HasSuffix(f, ".h5") || strings.HasSuffix(f, ".keras") {
			hdf = append(hdf, f)
		}
	}
	if len(hdf) == 0 {
		t.Fatal("no HDF5 or .keras files under testdata/formats (committed; run the generator)")
	}
	// The third-party corpus (Keras 1.1 to 3.15), when present.
	corpus := os.Getenv("KERASGO_FIXTURES")
	if corpus == "" {
		corpus = filepath.Join(repoRoot(), "..", "shared", "fixtures")
	}
	filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			switch strings.ToLower(filepath.Ext(p)) {
			case ".h5", ".hdf5", ".keras":
				hdf = append(hdf, p)
			}
		}
		return nil
	})
	var want map[string][][]any
	runPythonJSON(t, &want, "h5_list.py", hdf...)
	for _, f := range hdf {
		vars, err := h5.List(f)
		if err != nil {
			t.Errorf("List %s: %v", f, err)
			continue
		}
		var got []string
		for _, v := range vars {
			shape := "["
			for i, d := range v.Shape {
				if i > 0 {
					shape += ","
				}
				shape += fmt.Sprint(d)
			}
			got = append(got, fmt.Sprintf("%s %s %s]", v.Path, v.Type, shape))
		}
		var exp []string
		for _, r := range want[f] {
			shape := "["
			for i, d := range r[2].([]any) {
				if i > 0 {
					shape += ","
				}
				shape += fmt.Sprint(d)
			}
			exp = append(exp, fmt.Sprintf("%s %s %s]", r[0], r[1], shape))
		}
		if strings.Join(got, "\n") != strings.Join(exp, "\n") {
			t.Errorf("%s: List differs from h5py:\n got %v\nwant %v", f, got, exp)
		}
	}
	t.Logf("%d files listed identically to h5py", len(hdf))
}
