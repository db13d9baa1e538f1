package checkpoint

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := &State{ModelCheckpointPath: "ckpt-3", AllModelCheckpointPaths: []string{"ckpt-2", "ckpt-3", "w\"ei'rd\\\n\x01é"},
		AllModelCheckpointTimestamps: []float64{1795867358.487, 1795867358.531635, 5}, LastPreservedTimestamp: 1795867357.2152967}
	if err := WriteState(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text() != s.Text() || got.ModelCheckpointPath != s.ModelCheckpointPath ||
		len(got.AllModelCheckpointPaths) != 3 || got.AllModelCheckpointPaths[2] != s.AllModelCheckpointPaths[2] ||
		got.AllModelCheckpointTimestamps[1] != s.AllModelCheckpointTimestamps[1] || got.LastPreservedTimestamp != s.LastPreservedTimestamp {
		t.Errorf("round trip:\n%s\nwant\n%s", got.Text(), s.Text())
	}
}

// TestStatePythonText re-prints the state files TF wrote (CheckpointManager with timestamps,
// tf_keras save_weights, corpus files) and demands TF's exact bytes.
func TestStatePythonText(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(formatsDir(t), "*", "*", "*", StateFile))
	if len(files) == 0 {
		t.Fatal("no generator state files under testdata/formats")
	}
	stamped, managed := 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ReadState(filepath.Dir(f))
		if err != nil {
			t.Fatal(err)
		}
		if s.Text() != string(b) {
			t.Errorf("%s:\n%s\nre-printed as\n%s", f, b, s.Text())
		}
		if len(s.AllModelCheckpointTimestamps) > 0 {
			stamped++
		}
		if filepath.Base(filepath.Dir(f)) == "managed" {
			managed++
		}
	}
	if managed > 0 && stamped == 0 {
		t.Error("no state file with timestamps among the fixtures")
	}
}

func TestStateErrors(t *testing.T) {
	for _, bad := range []string{"model_checkpoint_path \"x\"\n", "model_checkpoint_path: x\n",
		"unknown_field: 1\n", "all_model_checkpoint_timestamps: \"1\"\n", "model_checkpoint_path: \"abc\n", "@"} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, StateFile), []byte(bad), 0o644)
		if _, err := ReadState(dir); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: err = %v, want ErrFormat", bad, err)
		}
	}
	if _, err := ReadState(t.TempDir()); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing state: %v", err)
	}
}

func TestManager(t *testing.T) {
	dir := t.TempDir()
	clock := time.Unix(1700000000, 250000000)
	m := &Manager{Dir: dir, MaxToKeep: 2, Now: func() time.Time { clock = clock.Add(1500 * time.Millisecond); return clock }}
	var saved []string
	for i := 0; i < 4; i++ {
		p, err := m.Save(func(p string) error {
			writeBundle(t, p, crashTensors(i), WriterOptions{})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		saved = append(saved, p)
	}
	if filepath.Base(saved[3]) != "ckpt-4" {
		t.Errorf("fourth save is %s, want ckpt-4", saved[3])
	}
	ck, err := m.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	if len(ck) != 2 || ck[0] != saved[2] || ck[1] != saved[3] {
		t.Errorf("kept %v, want the last two of %v", ck, saved)
	}
	for _, p := range saved[:2] {
		if files, _ := filepath.Glob(p + ".*"); len(files) != 0 {
			t.Errorf("old checkpoint files not deleted: %v", files)
		}
	}
	if l, err := Latest(dir); err != nil || l != saved[3] {
		t.Errorf("Latest = %q, %v", l, err)
	}
	s, _ := ReadState(dir)
	if s.ModelCheckpointPath != "ckpt-4" || len(s.AllModelCheckpointTimestamps) != 2 ||
		math.Abs(s.AllModelCheckpointTimestamps[1]-s.AllModelCheckpointTimestamps[0]-1.5) > 1e-6 || s.LastPreservedTimestamp == 0 {
		t.Errorf("state:\n%s", s.Text())
	}
}

// TestStateProtoErrors: the protobuf text parser's errors come out as ErrFormat naming the
// file and the line, and TF's text-format syntax (comments, single quotes, adjacent strings,
// list syntax, inf) parses.
func TestStateProtoErrors(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, StateFile)
	for bad, want := range map[string]string{
		"model_checkpoint_path: \"a\"\nmodel_checkpoint_path: \"b\"\n": "line 2",
		"model_checkpoint_path: \"\\377\"\n":                           "UTF-8",
		"all_model_checkpoint_timestamps: [1, x]\n":                    "line 1",
		"\n\nunknown_field: 1\n":                                       "unknown_field",
	} {
		os.WriteFile(name, []byte(bad), 0o644)
		_, err := ReadState(dir)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), want) ||
			strings.Contains(err.Error(), "proto:") {
			t.Errorf("%q: err = %v, want ErrFormat naming %s and %q", bad, err, name, want)
		}
	}
	os.WriteFile(name, []byte("# written by hand\nmodel_checkpoint_path: 'ck' \"pt-1\"\nall_model_checkpoint_paths: ['ckpt-1']\nall_model_checkpoint_timestamps: [1.5, inf]\n"), 0o644)
	s, err := ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.ModelCheckpointPath != "ckpt-1" || len(s.AllModelCheckpointPaths) != 1 || len(s.AllModelCheckpointTimestamps) != 2 ||
		!math.IsInf(s.AllModelCheckpointTimestamps[1], 1) {
		t.Errorf("parsed %+v", s)
	}
	// Over the size limit: refused before parsing.
	os.WriteFile(name, make([]byte, maxStateBytes+1), 0o644)
	if _, err := ReadState(dir); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized state: %v", err)
	}
	// A path TF could not read back is refused on write.
	if err := WriteState(dir, &State{ModelCheckpointPath: "ckpt-\xff"}); !errors.Is(err, ErrFormat) {
		t.Errorf("non-UTF-8 path written: %v", err)
	}
}
