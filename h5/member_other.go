//go:build !linux

package h5

import "os"

// hideTemp returns the name of a fresh temporary file (hidden false: the caller removes it).
func hideTemp(f *os.File) (string, bool) { return f.Name(), false }
