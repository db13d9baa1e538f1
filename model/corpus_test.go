package model

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// corpusRoot returns the third-party corpus (../shared/fixtures next to the repository, or
// $KERASGO_FIXTURES), skipping the test when it is absent.
func corpusRoot(t *testing.T) string {
	t.Helper()
	root := os.Getenv("KERASGO_FIXTURES")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "fixtures")
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("third-party corpus not found at %s (set KERASGO_FIXTURES): %v", root, err)
	}
	return root
}

// TestCorpusConfigs parses every model config stored as a plain JSON file in the third-party
// corpus (written by real Keras: kotlindl's tf.keras 2.2 Functional model.to_json(), IDAES's
// Keras 3.2 Sequential to_json()). Each must either give a built model or fail with an
// ErrUnsupported error that names what is unsupported.
func TestCorpusConfigs(t *testing.T) {
	root := corpusRoot(t)
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no .json files in the corpus")
	}
	// What each file must give: "" for a model, or text the error must contain.
	want := map[string]string{
		"kotlindl/toyresnet/modelConfig.json": `model class "Model"`,
		"idaes/PT_data_2_10_10_2_relu.json":   "",
	}
	seen := 0
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		rel = filepath.ToSlash(rel)
		m, err := FromConfig(readFile(t, f))
		if w, ok := want[rel]; ok {
			seen++
			if w == "" && err != nil {
				t.Errorf("%s: %v", rel, err)
			}
			if w != "" && (err == nil || !strings.Contains(err.Error(), w)) {
				t.Errorf("%s: err = %v, want one containing %s", rel, err, w)
			}
		}
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: %v is not ErrUnsupported", rel, err)
			}
			t.Logf("%s: %v", rel, err)
			continue
		}
		if !m.Built() || len(m.Layers()) == 0 {
			t.Errorf("%s: model not built (%d layers)", rel, len(m.Layers()))
		}
		t.Logf("%s: %d layers, input %v, output %v, warnings %q", rel, len(m.Layers()), m.InputShape(), m.OutputShape(), m.Warnings())
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d expected corpus files", seen, len(want))
	}
}

// TestCorpusIDAESConfig checks the Keras 3.2 config in detail: names, shapes, activations.
func TestCorpusIDAESConfig(t *testing.T) {
	root := corpusRoot(t)
	m, err := FromConfig(readFile(t, filepath.Join(root, "idaes", "PT_data_2_10_10_2_relu.json")))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range m.Layers() {
		d := l.(*layers.Dense)
		out, _ := l.OutputShape(l.InputShape())
		got = append(got, l.Name()+" "+d.Activation()+" "+shapeString(-1, out))
	}
	want := "dense_9 relu (None, 10)|dense_10 relu (None, 10)|dense_11 linear (None, 2)"
	if d := ConfigDialect(readFile(t, filepath.Join(root, "idaes", "PT_data_2_10_10_2_relu.json"))); d != saved.Keras3 {
		t.Errorf("dialect %v", d)
	}
	if strings.Join(got, "|") != want || m.Name() != "PT_data_2_10_10_2_relu" || shapeString(-1, m.InputShape()) != "(None, 2)" {
		t.Errorf("got %q %s %v", got, m.Name(), m.InputShape())
	}
}
