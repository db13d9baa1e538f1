package h5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// selfContinuingHeader builds a version-1 object header at address 0 whose only block (about
// 1 MB) holds a continuation message pointing back at the block itself, padded with NIL
// messages.
func selfContinuingHeader() []byte {
	const pads, padSize = 16, 65528
	blockSize := 8 + 16 + pads*(8+padSize)
	b := make([]byte, 16, 16+blockSize)
	b[0] = 1                                                // version
	binary.LittleEndian.PutUint16(b[2:], 65535)             // messages
	binary.LittleEndian.PutUint32(b[4:], 1)                 // reference count
	binary.LittleEndian.PutUint32(b[8:], uint32(blockSize)) // header size
	msg := func(typ, size int) {
		b = binary.LittleEndian.AppendUint16(b, uint16(typ))
		b = binary.LittleEndian.AppendUint16(b, uint16(size))
		b = append(b, 0, 0, 0, 0)
	}
	msg(0x10, 16)
	b = binary.LittleEndian.AppendUint64(b, 16) // the block's own address
	b = binary.LittleEndian.AppendUint64(b, uint64(blockSize))
	for i := 0; i < pads; i++ {
		msg(0, padSize)
		b = append(b, make([]byte, padSize)...)
	}
	return b
}

// TestHeaderContinuationLoop: a continuation block that continues into itself is rejected
// after reading it once, by checkHeader and by checkAttr (it was read 1024 times, 1 GB for
// this 1 MB file).
func TestHeaderContinuationLoop(t *testing.T) {
	b := selfContinuingHeader()
	g := &vlenGuard{r: bytes.NewReader(b), size: int64(len(b)), sb: sbInfo{sOff: 8, sLen: 8}}
	for name, check := range map[string]func() error{
		"checkHeader": func() error { return g.checkHeader(0) },
		"checkAttr":   func() error { return g.checkAttr(0, "x", maxAttrBytes) },
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := check()
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "twice") {
			t.Errorf("%s = %v, want ErrFormat for the looping continuation", name, err)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 50<<20 {
			t.Errorf("%s allocated %d bytes for a %d-byte file", name, d, len(b))
		}
	}
}

// TestHeaderBlocksExceedFile: continuation blocks at distinct addresses whose sizes add up
// to more than the file are rejected.
func TestHeaderBlocksExceedFile(t *testing.T) {
	b := make([]byte, 16, 4096)
	b[0] = 1
	binary.LittleEndian.PutUint16(b[2:], 200)
	binary.LittleEndian.PutUint32(b[8:], 200*24)
	for i := 0; i < 200; i++ { // 200 continuations, each naming a 3000-byte block
		b = binary.LittleEndian.AppendUint16(b, 0x10)
		b = binary.LittleEndian.AppendUint16(b, 16)
		b = append(b, 0, 0, 0, 0)
		b = binary.LittleEndian.AppendUint64(b, uint64(i))
		b = binary.LittleEndian.AppendUint64(b, 3000)
	}
	g := &vlenGuard{r: bytes.NewReader(b), size: int64(len(b)), sb: sbInfo{sOff: 8, sLen: 8}}
	if err := g.checkHeader(0); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "-byte file") {
		t.Errorf("checkHeader = %v, want ErrFormat for blocks larger than the file", err)
	}
}
