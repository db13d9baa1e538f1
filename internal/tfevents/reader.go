package tfevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/internal/regfile"
	"github.com/kerasgo/kerasgo/internal/tfpb"
)

// MaxRecordBytes bounds one record's data (TF's own records are far smaller; a larger
// declared length is a corrupt file, not an allocation).
const MaxRecordBytes = 64 << 20

// Record is one record of an event file: its offset in the file and its data.
type Record struct {
	Offset int64
	Data   []byte
}

// ReadRecords returns every record of an event file's bytes, checking both CRCs of each.
// Errors name the record's index and offset.
func ReadRecords(b []byte) ([]Record, error) {
	var out []Record
	off := 0
	for off < len(b) {
		n := len(out)
		if len(b)-off < 12 {
			return out, fmt.Errorf("%w: record %d at offset %d: truncated header (%d of 12 bytes)", ErrFormat, n, off, len(b)-off)
		}
		hdr := b[off : off+12]
		if got, want := MaskedCRC(hdr[:8]), binary.LittleEndian.Uint32(hdr[8:]); got != want {
			return out, fmt.Errorf("%w: record %d at offset %d: length CRC 0x%08x, stored 0x%08x", ErrChecksum, n, off, got, want)
		}
		size := binary.LittleEndian.Uint64(hdr[:8])
		rest := uint64(len(b) - off - 12)
		if size > MaxRecordBytes || size+4 > rest {
			return out, fmt.Errorf("%w: record %d at offset %d: length %d exceeds the %d bytes left", ErrFormat, n, off, size, rest)
		}
		data := b[off+12 : off+12+int(size)]
		stored := binary.LittleEndian.Uint32(b[off+12+int(size):])
		if got := MaskedCRC(data); got != stored {
			return out, fmt.Errorf("%w: record %d at offset %d: data CRC 0x%08x, stored 0x%08x", ErrChecksum, n, off, got, stored)
		}
		out = append(out, Record{Offset: int64(off), Data: data})
		off += 12 + int(size) + 4
	}
	return out, nil
}

// Scalar is one scalar value read from an event file.
type Scalar struct {
	Tag   string
	Step  int64
	Value float64
	Wall  float64
}

// FileReport is what Check found in one event file.
type FileReport struct {
	Path    string
	Records int
	Scalars []Scalar
	// Tags lists the summary tags in order of first appearance.
	Tags []string
}

// ParseEvents checks every record of an event file's bytes and decodes its Events: the first
// must carry file_version "brain.Event:2", scalar summaries must hold one float. name prefixes
// the errors.
func ParseEvents(name string, b []byte) (*FileReport, error) {
	recs, err := ReadRecords(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rep := &FileReport{Path: name, Records: len(recs)}
	seen := map[string]bool{}
	for i, r := range recs {
		var e tfpb.Event
		if err := proto.Unmarshal(r.Data, &e); err != nil {
			return rep, fmt.Errorf("%s: %w: record %d at offset %d: not an Event: %v", name, ErrFormat, i, r.Offset, err)
		}
		if i == 0 {
			if e.GetFileVersion() != FileVersion {
				return rep, fmt.Errorf("%s: %w: record 0 at offset 0: file_version %q, want %q", name, ErrFormat, e.GetFileVersion(), FileVersion)
			}
			continue
		}
		if math.IsNaN(e.WallTime) || e.WallTime < 0 {
			return rep, fmt.Errorf("%s: %w: record %d at offset %d: wall time %v", name, ErrFormat, i, r.Offset, e.WallTime)
		}
		for _, v := range e.GetSummary().GetValue() {
			if v.Tag == "" {
				return rep, fmt.Errorf("%s: %w: record %d at offset %d: summary value without a tag", name, ErrFormat, i, r.Offset)
			}
			if !seen[v.Tag] {
				seen[v.Tag] = true
				rep.Tags = append(rep.Tags, v.Tag)
			}
			x, ok, err := scalarOf(v)
			if err != nil {
				return rep, fmt.Errorf("%s: %w: record %d at offset %d: tag %q: %v", name, ErrFormat, i, r.Offset, v.Tag, err)
			}
			if ok {
				rep.Scalars = append(rep.Scalars, Scalar{Tag: v.Tag, Step: e.Step, Value: x, Wall: e.WallTime})
			}
		}
	}
	return rep, nil
}

// scalarOf returns a summary value's scalar: a simple_value, or a "scalars" plugin tensor
// (rank 0, float32 or float64, in tensor_content or the typed field).
func scalarOf(v *tfpb.Summary_Value) (float64, bool, error) {
	if sv, ok := v.Value.(*tfpb.Summary_Value_SimpleValue); ok {
		return float64(sv.SimpleValue), true, nil
	}
	if v.GetMetadata().GetPluginData().GetPluginName() != PluginScalars {
		return 0, false, nil
	}
	t := v.GetTensor()
	if t == nil {
		return 0, false, errors.New("scalars summary without a tensor")
	}
	if d := t.GetTensorShape().GetDim(); len(d) != 0 {
		return 0, false, fmt.Errorf("scalars summary of rank %d, want 0", len(d))
	}
	switch t.Dtype {
	case tfpb.DataType_DT_FLOAT:
		if len(t.TensorContent) == 4 {
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(t.TensorContent))), true, nil
		}
		if len(t.TensorContent) == 0 && len(t.FloatVal) == 1 {
			return float64(t.FloatVal[0]), true, nil
		}
	case tfpb.DataType_DT_DOUBLE:
		if len(t.TensorContent) == 8 {
			return math.Float64frombits(binary.LittleEndian.Uint64(t.TensorContent)), true, nil
		}
		if len(t.TensorContent) == 0 && len(t.DoubleVal) == 1 {
			return t.DoubleVal[0], true, nil
		}
	default:
		return 0, false, fmt.Errorf("scalars summary of dtype %v", t.Dtype)
	}
	return 0, false, fmt.Errorf("scalars summary holds %d content bytes, want one value", len(t.TensorContent))
}

// CheckFile reads and checks one event file (ParseEvents). It must be a regular file.
func CheckFile(path string) (*FileReport, error) {
	f, size, err := regfile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, size)
	_, err = io.ReadFull(f, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ParseEvents(path, b)
}

// IsEventFile reports whether a file name is an event file's (contains "tfevents").
func IsEventFile(name string) bool { return strings.Contains(name, "tfevents") }

// CheckDir checks every event file under logdir (sorted by path); it fails on the first bad
// one, and when there is none.
func CheckDir(logdir string) ([]*FileReport, error) {
	var paths []string
	err := filepath.WalkDir(logdir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && IsEventFile(d.Name()) {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: %w: no event files (events.out.tfevents.*)", logdir, ErrFormat)
	}
	sort.Strings(paths)
	var reps []*FileReport
	for _, p := range paths {
		rep, err := CheckFile(p)
		if err != nil {
			return reps, err
		}
		reps = append(reps, rep)
	}
	return reps, nil
}
