package compat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestAttnMaskFilesInKeras loads each case of testdata/layers_attnmask (Attention and
// AdditiveAttention with the causal mask, with Keras masks from Embedding(mask_zero), on
// rank-2 inputs; MultiHeadAttention with an attention_mask input and with Keras masks) from
// tf_keras's .h5 in Go, saves it as .h5, .keras and SavedModel (masks in the TF graph);
// tf_keras, Keras 3 and tf.saved_model load Go's files and predict the
// fixture's inputs within 1e-5 of tf_keras's predictions. The third-party keras-attention.h5
// (Attention across the batch) goes the same way against tf_keras's predictions of the
// original file on Go-drawn inputs.
func TestAttnMaskFilesInKeras(t *testing.T) {
	python(t)
	root := filepath.Join(repoRoot(), "testdata", "layers_attnmask")
	var man struct {
		Cases map[string]fnSMCase `json:"cases"`
	}
	data, err := os.ReadFile(filepath.Join(root, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &man); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var names []string
	for n := range man.Cases {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) < 10 {
		t.Fatalf("%d cases, want 10", len(names))
	}
	var spec []map[string]any
	add := func(id, lib, file string, ins []string, inNames []string, want string) {
		spec = append(spec, map[string]any{"id": id, "lib": lib, "file": file, "inputs": ins, "input_names": inNames, "want": want})
	}
	for _, name := range names {
		c := man.Cases[name]
		dir := filepath.Join(root, name)
		m, err := model.Load(filepath.Join(dir, "tfkeras", "model.h5"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var ins, inNames []string
		for _, in := range c.Inputs {
			ins = append(ins, filepath.Join(dir, in.File))
			inNames = append(inNames, in.Name)
		}
		want := filepath.Join(dir, c.Outputs[0].FileTF)
		for _, f := range []struct{ file, lib string }{{name + ".h5", "tf_keras"}, {name + ".keras", "keras"}, {name + "_sm", "saved_model"}} {
			p := filepath.Join(out, f.file)
			err := m.Save(p)
			if err != nil {
				t.Fatalf("%s: save %s: %v", name, f.file, err)
			}
			add(name+"/"+f.lib, f.lib, p, ins, inNames, want)
		}
	}
	// keras-attention.h5: tf_keras predicts the original file, then Go's .h5 and SavedModel.
	corpus := os.Getenv("KERASGO_FIXTURES")
	if corpus == "" {
		corpus = filepath.Join(repoRoot(), "..", "shared", "fixtures")
	}
	src := filepath.Join(corpus, "dl4j", "modelimport", "keras", "weights", "keras-attention.h5")
	if _, err := os.Stat(src); err == nil {
		m, err := model.Load(src)
		if err != nil {
			t.Fatalf("keras-attention.h5: %v", err)
		}
		xd := make([]float32, 5*22)
		for i := range xd {
			xd[i] = float32((i*37)%19)/9 - 1
		}
		x := tensor.MustFromFloat32([]int{5, 22}, xd)
		xp := filepath.Join(out, "ka_x.npy")
		writeNpy(t, xp, x)
		y, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		yp := filepath.Join(out, "ka_y_go.npy")
		writeNpy(t, yp, y)
		add("keras-attention/original", "tf_keras", src, []string{xp}, []string{"inputs"}, yp)
		for _, f := range []struct{ file, lib string }{{"ka.h5", "tf_keras"}, {"ka.keras", "keras"}, {"ka_sm", "saved_model"}} {
			p := filepath.Join(out, f.file)
			if err := m.Save(p); err != nil {
				t.Fatalf("keras-attention.h5 -> %s: %v", f.file, err)
			}
			add("keras-attention/"+f.lib, f.lib, p, []string{xp}, []string{"inputs"}, yp)
		}
	} else {
		t.Logf("keras-attention.h5 not checked: %v", err)
	}
	b, _ := json.Marshal(spec)
	sp := filepath.Join(out, "spec.json")
	if err := os.WriteFile(sp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var res []struct {
		ID   string   `json:"id"`
		Diff *float64 `json:"max_abs_diff"`
		Err  string   `json:"error"`
	}
	runPythonJSON(t, &res, "attnmask_load.py", sp)
	if len(res) != len(spec) {
		t.Fatalf("%d results for %d files", len(res), len(spec))
	}
	for _, r := range res {
		switch {
		case r.Err != "":
			t.Errorf("%s: %s", r.ID, r.Err)
		case r.Diff == nil || *r.Diff > 1e-5:
			t.Errorf("%s: max abs diff %v", r.ID, r.Diff)
		default:
			t.Logf("%s: max abs diff %.3g", r.ID, *r.Diff)
		}
	}
}
