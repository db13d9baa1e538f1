package callbacks

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/internal/tfevents"
)

// TestCSVLoggerLayout: header of sorted keys with val_ columns added when the first epoch has
// none ("NA" cells), Python's str(float) for numbers, \r\n line ends, quoting of fields holding
// the separator, and append mode's header only in a new or empty file. (The byte-for-byte
// comparison with Keras's own CSVLogger is compat/csvlogger_test.go.)
func TestCSVLoggerLayout(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log.csv")
	m := &fakeModel{}
	c := &CSVLogger[*fakeModel]{Filename: p, Separator: ";", Append: true}
	fit := func(from int, logs ...Logs) {
		if err := c.OnTrainBegin(m, nil); err != nil {
			t.Fatal(err)
		}
		for i, l := range logs {
			if err := c.OnEpochEnd(m, from+i, l); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.OnTrainEnd(m, nil); err != nil {
			t.Fatal(err)
		}
	}
	fit(0, Logs{"loss": 0.5, "a;b": 1e-7}, Logs{"loss": math.Inf(1), "a;b": math.NaN()})
	fit(2, Logs{"loss": 0.25, "val_loss": 3})
	b, _ := os.ReadFile(p)
	want := "epoch;\"a;b\";loss;\"val_a;b\";val_loss\r\n" +
		"0;1e-07;0.5;NA;NA\r\n" +
		"1;nan;inf;NA;NA\r\n" +
		"2;0.25;3.0\r\n"
	if string(b) != want {
		t.Errorf("file\n%q\nwant\n%q", b, want)
	}
	for _, sep := range []string{";;", "\"", "\n"} {
		bad := &CSVLogger[*fakeModel]{Filename: p, Separator: sep}
		if err := bad.OnTrainBegin(m, nil); !errors.Is(err, errcat.ErrFormat) {
			t.Errorf("separator %q: %v", sep, err)
		}
	}
	missing := &CSVLogger[*fakeModel]{Filename: filepath.Join(dir, "no", "such", "dir.csv")}
	if err := missing.OnTrainBegin(m, nil); err == nil || !strings.Contains(err.Error(), "CSVLogger") {
		t.Errorf("unwritable path: %v", err)
	}
}

// TestTensorBoardLayouts: the files and tags of both layouts, without Python (the byte-for-
// byte comparison with Keras is compat/tensorboard_test.go).
func TestTensorBoardLayouts(t *testing.T) {
	for _, c := range []struct {
		keras2     bool
		updateFreq int
		train      string
	}{
		{false, 0, "epoch_learning_rate,epoch_loss"},
		{false, 2, "batch_loss,epoch_learning_rate,epoch_loss"},
		{true, 2, "epoch_loss"},
	} {
		dir := t.TempDir()
		m := &fakeModel{}
		tb := &TensorBoard[*fakeModel]{LogDir: dir, UpdateFreq: c.updateFreq, Keras2: c.keras2, Now: func() time.Time { return time.Unix(1700000000, 0) }}
		if err := tb.OnTrainBegin(m, nil); err != nil {
			t.Fatal(err)
		}
		for epoch := range 2 {
			for b := range 2 {
				if err := tb.OnBatchEnd(m, b, Logs{"loss": 0.5}); err != nil {
					t.Fatal(err)
				}
			}
			if err := tb.OnEpochEnd(m, epoch, Logs{"loss": 0.5, "val_loss": 0.75}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tb.OnTrainEnd(m, nil); err != nil {
			t.Fatal(err)
		}
		reps, err := tfevents.CheckDir(dir)
		if err != nil || len(reps) != 2 {
			t.Fatalf("%+v: %v, %d files", c, err, len(reps))
		}
		var tags []string
		for _, s := range reps[0].Scalars {
			if !strings.Contains(strings.Join(tags, ","), s.Tag) {
				tags = append(tags, s.Tag)
			}
		}
		// fakeModel has no optimizer: no epoch_learning_rate.
		want := strings.ReplaceAll(c.train, "epoch_learning_rate,", "")
		if got := strings.Join(slices.Sorted(slices.Values(tags)), ","); got != want {
			t.Errorf("%+v: train tags %s, want %s", c, got, want)
		}
		if n := len(reps[1].Scalars); n != 2 || reps[1].Scalars[1].Tag != "epoch_loss" || reps[1].Scalars[1].Value != 0.75 || reps[1].Scalars[1].Step != 1 {
			t.Errorf("%+v: validation scalars %+v", c, reps[1].Scalars)
		}
	}
}
