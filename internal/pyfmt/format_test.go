package pyfmt

import (
	"encoding/json"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
)

type formatCase struct {
	Tmpl  string             `json:"tmpl"`
	Epoch int                `json:"epoch"`
	Batch *int               `json:"batch"`
	Logs  map[string]float64 `json:"logs"`
}

// TestFormatMatchesPython: ModelCheckpoint templates are filled as Python's str.format
// fills them (Keras calls filepath.format(epoch=..., **logs)).
func TestFormatMatchesPython(t *testing.T) {
	logs := map[string]float64{"loss": 0.123456789, "val_loss": 1.0049999, "accuracy": 0.5, "val_accuracy": 0.98765, "big": 1234567.891, "tiny": 0.00001234, "neg": -2.5}
	b := 7
	var cases []formatCase
	for _, tmpl := range []string{
		"weights.{epoch:02d}-{val_loss:.2f}.h5",
		"model-{epoch}-{loss}.keras",
		"ck/{epoch:03d}_{batch:05d}/w",
		"{{literal}}-{epoch:>4}-{accuracy:.1%}",
		"{val_accuracy:.3e}_{tiny:g}_{big:g}_{big:,.1f}_{neg:+.2f}_{epoch:x}",
		"{loss:10.4f}|{loss:<10.3f}|{loss:^12.2f}|{neg:08.3f}|{epoch:*^7d}",
		"{tiny}_{big}_{accuracy}_{val_loss:.4}_{loss:.3g}_{epoch:+d}",
	} {
		cases = append(cases, formatCase{Tmpl: tmpl, Epoch: 4, Batch: &b, Logs: logs})
	}
	got := make([]string, len(cases))
	for i, c := range cases {
		ints := map[string]int{"epoch": c.Epoch}
		if c.Batch != nil {
			ints["batch"] = *c.Batch
		}
		s, err := Format(c.Tmpl, ints, c.Logs)
		if err != nil {
			t.Fatalf("%q: %v", c.Tmpl, err)
		}
		got[i] = s
	}
	// Errors Python also raises.
	for _, bad := range []string{"{missing}", "{epoch", "x}", "{val_loss:d}", "{epoch:.2d}"} {
		if _, err := Format(bad, map[string]int{"epoch": 1}, logs); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	py := testref.Python(t)
	out := testref.RunPy(t, py, `
import json, sys
cases = json.load(sys.stdin)
res = []
for c in cases:
    kw = dict(c["logs"]); kw["epoch"] = c["epoch"]
    if c["batch"] is not None: kw["batch"] = c["batch"]
    res.append(c["tmpl"].format(**kw))
print(json.dumps(res))
`, cases)
	var want []string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i := range cases {
		if got[i] != want[i] {
			t.Errorf("%q:\n got %q\nwant %q (Python)", cases[i].Tmpl, got[i], want[i])
		}
	}
}
