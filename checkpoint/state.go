package checkpoint

import (
	"errors"
	"fmt"
	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
	b, err := os.ReadFile(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errorf(name, "", -1, ErrNotFound, "no checkpoint state file")
		}
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if len(b) > 64<<20 {
		return nil, errorf(name, "", -1, ErrFormat, "state file of %d bytes", len(b))
	}
	s, err := parseState(string(b))
	if err != nil {
		return nil, errorf(name, "", -1, ErrFormat, "%v", err)
	}
	return s, nil
}

// WriteState writes s to dir/checkpoint in text format, atomically (temporary file and
// rename), as TF's update_checkpoint_state_internal does.
func WriteState(dir string, s *State) error {
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

// parseState parses the text format of a CheckpointState.
func parseState(text string) (*State, error) {
	s := &State{}
	lx := &lexer{s: text}
	for {
		name, ok, err := lx.ident()
		if err != nil {
			return nil, err
		}
		if !ok {
			return s, nil
		}
		if !lx.colon() {
			return nil, fmt.Errorf("line %d: expected ':' after %s", lx.line, name)
		}
		switch name {
		case "model_checkpoint_path", "all_model_checkpoint_paths":
			v, err := lx.str()
			if err != nil {
				return nil, err
			}
			if name == "model_checkpoint_path" {
				s.ModelCheckpointPath = v
			} else {
				s.AllModelCheckpointPaths = append(s.AllModelCheckpointPaths, v)
			}
		case "all_model_checkpoint_timestamps", "last_preserved_timestamp":
			v, err := lx.num()
			if err != nil {
				return nil, err
			}
			if name == "last_preserved_timestamp" {
				s.LastPreservedTimestamp = v
			} else {
				s.AllModelCheckpointTimestamps = append(s.AllModelCheckpointTimestamps, v)
			}
		default:
			return nil, fmt.Errorf("line %d: unknown field %q", lx.line, name)
		}
	}
}

type lexer struct {
	s    string
	p    int
	line int
}

func (l *lexer) skip() {
	for l.p < len(l.s) {
		switch c := l.s[l.p]; {
		case c == '\n':
			l.line++
			l.p++
		case c == ' ' || c == '\t' || c == '\r' || c == ',' || c == ';':
			l.p++
		case c == '#':
			for l.p < len(l.s) && l.s[l.p] != '\n' {
				l.p++
			}
		default:
			return
		}
	}
}

func (l *lexer) ident() (string, bool, error) {
	l.skip()
	if l.p >= len(l.s) {
		return "", false, nil
	}
	st := l.p
	for l.p < len(l.s) {
		c := l.s[l.p]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || l.p > st && c >= '0' && c <= '9' {
			l.p++
			continue
		}
		break
	}
	if l.p == st {
		return "", false, fmt.Errorf("line %d: unexpected %q", l.line+1, l.s[l.p])
	}
	return l.s[st:l.p], true, nil
}

func (l *lexer) colon() bool {
	l.skip()
	if l.p < len(l.s) && l.s[l.p] == ':' {
		l.p++
		return true
	}
	return false
}

func (l *lexer) num() (float64, error) {
	l.skip()
	st := l.p
	for l.p < len(l.s) && strings.IndexByte("+-.0123456789eEinfatyINFATY", l.s[l.p]) >= 0 {
		l.p++
	}
	tok := l.s[st:l.p]
	tok = strings.TrimSuffix(strings.TrimSuffix(tok, "f"), "F")
	v, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		return 0, fmt.Errorf("line %d: bad number %q", l.line+1, l.s[st:l.p])
	}
	return v, nil
}

// str reads one or more adjacent quoted strings with C escapes.
func (l *lexer) str() (string, error) {
	var b strings.Builder
	n := 0
	for {
		l.skip()
		if l.p >= len(l.s) || (l.s[l.p] != '"' && l.s[l.p] != '\'') {
			break
		}
		q := l.s[l.p]
		l.p++
		for {
			if l.p >= len(l.s) || l.s[l.p] == '\n' {
				return "", fmt.Errorf("line %d: unterminated string", l.line+1)
			}
			c := l.s[l.p]
			l.p++
			if c == q {
				break
			}
			if c != '\\' {
				b.WriteByte(c)
				continue
			}
			if l.p >= len(l.s) {
				return "", fmt.Errorf("line %d: bad escape", l.line+1)
			}
			e := l.s[l.p]
			l.p++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'a':
				b.WriteByte(7)
			case 'b':
				b.WriteByte(8)
			case 'f':
				b.WriteByte(12)
			case 'v':
				b.WriteByte(11)
			case 'x', 'X':
				v, k := 0, 0
				for k < 2 && l.p < len(l.s) && isHex(l.s[l.p]) {
					v = v*16 + hexVal(l.s[l.p])
					l.p++
					k++
				}
				if k == 0 {
					return "", fmt.Errorf("line %d: bad \\x escape", l.line+1)
				}
				b.WriteByte(byte(v))
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.p < len(l.s) && l.s[l.p] >= '0' && l.s[l.p] <= '7'; k++ {
						v = v*8 + int(l.s[l.p]-'0')
						l.p++
					}
					b.WriteByte(byte(v))
				} else {
					b.WriteByte(e) // \" \' \\ \?
				}
			}
		}
		n++
	}
	if n == 0 {
		return "", fmt.Errorf("line %d: expected a quoted string", l.line+1)
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}
