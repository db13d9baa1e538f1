package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/internal/regfile"
	"github.com/kerasgo/kerasgo/internal/tfpb"
)

// State is the content of a folder's `checkpoint` file (TF's CheckpointState text proto).
// Paths are stored as written: relative to the folder (as tf_keras and CheckpointManager
// write them) or absolute.
type State struct {
	ModelCheckpointPath          string
	AllModelCheckpointPaths      []string
	AllModelCheckpointTimestamps []float64 // seconds since the Unix epoch
	LastPreservedTimestamp       float64
}

// ReadState reads dir/checkpoint. A missing file gives an error wrapping ErrNotFound.
func ReadState(dir string) (*State, error) {
	name := filepath.Join(dir, StateFile)
	b, err := regfile.ReadFile(name, maxStateBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, errorf(name, "", -1, ErrNotFound, "no checkpoint state file")
	case errors.Is(err, regfile.ErrTooLarge):
		return nil, errorf(name, "", -1, ErrFormat, "state file larger than %d bytes", maxStateBytes)
	case errors.Is(err, regfile.ErrNotRegular):
		return nil, errorf(name, "", -1, ErrFormat, "%v", err)
	case err != nil:
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	s, err := parseState(string(b))
	if err != nil {
		return nil, errorf(name, "", -1, ErrFormat, "%v", err)
	}
	return s, nil
}

// WriteState writes s to dir/checkpoint in text format, atomically (temporary file, synced,
// and rename), as TF's update_checkpoint_state_internal does. Paths must be valid UTF-8 (the
// fields are proto3 strings: neither TF nor ReadState accepts anything else). A file named
// `checkpoint` that is not a checkpoint state file (or a folder of that name) is not replaced:
// that is an error wrapping ErrUnsupported.
func WriteState(dir string, s *State) error {
	if err := s.check(dir); err != nil {
		return err
	}
	lock, err := lockState(dir)
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := checkStateFile(dir); err != nil {
		return err
	}
	return writeStateLocked(dir, s, true)
}

// lockState takes the lock of dir's state file, waiting for it: saves of different prefixes
// in one folder share the state file.
func lockState(dir string) (*atomicfile.Lock, error) {
	name := filepath.Join(dir, StateFile)
	l, err := atomicfile.Acquire(name, true)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	// Temporary state files of a killed save.
	if err := atomicfile.RemoveTemps(name, atomicfile.SingleFile); err != nil {
		l.Release()
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return l, nil
}

// cleanState removes what a killed write of dir's state file left (a temporary file, its
// lock file), if anything.
func cleanState(dir string) error {
	name := filepath.Join(dir, StateFile)
	ts, err := atomicfile.Temps(name, atomicfile.SingleFile)
	if err != nil {
		return err
	}
	if _, lerr := os.Lstat(atomicfile.LockFile(name)); len(ts) == 0 && lerr != nil {
		return nil
	}
	l, err := lockState(dir)
	if err != nil {
		return err
	}
	l.Release()
	return nil
}

// writeStateLocked writes the state file; the caller holds its lock.
func writeStateLocked(dir string, s *State, sync bool) error {
	if err := s.check(dir); err != nil {
		return err
	}
	name := filepath.Join(dir, StateFile)
	o := atomicfile.Options{Locked: true, NoSync: !sync}
	if err := o.WriteBytes(name, []byte(s.Text())); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", name, err)
	}
	return nil
}

// check reports a path that TF could not read back.
func (s *State) check(dir string) error {
	for _, p := range append([]string{s.ModelCheckpointPath}, s.AllModelCheckpointPaths...) {
		if !utf8.ValidString(p) {
			return errorf(filepath.Join(dir, StateFile), "", -1, ErrFormat, "path %q is not valid UTF-8", p)
		}
	}
	return nil
}

// checkStateFile returns an error when dir/checkpoint exists and is not a checkpoint state
// file that a save may replace.
func checkStateFile(dir string) error {
	name := filepath.Join(dir, StateFile)
	st, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if !st.Mode().IsRegular() {
		return errorf(name, "", -1, ErrUnsupported, "refusing to replace it: it is not a regular file (a checkpoint state file has this name)")
	}
	if _, err := ReadState(dir); err != nil {
		return errorf(name, "", -1, ErrUnsupported, "refusing to replace it: it is not a checkpoint state file")
	}
	return nil
}

// setLatest makes the state file of prefix's folder name p as its only checkpoint, as
// tf_keras' save_weights does.
func setLatest(prefix, p string, sync bool) error {
	dir := filepath.Dir(prefix)
	lock, err := lockState(dir)
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := checkStateFile(dir); err != nil {
		return err
	}
	rel := relPath(dir, p)
	return writeStateLocked(dir, &State{ModelCheckpointPath: rel, AllModelCheckpointPaths: []string{rel}}, sync)
}

// renameInState makes the state file of to's folder, if it names from, name to in its place.
func renameInState(from, to string, sync bool) error {
	from, to = filepath.Clean(from), filepath.Clean(to)
	dir := filepath.Dir(to)
	if _, err := os.Lstat(filepath.Join(dir, StateFile)); err != nil {
		return nil
	}
	lock, err := lockState(dir)
	if err != nil {
		return err
	}
	defer lock.Release()
	s, err := ReadState(dir)
	if err != nil {
		return nil // not ours to rewrite
	}
	is := func(p string) bool { return p != "" && filepath.Clean(ResolvePath(dir, p)) == from }
	found := is(s.ModelCheckpointPath)
	rel := relPath(dir, to)
	if found {
		s.ModelCheckpointPath = rel
	}
	var paths []string
	var stamps []float64
	seen := false
	for i, p := range s.AllModelCheckpointPaths {
		if is(p) {
			found, p = true, rel
		}
		if p == rel || filepath.Clean(ResolvePath(dir, p)) == to {
			if seen {
				continue
			}
			seen = true
		}
		paths = append(paths, p)
		if i < len(s.AllModelCheckpointTimestamps) {
			stamps = append(stamps, s.AllModelCheckpointTimestamps[i])
		}
	}
	if !found {
		return nil
	}
	s.AllModelCheckpointPaths = paths
	if len(s.AllModelCheckpointTimestamps) > 0 {
		s.AllModelCheckpointTimestamps = stamps
	}
	return writeStateLocked(dir, s, sync)
}

// Text returns the state in protobuf text format, formatted as Python's text_format does.
func (s *State) Text() string {
	var b strings.Builder
	if s.ModelCheckpointPath != "" {
		fmt.Fprintf(&b, "model_checkpoint_path: %s\n", quoteText(s.ModelCheckpointPath))
	}
	for _, p := range s.AllModelCheckpointPaths {
		fmt.Fprintf(&b, "all_model_checkpoint_paths: %s\n", quoteText(p))
	}
	for _, t := range s.AllModelCheckpointTimestamps {
		fmt.Fprintf(&b, "all_model_checkpoint_timestamps: %s\n", formatDouble(t))
	}
	if s.LastPreservedTimestamp != 0 {
		fmt.Fprintf(&b, "last_preserved_timestamp: %s\n", formatDouble(s.LastPreservedTimestamp))
	}
	return b.String()
}

// Latest returns the prefix of the newest checkpoint in dir, as tf.train.latest_checkpoint
// does: the state file's model_checkpoint_path, joined with dir when relative, and only if
// its .index exists. An absolute path that does not exist (a folder moved from another
// machine) falls back to dir joined with its base name.
func Latest(dir string) (string, error) {
	s, err := ReadState(dir)
	if err != nil {
		return "", err
	}
	if s.ModelCheckpointPath == "" {
		return "", errorf(filepath.Join(dir, StateFile), "", -1, ErrNotFound, "no model_checkpoint_path")
	}
	p := ResolvePath(dir, s.ModelCheckpointPath)
	if _, err := os.Stat(IndexFile(p)); err != nil {
		return "", errorf(IndexFile(p), "", -1, ErrNotFound, "latest checkpoint has no index")
	}
	return p, nil
}

// ResolvePath turns a path from a state file into a prefix usable from here.
func ResolvePath(dir, p string) string {
	if !filepath.IsAbs(p) {
		return filepath.Join(dir, p)
	}
	if _, err := os.Stat(IndexFile(p)); err == nil {
		return p
	}
	return filepath.Join(dir, filepath.Base(p))
}

// Manager keeps a folder of numbered checkpoints as tf.train.CheckpointManager does: every
// Save writes <Dir>/<Name>-<n>, records it in the state file with its timestamp, and deletes
// the oldest checkpoints beyond MaxToKeep.
type Manager struct {
	Dir string
	// Name is the checkpoint base name ("ckpt" when empty).
	Name string
	// MaxToKeep is the number of checkpoints kept; 0 or less keeps all.
	MaxToKeep int
	// Now returns the current time (time.Now when nil).
	Now func() time.Time
}

// Checkpoints returns the prefixes the state file lists, oldest first.
func (m *Manager) Checkpoints() ([]string, error) {
	s, err := ReadState(m.Dir)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, len(s.AllModelCheckpointPaths))
	for i, p := range s.AllModelCheckpointPaths {
		out[i] = ResolvePath(m.Dir, p)
	}
	return out, nil
}

// NextPrefix returns the prefix the next Save will write: the number after the highest one
// recorded in the state file.
func (m *Manager) NextPrefix() (string, error) {
	name := m.Name
	if name == "" {
		name = "ckpt"
	}
	s, err := ReadState(m.Dir)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	next := 1
	if s != nil {
		for _, p := range append(s.AllModelCheckpointPaths, s.ModelCheckpointPath) {
			base := filepath.Base(p)
			if n, ok := strings.CutPrefix(base, name+"-"); ok {
				if v, err := strconv.Atoi(n); err == nil && v >= next {
					next = v + 1
				}
			}
		}
	}
	return filepath.Join(m.Dir, fmt.Sprintf("%s-%d", name, next)), nil
}

// Save calls write with the next prefix, then records it as the latest checkpoint (state file
// written last, atomically) and deletes checkpoints beyond MaxToKeep. It returns the prefix.
func (m *Manager) Save(write func(prefix string) error) (string, error) {
	prefix, err := m.NextPrefix()
	if err != nil {
		return "", err
	}
	if err := write(prefix); err != nil {
		return "", err
	}
	atomicfile.Step("state")
	return prefix, m.Record(prefix)
}

// Record adds prefix (an existing checkpoint) as the latest one in the state file and
// deletes the oldest checkpoints beyond MaxToKeep.
func (m *Manager) Record(prefix string) error {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	tm := now()
	ts := float64(tm.Unix()) + float64(tm.Nanosecond())/1e9
	lock, err := lockState(m.Dir)
	if err != nil {
		return err
	}
	defer lock.Release()
	s, err := ReadState(m.Dir)
	if errors.Is(err, ErrNotFound) {
		s, err = &State{LastPreservedTimestamp: ts}, nil
	}
	if err != nil {
		return err
	}
	rel := relPath(m.Dir, prefix)
	var paths []string
	var stamps []float64
	for i, p := range s.AllModelCheckpointPaths {
		if p == rel || ResolvePath(m.Dir, p) == prefix {
			continue
		}
		paths = append(paths, p)
		if i < len(s.AllModelCheckpointTimestamps) {
			stamps = append(stamps, s.AllModelCheckpointTimestamps[i])
		} else {
			stamps = append(stamps, ts)
		}
	}
	paths = append(paths, rel)
	stamps = append(stamps, ts)
	s.ModelCheckpointPath = rel
	s.AllModelCheckpointPaths = paths
	s.AllModelCheckpointTimestamps = stamps
	if err := writeStateLocked(m.Dir, s, true); err != nil {
		return err
	}
	if m.MaxToKeep <= 0 || len(paths) <= m.MaxToKeep {
		return nil
	}
	// The state file lists a checkpoint until its files are gone, so that a Record killed
	// while deleting leaves it listed, and the next Record deletes it.
	k := len(paths) - m.MaxToKeep
	for _, p := range paths[:k] {
		if err := Remove(ResolvePath(m.Dir, p)); err != nil {
			return err
		}
	}
	s.AllModelCheckpointPaths, s.AllModelCheckpointTimestamps = paths[k:], stamps[k:]
	return writeStateLocked(m.Dir, s, true)
}

// Remove deletes a bundle's index and then its data files (so that an interrupted Remove
// leaves data files without an index, never an index without its data).
func Remove(prefix string) error {
	files, _ := filepath.Glob(globEscape(prefix) + ".data-?????-of-?????")
	files = append([]string{IndexFile(prefix)}, files...)
	for _, f := range files {
		atomicfile.Step("remove " + filepath.Base(f))
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	return nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

func relPath(dir, prefix string) string {
	if r, err := filepath.Rel(dir, prefix); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return prefix
}

// quoteText quotes s as protobuf's Python text_format prints a string field.
func quoteText(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if c >= 0x80 {
				if r, n := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || n > 1 {
					b.WriteString(s[i : i+n])
					i += n
					continue
				}
			}
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, `\%03o`, c)
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	b.WriteByte('"')
	return b.String()
}

// formatDouble prints v as Python's repr does (shortest round-trip digits, exponent form
// outside [1e-4, 1e16)).
func formatDouble(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case math.IsNaN(v):
		return "nan"
	}
	a := math.Abs(v)
	if a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(v, 'e', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// maxStateBytes bounds the `checkpoint` state file. TF's are a few hundred bytes; even a
// manager keeping thousands of checkpoints stays far below this.
const maxStateBytes = 64 << 20

// parseState parses the text format of a CheckpointState with protobuf's text parser on
// TF's message (field names, quoting, escapes, comments and number syntax as protobuf's
// text format defines them; unknown fields and invalid UTF-8 in paths are errors, as in TF).
func parseState(text string) (*State, error) {
	var pb tfpb.CheckpointState
	if err := (prototext.UnmarshalOptions{}).Unmarshal([]byte(text), &pb); err != nil {
		return nil, errors.New(protoReason(err))
	}
	return &State{
		ModelCheckpointPath:          pb.GetModelCheckpointPath(),
		AllModelCheckpointPaths:      pb.GetAllModelCheckpointPaths(),
		AllModelCheckpointTimestamps: pb.GetAllModelCheckpointTimestamps(),
		LastPreservedTimestamp:       pb.GetLastPreservedTimestamp(),
	}, nil
}

// protoReason is a protobuf error's message without its "proto:" prefix (which protobuf
// prints with a randomly chosen space or no-break space), so that the reason reads
// "checkpoint: <file>: (line 1:23): invalid value ...".
func protoReason(err error) string {
	s := err.Error()
	if r, ok := strings.CutPrefix(s, "proto:"); ok {
		return strings.TrimLeft(r, " \u00a0")
	}
	return s
}
