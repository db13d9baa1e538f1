package checkpoint

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// statePython returns $KERASGO_PYTHON, skipping when it is unset (failing under
// KERASGO_COMPAT=1).
func statePython(t *testing.T) string {
	t.Helper()
	py := os.Getenv("KERASGO_PYTHON")
	if py == "" {
		if os.Getenv("KERASGO_COMPAT") == "1" {
			t.Fatal("KERASGO_COMPAT=1 but KERASGO_PYTHON is not set")
		}
		t.Skip("KERASGO_PYTHON not set")
	}
	return py
}

// stateScript has TF write a state file (update_checkpoint_state_internal, the function
// CheckpointManager and save_weights use) into argv[1] from the JSON state on stdin, then
// read the Go-written file argv[2] back with get_checkpoint_state and print it as JSON.
const stateScript = `
import json, os, sys
from tensorflow.python.checkpoint import checkpoint_management as cm
s = json.load(sys.stdin)
cm.update_checkpoint_state_internal(sys.argv[1], s["model"], all_model_checkpoint_paths=s["all"],
    all_model_checkpoint_timestamps=[float(x) for x in s["stamps"]], last_preserved_timestamp=s["last"])
st = cm.get_checkpoint_state(sys.argv[2])
print(json.dumps({"model": st.model_checkpoint_path, "all": list(st.all_model_checkpoint_paths),
    "stamps": list(st.all_model_checkpoint_timestamps), "last": st.last_preserved_timestamp}))
`

// TestStateMatchesTF: for paths with quotes, backslashes, control and non-ASCII characters
// and timestamps that print in exponent form, Go writes TF's exact bytes, and TF reads Go's
// file back to the same state.
func TestStateMatchesTF(t *testing.T) {
	py := statePython(t)
	s := &State{
		ModelCheckpointPath:          "ckpt-\u00e9\x01'\"\\",
		AllModelCheckpointPaths:      []string{"a\tb\nc\r", "ckpt-\u00e9\x7f", "/abs/ckpt-3", "b", "c", "d", "\U0001F600", "ckpt-\u00e9\x01'\"\\"},
		AllModelCheckpointTimestamps: []float64{1.5, 1e20, 1700000000.25, 1.0000000000000002, 0.0001, 1e-5, 1e16, 9999999999999998},
		LastPreservedTimestamp:       1795867357.2152967,
	}
	tfDir, goDir := t.TempDir(), t.TempDir()
	if err := WriteState(goDir, s); err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(map[string]any{"model": s.ModelCheckpointPath, "all": s.AllModelCheckpointPaths,
		"stamps": s.AllModelCheckpointTimestamps, "last": s.LastPreservedTimestamp})
	cmd := exec.Command(py, "-c", stateScript, tfDir, goDir)
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=3", "CUDA_VISIBLE_DEVICES=")
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	tfBytes, err := os.ReadFile(filepath.Join(tfDir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if s.Text() != string(tfBytes) {
		t.Errorf("Go writes\n%q\nTF writes\n%q", s.Text(), tfBytes)
	}
	got, err := ReadState(tfDir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text() != string(tfBytes) {
		t.Errorf("TF's file re-printed as\n%q", got.Text())
	}
	var back struct {
		Model  string    `json:"model"`
		All    []string  `json:"all"`
		Stamps []float64 `json:"stamps"`
		Last   float64   `json:"last"`
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &back); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	// get_checkpoint_state joins relative paths with the folder.
	rel := func(p string) string { return strings.TrimPrefix(p, goDir+string(filepath.Separator)) }
	back.Model = rel(back.Model)
	for i := range back.All {
		back.All[i] = rel(back.All[i])
	}
	rt := &State{ModelCheckpointPath: back.Model, AllModelCheckpointPaths: back.All,
		AllModelCheckpointTimestamps: back.Stamps, LastPreservedTimestamp: back.Last}
	if rt.Text() != s.Text() {
		t.Errorf("TF read Go's file as\n%q\nwant\n%q", rt.Text(), s.Text())
	}
}
