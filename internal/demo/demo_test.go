package demo

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/tfevents"
	"github.com/kerasgo/kerasgo/model"
)

// TestRunSmall runs the workflow on a small synthetic set: every format either reloads with
// the same test accuracy and summary, or is reported as not available yet.
func TestRunSmall(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	rs, err := RunResults(&out, Options{OutDir: dir, Epochs: 2, BatchSize: 128, TrainSize: 512, TestSize: 256, Verbose: model.VerboseLine})
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
	// The training pictures: a PNG, the CSV log (header and one row per epoch), event files
	// that check out, with epoch_loss for both epochs in train and validation.
	png, err := os.ReadFile(filepath.Join(dir, "history.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("history.png: %v, %d bytes", err, len(png))
	}
	csv, err := os.ReadFile(filepath.Join(dir, "training.csv"))
	if err != nil || !strings.HasPrefix(string(csv), "epoch,accuracy,loss,val_accuracy,val_loss\r\n0,") || strings.Count(string(csv), "\r\n") != 3 {
		t.Errorf("training.csv: %v\n%q", err, csv)
	}
	reps, err := tfevents.CheckDir(filepath.Join(dir, "logs"))
	if err != nil || len(reps) != 2 {
		t.Fatalf("logs: %v, %d files", err, len(reps))
	}
	for _, rep := range reps {
		n := 0
		for _, s := range rep.Scalars {
			if s.Tag == "epoch_loss" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%s: %d epoch_loss scalars, want 2 (tags %q)", rep.Path, n, rep.Tags)
		}
	}
	for _, want := range []string{"Epoch 2/2", "conv_1 (Conv2D)", "summary identical"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
