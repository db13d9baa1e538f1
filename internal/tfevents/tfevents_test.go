package tfevents

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/internal/tfpb"
)

// The serialized Events (wall time cleared) that TF 2.21's tf.summary writes for
// file_version and for tf.summary.scalar("epoch_loss", 0.2685614, step=0) and step 1.
// Facts of the format; compat/tensorboard_test.go compares whole files with Keras's.
const (
	tfFileVersion = "1a0d627261696e2e4576656e743a3252240a2274656e736f72666c6f772e636f72652e7574696c2e6576656e74735f777269746572"
	tfEpochLoss0  = "2a270a250a0a65706f63685f6c6f7373420a080112002204e180893e4a0b0a090a077363616c617273"
	tfEpochLoss1  = "10012a270a250a0a65706f63685f6c6f7373420a080112002204ca49773e4a0b0a090a077363616c617273"
)

func marshal(t *testing.T, e *tfpb.Event) string {
	b, err := MarshalEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	var back tfpb.Event
	if err := proto.Unmarshal(b, &back); err != nil || !proto.Equal(&back, e) {
		t.Fatalf("MarshalEvent does not read back: %v", err)
	}
	return hex.EncodeToString(b)
}

func TestEventBytes(t *testing.T) {
	fv := &tfpb.Event{What: &tfpb.Event_FileVersion{FileVersion: FileVersion}, SourceMetadata: &tfpb.SourceMetadata{Writer: SourceWriter}}
	if got := marshal(t, fv); got != tfFileVersion {
		t.Errorf("file_version event\n got %s\nwant %s", got, tfFileVersion)
	}
	for _, c := range []struct {
		step int64
		v    float32
		want string
	}{{0, 0.2685614, tfEpochLoss0}, {1, 0.24149242, tfEpochLoss1}} {
		e := &tfpb.Event{Step: c.step, What: &tfpb.Event_Summary{Summary: &tfpb.Summary{Value: []*tfpb.Summary_Value{ScalarValue("epoch_loss", c.v)}}}}
		if got := marshal(t, e); got != c.want {
			t.Errorf("scalar event step %d\n got %s\nwant %s", c.step, got, c.want)
		}
	}
}

func TestMaskedCRC(t *testing.T) {
	// CRC32C("123456789") is 0xe3069283 (the Castagnoli check value); masked by TFRecord's rule.
	c := uint32(0xe3069283)
	want := ((c >> 15) | (c << 17)) + 0xa282ead8
	if got := MaskedCRC([]byte("123456789")); got != want {
		t.Fatalf("MaskedCRC = %#x, want %#x", got, want)
	}
}

func writeSample(t *testing.T, dir string) string {
	t.Helper()
	clock := time.Unix(1700000000, 500000000)
	w, err := NewWriter(dir, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	for step, v := range []float32{0.5, 0.25, 0.125} {
		if err := w.WriteScalar("epoch_loss", int64(step), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteSummary(0, KerasModelValue([]byte(`{"class_name": "Sequential"}`))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.Path()
}

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	path := writeSample(t, filepath.Join(dir, "train"))
	base := filepath.Base(path)
	host, _ := os.Hostname()
	if !strings.HasPrefix(base, "events.out.tfevents.1700000000."+host+".") || !strings.HasSuffix(base, ".v2") {
		t.Fatalf("file name %s", base)
	}
	reps, err := CheckDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 1 || reps[0].Records != 5 || len(reps[0].Scalars) != 3 {
		t.Fatalf("report %+v", reps)
	}
	for i, s := range reps[0].Scalars {
		if s.Tag != "epoch_loss" || s.Step != int64(i) || s.Value != 0.5/float64(int(1)<<i) || s.Wall != 1700000000.5 {
			t.Errorf("scalar %d: %+v", i, s)
		}
	}
	if got := strings.Join(reps[0].Tags, ","); got != "epoch_loss,keras" {
		t.Errorf("tags %s", got)
	}
}

func TestCorruptFiles(t *testing.T) {
	path := writeSample(t, t.TempDir())
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := ReadRecords(good)
	second := int(recs[1].Offset)
	cases := []struct {
		name   string
		mutate func([]byte) []byte
		cat    error
		msg    string
	}{
		{"length CRC", func(b []byte) []byte { b[second+8] ^= 1; return b }, errcat.ErrChecksum, "record 1 at offset " + strconv.Itoa(second) + ": length CRC"},
		{"data CRC", func(b []byte) []byte { b[second+14] ^= 0x40; return b }, errcat.ErrChecksum, "record 1 at offset " + strconv.Itoa(second) + ": data CRC"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-3] }, errcat.ErrFormat, "record 4 at offset"},
		{"huge length", func(b []byte) []byte {
			copy(b[second:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
			h := MaskedCRC(b[second : second+8])
			b[second+8], b[second+9], b[second+10], b[second+11] = byte(h), byte(h>>8), byte(h>>16), byte(h>>24)
			return b
		}, errcat.ErrFormat, "exceeds"},
		{"not an event", func(b []byte) []byte { return AppendRecord(b, []byte{0xff, 0xff}) }, errcat.ErrFormat, "record 5 at offset " + strconv.Itoa(len(good)) + ": not an Event"},
		{"no file version", func(b []byte) []byte { return b[second:] }, errcat.ErrFormat, "file_version"},
	}
	for _, c := range cases {
		b := c.mutate(bytes.Clone(good))
		p := filepath.Join(t.TempDir(), "events.out.tfevents.bad")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := CheckFile(p)
		if err == nil || !errors.Is(err, c.cat) || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err %v, want %v naming %q and the file", c.name, err, c.cat, c.msg)
		}
	}
	if _, err := CheckDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no event files") {
		t.Errorf("empty dir: %v", err)
	}
}

// FuzzEvents: ParseEvents on any bytes returns records or an error, never panics, and never
// allocates more than the input holds.
func FuzzEvents(f *testing.F) {
	dir := f.TempDir()
	clock := time.Unix(1700000000, 0)
	w, err := NewWriter(dir, func() time.Time { return clock })
	if err != nil {
		f.Fatal(err)
	}
	w.WriteScalar("epoch_loss", 3, 0.5)
	w.WriteSummary(0, KerasModelValue([]byte("{}")))
	w.Close()
	good, err := os.ReadFile(w.Path())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:20])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := ParseEvents("fuzz", b)
		if err == nil && rep.Records == 0 && len(b) != 0 {
			t.Fatalf("no records and no error for %d bytes", len(b))
		}
	})
}
