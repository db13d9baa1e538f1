package compat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/model"
)

// TestNestedSavedModel saves each nested-model fixture (a Sequential or Functional model used
// as a layer: testdata/functional's nested_sequential, sequential_in_functional and
// frozen_backbone, and every case of testdata/nested), read in Go from tf_keras's fitted
// model.h5, as a SavedModel. The real saved_model_cli shows its serving_default signature;
// tf_keras load_model revives it with the class of the .h5's model, predicting as the .h5
// does, with the Adam state (iterations and every slot) equal to the .h5's; and one
// train_on_batch step from each gives the same weights.
func TestNestedSavedModel(t *testing.T) {
	python(t)
	type c struct{ id, dir string }
	cases := []c{{"nested_sequential", "functional"}, {"sequential_in_functional", "functional"}, {"frozen_backbone", "functional"}}
	_, nested := readManifest[json.RawMessage](t, filepath.Join(repoRoot(), "testdata", "nested"), 1)
	for _, k := range nested {
		cases = append(cases, c{k, "nested"})
	}
	if len(cases) < 7 {
		t.Fatalf("%d cases", len(cases))
	}
	out := t.TempDir()
	var spec []map[string]any
	wantClass := map[string]string{}
	for _, cs := range cases {
		dir := filepath.Join(repoRoot(), "testdata", cs.dir, cs.id)
		ref := filepath.Join(dir, "tfkeras", "model.h5")
		m, err := model.Load(ref)
		if err != nil {
			t.Fatalf("%s: %v", cs.id, err)
		}
		wantClass[cs.id] = "Sequential"
		if m.Functional() {
			wantClass[cs.id] = "Functional"
		}
		sm := filepath.Join(out, cs.id)
		if err := m.Save(sm); err != nil {
			t.Fatalf("%s: save: %v", cs.id, err)
		}
		spec = append(spec, map[string]any{"id": cs.id, "dir": sm, "ref": ref, "x": filepath.Join(dir, "x0.npy")})
	}
	b, _ := json.Marshal(spec)
	cf := filepath.Join(out, "cases.json")
	if err := os.WriteFile(cf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var res []struct {
		ID          string  `json:"id"`
		CLIRc       int     `json:"cli_rc"`
		CLI         string  `json:"cli"`
		Class       string  `json:"class"`
		PredictDiff float64 `json:"predict_diff"`
		OptNames    bool    `json:"optimizer_names_equal"`
		OptDiff     float64 `json:"optimizer_max_diff"`
		Iterations  []int   `json:"iterations"`
		StepDiff    float64 `json:"step_max_diff"`
		Weights     int     `json:"weights"`
	}
	runPythonJSON(t, &res, "nested_savedmodel.py", cf)
	if len(res) != len(spec) {
		t.Fatalf("%d results for %d cases", len(res), len(spec))
	}
	for _, r := range res {
		if r.CLIRc != 0 || !strings.Contains(r.CLI, "signature_def['serving_default']") || !strings.Contains(r.CLI, "dtype: DT_FLOAT") {
			t.Errorf("%s: saved_model_cli show --all (exit %d):\n%s", r.ID, r.CLIRc, tail(r.CLI, 20))
		}
		if r.Class != wantClass[r.ID] {
			t.Errorf("%s: tf_keras revived a %s, want %s", r.ID, r.Class, wantClass[r.ID])
		}
		if r.PredictDiff != 0 {
			t.Errorf("%s: predictions differ from the .h5's by %g", r.ID, r.PredictDiff)
		}
		if !r.OptNames || r.OptDiff != 0 || len(r.Iterations) != 2 || r.Iterations[0] != r.Iterations[1] || r.Iterations[0] == 0 {
			t.Errorf("%s: optimizer state: names equal %v, max diff %g, iterations %v", r.ID, r.OptNames, r.OptDiff, r.Iterations)
		}
		if r.StepDiff != 0 || r.Weights == 0 {
			t.Errorf("%s: one step from Go's SavedModel and from the .h5 differ by %g (%d weights)", r.ID, r.StepDiff, r.Weights)
		}
		t.Logf("%s: %s, iterations %v, %d weights equal after one step", r.ID, r.Class, r.Iterations, r.Weights)
	}
}
