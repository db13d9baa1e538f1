package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kerasgo/kerasgo/internal/tfevents"
)

// TestTensorBoardCheck: a good log directory passes with its counts; a flipped byte in a
// record fails naming the file, the record's offset and the checksum; no event files fail.
func TestTensorBoardCheck(t *testing.T) {
	dir := t.TempDir()
	w, err := tfevents.NewWriter(filepath.Join(dir, "train"), func() time.Time { return time.Unix(1700000000, 0) })
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.WriteScalar("epoch_loss", int64(i), float32(i)/4); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	var out, errb bytes.Buffer
	if st := run([]string{"tensorboard-check", dir}, &out, &errb); st != 0 || !strings.Contains(out.String(), "ok: 1 event files, 4 records (every CRC checked), 3 scalars") {
		t.Fatalf("status %d\n%s%s", st, out.String(), errb.String())
	}
	out.Reset()
	if st := run([]string{"tensorboard-check", w.Path()}, &out, &errb); st != 0 || !strings.Contains(out.String(), "ok: 1 event files, 4 records") {
		t.Fatalf("one file: status %d\n%s%s", st, out.String(), errb.String())
	}
	b, _ := os.ReadFile(w.Path())
	recs, _ := tfevents.ReadRecords(b)
	b[recs[2].Offset+20] ^= 0x10
	if err := os.WriteFile(w.Path(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	st := run([]string{"tensorboard-check", dir}, &out, &errb)
	msg := errb.String()
	if st != 1 || !strings.Contains(msg, w.Path()) || !strings.Contains(msg, "record 2 at offset "+strconv.FormatInt(recs[2].Offset, 10)+": data CRC") || !strings.Contains(msg, "checksum mismatch") {
		t.Errorf("corrupt file: status %d, stderr %q", st, msg)
	}
	errb.Reset()
	if st := run([]string{"tensorboard-check", t.TempDir()}, &out, &errb); st != 1 || !strings.Contains(errb.String(), "no event files") {
		t.Errorf("empty dir: status %d, stderr %q", st, errb.String())
	}
}
