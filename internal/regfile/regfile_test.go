//go:build unix

package regfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kerasgo/kerasgo/internal/errcat"
)

// within fails the test when fn does not return within a few seconds (a read that blocks on
// a named pipe never would).
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still blocked after 10 s", what)
	}
}

func TestOpenRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{fifo, "a named pipe, not a regular file"},
		{zero, "a character device, not a regular file"},
		{dir, "a directory, not a regular file"},
	} {
		within(t, c.path, func() {
			if f, _, err := Open(c.path); err == nil {
				f.Close()
				t.Errorf("Open(%s) succeeded", c.path)
			} else if !errors.Is(err, ErrNotRegular) || !errors.Is(err, errcat.ErrFormat) || err.Error() != c.want {
				t.Errorf("Open(%s): %v, want %q matching ErrNotRegular and ErrFormat", c.path, err, c.want)
			}
			if _, err := ReadFile(c.path, 1<<20); !errors.Is(err, ErrNotRegular) {
				t.Errorf("ReadFile(%s): %v, want ErrNotRegular", c.path, err)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{p, link} {
		b, err := ReadFile(name, 10)
		if err != nil || string(b) != "0123456789" {
			t.Errorf("ReadFile(%s, 10) = %q, %v", name, b, err)
		}
		f, size, err := Open(name)
		if err != nil || size != 10 {
			t.Errorf("Open(%s): size %d, %v", name, size, err)
		} else {
			f.Close()
		}
	}
	if _, err := ReadFile(p, 9); !errors.Is(err, ErrTooLarge) || err.Error() != "file too large: 10 bytes, over the 9-byte limit" {
		t.Errorf("ReadFile over the limit: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 10); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}
