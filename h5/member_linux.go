package h5

import (
	"os"
	"strconv"
)

// hideTemp unlinks a fresh temporary file, so that it disappears with the process however
// the process ends, and returns the name under which it can still be opened (hidden true);
// without /proc it keeps the file's own name (hidden false).
func hideTemp(f *os.File) (string, bool) {
	p := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	if _, err := os.Stat(p); err != nil {
		return f.Name(), false
	}
	if err := os.Remove(f.Name()); err != nil {
		return f.Name(), false
	}
	return p, true
}
