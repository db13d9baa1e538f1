package compat

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// python returns the interpreter to use, skipping (or failing under KERASGO_COMPAT=1) when
// none is configured.
func python(t *testing.T) string {
	t.Helper()
	py := os.Getenv("KERASGO_PYTHON")
	if py == "" {
		if os.Getenv("KERASGO_COMPAT") == "1" {
			t.Fatal("KERASGO_COMPAT=1 but KERASGO_PYTHON is not set")
		}
		t.Skip("KERASGO_PYTHON not set: the compat suite runs under `make test`")
	}
	return py
}

// pyDir is the absolute path of compat/py.
func pyDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "py")
}

// repoRoot is the absolute path of the repository.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// runPython runs compat/py/<script> with args under the project's Python and returns its
// stdout. A non-zero exit fails the test with the script's stderr.
func runPython(t *testing.T, script string, args ...string) []byte {
	t.Helper()
	py := python(t)
	cmd := exec.Command(py, append([]string{filepath.Join(pyDir(), script)}, args...)...)
	cmd.Env = append(os.Environ(),
		"TF_CPP_MIN_LOG_LEVEL=3",
		"CUDA_VISIBLE_DEVICES=",
		"PYTHONHASHSEED=0",
		"PYTHONPATH="+pyDir(),
	)
	if n := os.Getenv("KERASGO_TF_INTRA_THREADS"); n != "" {
		// Scripts that set their thread count read KERASGO_TF_INTRA_THREADS; TF itself
		// reads TF_NUM_INTRAOP_THREADS for the others.
		cmd.Env = append(cmd.Env, "TF_NUM_INTRAOP_THREADS="+n)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr (tail):\n%s", script, strings.Join(args, " "), err, tail(stderr.String(), 40))
	}
	return stdout.Bytes()
}

// runPythonJSON runs a script and decodes the last line of its stdout as JSON into v.
func runPythonJSON(t *testing.T, v any, script string, args ...string) {
	t.Helper()
	out := strings.TrimSpace(string(runPython(t, script, args...)))
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: decode JSON %q: %v", script, out, err)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestPythonStack checks that the interpreter has the pinned reference stack.
func TestPythonStack(t *testing.T) {
	var v map[string]string
	runPythonJSON(t, &v, "versions.py")
	req, err := os.ReadFile(filepath.Join(repoRoot(), "testdata", "gen", "requirements.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(req), "\n") {
		name, ver, ok := strings.Cut(strings.TrimSpace(line), "==")
		if !ok {
			continue
		}
		key := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		if got, ok := v[key]; ok && got != ver {
			t.Errorf("%s is %s, requirements.txt pins %s", name, got, ver)
		}
	}
	for _, k := range []string{"tensorflow-cpu", "tf-keras", "keras", "h5py", "numpy"} {
		if v[k] == "" {
			t.Errorf("%s is not installed", k)
		}
	}
}
