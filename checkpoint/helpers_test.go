package checkpoint

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/kerasgo/kerasgo/internal/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// repoRoot is the repository root.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// fixturesDir returns the shared third-party corpus, or skips.
func fixturesDir(t testing.TB) string {
	d := os.Getenv("KERASGO_FIXTURES")
	if d == "" {
		d = filepath.Join(repoRoot(), "..", "shared", "fixtures")
	}
	if _, err := os.Stat(d); err != nil {
		t.Skipf("third-party corpus not found at %s (set KERASGO_FIXTURES): %v", d, err)
	}
	return d
}

// weightsJSON is the generator's weights.json layout.
type weightsJSON struct {
	Layers []struct {
		Name    string `json:"name"`
		Class   string `json:"class"`
		Weights []struct {
			Name      string `json:"name"`
			Trainable bool   `json:"trainable"`
			File      string `json:"file"`
		} `json:"weights"`
	} `json:"layers"`
}

// loadWeightsJSON builds a saved.Model (layers and weights only) from a generator fixture dir
// holding weights.json and w/*.npy.
func loadWeightsJSON(t testing.TB, dir string) *saved.Model {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "weights.json"))
	if err != nil {
		t.Skipf("fixture missing: %v", err)
	}
	var wj weightsJSON
	if err := json.Unmarshal(b, &wj); err != nil {
		t.Fatal(err)
	}
	m := &saved.Model{}
	for _, l := range wj.Layers {
		sl := saved.Layer{Name: l.Name, Class: l.Class}
		for _, w := range l.Weights {
			v, err := npy.ReadFile(filepath.Join(dir, w.File))
			if err != nil {
				t.Fatal(err)
			}
			sl.Weights = append(sl.Weights, saved.Variable{Name: w.Name, Trainable: w.Trainable, Value: v})
		}
		m.Layers = append(m.Layers, sl)
	}
	return m
}

func sameTensor(a, b *tensor.Tensor) bool {
	if a.DType != b.DType || !tensor.SameShape(a.Shape, b.Shape) {
		return false
	}
	switch x := a.Data.(type) {
	case []float32:
		y := b.Data.([]float32)
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Data, b.Data)
}
