package compat

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/kerasgo/kerasgo/model"
)

// TestCSVLoggerMatchesKeras: the CSV files Go's CSVLogger writes are byte for byte the files
// Keras 3's and tf_keras's own CSVLogger write when given the same epochs and logs (Go's
// values): with and without validation (NA columns), appending over several fits to a new, an
// empty and a non-empty file, and other separators.
func TestCSVLoggerMatchesKeras(t *testing.T) {
	python(t)
	work := t.TempDir()
	type fitSpec struct {
		from, to int
		val      bool
	}
	cases := []struct {
		name     string
		sep      string
		append   bool
		existing []byte // nil: no file before the first fit
		fits     []fitSpec
	}{
		{"val", "", false, nil, []fitSpec{{0, 3, true}}},
		{"noval", "", false, nil, []fitSpec{{0, 2, false}}},
		{"replace", "", false, []byte("old,contents\r\n"), []fitSpec{{0, 2, true}, {2, 3, true}}},
		{"append_new", "", true, nil, []fitSpec{{0, 2, true}, {2, 4, true}}},
		{"append_empty", "", true, []byte{}, []fitSpec{{0, 2, false}}},
		{"append_existing", "", true, []byte("epoch,loss\r\n0,1.5\r\n"), []fitSpec{{0, 2, true}}},
		{"semicolon", ";", false, nil, []fitSpec{{0, 2, true}}},
		{"tab_append", "\t", true, nil, []fitSpec{{0, 1, false}, {1, 2, true}}},
	}
	var specs []map[string]any
	goFiles := map[string][]byte{}
	for _, c := range cases {
		m, x, y, val := tbModel(t)
		path := filepath.Join(work, "go_"+c.name+".csv")
		var existing any
		if c.existing != nil {
			if err := os.WriteFile(path, c.existing, 0o644); err != nil {
				t.Fatal(err)
			}
			existing = hex.EncodeToString(c.existing)
		}
		var fits [][]any
		for _, f := range c.fits {
			rec := &callRecorder{}
			o := model.FitOptions{InitialEpoch: f.from, Epochs: f.to, BatchSize: 8, NoShuffle: true,
				Callbacks: []model.Callback{&model.CSVLogger{Filename: path, Separator: c.sep, Append: c.append}, rec}}
			if f.val {
				o.ValidationData = val
			}
			if _, err := m.Fit(x, y, o); err != nil {
				t.Fatal(err)
			}
			var epochs []any
			for _, call := range rec.calls {
				if call["ev"] == "epoch_end" {
					logs := call["logs"].(map[string]float64)
					keys := make([]string, 0, len(logs))
					for k := range logs {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					var pairs [][]any
					for _, k := range keys {
						pairs = append(pairs, []any{k, logs[k]})
					}
					epochs = append(epochs, []any{call["epoch"], pairs})
				}
			}
			fits = append(fits, epochs)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		goFiles[c.name] = b
		sep := c.sep
		if sep == "" {
			sep = ","
		}
		for _, lib := range []string{"keras", "tf_keras"} {
			specs = append(specs, map[string]any{"name": lib + "_" + c.name, "lib": lib, "separator": sep, "append": c.append, "existing": existing, "fits": fits})
		}
	}
	var got struct {
		CSV map[string]string `json:"csv"`
	}
	replay(t, work, map[string]any{"csv": specs}, &got)
	for _, c := range cases {
		for _, lib := range []string{"keras", "tf_keras"} {
			kb, err := hex.DecodeString(got.CSV[lib+"_"+c.name])
			if err != nil || len(kb) == 0 {
				t.Fatalf("%s %s: no file from Python (%v)", lib, c.name, err)
			}
			if string(kb) != string(goFiles[c.name]) {
				t.Errorf("%s %s:\n Go    %q\n Keras %q", lib, c.name, goFiles[c.name], kb)
			} else {
				t.Logf("%s %s: %d bytes identical", lib, c.name, len(kb))
			}
		}
	}
}
