//go:build unix

package compat

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/crashtest"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/savedmodel"
)

// durableModel is the seed fixture with every weight shifted by gen.
func durableModel(t *testing.T, gen int) *saved.Model {
	m := withGraphs(t, smFixture(t, "seed"))
	for _, l := range m.Layers {
		for _, w := range l.Weights {
			d := w.Value.Data.([]float32)
			for i := range d {
				d[i] += float32(gen)
			}
		}
	}
	return m
}

func durableSave(t *testing.T, kind, path string, gen int) error {
	if kind == "checkpoint" {
		return checkpoint.SaveKerasWeights(path, durableModel(t, gen))
	}
	return savedmodel.Save(path, durableModel(t, gen))
}

// TestDurableChild is the child process of TestInterruptedSavesLoadInTF.
func TestDurableChild(t *testing.T) {
	arg, ok := crashtest.Child()
	if !ok {
		t.Skip("child process of TestInterruptedSavesLoadInTF")
	}
	kind, path, _ := strings.Cut(arg, "|")
	crashtest.Done(durableSave(t, kind, path, 2))
}

// TestInterruptedSavesLoadInTF kills a checkpoint save (tf_keras save_weights layout) and a
// SavedModel save over an existing one at every step, and has TensorFlow itself, with no
// kerasgo recovery, read what is left: tf.train.latest_checkpoint of the folder always gives a
// whole checkpoint, old or new; the prefix is the old or the new bundle or has no index (never
// an index beside another save's data); the SavedModel directory always loads, old or new.
func TestInterruptedSavesLoadInTF(t *testing.T) {
	python(t)
	const key = "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"
	base := smFixture(t, "seed").Layers[0].Weights[0].Value.Data.([]float32)[0]
	type job struct {
		Kind string `json:"kind"`
		Path string `json:"path"`
		Key  string `json:"key"`
		at   int
		step string
	}
	var jobs []job
	for _, kind := range []string{"checkpoint", "savedmodel"} {
		setup := func() string {
			p := filepath.Join(t.TempDir(), "ckpt", "w")
			if kind == "savedmodel" {
				p = filepath.Join(t.TempDir(), "sm")
			}
			if err := durableSave(t, kind, p, 1); err != nil {
				t.Fatal(err)
			}
			return p
		}
		full := crashtest.Run(t, "TestDurableChild", 0, kind+"|"+setup())
		for at := 1; at <= len(full.Steps); at++ {
			p := setup()
			res := crashtest.Run(t, "TestDurableChild", at, kind+"|"+p)
			if !res.Killed {
				t.Fatalf("%s step %d: the child was not killed", kind, at)
			}
			jobs = append(jobs, job{kind, p, key, at, res.Steps[at-1]})
		}
	}
	b, _ := json.Marshal(jobs)
	jf := filepath.Join(t.TempDir(), "jobs.json")
	if err := os.WriteFile(jf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var got []map[string]struct {
		First  *float64 `json:"first"`
		Error  string   `json:"error"`
		Absent bool     `json:"absent"`
	}
	runPythonJSON(t, &got, "durable_check.py", jf)
	if len(got) != len(jobs) {
		t.Fatalf("%d results for %d jobs", len(got), len(jobs))
	}
	seen := map[string]map[int]bool{}
	for i, j := range jobs {
		where := fmt.Sprintf("%s killed at step %d (%s)", j.Kind, j.at, j.step)
		for view, r := range got[i] {
			switch {
			case r.Absent && view == "prefix":
				// no index: TensorFlow says not found, kerasgo's next load finishes the save
			case r.Absent:
				t.Errorf("%s: %s: missing", where, view)
			case r.Error != "":
				t.Errorf("%s: %s: TensorFlow: %s", where, view, r.Error)
			case r.First == nil:
				t.Errorf("%s: %s: no value", where, view)
			default:
				gen := int(float32(*r.First) - base + 0.5)
				if gen != 1 && gen != 2 || float32(*r.First) != base+float32(gen) {
					t.Errorf("%s: %s: first kernel value %v, neither save's", where, view, *r.First)
					continue
				}
				if seen[j.Kind+" "+view] == nil {
					seen[j.Kind+" "+view] = map[int]bool{}
				}
				seen[j.Kind+" "+view][gen] = true
			}
		}
	}
	for _, v := range []string{"checkpoint latest", "checkpoint prefix", "savedmodel savedmodel"} {
		if !seen[v][1] || !seen[v][2] {
			t.Errorf("%s: generations seen %v, want the old and the new", v, seen[v])
		}
	}
}
