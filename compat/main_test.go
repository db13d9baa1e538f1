package compat

import (
	"os"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
)

// TestMain removes the training references that internal/testref computed for this process.
func TestMain(m *testing.M) {
	code := m.Run()
	testref.Cleanup()
	os.Exit(code)
}
