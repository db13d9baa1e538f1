package table

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/golang/snappy"
)

// DefaultMaxBlockSize is the default limit on one block's (decompressed) size.
const DefaultMaxBlockSize = 256 << 20

// ReaderOptions configures a Reader. The zero value works.
type ReaderOptions struct {
	// Name is the file name used in error messages.
	Name string
	// MaxBlockSize limits the size of one block, after decompression
	// (default DefaultMaxBlockSize).
	MaxBlockSize int64
}

// Reader reads a table. It keeps the index block in memory and reads data blocks on demand;
// every block's checksum is verified when it is read.
type Reader struct {
	r     io.ReaderAt
	size  int64
	opts  ReaderOptions
	index []kv // index key -> encoded handle
	hs    []Handle
}

type kv struct{ key, value []byte }

// NewReader opens the table held in the first size bytes of r. It reads and checks the
// footer and the index block. opts may be nil.
func NewReader(r io.ReaderAt, size int64, opts *ReaderOptions) (*Reader, error) {
	t := &Reader{r: r, size: size}
	if opts != nil {
		t.opts = *opts
	}
	if t.opts.MaxBlockSize <= 0 {
		t.opts.MaxBlockSize = DefaultMaxBlockSize
	}
	if size < FooterSize {
		return nil, t.errf(0, ErrFormat, "file of %d bytes is shorter than the %d-byte footer", size, FooterSize)
	}
	var footer [FooterSize]byte
	if _, err := r.ReadAt(footer[:], size-FooterSize); err != nil {
		return nil, t.errf(size-FooterSize, ioErr(err), "read footer")
	}
	magic := uint64(binary.LittleEndian.Uint32(footer[40:])) | uint64(binary.LittleEndian.Uint32(footer[44:]))<<32
	if magic != Magic {
		return nil, t.errf(size-FooterSize, ErrFormat, "bad magic %#x (not a table file)", magic)
	}
	metaH, n, ok := decodeHandle(footer[:2*maxHandleLen])
	if !ok {
		return nil, t.errf(size-FooterSize, ErrFormat, "bad metaindex handle")
	}
	indexH, _, ok := decodeHandle(footer[n : 2*maxHandleLen])
	if !ok {
		return nil, t.errf(size-FooterSize, ErrFormat, "bad index handle")
	}
	if _, err := t.readBlock(metaH); err != nil {
		return nil, err
	}
	contents, err := t.readBlock(indexH)
	if err != nil {
		return nil, err
	}
	t.index, err = t.parseBlock(contents, indexH)
	if err != nil {
		return nil, err
	}
	t.hs = make([]Handle, len(t.index))
	for i, e := range t.index {
		h, _, ok := decodeHandle(e.value)
		if !ok {
			return nil, t.errf(int64(indexH.Offset), ErrFormat, "index entry %d: bad block handle", i)
		}
		// Data blocks follow one another in index order; overlapping handles would let a
		// small file make Scan read the same bytes many times.
		if i > 0 && h.Offset < t.hs[i-1].Offset+t.hs[i-1].Size+TrailerSize {
			return nil, t.errf(int64(indexH.Offset), ErrFormat, "index entry %d: block at %d overlaps the previous block", i, h.Offset)
		}
		t.hs[i] = h
	}
	return t, nil
}

// NumBlocks returns the number of data blocks.
func (t *Reader) NumBlocks() int { return len(t.hs) }

// Scan calls fn for every entry in key order. The slices passed to fn are not reused and may
// be retained. Scan stops at the first error, from the file or from fn.
func (t *Reader) Scan(fn func(key, value []byte) error) error {
	var prev []byte
	first := true
	for i, h := range t.hs {
		ents, err := t.dataBlock(h)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if !first && bytes.Compare(e.key, prev) <= 0 {
				return t.errf(int64(h.Offset), ErrFormat, "key %q does not sort after %q", e.key, prev)
			}
			if bytes.Compare(e.key, t.index[i].key) > 0 {
				return t.errf(int64(h.Offset), ErrFormat, "key %q sorts after its index key %q", e.key, t.index[i].key)
			}
			first = false
			prev = e.key
			if err := fn(e.key, e.value); err != nil {
				return err
			}
		}
	}
	return nil
}

// Get returns the value stored under key, or an error wrapping ErrNotFound.
func (t *Reader) Get(key []byte) ([]byte, error) {
	i := sort.Search(len(t.index), func(i int) bool { return bytes.Compare(t.index[i].key, key) >= 0 })
	if i < len(t.index) {
		ents, err := t.dataBlock(t.hs[i])
		if err != nil {
			return nil, err
		}
		j := sort.Search(len(ents), func(j int) bool { return bytes.Compare(ents[j].key, key) >= 0 })
		if j < len(ents) && bytes.Equal(ents[j].key, key) {
			return ents[j].value, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
}

func (t *Reader) dataBlock(h Handle) ([]kv, error) {
	contents, err := t.readBlock(h)
	if err != nil {
		return nil, err
	}
	return t.parseBlock(contents, h)
}

// readBlock reads a block and its trailer, verifies the checksum and decompresses it.
func (t *Reader) readBlock(h Handle) ([]byte, error) {
	off := int64(h.Offset)
	limit := uint64(t.size - FooterSize)
	if h.Offset > limit || h.Size > limit-h.Offset || TrailerSize > limit-h.Offset-h.Size {
		return nil, t.errf(off, ErrFormat, "block of %d bytes at %d runs past the end of the data (%d bytes)", h.Size, h.Offset, limit)
	}
	if int64(h.Size) > t.opts.MaxBlockSize {
		return nil, t.errf(off, ErrFormat, "block of %d bytes exceeds the %d-byte limit", h.Size, t.opts.MaxBlockSize)
	}
	buf := make([]byte, h.Size+TrailerSize)
	if _, err := t.r.ReadAt(buf, off); err != nil {
		return nil, t.errf(off, ioErr(err), "read block")
	}
	contents, trailer := buf[:h.Size], buf[h.Size:]
	want := UnmaskCRC(binary.LittleEndian.Uint32(trailer[1:]))
	if got := ExtendCRC(CRC(contents), trailer[:1]); got != want {
		return nil, t.errf(off, ErrChecksum, "block crc32c %#08x, trailer says %#08x", got, want)
	}
	switch trailer[0] {
	case NoCompression:
		return contents, nil
	case SnappyCompression:
		n, err := snappy.DecodedLen(contents)
		if err != nil {
			return nil, t.errf(off, ErrFormat, "snappy block: %v", err)
		}
		// Snappy expands at most ~21x (a 3-byte copy emits 64 bytes).
		if int64(n) > t.opts.MaxBlockSize || n > 32*len(contents)+64 {
			return nil, t.errf(off, ErrFormat, "snappy block declares %d bytes from %d", n, len(contents))
		}
		out, err := snappy.Decode(make([]byte, n), contents)
		if err != nil {
			return nil, t.errf(off, ErrFormat, "snappy block: %v", err)
		}
		return out, nil
	default:
		return nil, t.errf(off, ErrUnsupported, "block compression type %d", trailer[0])
	}
}

// parseBlock decodes every entry of a block, checking all offsets and lengths.
func (t *Reader) parseBlock(b []byte, h Handle) ([]kv, error) {
	off := int64(h.Offset)
	if len(b) < 4 {
		return nil, t.errf(off, ErrFormat, "block of %d bytes has no restart count", len(b))
	}
	nr := uint64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	if nr > uint64(len(b)-4)/4 {
		return nil, t.errf(off, ErrFormat, "%d restart points do not fit in a %d-byte block", nr, len(b))
	}
	end := len(b) - 4 - 4*int(nr)
	restarts := make(map[int]bool, nr)
	lastR := -1
	for i := 0; i < int(nr); i++ {
		r := int(binary.LittleEndian.Uint32(b[end+4*i:]))
		if r <= lastR || (r >= end && !(r == 0 && end == 0)) {
			return nil, t.errf(off, ErrFormat, "restart point %d at %d is out of order or out of range", i, r)
		}
		lastR = r
		restarts[r] = true
	}
	// Every entry's key is materialized: a block with one long key followed by many
	// entries sharing it would otherwise cost O(len(b)^2) bytes.
	keyLimit := maxKeyBytes(len(b))
	keyBytes := 0
	var ents []kv
	var prev []byte
	for p := 0; p < end; {
		start := p
		shared, n1 := binary.Uvarint(b[p:end])
		if n1 <= 0 {
			return nil, t.errf(off, ErrFormat, "entry at block byte %d: bad shared length", start)
		}
		p += n1
		nonShared, n2 := binary.Uvarint(b[p:end])
		if n2 <= 0 {
			return nil, t.errf(off, ErrFormat, "entry at block byte %d: bad key length", start)
		}
		p += n2
		vlen, n3 := binary.Uvarint(b[p:end])
		if n3 <= 0 {
			return nil, t.errf(off, ErrFormat, "entry at block byte %d: bad value length", start)
		}
		p += n3
		if shared > uint64(len(prev)) {
			return nil, t.errf(off, ErrFormat, "entry at block byte %d shares %d bytes with a %d-byte key", start, shared, len(prev))
		}
		if restarts[start] && shared != 0 {
			return nil, t.errf(off, ErrFormat, "entry at restart point %d shares a prefix", start)
		}
		if nonShared > uint64(end-p) || vlen > uint64(end-p)-nonShared {
			return nil, t.errf(off, ErrFormat, "entry at block byte %d runs past the block", start)
		}
		keyBytes += int(shared) + int(nonShared)
		if keyBytes > keyLimit {
			return nil, t.errf(off, ErrFormat, "block of %d bytes at %d expands to more than %d bytes of keys (entry at block byte %d)", len(b), h.Offset, keyLimit, start)
		}
		key := make([]byte, int(shared)+int(nonShared))
		copy(key, prev[:shared])
		copy(key[shared:], b[p:p+int(nonShared)])
		p += int(nonShared)
		ents = append(ents, kv{key: key, value: b[p : p+int(vlen) : p+int(vlen)]})
		p += int(vlen)
		prev = key
	}
	return ents, nil
}

// maxKeyBytes bounds the total length of the keys of a block of n bytes. A key is at most
// as long as the bytes of its restart group, so a table written with TensorFlow's restart
// intervals (16 for data blocks, 1 for index blocks) never exceeds 16*n.
func maxKeyBytes(n int) int { return 16*n + 64<<10 }

func decodeHandle(b []byte) (Handle, int, bool) {
	o, n1 := binary.Uvarint(b)
	if n1 <= 0 {
		return Handle{}, 0, false
	}
	s, n2 := binary.Uvarint(b[n1:])
	if n2 <= 0 {
		return Handle{}, 0, false
	}
	return Handle{Offset: o, Size: s}, n1 + n2, true
}

func ioErr(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (t *Reader) errf(off int64, kind error, format string, args ...any) error {
	return &Error{Name: t.opts.Name, Offset: off, Reason: fmt.Sprintf(format, args...), Err: kind}
}
