//go:build unix

package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLock: a held lock makes a second Acquire fail with ErrBusy and a Write to the target
// fail without touching it; Release removes the lock file; a lock file left by a killed
// process (no flock on it) is taken over.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.h5")
	if err := (Options{}).WriteBytes(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(p, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(p, false); !errors.Is(err, ErrBusy) {
		t.Errorf("second Acquire: %v, want ErrBusy", err)
	}
	if err := (Options{}).WriteBytes(p, []byte("new")); !errors.Is(err, ErrBusy) {
		t.Errorf("Write while locked: %v, want ErrBusy", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("the locked target became %q", b)
	}
	l.Release()
	l.Release() // twice is fine
	assertOnly(t, dir, "m.h5")
	// A stale lock file and stale temporaries, as a killed save leaves them.
	os.WriteFile(LockFile(p), nil, 0o644)
	os.WriteFile(TempPrefix(p), []byte("half"), 0o644)
	os.WriteFile(TempPrefix(p)+".weights.h5", []byte("half"), 0o644)
	other := filepath.Join(dir, "m.h5.tmp-0123456789ab") // a user's file whose name looks like ours
	os.WriteFile(other, []byte("mine"), 0o644)
	if err := (Options{}).WriteBytes(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q", b)
	}
	assertOnly(t, dir, "m.h5", "m.h5.tmp-0123456789ab")
}

// TestTemps: only names of the form .BASE.tmp-<12 hex>[.suffix] are temporaries of BASE, and
// an owner picks its kind.
func TestTemps(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "w")
	for _, n := range []string{
		".w.tmp-0123456789ab",             // single file: yes
		".w.tmp-0123456789ab.weights.h5",  // .keras weights: yes
		".w.tmp-0123456789ab.index",       // another kind: not SingleFile
		".w.tmp-0123456789AB",             // upper case: no
		".w.tmp-0123456789a",              // 11 digits: no
		".w.tmp-0123456789abc",            // 13 digits: no
		".w.tmp-0123456789ab.tmp-aaaaaaa", // a temporary of "w.tmp-0123456789ab": no
		".ww.tmp-0123456789ab",            // another target: no
		"w.tmp-0123456789ab",              // not hidden: no
	} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	all, err := Temps(target, func(Temp) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range all {
		names = append(names, x.Name)
	}
	want := []string{".w.tmp-0123456789ab", ".w.tmp-0123456789ab.index", ".w.tmp-0123456789ab.weights.h5"}
	if len(names) != len(want) || names[0] != want[0] || names[1] != want[1] || names[2] != want[2] {
		t.Errorf("temporaries %v, want %v", names, want)
	}
	if err := RemoveTemps(target, SingleFile); err != nil {
		t.Fatal(err)
	}
	left, _ := Temps(target, func(Temp) bool { return true })
	if len(left) != 1 || left[0].Rest != ".index" {
		t.Errorf("after removing the single-file ones: %v", left)
	}
	if ts, err := Temps(filepath.Join(dir, "missing", "x"), SingleFile); err != nil || len(ts) != 0 {
		t.Errorf("missing folder: %v %v", ts, err)
	}
}

// TestExchange: where supported, the two names swap; elsewhere ErrNoExchange.
func TestExchange(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.Mkdir(a, 0o755)
	os.WriteFile(filepath.Join(a, "f"), []byte("A"), 0o644)
	os.Mkdir(b, 0o755)
	os.WriteFile(filepath.Join(b, "f"), []byte("B"), 0o644)
	err := Exchange(a, b)
	if errors.Is(err, ErrNoExchange) {
		t.Skip("no atomic exchange here")
	}
	if err != nil {
		t.Fatal(err)
	}
	if x, _ := os.ReadFile(filepath.Join(a, "f")); string(x) != "B" {
		t.Errorf("a holds %q after the exchange", x)
	}
	if err := Exchange(a, filepath.Join(dir, "missing")); err == nil || errors.Is(err, ErrNoExchange) {
		t.Errorf("exchange with a missing name: %v", err)
	}
}
