//go:build cgo

package model

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/savedmodel"
)

// TestFunctionalSavedModelBadWiring gives the SavedModel writer the shared_layer fixture with
// its config's wiring broken in one place at a time: each save must fail with an error of the
// right category naming what is wrong, and write nothing.
func TestFunctionalSavedModelBadWiring(t *testing.T) {
	m, err := Load(filepath.Join(functionalRoot, "shared_layer", "tfkeras", "model.h5"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := m.toSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.layerGraphs(base, true); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new string
		want           error
		msg            string
	}{
		{"unknown layer", `[["left", 0, 0, {}]]`, `[["nowhere", 0, 0, {}]]`, savedmodel.ErrFormat, `unknown layer "nowhere"`},
		{"second output", `[["sum", 0, 0, {}]`, `[["sum", 0, 1, {}]`, savedmodel.ErrFormat, `layer "sum" has no output 1`},
		{"input second output", `[["left", 0, 0, {}]`, `[["left", 0, 1, {}]`, savedmodel.ErrUnsupported, "only the first output of an input"},
		{"shape", `[["sum", 0, 0, {}], ["mean", 0, 0, {}]]`, `[["sum", 0, 0, {}], ["left", 0, 0, {}]]`, savedmodel.ErrFormat, `layer "concat"`},
		{"missing node", `["shared", 1, 0, {}]]]`, `["shared", 2, 0, {}]]]`, savedmodel.ErrFormat, `node 2 of "shared"`},
		{"inputs", `"input_layers": [["left", 0, 0], ["right", 0, 0]]`, `"input_layers": [["left", 0, 0], ["sum", 0, 0]]`, savedmodel.ErrFormat, `"sum" is not an InputLayer`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal(base.Config, &v); err != nil {
				t.Fatal(err)
			}
			cfg, _ := json.Marshal(v) // canonical spacing: ", " is what the cases match
			text := strings.ReplaceAll(strings.ReplaceAll(string(cfg), ",", ", "), ":", ": ")
			if !strings.Contains(text, c.old) {
				t.Fatalf("config has no %s", c.old)
			}
			sm := *base
			sm.Config = json.RawMessage(strings.Replace(text, c.old, c.new, 1))
			dir := filepath.Join(t.TempDir(), "sm")
			err := savedmodel.Save(dir, &sm)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want %v naming %s", err, c.want, c.msg)
			}
			if f, _, err := Detect(dir); err == nil || f != FormatUnknown {
				t.Errorf("a failed save left a directory (%v)", f)
			}
		})
	}
}
