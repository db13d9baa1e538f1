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

// WriteState writes s to dir/checkpoint in text format, atomically (temporary file and
// rename), as TF's update_checkpoint_state_internal does. Paths must be valid UTF-8 (the
// fields are proto3 strings: neither TF nor ReadState accepts anything else).
func WriteState(dir string, s *State) error {
	for _, p := range append([]string{s.ModelCheckpointPath}, s.AllModelCheckpointPaths...) {
		if !utf8.ValidString(p) {
			return errorf(filepath.Join(dir, StateFile), "", -1, ErrFormat, "path %q is not valid UTF-8", p)
		}
	}
	if err := (atomicfile.Options{}).WriteBytes(filepath.Join(dir, StateFile), []byte(s.Text())); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", filepath.Join(dir, StateFile), err)
	}
	return nil
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
	if testHookRename != nil {
		testHookRename("state")
	}
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
	var drop []string
	if m.MaxToKeep > 0 && len(paths) > m.MaxToKeep {
		k := len(paths) - m.MaxToKeep
		drop = paths[:k]
		paths, stamps = paths[k:], stamps[k:]
	}
	s.ModelCheckpointPath = rel
	s.AllModelCheckpointPaths = paths
	s.AllModelCheckpointTimestamps = stamps
	if err := WriteState(m.Dir, s); err != nil {
		return err
	}
	for _, p := range drop {
		if err := Remove(ResolvePath(m.Dir, p)); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes a bundle's index and data files.
func Remove(prefix string) error {
	files, _ := filepath.Glob(globEscape(prefix) + ".data-?????-of-?????")
	files = append(files, IndexFile(prefix))
	for _, f := range files {
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
