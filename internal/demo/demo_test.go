package demo

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/model"
)

// TestRunSmall runs the workflow on a small synthetic set: every format either reloads with
// the same test accuracy and summary, or is reported as not available yet.
func TestRunSmall(t *testing.T) {
	var out bytes.Buffer
	rs, err := RunResults(&out, Options{OutDir: t.TempDir(), Epochs: 2, BatchSize: 128, TrainSize: 512, TestSize: 256, Verbose: model.VerboseLine})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(rs) != 1+len(formats) {
		t.Fatalf("%d rows", len(rs))
	}
	ok := 0
	for _, r := range rs[1:] {
		switch r.Status {
		case "ok":
			ok++
			if r.Accuracy != rs[0].Accuracy || !r.SameSummary {
				t.Errorf("%s: accuracy %v (trained %v), same summary %v", r.Format, r.Accuracy, rs[0].Accuracy, r.SameSummary)
			}
		case "not available yet":
		default:
			t.Errorf("%s: %s", r.Format, r.Status)
		}
	}
	t.Logf("%d of %d formats reloaded identically", ok, len(formats))
	for _, want := range []string{"Epoch 2/2", "conv_1 (Conv2D)", "summary identical"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
