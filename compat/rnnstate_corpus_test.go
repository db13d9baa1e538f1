package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestFrugallyDeepLSTMPredict loads the third-party corpus file frugally-deep/lstm.h5 (Keras
// 2.2.5: five inputs, LSTMs with return_state, an LSTM given initial states from two inputs,
// Bidirectional LSTMs, seventeen outputs) in Go and in tf_keras and runs both on the same
// random inputs (64 steps where the input's time axis is None): every output must agree
// within 1e-5, and the summaries too.
func TestFrugallyDeepLSTMPredict(t *testing.T) {
	python(t)
	corpus := os.Getenv("KERASGO_FIXTURES")
	if corpus == "" {
		corpus = filepath.Join(repoRoot(), "..", "shared", "fixtures")
	}
	src := filepath.Join(corpus, "frugally-deep", "lstm.h5")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("third-party corpus not found (set KERASGO_FIXTURES): %v", err)
	}
	m, err := model.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rng := layers.NewRand(31)
	var xs []*tensor.Tensor
	var xfiles []string
	for i, in := range m.Inputs() {
		shape := append([]int{3}, in.Shape()...) // a None time axis: its probe size, 64
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for j := range v {
			v[j] = rng.Uniform(-1, 1)
		}
		x := tensor.MustFromFloat32(shape, v)
		p := filepath.Join(out, fmt.Sprintf("x%d.npy", i))
		writeNpy(t, p, x)
		xs = append(xs, x)
		xfiles = append(xfiles, p)
	}
	ys, err := m.PredictN(xs)
	if err != nil {
		t.Fatal(err)
	}
	if len(ys) != 17 {
		t.Fatalf("%d outputs, want 17", len(ys))
	}
	spec := []map[string]any{{"id": "fdeep", "kind": "h5", "file": src, "fixture": src, "xs": xfiles, "out": filepath.Join(out, "fdeep")}}
	b, _ := json.Marshal(spec)
	cases := filepath.Join(out, "cases.json")
	if err := os.WriteFile(cases, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var done []struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	}
	runPythonJSON(t, &done, "rnnstate_files.py", cases)
	if len(done) != 1 {
		t.Fatalf("python loaded %d files", len(done))
	}
	if s := m.Summary(); s != done[0].Summary {
		t.Errorf("tf_keras's summary:\n%s\nGo's:\n%s", done[0].Summary, s)
	}
	worst := 0.0
	for i, y := range ys {
		got, err := npy.ReadFile(filepath.Join(out, fmt.Sprintf("fdeep_%d.npy", i)))
		if err != nil {
			t.Fatal(err)
		}
		g, w := got.Float32s(), y.Float32s()
		if len(g) != len(w) {
			t.Fatalf("output %d: tf_keras %v, go %v", i, got.Shape, y.Shape)
		}
		for j := range w {
			d := math.Abs(float64(g[j]) - float64(w[j]))
			worst = max(worst, d)
			if d > 1e-5 {
				t.Errorf("output %d [%d]: tf_keras %v, go %v", i, j, g[j], w[j])
				break
			}
		}
	}
	t.Logf("17 outputs: worst max |tf_keras - go| %.2g", worst)
}
