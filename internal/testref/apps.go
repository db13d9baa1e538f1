package testref

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// appsKeyFiles are the generator files whose bytes, concatenated in this order, key the
// applications cache (the same list as KEY_FILES in testdata/gen/applications.py).
var appsKeyFiles = []string{"applications.py", "functional.py", "common.py"}

// AppsKey is the cache key of testdata/gen/applications.py: the first 12 hex digits of the
// SHA-256 of applications.py, functional.py and common.py, concatenated in that order.
func AppsKey() (string, error) {
	h := sha256.New()
	for _, f := range appsKeyFiles {
		b, err := os.ReadFile(filepath.Join(RepoRoot(), "testdata", "gen", f))
		if err != nil {
			return "", fmt.Errorf("applications cache key: %w", err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// AppsCacheDir is where applications.py keeps its models by default:
// $XDG_CACHE_HOME/kerasgo/applications-<AppsKey>, with $XDG_CACHE_HOME defaulting to ~/.cache.
func AppsCacheDir() (string, error) {
	key, err := AppsKey()
	if err != nil {
		return "", err
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("applications cache: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "kerasgo", "applications-"+key), nil
}

// AppsDir returns the directory of the keras.applications models (ResNet50, VGG16,
// DenseNet121, a frozen VGG16 in a Sequential) that testdata/gen/applications.py writes with
// the pinned Python stack; they are too big to commit. The first call on a machine runs the
// script (a few minutes); later calls find the complete directory in the cache. Without
// KERASGO_PYTHON the test is skipped, or fails when KERASGO_COMPAT=1.
func AppsDir(t testing.TB) string {
	t.Helper()
	py := Python(t)
	mu.Lock()
	defer mu.Unlock()
	r, ok := done[appsPart]
	if !ok {
		r.dir, r.err = computeApps(py)
		done[appsPart] = r
	}
	if r.err != nil {
		t.Fatalf("testref: %v", r.err)
	}
	return r.dir
}

const appsPart = "applications"

func appsComplete(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return false
	}
	var m struct {
		Complete bool `json:"complete"`
	}
	return json.Unmarshal(b, &m) == nil && m.Complete
}

func computeApps(py string) (string, error) {
	dir, err := AppsCacheDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("applications cache: %w", err)
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return "", fmt.Errorf("applications cache: %w", err)
	}
	defer unlock()
	if appsComplete(dir) {
		return dir, nil
	}
	cmd := exec.Command(py, filepath.Join(RepoRoot(), "testdata", "gen", "applications.py"), "--out", dir)
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=3", "CUDA_VISIBLE_DEVICES=", "PYTHONHASHSEED=0",
		"PYTHONDONTWRITEBYTECODE=1", "KERAS_BACKEND=tensorflow", "TF_USE_LEGACY_KERAS=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("applications.py --out %s: %w\n%s", dir, err, tail(stderr.String(), 30))
	}
	if !appsComplete(dir) {
		return "", errors.New("applications.py finished but " + filepath.Join(dir, "manifest.json") +
			" is missing or not complete")
	}
	return dir, nil
}
