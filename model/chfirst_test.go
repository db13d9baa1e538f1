//go:build cgo

package model

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// The fixtures in testdata/chfirst/<case> (testdata/gen/chfirst.py) have 2-D convolution and
// pooling layers with data_format "channels_first", written by real tf_keras 2.21 and Keras
// 3.15 with both libraries' predictions.

func chFirstCases(t *testing.T) []string {
	t.Helper()
	var man struct {
		Cases map[string]json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal(readFile(t, "../testdata/chfirst/manifest.json"), &man); err != nil {
		t.Fatal(err)
	}
	names := sortedKeys(anyMap(man.Cases))
	if len(names) < 2 {
		t.Fatalf("%d cases", len(names))
	}
	return names
}

// TestChannelsFirstFixtures loads each case from tf_keras's model.h5 and Keras 3's model.keras:
// predictions within 1e-5 of that library's, summaries equal to Keras's text, configs written
// back in both dialects equal to Keras's; saved by Go as .h5, .keras and a SavedModel, each
// loads back with the same predictions.
func TestChannelsFirstFixtures(t *testing.T) {
	for _, name := range chFirstCases(t) {
		dir := filepath.Join("..", "testdata", "chfirst", name)
		t.Run(name, func(t *testing.T) {
			x := readNpy(t, filepath.Join(dir, "x.npy"))
			for _, f := range [][2]string{{"tfkeras/model.h5", "y.npy"}, {"keras3/model.keras", "y_keras3.npy"}} {
				m, err := Load(filepath.Join(dir, f[0]))
				if err != nil {
					t.Fatalf("%s: %v", f[0], err)
				}
				y, err := m.Predict(x)
				if err != nil {
					t.Fatalf("%s: %v", f[0], err)
				}
				if d := maxAbsDiff(t, y, readNpy(t, filepath.Join(dir, f[1]))); d > 1e-5 {
					t.Errorf("%s: max abs diff %g", f[0], d)
				}
				if f[1] == "y.npy" {
					assertTextEqual(t, "tf_keras summary", m.Summary(), string(readFile(t, filepath.Join(dir, "summary_keras2.txt"))))
				} else {
					assertTextEqual(t, "Keras 3 summary", m.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3.txt"))))
				}
				for _, out := range []string{"m.h5", "m.keras", "sm"} {
					p := filepath.Join(t.TempDir(), out)
					if err := m.Save(p); err != nil {
						t.Fatalf("%s -> %s: %v", f[0], out, err)
					}
					back, err := Load(p)
					if err != nil {
						t.Fatalf("%s -> %s: load: %v", f[0], out, err)
					}
					y2, err := back.Predict(x)
					if err != nil {
						t.Fatal(err)
					}
					if d := maxAbsDiff(t, y2, y); d != 0 {
						t.Errorf("%s -> %s: predictions differ by %g", f[0], out, d)
					}
				}
			}
			for _, src := range []string{"config_keras2.json", "config_keras2_to_json.json", "config_keras3.json"} {
				m, err := FromConfig(readFile(t, filepath.Join(dir, src)))
				if err != nil {
					t.Fatalf("%s: %v", src, err)
				}
				for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
					want := "config_keras2_to_json.json"
					if d == saved.Keras3 {
						want = "config_keras3.json"
					}
					got, err := m.Config(d)
					if err != nil {
						t.Fatal(err)
					}
					assertJSONEqual(t, src+" -> "+want, got, readFile(t, filepath.Join(dir, want)))
				}
				h5, err := m.h5Config(saved.Keras2)
				if err != nil {
					t.Fatal(err)
				}
				assertJSONEqual(t, src+" -> config_keras2.json", h5, readFile(t, filepath.Join(dir, "config_keras2.json")))
			}
		})
	}
}
