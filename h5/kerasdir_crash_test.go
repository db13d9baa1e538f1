//go:build unix && cgo

package h5

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/crashtest"
	"github.com/kerasgo/kerasgo/saved"
)

// dirGenModel is genModel for Keras 3 with the model's name in its config set to "gen<N>", so
// that a config and weights of different saves are told apart.
func dirGenModel(t *testing.T, gen int) *saved.Model {
	m := genModel(saved.Keras3, gen)
	var cfg map[string]any
	if err := json.Unmarshal(m.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["config"].(map[string]any)["name"] = fmt.Sprintf("gen%d", gen)
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Config = b
	return m
}

// dirGeneration loads the unzipped model dir and returns which save wrote it, failing unless
// its weights, optimizer state and config are all that save's.
func dirGeneration(t *testing.T, dir string) int {
	t.Helper()
	got, err := LoadKeras(dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	gen := int(got.Optimizer.Iterations)
	var cfg struct {
		Config struct {
			Name string `json:"name"`
		} `json:"config"`
	}
	if err := json.Unmarshal(got.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("gen%d", gen); cfg.Config.Name != want {
		t.Fatalf("%s: config of %q beside generation %d's weights", dir, cfg.Config.Name, gen)
	}
	want := dirGenModel(t, gen)
	for i, l := range want.Layers {
		for j, w := range l.Weights {
			if !sameTensor(got.Layers[i].Weights[j].Value, w.Value) {
				t.Fatalf("%s: %s/%s is not generation %d's", dir, l.Name, w.Name, gen)
			}
		}
	}
	return gen
}

// TestKerasDirCrashChild is the child process of TestKerasDirCrashEveryStep.
func TestKerasDirCrashChild(t *testing.T) {
	arg, ok := crashtest.Child()
	if !ok {
		t.Skip("child process of TestKerasDirCrashEveryStep")
	}
	mode, dir, _ := strings.Cut(arg, "|")
	kerasDirNoExchange = mode == "renames"
	crashtest.Done(SaveKerasDir(dir, dirGenModel(t, 2)))
}

// TestKerasDirCrashEveryStep kills a save over an existing unzipped Keras 3 model directory
// (which also holds a user's file) at every step, with the atomic exchange and with two
// renames, and checks: the directory, when present, is the old or the new model whole (config
// and weights of one save; with the exchange it is always present); a load (which recovers)
// gives the old or the new model and leaves nothing beside the directory; the user's file is
// still there; the next save succeeds.
func TestKerasDirCrashEveryStep(t *testing.T) {
	for _, mode := range []string{"exchange", "renames"} {
		t.Run(mode, func(t *testing.T) {
			setup := func() (string, string) {
				parent := t.TempDir()
				dir := filepath.Join(parent, "model")
				if err := SaveKerasDir(dir, dirGenModel(t, 1)); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
					t.Fatal(err)
				}
				return parent, dir
			}
			_, dir := setup()
			full := crashtest.Run(t, "TestKerasDirCrashChild", 0, mode+"|"+dir)
			t.Logf("a save takes %d steps: %s", len(full.Steps), strings.Join(full.Steps, ", "))
			if g := dirGeneration(t, dir); g != 2 {
				t.Fatalf("an uninterrupted save left generation %d", g)
			}
			seen := map[int]bool{}
			for at := 1; at <= len(full.Steps); at++ {
				parent, dir := setup()
				res := crashtest.Run(t, "TestKerasDirCrashChild", at, mode+"|"+dir)
				if !res.Killed {
					t.Fatalf("step %d: the child was not killed", at)
				}
				where := fmt.Sprintf("killed at step %d (%s)", at, res.Steps[len(res.Steps)-1])
				t.Run(strconv.Itoa(at), func(t *testing.T) {
					if _, err := os.Stat(dir); err != nil && mode == "exchange" {
						t.Errorf("%s: the directory is missing: %v", where, err)
					}
					seen[dirGeneration(t, dir)] = true
					if ents, _ := os.ReadDir(parent); len(ents) != 1 {
						var ns []string
						for _, e := range ents {
							ns = append(ns, e.Name())
						}
						t.Errorf("%s: after a load the parent holds %v", where, ns)
					}
					if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(b) != "mine" {
						t.Errorf("%s: the user's file: %q, %v", where, b, err)
					}
					if err := SaveKerasDir(dir, dirGenModel(t, 3)); err != nil {
						t.Fatalf("%s: next save: %v", where, err)
					}
					if g := dirGeneration(t, dir); g != 3 {
						t.Errorf("%s: next save left generation %d", where, g)
					}
				})
			}
			if !seen[1] || !seen[2] {
				t.Errorf("crashes left generations %v: want some old and some new", seen)
			}
		})
	}
}

// TestKerasDirRefusesFolders: a folder inside an existing unzipped model directory is not
// carried into the new one, so the save is refused naming it, and nothing changes.
func TestKerasDirRefusesFolders(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "model")
	if err := SaveKerasDir(dir, dirGenModel(t, 1)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "mine"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := SaveKerasDir(dir, dirGenModel(t, 2))
	if err == nil || !strings.Contains(err.Error(), `"mine"`) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("save over a directory holding a folder: %v", err)
	}
	if g := dirGeneration(t, dir); g != 1 {
		t.Errorf("the refused save left generation %d", g)
	}
	ents, _ := os.ReadDir(dir)
	var ns []string
	for _, e := range ents {
		ns = append(ns, e.Name())
	}
	if want := []string{memberConfig, memberMetadata, "mine", memberWeights}; !slices.Equal(ns, want) {
		t.Errorf("directory holds %v, want %v", ns, want)
	}
}
