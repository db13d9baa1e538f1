//go:build cgo

package wconv

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	_ "github.com/kerasgo/kerasgo/layers" // the class facts of the layers kerasgo implements
	"github.com/kerasgo/kerasgo/tensor"
)

// A fixture case: a model written by real tf_keras 2.21 and Keras 3.15.1 in every weights
// format, with the same weights in all of them.
type fixture struct {
	dir  string
	name string
	// configs are model.to_json() files of the case (tf_keras's, Keras 3's).
	configs [2]string
	// k3Ordered: a Keras 3 weights file alone gives the order of the layers with weights
	// (at every level they are of one class).
	k3Ordered bool
	nested    bool
	// subObjects: a layer keeps its variables in a sub-object (an RNN's cell).
	subObjects bool
	// nestedFirst: a nested model whose tf_keras HDF5 order depends on a variable kerasgo
	// cannot tell is non-trainable (the custom class's offset, before a Dense).
	nestedFirst bool
	// unnamed: a layer with weights is of a class kerasgo does not implement, so a Keras 3
	// file's variables (kept by index) have no names.
	unnamed bool
}

func fixtures(t *testing.T) []fixture {
	var out []fixture
	fn := filepath.Join("..", "..", "testdata", "functional")
	for _, c := range []struct {
		name            string
		ordered, nested bool
	}{
		{"two_branch_residual", false, false},
		{"two_in_two_out", false, false},
		{"nested_sequential", false, true},
		{"sequential_in_functional", false, true},
		{"shared_layer", true, false},
		{"frozen_backbone", false, true},
	} {
		d := filepath.Join(fn, c.name)
		out = append(out, fixture{dir: d, name: c.name, k3Ordered: c.ordered, nested: c.nested,
			configs: [2]string{filepath.Join(d, "config_keras2_to_json.json"), filepath.Join(d, "config_keras3.json")}})
	}
	wo := filepath.Join("..", "..", "testdata", "wonly")
	for _, c := range []fixture{
		{name: "unknown_sequential"},
		{name: "unknown_functional", nested: true},
		{name: "unknown_nested_first", nested: true, nestedFirst: true},
		{name: "lstm", subObjects: true},
	} {
		c.dir = filepath.Join(wo, c.name)
		c.configs = [2]string{filepath.Join(c.dir, "config_keras2.json"), filepath.Join(c.dir, "config_keras3.json")}
		out = append(out, c)
	}
	for i, f := range out {
		// Whether kerasgo can name the variables of the Keras 3 file (its classes' facts).
		wf, err := h5.ReadWeightsFile(filepath.Join(f.dir, "keras3", "model.keras"))
		if err != nil {
			t.Fatalf("fixture %s: %v", f.dir, err)
		}
		skel, err := fromConfig(wf.Config)
		if err != nil {
			t.Fatalf("fixture %s: %v", f.dir, err)
		}
		m, _, err := fromKeras3(wf.Keras3, skel)
		if err != nil {
			t.Fatalf("fixture %s: %v", f.dir, err)
		}
		var ls []leaf
		leaves(m, yes, &ls)
		for _, lf := range ls {
			for _, w := range lf.l.weights {
				out[i].unnamed = out[i].unnamed || w.name == ""
			}
		}
	}
	return out
}

// The sources: every weights file Keras wrote for a case.
var sources = []struct {
	rel    string
	kind   Source
	config bool // the file has the model's config
	keras3 bool // Keras 3 layout
}{
	{"tfkeras/model.h5", SourceHDF5, true, false},
	{"tfkeras/weights.h5", SourceHDF5, false, false},
	{"tfkeras/ckpt/weights", SourceCheckpoint, false, false},
	{"keras3/model.keras", SourceHDF5, true, true},
	{"keras3/model.weights.h5", SourceHDF5, false, true},
	{"keras3/legacy.h5", SourceHDF5, true, false},
	{"tfkeras/savedmodel", SourceSavedModel, false, false},
}

var targets = []string{"out.h5", "out.weights.h5", "ckpt/w"}

// expect says what converting src of f to target gives without --config: "" success,
// "config" ErrUnsupported that a config lifts, "never" ErrUnsupported even with one (the
// documented limits).
func expect(f fixture, src string, srcConfig, srcKeras3 bool, target string) string {
	ckpt, h5t, k3t := target == "ckpt/w", target == "out.h5", target == "out.weights.h5"
	switch {
	case f.subObjects && (ckpt || k3t) && !srcConfig && !srcKeras3 && !(ckpt && strings.HasPrefix(src, "tfkeras/ckpt")):
		// The class (from a config) says where its variables live (the cell); an HDF5 name
		// gives the cell's name, not the attribute holding it.
		return "config"
	case f.nestedFirst && h5t && (srcKeras3 || strings.HasPrefix(src, "tfkeras/ckpt")):
		return "never"
	case f.unnamed && ckpt && srcKeras3:
		return "never" // a Keras 3 file keeps variables by index; checkpoint keys are names
	case srcConfig:
		return ""
	case k3t:
		if srcKeras3 {
			return ""
		}
		return "config" // Keras 3 keys need every layer's class
	case srcKeras3:
		if !f.k3Ordered {
			return "config"
		}
		return ""
	case src == "tfkeras/weights.h5" && ckpt && f.nested:
		return "config" // a nested model's group does not list its layers
	case (src == "tfkeras/ckpt/weights" || src == "tfkeras/savedmodel") && h5t && (f.nested || f.subObjects):
		return "config" // the checkpoint does not name a nested model (nor an RNN layer)
	}
	return ""
}

// TestConvertFixtures converts every weights file of every fixture case to every weights
// format, with the case's config where the source alone does not give the layout, and
// compares what was written with the file of that format that real Keras wrote for the same
// weights: the same keys and values (tf_keras HDF5: layer and weight names too).
func TestConvertFixtures(t *testing.T) {
	out := t.TempDir()
	n := 0
	for _, f := range fixtures(t) {
		for _, s := range sources {
			src := filepath.Join(f.dir, s.rel)
			if _, err := os.Stat(src); err != nil {
				if _, err := os.Stat(src + ".index"); err != nil {
					continue // legacy.h5 and ckpt exist for the functional cases only, ...
				}
			}
			for _, tg := range targets {
				want := expect(f, s.rel, s.config, s.keras3, tg)
				for _, cfg := range []string{"", f.configs[0], f.configs[1]} {
					name := f.name + "/" + s.rel + "→" + tg
					var o Options
					if cfg != "" {
						name += " --config " + filepath.Base(cfg)
						b, err := os.ReadFile(cfg)
						if err != nil {
							t.Fatal(err)
						}
						o.Config = b
					}
					dst := filepath.Join(out, strings.NewReplacer("/", "_", " ", "_").Replace(name), tg)
					if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
						t.Fatal(err)
					}
					_, err := Convert(src, s.kind, dst, o)
					switch {
					case want == "never" || (want == "config" && cfg == ""):
						if !errors.Is(err, ErrUnsupported) {
							t.Errorf("%s: err = %v, want ErrUnsupported", name, err)
						} else if want == "config" && !strings.Contains(err.Error(), "--config") {
							t.Errorf("%s: the error does not say that --config helps: %v", name, err)
						}
						continue
					case err != nil:
						t.Errorf("%s: %v", name, err)
						continue
					}
					n++
					compareWithKeras(t, name, f, tg, dst, s.keras3)
				}
			}
		}
	}
	if n < 250 {
		t.Errorf("only %d conversions checked", n)
	}
	t.Logf("%d conversions compared with Keras's own files", n)
}

// compareWithKeras compares a converted file with the file of its format Keras wrote.
func compareWithKeras(t *testing.T, name string, f fixture, target, got string, positionalNames bool) {
	t.Helper()
	switch target {
	case "out.h5":
		compareLegacy(t, name, filepath.Join(f.dir, "tfkeras", "weights.h5"), got, positionalNames)
	case "out.weights.h5":
		compareKeras3(t, name, filepath.Join(f.dir, "keras3", "model.weights.h5"), got)
	default:
		compareCheckpoint(t, name, filepath.Join(f.dir, "tfkeras", "ckpt", "weights"), got)
	}
}

func sameTensor(a, b *tensor.Tensor) bool {
	return a.DType == b.DType && tensor.SameShape(a.Shape, b.Shape) && reflect.DeepEqual(a.Data, b.Data)
}

func compareLegacy(t *testing.T, name, ref, got string, positionalNames bool) {
	rf, err := h5.ReadWeightsFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	gf, err := h5.ReadWeightsFile(got)
	if err != nil {
		t.Errorf("%s: read back: %v", name, err)
		return
	}
	weighted := func(gs []h5.LegacyGroup) []h5.LegacyGroup {
		var out []h5.LegacyGroup
		for _, g := range gs {
			if len(g.Weights) > 0 {
				out = append(out, g)
			}
		}
		return out
	}
	r, g := weighted(rf.Legacy), weighted(gf.Legacy)
	if len(r) != len(g) {
		t.Errorf("%s: %d layers with weights, Keras wrote %d", name, len(g), len(r))
		return
	}
	for i := range r {
		if r[i].Name != g[i].Name || len(r[i].Weights) != len(g[i].Weights) {
			t.Errorf("%s: layer %d is %q with %d weights, Keras wrote %q with %d", name, i, g[i].Name, len(g[i].Weights), r[i].Name, len(r[i].Weights))
			continue
		}
		for k, rw := range r[i].Weights {
			gw := g[i].Weights[k]
			if !sameTensor(rw.Value, gw.Value) {
				t.Errorf("%s: layer %q weight %d (%s): values differ from Keras's %s", name, r[i].Name, k, gw.Name, rw.Name)
			}
			if gw.Name != rw.Name && !(positionalNames && positionalRel(gw.Name)) {
				t.Errorf("%s: layer %q weight %d named %q, Keras %q", name, r[i].Name, k, gw.Name, rw.Name)
			}
		}
	}
	if len(gf.Legacy) != len(rf.Legacy) && len(gf.Legacy) != len(g) {
		t.Errorf("%s: %d layer groups, Keras wrote %d", name, len(gf.Legacy), len(rf.Legacy))
	}
}

// positionalRel: a name made from a Keras 3 file's index ("scale/2:0", "lstm/cell/0:0").
func positionalRel(name string) bool {
	s := stripIndex(name)
	i := strings.LastIndexByte(s, '/')
	return i >= 0 && len(s) > i+1 && s[i+1] >= '0' && s[i+1] <= '9'
}

func compareKeras3(t *testing.T, name, ref, got string) {
	rf, err := h5.ReadWeightsFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	gf, err := h5.ReadWeightsFile(got)
	if err != nil {
		t.Errorf("%s: read back: %v", name, err)
		return
	}
	var cmp func(p string, r, g *h5.Keras3Object)
	cmp = func(p string, r, g *h5.Keras3Object) {
		if r.Name != g.Name || r.HasVars != g.HasVars || len(r.Vars) != len(g.Vars) {
			t.Errorf("%s: %s: name %q, %d vars (group %v); Keras: %q, %d (%v)", name, p, g.Name, len(g.Vars), g.HasVars, r.Name, len(r.Vars), r.HasVars)
			return
		}
		for i := range r.Vars {
			if !sameTensor(r.Vars[i], g.Vars[i]) {
				t.Errorf("%s: %s/vars/%d differs from Keras's", name, p, i)
			}
		}
		var rk, gk []string
		for _, c := range r.Children {
			if c.Key != "optimizer" {
				rk = append(rk, c.Key)
			}
		}
		for _, c := range g.Children {
			gk = append(gk, c.Key)
		}
		if !reflect.DeepEqual(rk, gk) {
			t.Errorf("%s: %s: children %v, Keras %v", name, p, gk, rk)
			return
		}
		for _, k := range rk {
			cmp(p+"/"+k, r.Child(k), g.Child(k))
		}
	}
	cmp("", rf.Keras3, gf.Keras3)
}

func compareCheckpoint(t *testing.T, name, ref, got string) {
	rr, err := checkpoint.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	gr, err := checkpoint.Open(got)
	if err != nil {
		t.Errorf("%s: read back: %v", name, err)
		return
	}
	defer gr.Close()
	keys := func(r *checkpoint.Reader) []string {
		var out []string
		for _, k := range r.Keys() {
			if !strings.HasPrefix(k, "optimizer/") && k != checkpoint.ObjectGraphKey {
				out = append(out, k)
			}
		}
		return out
	}
	rk, gk := keys(rr), keys(gr)
	if !reflect.DeepEqual(rk, gk) {
		t.Errorf("%s: keys\n%v\nKeras wrote\n%v", name, gk, rk)
		return
	}
	for _, k := range rk {
		a, err := rr.Read(k)
		if err != nil {
			t.Fatal(err)
		}
		b, err := gr.Read(k)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !sameTensor(a, b) {
			t.Errorf("%s: %s differs from Keras's", name, k)
		}
	}
	if _, err := checkpoint.ReadState(filepath.Dir(got)); err != nil {
		t.Errorf("%s: state file: %v", name, err)
	}
}
