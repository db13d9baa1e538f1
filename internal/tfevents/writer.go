package tfevents

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/kerasgo/kerasgo/internal/tfpb"
)

// fileCounter numbers the files this process creates, as TF numbers its writers' files.
var fileCounter atomic.Int64

// Writer appends Events to one event file.
type Writer struct {
	f    *os.File
	path string
	// Now returns the wall time of each event (default time.Now).
	now func() time.Time
}

// FileName returns the name TF 2's summary writer gives an event file created at t by
// process pid on host: events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2.
func FileName(t time.Time, host string, pid int, n int64) string {
	return fmt.Sprintf("events.out.tfevents.%010d.%s.%d.%d.v2", t.Unix(), host, pid, n)
}

// NewWriter creates dir if needed and a new event file in it, and writes the file_version
// Event. now may be nil (time.Now).
func NewWriter(dir string, now func() time.Time) (*Writer, error) {
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	t := now()
	path := filepath.Join(dir, FileName(t, host, os.Getpid(), fileCounter.Add(1)-1))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	w := &Writer{f: f, path: path, now: now}
	if err := w.write(&tfpb.Event{
		WallTime:       wallTime(t),
		What:           &tfpb.Event_FileVersion{FileVersion: FileVersion},
		SourceMetadata: &tfpb.SourceMetadata{Writer: SourceWriter},
	}); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Path returns the file's path.
func (w *Writer) Path() string { return w.path }

func wallTime(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

// WriteEvent appends e as one record.
func (w *Writer) WriteEvent(e *tfpb.Event) error { return w.write(e) }

func (w *Writer) write(e *tfpb.Event) error {
	data, err := MarshalEvent(e)
	if err != nil {
		return fmt.Errorf("tfevents: %s: %w", w.path, err)
	}
	if _, err := w.f.Write(AppendRecord(nil, data)); err != nil {
		return fmt.Errorf("tfevents: %w", err)
	}
	return nil
}

// WriteSummary appends an Event with the current wall time, step and the values.
func (w *Writer) WriteSummary(step int64, values ...*tfpb.Summary_Value) error {
	return w.write(&tfpb.Event{
		WallTime: wallTime(w.now()),
		Step:     step,
		What:     &tfpb.Event_Summary{Summary: &tfpb.Summary{Value: values}},
	})
}

// WriteScalar appends one scalar (ScalarValue) at step.
func (w *Writer) WriteScalar(tag string, step int64, v float32) error {
	return w.WriteSummary(step, ScalarValue(tag, v))
}

// Flush commits the file's contents to stable storage.
func (w *Writer) Flush() error { return w.f.Sync() }

// Close flushes and closes the file.
func (w *Writer) Close() error {
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}
