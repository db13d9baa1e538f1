package testref

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/npy"
)

type functionalIO struct {
	Name        string  `json:"name"`
	Shape       []int   `json:"shape"`
	File        string  `json:"file"`
	FileTFKeras *string `json:"file_tf_keras"`
	FileKeras3  string  `json:"file_keras3"`
}

type functionalCase struct {
	Kind      string            `json:"kind"`
	Supported map[string]bool   `json:"supported"`
	Inputs    []functionalIO    `json:"inputs"`
	Outputs   []functionalIO    `json:"outputs"`
	Classes   []string          `json:"layer_classes"`
	Files     map[string]string `json:"files"`
}

// TestFunctionalFixtures checks that testdata/functional (testdata/gen/functional.py) is complete
// and well-formed: the manifest names every case directory and nothing else, every file it lists
// exists and is of its format, the .npy inputs and outputs have the manifest's shapes, and the
// model cases hold every format.
func TestFunctionalFixtures(t *testing.T) {
	root := filepath.Join(RepoRoot(), "testdata", "functional")
	b, err := os.ReadFile(filepath.Join(root, "manifest.json"))
	if err != nil {
		t.Fatalf("functional fixtures missing (run testdata/gen/generate.py --only functional): %v", err)
	}
	var man struct {
		Cases map[string]functionalCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}

	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var dirs, names []string
	for _, e := range ents {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	for n := range man.Cases {
		names = append(names, n)
	}
	sort.Strings(names)
	if strings.Join(dirs, ",") != strings.Join(names, ",") {
		t.Fatalf("case directories %v != manifest cases %v", dirs, names)
	}
	for _, want := range []string{"two_branch_residual", "two_in_two_out", "nested_sequential",
		"sequential_in_functional", "shared_layer", "frozen_backbone", "layer_conv2d_groups",
		"layer_activation_hard_swish", "layer_upsampling2d_bilinear", "layer_dot_axes1_normalize"} {
		if _, ok := man.Cases[want]; !ok {
			t.Errorf("manifest has no case %q", want)
		}
	}

	full := []string{"tfkeras/model.h5", "tfkeras/weights.h5", "tfkeras/ckpt/weights.index",
		"tfkeras/savedmodel/saved_model.pb", "keras3/model.keras", "keras3/model.weights.h5", "keras3/legacy.h5",
		"observed.json"}
	for _, name := range names {
		c := man.Cases[name]
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			if len(c.Inputs) == 0 || len(c.Outputs) == 0 || len(c.Classes) == 0 {
				t.Fatalf("inputs %d, outputs %d, layer classes %d", len(c.Inputs), len(c.Outputs), len(c.Classes))
			}
			must := []string{"keras3/model.keras", "config_keras3.json", "summary_keras3.txt", "weights.json"}
			if c.Supported["tf_keras"] {
				must = append(must, "tfkeras/model.h5", "config_keras2.json", "config_keras2_to_json.json",
					"summary_keras2.txt")
			}
			if c.Kind == "model" {
				must = append(must, full...)
			}
			for _, f := range must {
				if _, ok := c.Files[f]; !ok {
					t.Errorf("manifest files of %s lack %s", name, f)
				}
			}
			for f, who := range c.Files {
				checkFixtureFile(t, filepath.Join(dir, filepath.FromSlash(f)), who)
			}
			for _, in := range c.Inputs {
				checkNpyShape(t, filepath.Join(dir, in.File), in.Shape)
			}
			for _, out := range c.Outputs {
				checkNpyShape(t, filepath.Join(dir, out.FileKeras3), out.Shape)
				if c.Supported["tf_keras"] {
					if out.FileTFKeras == nil {
						t.Errorf("output %s: no tf_keras file", out.Name)
						continue
					}
					checkNpyShape(t, filepath.Join(dir, *out.FileTFKeras), out.Shape)
				}
			}
		})
	}
}

func checkFixtureFile(t *testing.T, path, who string) {
	t.Helper()
	if who == "" {
		t.Errorf("%s: no writer recorded", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return
	}
	var magic []byte
	switch {
	case strings.HasSuffix(path, ".h5"):
		magic = []byte("\x89HDF\r\n\x1a\n")
	case strings.HasSuffix(path, ".keras"):
		magic = []byte("PK\x03\x04")
	case strings.HasSuffix(path, ".npy"):
		magic = []byte("\x93NUMPY")
	case strings.HasSuffix(path, ".json"):
		if !json.Valid(b) {
			t.Errorf("%s: not valid JSON", path)
		}
	}
	if !bytes.HasPrefix(b, magic) {
		t.Errorf("%s: does not start with %q", path, magic)
	}
	if len(b) == 0 && !strings.HasSuffix(path, "checkpoint") {
		t.Errorf("%s: empty", path)
	}
}

func checkNpyShape(t *testing.T, path string, shape []int) {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Error(err)
		return
	}
	if len(a.Shape) != len(shape)+1 || a.Shape[0] < 2 || a.Shape[0] > 4 {
		t.Errorf("%s: shape %v, want [batch 2..4] + %v", path, a.Shape, shape)
		return
	}
	for i, d := range shape {
		if a.Shape[i+1] != d {
			t.Errorf("%s: shape %v, want [batch] + %v", path, a.Shape, shape)
			return
		}
	}
}

// TestAppsCacheDirMatchesPython checks that Go and applications.py agree on the cache directory.
func TestAppsCacheDirMatchesPython(t *testing.T) {
	py := Python(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	want, err := AppsCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, filepath.Join(RepoRoot(), "testdata", "gen", "applications.py"), "--print-dir").Output()
	if err != nil {
		t.Fatalf("applications.py --print-dir: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("applications.py uses %s, Go %s", got, want)
	}
}

// TestAppsMobileCacheDirMatchesPython checks that Go and applications_mobile.py agree on the
// cache directory.
func TestAppsMobileCacheDirMatchesPython(t *testing.T) {
	py := Python(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	want, err := AppsMobileCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, filepath.Join(RepoRoot(), "testdata", "gen", "applications_mobile.py"), "--print-dir").Output()
	if err != nil {
		t.Fatalf("applications_mobile.py --print-dir: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("applications_mobile.py uses %s, Go %s", got, want)
	}
}
