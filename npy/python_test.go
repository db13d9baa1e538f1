package npy

import (
	"os"
	"testing"
)

func pythonOrSkip(t *testing.T) string {
	py := os.Getenv("KERASGO_PYTHON")
	if py == "" {
		if os.Getenv("KERASGO_COMPAT") == "1" {
			t.Fatal("KERASGO_COMPAT=1 but KERASGO_PYTHON is not set")
		}
		t.Skip("KERASGO_PYTHON not set (make test sets it)")
	}
	return py
}
