//go:build cgo

package h5

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditVerifyFixtures: for every HDF5 and .keras file of testdata/verify, Audit lists
// exactly the datasets h5py lists (manifest.json), and Load reads every variable: those of a
// Keras 3 LSTM's cell (layers/lstm/cell/vars, the class facts' WeightObject) as the LSTM's
// kernel, recurrent_kernel and bias, those of nested models as their Children.
func TestAuditVerifyFixtures(t *testing.T) {
	dir := filepath.Join("..", "testdata", "verify")
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatalf("testdata/verify missing: %v", err)
	}
	var man struct {
		Files []struct {
			Path  string   `json:"path"`
			Names []string `json:"names"`
		} `json:"files"`
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range man.Files {
		if !strings.HasSuffix(f.Path, ".h5") && !strings.HasSuffix(f.Path, ".keras") {
			continue
		}
		n++
		p := filepath.Join(dir, f.Path)
		a, err := Audit(p)
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		var got []string
		for _, v := range a.Vars {
			got = append(got, v.Path)
		}
		if strings.Join(got, ",") != strings.Join(f.Names, ",") {
			t.Errorf("%s: Audit lists %v, h5py %v", f.Path, got, f.Names)
		}
		nested := strings.Contains(f.Path, "nested_")
		if nested {
			// Nested models: every weight read; from Keras 3 files the nested model's layers
			// as Children.
			if a.LoadErr != nil || a.Model == nil || len(a.Unread) != 0 {
				t.Fatalf("%s: LoadErr %v, unread %v", f.Path, a.LoadErr, a.Unread)
			}
			var kids int
			for _, l := range a.Model.Layers {
				kids += len(l.Children)
			}
			if strings.Contains(f.Path, "keras3") && kids != 2 { // tf_keras .h5: flat weights
				t.Errorf("%s: %d nested layers read, want 2", f.Path, kids)
			}
		} else if strings.Contains(f.Path, "keras3") {
			if a.LoadErr != nil || a.Model == nil || len(a.Unread) != 0 {
				t.Fatalf("%s: LoadErr %v, unread %v", f.Path, a.LoadErr, a.Unread)
			}
			var names []string
			for _, l := range a.Model.Layers {
				for _, w := range l.Weights {
					names = append(names, fmt.Sprintf("%s/%s%v", l.Name, w.Name, w.Value.Shape))
				}
			}
			want := "lstm/kernel[4 8],lstm/recurrent_kernel[2 8],lstm/bias[8],dense/kernel[2 1],dense/bias[1]"
			if got := strings.Join(names, ","); got != want {
				t.Errorf("%s: read %s, want %s", f.Path, got, want)
			}
		} else if a.LoadErr != nil || a.Model == nil || len(a.Unread) != 0 {
			t.Errorf("%s: tf_keras file: LoadErr %v, unread %v", f.Path, a.LoadErr, a.Unread)
		}
	}
	if n != 8 {
		t.Fatalf("%d HDF5 files in the manifest, want 8", n)
	}
}
