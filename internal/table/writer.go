package table

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// WriterOptions configures a Writer. The zero value gives TensorFlow's defaults.
type WriterOptions struct {
	// BlockSize is the target uncompressed size of a data block (default DefaultBlockSize).
	BlockSize int
	// RestartInterval is the number of entries between restart points in data blocks
	// (default DefaultRestartInterval).
	RestartInterval int
}

// Writer writes a table to an io.Writer. Keys must be added in strictly increasing bytewise
// order. Close writes the metaindex, index and footer; it does not close the io.Writer.
type Writer struct {
	w          io.Writer
	blockSize  int
	offset     uint64
	data       blockBuilder
	index      blockBuilder
	lastKey    []byte
	numEntries int64
	pending    bool // an index entry for the last flushed block is waiting for the next key
	pendingH   Handle
	err        error
	closed     bool
}

// NewWriter returns a Writer writing to w. opts may be nil.
func NewWriter(w io.Writer, opts *WriterOptions) *Writer {
	var o WriterOptions
	if opts != nil {
		o = *opts
	}
	if o.BlockSize <= 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.RestartInterval <= 0 {
		o.RestartInterval = DefaultRestartInterval
	}
	tw := &Writer{w: w, blockSize: o.BlockSize}
	tw.data.reset(o.RestartInterval)
	tw.index.reset(1)
	return tw
}

// Add appends one entry. key must sort strictly after the previous key.
func (w *Writer) Add(key, value []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("table: Add after Close")
	}
	if w.numEntries > 0 {
		if bytes.Compare(key, w.lastKey) <= 0 {
			return fmt.Errorf("%w: %q after %q", ErrOrder, key, w.lastKey)
		}
		// An entry at least twice the block size gets a block of its own.
		if len(key)+len(value) >= 2*w.blockSize {
			w.flush()
		}
	}
	if w.pending {
		w.lastKey = shortestSeparator(w.lastKey, key)
		w.index.add(w.lastKey, appendHandle(nil, w.pendingH))
		w.pending = false
	}
	w.lastKey = append(w.lastKey[:0], key...)
	w.numEntries++
	w.data.add(key, value)
	if w.data.sizeEstimate() >= w.blockSize {
		w.flush()
	}
	return w.err
}

// Close finishes the table. It does not close the underlying io.Writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.flush()
	w.closed = true
	if w.err != nil {
		return w.err
	}
	var meta blockBuilder
	meta.reset(DefaultRestartInterval)
	metaH := w.writeBlock(&meta)
	if w.pending {
		w.lastKey = shortSuccessor(w.lastKey)
		w.index.add(w.lastKey, appendHandle(nil, w.pendingH))
		w.pending = false
	}
	indexH := w.writeBlock(&w.index)
	if w.err != nil {
		return w.err
	}
	w.write(appendFooter(nil, metaH, indexH))
	return w.err
}

// Offset returns the number of bytes written so far.
func (w *Writer) Offset() int64 { return int64(w.offset) }

func (w *Writer) flush() {
	if w.err != nil || w.data.empty() {
		return
	}
	w.pendingH = w.writeBlock(&w.data)
	w.pending = true
}

func (w *Writer) writeBlock(b *blockBuilder) Handle {
	contents := b.finish()
	h := Handle{Offset: w.offset, Size: uint64(len(contents))}
	var trailer [TrailerSize]byte
	trailer[0] = NoCompression
	crc := ExtendCRC(CRC(contents), trailer[:1])
	binary.LittleEndian.PutUint32(trailer[1:], MaskCRC(crc))
	w.write(contents)
	w.write(trailer[:])
	b.reset(b.interval)
	return h
}

func (w *Writer) write(p []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(p)
	w.offset += uint64(n)
	if err != nil {
		w.err = fmt.Errorf("table: write: %w", err)
	}
}

// blockBuilder accumulates the entries of one block.
type blockBuilder struct {
	buf      []byte
	restarts []uint32
	counter  int
	interval int
	lastKey  []byte
}

func (b *blockBuilder) reset(interval int) {
	b.interval = interval
	b.buf = b.buf[:0]
	b.restarts = append(b.restarts[:0], 0)
	b.counter = 0
	b.lastKey = b.lastKey[:0]
}

func (b *blockBuilder) empty() bool { return len(b.buf) == 0 }

func (b *blockBuilder) sizeEstimate() int { return len(b.buf) + 4*len(b.restarts) + 4 }

func (b *blockBuilder) add(key, value []byte) {
	shared := 0
	if b.counter < b.interval {
		n := min(len(key), len(b.lastKey))
		for shared < n && key[shared] == b.lastKey[shared] {
			shared++
		}
	} else {
		b.restarts = append(b.restarts, uint32(len(b.buf)))
		b.counter = 0
	}
	b.buf = binary.AppendUvarint(b.buf, uint64(shared))
	b.buf = binary.AppendUvarint(b.buf, uint64(len(key)-shared))
	b.buf = binary.AppendUvarint(b.buf, uint64(len(value)))
	b.buf = append(b.buf, key[shared:]...)
	b.buf = append(b.buf, value...)
	b.lastKey = append(b.lastKey[:0], key...)
	b.counter++
}

func (b *blockBuilder) finish() []byte {
	for _, r := range b.restarts {
		b.buf = binary.LittleEndian.AppendUint32(b.buf, r)
	}
	b.buf = binary.LittleEndian.AppendUint32(b.buf, uint32(len(b.restarts)))
	return b.buf
}

// shortestSeparator returns a short key k with start <= k < limit, as TensorFlow's bytewise
// comparator computes it. start is modified in place.
func shortestSeparator(start, limit []byte) []byte {
	n := min(len(start), len(limit))
	i := 0
	for i < n && start[i] == limit[i] {
		i++
	}
	if i >= n {
		return start // one is a prefix of the other
	}
	if c := start[i]; c < 0xff && c+1 < limit[i] {
		start[i]++
		return start[:i+1]
	}
	return start
}

// shortSuccessor returns a short key >= key: the first byte that is not 0xff is incremented
// and the rest dropped. key is modified in place.
func shortSuccessor(key []byte) []byte {
	for i, c := range key {
		if c != 0xff {
			key[i] = c + 1
			return key[:i+1]
		}
	}
	return key
}

func appendHandle(dst []byte, h Handle) []byte {
	dst = binary.AppendUvarint(dst, h.Offset)
	return binary.AppendUvarint(dst, h.Size)
}

func appendFooter(dst []byte, meta, index Handle) []byte {
	start := len(dst)
	dst = appendHandle(dst, meta)
	dst = appendHandle(dst, index)
	for len(dst)-start < 2*maxHandleLen {
		dst = append(dst, 0)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(Magic&0xffffffff))
	return binary.LittleEndian.AppendUint32(dst, uint32(Magic>>32))
}
