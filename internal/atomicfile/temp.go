package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// TestHook, when set (by tests only), is called by Step.
var TestHook func(step string)

// Step marks a point of a save where a crash leaves something on disk: writers call it before
// every write, sync, rename, link and removal. The kill-at-every-step tests set TestHook to stop
// the process at each step in turn.
func Step(step string) {
	if TestHook != nil {
		TestHook(step)
	}
}

// tagLen is the number of hex digits of a temporary name's random tag.
const tagLen = 12

// TempPrefix returns a fresh temporary name for a save to target:
// DIR/.BASE.tmp-HHHHHHHHHHHH. Writers of several files add "."-suffixes to it.
func TempPrefix(target string) string {
	var rnd [tagLen / 2]byte
	_, _ = rand.Read(rnd[:])
	dir, base := filepath.Split(filepath.Clean(target))
	return filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(rnd[:]))
}

// Temp is a temporary name of a save to some target, found in the target's folder.
type Temp struct {
	Name string // file name in the folder
	Tag  string // the 12 hex digits: names of one save share it
	Rest string // what follows the tag: "" or a suffix starting with "."
	Dir  bool   // a folder (SavedModel saves), not a file
}

// Owner says which temporary names a kind of save makes and cleans up: a save cleans up
// only its own kind, so that a checkpoint prefix and a SavedModel directory of the same name
// never remove each other's unfinished saves.
type Owner func(Temp) bool

// SingleFile owns the temporaries of Write: files named TempPrefix(target), possibly with
// ".weights.h5" added (the weights a .keras archive is built from).
func SingleFile(t Temp) bool { return !t.Dir && (t.Rest == "" || t.Rest == ".weights.h5") }

// Path returns the temporary's path given its target.
func (t Temp) Path(target string) string { return filepath.Join(filepath.Dir(target), t.Name) }

// Prefix returns the save's temporary prefix (the name without Rest).
func (t Temp) Prefix(target string) string {
	return filepath.Join(filepath.Dir(target), strings.TrimSuffix(t.Name, t.Rest))
}

// Temps lists the temporary names of saves to target that owner owns (see the package rule),
// in folder order. A missing folder has none.
func Temps(target string, owner Owner) ([]Temp, error) {
	dir, base := filepath.Split(filepath.Clean(target))
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lead := "." + base + ".tmp-"
	var out []Temp
	for _, e := range ents {
		name, ok := strings.CutPrefix(e.Name(), lead)
		if !ok || len(name) < tagLen || !isHex(name[:tagLen]) {
			continue
		}
		rest := name[tagLen:]
		// The rest is empty or a suffix; ".tmp-" in it would be a temporary of another
		// target whose name itself looks like one of ours.
		if rest != "" && (rest[0] != '.' || strings.Contains(rest, ".tmp-")) {
			continue
		}
		t := Temp{Name: e.Name(), Tag: name[:tagLen], Rest: rest, Dir: e.IsDir()}
		if owner(t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// RemoveTemps removes the temporary names of target that owner owns. The caller holds
// target's lock.
func RemoveTemps(target string, owner Owner) error {
	ts, err := Temps(target, owner)
	if err != nil {
		return err
	}
	for _, t := range ts {
		Step("remove " + t.Name)
		if err := os.RemoveAll(t.Path(target)); err != nil {
			return err
		}
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
