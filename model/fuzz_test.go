package model

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// FuzzFromConfig feeds mutated Keras configs to FromConfig: it must never panic, and a
// config it accepts must write configs it accepts again.
func FuzzFromConfig(f *testing.F) {
	for _, g := range []string{"*/config_keras2.json", "*/config_keras3.json", "*/config_keras3_compiled.json"} {
		files, _ := filepath.Glob(filepath.Join(fixtureRoot, g))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"units": 2, "batch_input_shape": [null, 3]}}]}`))
	f.Add([]byte(emptyDeclaredShape))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := FromConfig(data, LoadOptions{MaxParams: 1 << 20})
		if err != nil {
			return
		}
		_ = m.Summary()
		_ = m.SummaryKeras3()
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			b, err := m.Config(d)
			if err != nil {
				continue
			}
			if _, err := FromConfig(b); err != nil {
				t.Fatalf("config written in %v does not read back: %v\n%s", d, err, b)
			}
		}
	})
}

// emptyDeclaredShape once panicked (slicing an empty batch_input_shape); found by review.
const emptyDeclaredShape = `{"class_name":"Sequential","config":{"name":"s","layers":[{"class_name":"InputLayer","config":{"batch_input_shape":[null,3],"name":"in"}},{"class_name":"Dense","config":{"units":2,"batch_input_shape":[]}}]}}`

func TestFromConfigEmptyDeclaredShape(t *testing.T) {
	for _, c := range []string{
		emptyDeclaredShape,
		`{"class_name":"Sequential","config":{"name":"s","layers":[{"class_name":"Dense","config":{"units":2,"batch_input_shape":[]}}]}}`,
		`{"class_name":"Sequential","config":{"name":"s","layers":[{"class_name":"Dense","config":{"units":2,"batch_shape":[]}}]}}`,
	} {
		if _, err := FromConfig([]byte(c)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", c, err)
		}
	}
}
