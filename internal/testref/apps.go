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

// cachedGen is a generator under testdata/gen that writes models too big to commit into a
// cache directory outside the clone, keyed by the bytes of its key files.
type cachedGen struct {
	script string   // under testdata/gen
	prefix string   // directory name before the key
	files  []string // key files, in the generator's KEY_FILES order
}

// appsGen is testdata/gen/applications.py (ResNet50, VGG16, DenseNet121, ...).
var appsGen = cachedGen{"applications.py", "applications-", []string{"applications.py", "functional.py", "common.py"}}

// appsMobileGen is testdata/gen/applications_mobile.py (MobileNets, EfficientNetB0, Xception,
// NASNetMobile, a U-Net, a mixed_float16 CNN).
var appsMobileGen = cachedGen{"applications_mobile.py", "applications_mobile-",
	[]string{"applications_mobile.py", "functional.py", "common.py"}}

// key is the first 12 hex digits of the SHA-256 of the key files concatenated in order.
func (c cachedGen) key() (string, error) {
	h := sha256.New()
	for _, f := range c.files {
		b, err := os.ReadFile(filepath.Join(RepoRoot(), "testdata", "gen", f))
		if err != nil {
			return "", fmt.Errorf("%s cache key: %w", c.script, err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// cacheDir is $XDG_CACHE_HOME/kerasgo/<prefix><key>, with $XDG_CACHE_HOME defaulting to ~/.cache.
func (c cachedGen) cacheDir() (string, error) {
	key, err := c.key()
	if err != nil {
		return "", err
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("%s cache: %w", c.script, err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "kerasgo", c.prefix+key), nil
}

// dir runs the generator once per machine (per key) and returns its complete directory.
func (c cachedGen) dir(t testing.TB) string {
	t.Helper()
	if !haveCgo {
		// Every case of these caches is read from HDF5 files (.h5, .keras), which need cgo.
		t.Skip("the applications' models are HDF5 files and this build has no cgo (libhdf5)")
	}
	py := Python(t)
	mu.Lock()
	defer mu.Unlock()
	r, ok := done[c.script]
	if !ok {
		r.dir, r.err = c.compute(py)
		done[c.script] = r
	}
	if r.err != nil {
		t.Fatalf("testref: %v", r.err)
	}
	return r.dir
}

// AppsKey is the cache key of testdata/gen/applications.py: the first 12 hex digits of the
// SHA-256 of applications.py, functional.py and common.py, concatenated in that order.
func AppsKey() (string, error) { return appsGen.key() }

// AppsCacheDir is where applications.py keeps its models by default:
// $XDG_CACHE_HOME/kerasgo/applications-<AppsKey>, with $XDG_CACHE_HOME defaulting to ~/.cache.
func AppsCacheDir() (string, error) { return appsGen.cacheDir() }

// AppsDir returns the directory of the keras.applications models (ResNet50, VGG16,
// DenseNet121, a frozen VGG16 in a Sequential) that testdata/gen/applications.py writes with
// the pinned Python stack; they are too big to commit. The first call on a machine runs the
// script (a few minutes); later calls find the complete directory in the cache. Without
// KERASGO_PYTHON the test is skipped, or fails when KERASGO_COMPAT=1.
func AppsDir(t testing.TB) string { return appsGen.dir(t) }

// AppsMobileCacheDir is where applications_mobile.py keeps its models by default:
// $XDG_CACHE_HOME/kerasgo/applications_mobile-<key>.
func AppsMobileCacheDir() (string, error) { return appsMobileGen.cacheDir() }

// AppsMobileDir returns the directory of the models testdata/gen/applications_mobile.py
// writes (MobileNetV2, MobileNetV3Small, EfficientNetB0, Xception, NASNetMobile, a small
// U-Net, a mixed_float16 CNN), generating it on the first call on a machine, as AppsDir does.
func AppsMobileDir(t testing.TB) string { return appsMobileGen.dir(t) }

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

func (c cachedGen) compute(py string) (string, error) {
	dir, err := c.cacheDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("%s cache: %w", c.script, err)
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return "", fmt.Errorf("%s cache: %w", c.script, err)
	}
	defer unlock()
	if appsComplete(dir) {
		return dir, nil
	}
	cmd := exec.Command(py, filepath.Join(RepoRoot(), "testdata", "gen", c.script), "--out", dir)
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=3", "CUDA_VISIBLE_DEVICES=", "PYTHONHASHSEED=0",
		"PYTHONDONTWRITEBYTECODE=1", "KERAS_BACKEND=tensorflow", "TF_USE_LEGACY_KERAS=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s --out %s: %w\n%s", c.script, dir, err, tail(stderr.String(), 30))
	}
	if !appsComplete(dir) {
		return "", errors.New(c.script + " finished but " + filepath.Join(dir, "manifest.json") +
			" is missing or not complete")
	}
	return dir, nil
}
