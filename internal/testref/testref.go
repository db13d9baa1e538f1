// Package testref gives tests the Keras references that must be computed on the machine that
// runs them: the result of training steps in real tf_keras.
//
// TensorFlow's floating-point results differ between CPUs (oneDNN picks kernels per CPU, and
// thread counts change summation orders); Adam and RMSprop turn that noise on near-zero
// gradients into differences of the learning rate's size. A training step that TF computed on
// the machine that wrote the fixtures is therefore never the expected value of a test on
// another machine. The committed fixtures under testdata/ hold the inputs (configs, initial and
// saved states, batches); Dir runs testdata/gen/reference.py with the pinned Python stack
// (KERASGO_PYTHON) to replay the steps here, and the test compares with what it wrote.
//
// The references are computed once per test run: under KERASGO_REFDIR (make test sets it to a
// fresh directory for each run, shared by the test processes of that run under a file lock),
// otherwise once per test process in a temporary directory that Cleanup removes. Without
// KERASGO_PYTHON the calling test is skipped, or fails when KERASGO_COMPAT=1.
package testref

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Parts that reference.py computes.
const (
	// Train holds <case>/losses.npy, accuracy.npy, after_01/, after_10/ for every
	// testdata/train case.
	Train = "train"
	// Formats holds <variant>/next/ (loss.npy, accuracy.npy, weights, optimizer state) for
	// every testdata/formats variant.
	Formats = "formats"
	// Functional holds <case>/ (y<i>.npy targets, logs.json, weights and optimizer state
	// after one train_on_batch) for the flat Functional model cases of testdata/functional.
	Functional = "functional"
	// Wrap holds <case>/ like Functional for the acceptance models of testdata/layers_wrap
	// (Bidirectional, TimeDistributed, masks).
	Wrap = "wrap"
	// RNNState holds <case>/ like Functional for the acceptance model of
	// testdata/layers_rnnstate (stacked LSTMs with return_state and initial_state).
	RNNState = "rnnstate"
	// AppsMobile holds <case>/ like Functional for the unet_small model of the
	// applications_mobile.py cache (call AppsMobileDir first: it must be complete).
	AppsMobile = "apps_mobile"
	// MHA holds <case>/ like Functional for the transformer_block case of testdata/layers_mha.
	MHA = "mha"
	// Apps holds <case>/ like Functional for vgg16 and vgg16_frozen_transfer of the
	// applications.py cache (call AppsDir first: it must be complete).
	Apps = "apps"
)

var (
	mu      sync.Mutex
	done    = map[string]result{}
	procDir string // per-process directory when KERASGO_REFDIR is unset
)

type result struct {
	dir string
	err error
}

// RepoRoot is the absolute path of the repository.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// Python returns the interpreter of the pinned stack, skipping the test when none is set
// (failing under KERASGO_COMPAT=1).
func Python(t testing.TB) string {
	t.Helper()
	py := os.Getenv("KERASGO_PYTHON")
	if py == "" {
		if os.Getenv("KERASGO_COMPAT") == "1" {
			t.Fatal("KERASGO_COMPAT=1 but KERASGO_PYTHON is not set")
		}
		t.Skip("KERASGO_PYTHON not set: this test compares with tf_keras run on this machine (make test sets it)")
	}
	return py
}

// Dir returns the directory holding part (Train or Formats) as tf_keras computed it on this
// machine in this test run, computing it on first use.
func Dir(t testing.TB, part string) string {
	t.Helper()
	py := Python(t)
	mu.Lock()
	defer mu.Unlock()
	r, ok := done[part]
	if !ok {
		r.dir, r.err = compute(py, part)
		done[part] = r
	}
	if r.err != nil {
		t.Fatalf("testref: %v", r.err)
	}
	return r.dir
}

// Cleanup removes the per-process reference directory, if one was made. Call it from TestMain
// after m.Run.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if procDir != "" {
		os.RemoveAll(procDir)
		procDir = ""
	}
}

func compute(py, part string) (string, error) {
	base := os.Getenv("KERASGO_REFDIR")
	if base == "" {
		if procDir == "" {
			d, err := os.MkdirTemp("", "kerasgo-ref-")
			if err != nil {
				return "", err
			}
			procDir = d
		}
		base = procDir
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	dir := filepath.Join(base, part)
	unlock, err := lockFile(filepath.Join(base, part+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, "meta.json")); err == nil {
		return dir, nil // another test process of this run computed it
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	root := RepoRoot()
	cmd := exec.Command(py, filepath.Join(root, "testdata", "gen", "reference.py"),
		"--testdata", filepath.Join(root, "testdata"), "--out", tmp, "--part", part)
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=3", "CUDA_VISIBLE_DEVICES=", "PYTHONHASHSEED=0",
		"PYTHONDONTWRITEBYTECODE=1")
	if n := os.Getenv("KERASGO_TF_INTRA_THREADS"); n != "" {
		cmd.Env = append(cmd.Env, "TF_NUM_INTRAOP_THREADS="+n)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("reference.py --part %s: %v\n%s", part, err, tail(stderr.String(), 30))
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return dir, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
