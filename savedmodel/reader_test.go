package savedmodel

import (
	"os"
	"path/filepath"
	"testing"
)

func fixturesDir(t testing.TB) string {
	d := os.Getenv("KERASGO_FIXTURES")
	if d == "" {
		d = filepath.Join("..", "..", "shared", "fixtures")
	}
	if _, err := os.Stat(d); err != nil {
		t.Skipf("corpus fixtures not found at %s (set KERASGO_FIXTURES)", d)
	}
	return d
}
