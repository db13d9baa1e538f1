package npy

import (
	"os"
	"testing"
)

func pythonOrSkip(t *testing.T) string {
	py := os.Getenv("KERASGO_PYTHON")
	if py == "" {
		t.Skip("KERASGO_PYTHON not set (make test sets it)")
	}
	return py
}
