package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/internal/regfile"
	"github.com/kerasgo/kerasgo/internal/table"
	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/tensor"
)

// Entry describes one tensor of a bundle, as its index records it.
type Entry struct {
	Key    string
	DType  tensor.DType // TF's DataType number; may be a dtype package tensor does not know
	Shape  []int
	Shard  int   // data shard holding the bytes
	Offset int64 // byte offset in the shard
	Size   int64 // bytes in the shard
	CRC    uint32
	// Sliced is true for a partitioned variable, whose data lives in slice entries. Read
	// returns ErrUnsupported for it.
	Sliced bool
}

// ReaderOptions configures reading. The zero value gives safe defaults.
type ReaderOptions struct {
	// MaxTensorBytes limits the size of one tensor read (default tensor.DefaultMaxBytes).
	MaxTensorBytes int64
	// MaxTotalBytes limits the bytes of all tensors together, checked against the index
	// before LoadKerasWeights or Verify reads any (default DefaultMaxTotalBytes). The data
	// of two tensors never overlaps, so reading a bundle also never takes more than the size
	// of its data files.
	MaxTotalBytes int64
	// MaxIndexBlockBytes limits one block of the index file (default 256 MiB).
	MaxIndexBlockBytes int64
	// OnRead, when set, is called with the key of every tensor Read returns (Audit uses it
	// to learn which tensors a loader consumed). With a Reader used concurrently it must be
	// safe for concurrent use.
	OnRead func(key string)
	// OpenFile, when set, opens the bundle's files (the index and the data shards, by the
	// names IndexFile and DataFile give for the prefix) instead of the local file system:
	// internal/blobpath sets it to read a bundle in object storage with ranged reads. The
	// local recovery of interrupted saves is then skipped.
	OpenFile func(name string) (File, int64, error)
}

// File is a file of a bundle as ReaderOptions.OpenFile opens it.
type File interface {
	io.ReaderAt
	io.Closer
}

// Reader reads tensors from a bundle. It lists entries without reading tensor data and reads
// one tensor at a time, verifying its CRC-32C. A Reader is safe for concurrent use.
type Reader struct {
	prefix    string
	opts      ReaderOptions
	numShards int
	entries   []Entry // sorted by key, without slice entries
	slices    []Entry // the slice entries: the data of partitioned variables
	byKey     map[string]int

	mu     sync.Mutex
	shards []File
	sizes  []int64
	closed bool
}

// DefaultMaxTotalBytes is the default of ReaderOptions.MaxTotalBytes.
const DefaultMaxTotalBytes = 4 * tensor.DefaultMaxBytes

// Open opens the bundle with the given prefix (the path without ".index").
func Open(prefix string) (*Reader, error) { return ReaderOptions{}.Open(prefix) }

// Open opens the bundle with the given prefix using these options. A save to the prefix that
// a crash interrupted is first finished or rolled back (see Recover), unless another save
// holds the prefix.
func (o ReaderOptions) Open(prefix string) (*Reader, error) {
	if o.OpenFile != nil {
		return o.open(prefix)
	}
	busy := settle(prefix)
	r, err := o.open(prefix)
	if busy && errors.Is(err, fs.ErrNotExist) {
		return nil, errorf(IndexFile(prefix), "", -1, ErrNotFound, "no checkpoint index (%v)", ErrBusy)
	}
	return r, err
}

func (o ReaderOptions) open(prefix string) (*Reader, error) {
	if o.MaxTensorBytes <= 0 {
		o.MaxTensorBytes = tensor.DefaultMaxBytes
	}
	name := IndexFile(prefix)
	f, size, err := o.openFile(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errorf(name, "", -1, ErrNotFound, "no checkpoint index")
		}
		return nil, err
	}
	defer f.Close()
	r, err := newReader(f, size, name, o)
	if err != nil {
		return nil, err
	}
	r.prefix = prefix
	return r, nil
}

// newReader parses an index held in ra.
func newReader(ra io.ReaderAt, size int64, name string, o ReaderOptions) (*Reader, error) {
	t, err := table.NewReader(ra, size, &table.ReaderOptions{Name: name, MaxBlockSize: o.MaxIndexBlockBytes})
	if err != nil {
		return nil, wrapTable(name, err)
	}
	r := &Reader{opts: o, byKey: map[string]int{}}
	sawHeader := false
	err = t.Scan(func(k, v []byte) error {
		key := string(k)
		if !sawHeader {
			if key != HeaderKey {
				return errorf(name, "", -1, ErrFormat, "first key is %q, not the bundle header", key)
			}
			sawHeader = true
			return r.parseHeader(name, v)
		}
		e, err := parseEntry(name, key, v, r.numShards)
		if err != nil {
			return err
		}
		if len(key) > 0 && key[0] == 0 {
			// An encoded tensor-slice key: data of a partitioned variable.
			r.slices = append(r.slices, e)
			return nil
		}
		r.byKey[key] = len(r.entries)
		r.entries = append(r.entries, e)
		return nil
	})
	if err != nil {
		return nil, wrapTable(name, err)
	}
	if !sawHeader {
		return nil, errorf(name, "", -1, ErrFormat, "empty index: no bundle header")
	}
	if err := r.checkOverlap(name); err != nil {
		return nil, err
	}
	r.shards = make([]File, r.numShards)
	r.sizes = make([]int64, r.numShards)
	return r, nil
}

func (r *Reader) parseHeader(name string, v []byte) error {
	var h tfpb.BundleHeaderProto
	if err := proto.Unmarshal(v, &h); err != nil {
		return errorf(name, "", -1, ErrFormat, "bundle header: %v", err)
	}
	if h.NumShards < 1 || h.NumShards > maxShards {
		return errorf(name, "", -1, ErrFormat, "bundle header declares %d shards", h.NumShards)
	}
	if h.Endianness != tfpb.BundleHeaderProto_LITTLE {
		return errorf(name, "", -1, ErrUnsupported, "big-endian bundle")
	}
	if v := h.GetVersion(); v != nil {
		if v.Producer < minProducer || v.MinConsumer > consumer {
			return errorf(name, "", -1, ErrUnsupported, "bundle version producer %d, min_consumer %d (this reader: consumer %d)", v.Producer, v.MinConsumer, consumer)
		}
		for _, b := range v.BadConsumers {
			if b == consumer {
				return errorf(name, "", -1, ErrUnsupported, "bundle version excludes consumer %d", consumer)
			}
		}
	}
	r.numShards = int(h.NumShards)
	return nil
}

func parseEntry(name, key string, v []byte, numShards int) (Entry, error) {
	var p tfpb.BundleEntryProto
	if err := proto.Unmarshal(v, &p); err != nil {
		return Entry{}, errorf(name, key, -1, ErrFormat, "index entry: %v", err)
	}
	e := Entry{Key: key, DType: tensor.DType(p.Dtype), Shard: int(p.ShardId), Offset: p.Offset,
		Size: p.Size, CRC: table.UnmaskCRC(p.Crc32C), Sliced: len(p.Slices) > 0}
	if p.Shape.GetUnknownRank() || len(p.Shape.GetDim()) > tensor.MaxRank {
		return Entry{}, errorf(name, key, -1, ErrFormat, "index entry has an unknown or too large rank")
	}
	e.Shape = make([]int, len(p.Shape.GetDim()))
	for i, d := range p.Shape.GetDim() {
		if d.Size < 0 || int64(int(d.Size)) != d.Size {
			return Entry{}, errorf(name, key, -1, ErrFormat, "index entry has dimension %d", d.Size)
		}
		e.Shape[i] = int(d.Size)
	}
	if _, err := tensor.NumElements(e.Shape); err != nil {
		return Entry{}, errorf(name, key, -1, ErrFormat, "index entry shape: %v", err)
	}
	if e.Sliced {
		return e, nil
	}
	if e.Shard < 0 || e.Shard >= numShards {
		return Entry{}, errorf(name, key, -1, ErrFormat, "shard %d of %d", e.Shard, numShards)
	}
	if e.Offset < 0 || e.Size < 0 || e.Offset > (1<<62)-e.Size {
		return Entry{}, errorf(name, key, -1, ErrFormat, "offset %d size %d", e.Offset, e.Size)
	}
	if sz := int64(e.DType.Size()); sz > 0 {
		n, _ := tensor.NumElements(e.Shape)
		if n > e.Size/sz || n*sz != e.Size {
			return Entry{}, errorf(name, key, -1, ErrFormat, "%v%v needs %d bytes, entry says %d", e.DType, e.Shape, n*sz, e.Size)
		}
	}
	return e, nil
}

func wrapTable(name string, err error) error {
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	kind := ErrFormat
	switch {
	case errors.Is(err, table.ErrChecksum):
		kind = ErrChecksum
	case errors.Is(err, table.ErrUnsupported):
		kind = ErrUnsupported
	}
	off := int64(-1)
	var te *table.Error
	if errors.As(err, &te) {
		off = te.Offset
		return &Error{File: name, Offset: off, Reason: te.Reason, Err: &kindError{kind, te.Err}}
	}
	return &Error{File: name, Offset: off, Reason: "index: " + err.Error(), Err: &kindError{kind, err}}
}

// checkOverlap refuses an index whose entries share bytes of a data shard: TensorFlow writes
// every tensor's bytes once, so overlapping entries are corrupt (and would let a small file
// be read for much more than its size).
func (r *Reader) checkOverlap(name string) error {
	var data []Entry
	for _, e := range append(r.entries[:len(r.entries):len(r.entries)], r.slices...) {
		if !e.Sliced && e.Size > 0 {
			data = append(data, e)
		}
	}
	sort.Slice(data, func(a, b int) bool {
		x, y := data[a], data[b]
		if x.Shard != y.Shard {
			return x.Shard < y.Shard
		}
		return x.Offset < y.Offset
	})
	for k := 1; k < len(data); k++ {
		p, e := data[k-1], data[k]
		if p.Shard == e.Shard && p.Offset+p.Size > e.Offset {
			return errorf(name, e.Key, -1, ErrFormat, "its data (offset %d, %d bytes) overlaps that of %q (offset %d, %d bytes) in shard %d", e.Offset, e.Size, p.Key, p.Offset, p.Size, e.Shard)
		}
	}
	return nil
}

// checkTotal checks the bytes of all tensors against ReaderOptions.MaxTotalBytes.
func (r *Reader) checkTotal() error {
	limit := r.opts.MaxTotalBytes
	if limit <= 0 {
		limit = DefaultMaxTotalBytes
	}
	total := int64(0)
	for _, e := range append(r.entries[:len(r.entries):len(r.entries)], r.slices...) {
		if e.Sliced {
			continue
		}
		if e.Size > limit-total {
			return errorf(IndexFile(r.prefix), "", -1, ErrFormat, "the tensors take more than %d bytes together (ReaderOptions.MaxTotalBytes)", limit)
		}
		total += e.Size
	}
	return nil
}

// Prefix returns the prefix the Reader was opened with.
func (r *Reader) Prefix() string { return r.prefix }

// NumShards returns the number of data shards the header declares.
func (r *Reader) NumShards() int { return r.numShards }

// Entries lists every tensor, sorted by key, without reading data.
func (r *Reader) Entries() []Entry {
	out := make([]Entry, len(r.entries))
	for i, e := range r.entries {
		e.Shape = append([]int(nil), e.Shape...)
		out[i] = e
	}
	return out
}

// Lookup returns the entry of key.
func (r *Reader) Lookup(key string) (Entry, bool) {
	i, ok := r.byKey[key]
	if !ok {
		return Entry{}, false
	}
	return r.entries[i], true
}

// Has reports whether the bundle holds key.
func (r *Reader) Has(key string) bool { _, ok := r.byKey[key]; return ok }

// Keys returns every key, sorted.
func (r *Reader) Keys() []string {
	out := make([]string, len(r.entries))
	for i, e := range r.entries {
		out[i] = e.Key
	}
	return out
}

func (r *Reader) shard(i int) (File, int64, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := DataFile(r.prefix, i, r.numShards)
	if r.closed {
		return nil, 0, name, fmt.Errorf("checkpoint: %s: read after Close", r.prefix)
	}
	if r.shards[i] == nil {
		f, size, err := r.opts.openFile(name)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, 0, name, errorf(name, "", -1, ErrNotFound, "data shard missing")
			}
			return nil, 0, name, err
		}
		r.shards[i], r.sizes[i] = f, size
	}
	return r.shards[i], r.sizes[i], name, nil
}

// Read reads the tensor stored under key and verifies its CRC-32C.
func (r *Reader) Read(key string) (*tensor.Tensor, error) {
	t, err := r.read(key)
	if err == nil && r.opts.OnRead != nil {
		r.opts.OnRead(key)
	}
	return t, err
}

func (r *Reader) read(key string) (*tensor.Tensor, error) {
	i, ok := r.byKey[key]
	if !ok {
		return nil, errorf(IndexFile(r.prefix), key, -1, ErrNotFound, "no such tensor")
	}
	e := r.entries[i]
	if e.Sliced {
		return nil, errorf(IndexFile(r.prefix), key, -1, ErrUnsupported, "partitioned (sliced) variable")
	}
	if !e.DType.Valid() {
		return nil, errorf(IndexFile(r.prefix), key, -1, ErrUnsupported, "dtype %v", e.DType)
	}
	f, fsize, name, err := r.shard(e.Shard)
	if err != nil {
		return nil, err
	}
	if e.Offset > fsize || e.Size > fsize-e.Offset {
		return nil, errorf(name, key, e.Offset, ErrFormat, "%d bytes run past the end of the %d-byte file", e.Size, fsize)
	}
	if e.Size > r.opts.MaxTensorBytes {
		return nil, errorf(name, key, e.Offset, ErrFormat, "%d bytes exceed the %d-byte limit", e.Size, r.opts.MaxTensorBytes)
	}
	sec := io.NewSectionReader(f, e.Offset, e.Size)
	if e.DType == tensor.String {
		return readString(sec, e, name)
	}
	if _, err := tensor.CheckShape(e.DType, e.Shape, r.opts.MaxTensorBytes); err != nil {
		return nil, errorf(name, key, e.Offset, ErrFormat, "%v", err)
	}
	t, err := tensor.New(e.DType, e.Shape)
	if err != nil {
		return nil, errorf(name, key, e.Offset, ErrUnsupported, "%v", err)
	}
	if b := rawView(t); b != nil {
		if _, err := io.ReadFull(sec, b); err != nil {
			return nil, errorf(name, key, e.Offset, ioErr(err), "read")
		}
		if got := table.CRC(b); got != e.CRC {
			return nil, errorf(name, key, e.Offset, ErrChecksum, "crc32c of %d bytes is %#08x, index says %#08x", e.Size, got, e.CRC)
		}
		return t, nil
	}
	buf := make([]byte, e.Size)
	if _, err := io.ReadFull(sec, buf); err != nil {
		return nil, errorf(name, key, e.Offset, ioErr(err), "read")
	}
	if got := table.CRC(buf); got != e.CRC {
		return nil, errorf(name, key, e.Offset, ErrChecksum, "crc32c of %d bytes is %#08x, index says %#08x", e.Size, got, e.CRC)
	}
	t, err = tensor.FromBytes(e.DType, e.Shape, buf)
	if err != nil {
		return nil, errorf(name, key, e.Offset, ErrFormat, "%v", err)
	}
	return t, nil
}

// readString decodes a DT_STRING tensor: varint64 lengths, a masked CRC of the lengths, then
// the bytes of every element.
func readString(sec *io.SectionReader, e Entry, name string) (*tensor.Tensor, error) {
	n, _ := tensor.NumElements(e.Shape)
	// Each element takes at least one length byte; the lengths' CRC takes four more (TF
	// writes it even when there are no elements; an empty payload is accepted too).
	if n > e.Size || (e.Size > 0 && e.Size-n < 4) {
		return nil, errorf(name, e.Key, e.Offset, ErrFormat, "%d strings cannot fit in %d bytes", n, e.Size)
	}
	buf := make([]byte, e.Size)
	if _, err := io.ReadFull(sec, buf); err != nil {
		return nil, errorf(name, e.Key, e.Offset, ioErr(err), "read")
	}
	lens := make([]uint64, n)
	p := 0
	var crc uint32
	var scratch [8]byte
	total := uint64(0)
	for i := range lens {
		l, k := binary.Uvarint(buf[p:])
		if k <= 0 {
			return nil, errorf(name, e.Key, e.Offset+int64(p), ErrFormat, "bad length of string %d", i)
		}
		p += k
		lens[i] = l
		if l > uint64(len(buf)) || total+l > uint64(len(buf)) {
			return nil, errorf(name, e.Key, e.Offset, ErrFormat, "string %d of %d bytes overruns the tensor", i, l)
		}
		total += l
		if l > 0xffffffff {
			binary.LittleEndian.PutUint64(scratch[:], l)
			crc = table.ExtendCRC(crc, scratch[:8])
		} else {
			binary.LittleEndian.PutUint32(scratch[:], uint32(l))
			crc = table.ExtendCRC(crc, scratch[:4])
		}
	}
	if len(buf) > 0 {
		if len(buf)-p < 4 {
			return nil, errorf(name, e.Key, e.Offset+int64(p), ErrFormat, "missing length checksum")
		}
		stored := buf[p : p+4]
		if table.UnmaskCRC(binary.LittleEndian.Uint32(stored)) != crc {
			return nil, errorf(name, e.Key, e.Offset+int64(p), ErrChecksum, "string lengths checksum mismatch")
		}
		crc = table.ExtendCRC(crc, stored)
		p += 4
	}
	if uint64(len(buf)-p) != total {
		return nil, errorf(name, e.Key, e.Offset, ErrFormat, "%d string bytes declared, %d present", total, len(buf)-p)
	}
	vals := make([][]byte, n)
	for i, l := range lens {
		vals[i] = buf[p : p+int(l) : p+int(l)]
		crc = table.ExtendCRC(crc, vals[i])
		p += int(l)
	}
	if crc != e.CRC {
		return nil, errorf(name, e.Key, e.Offset, ErrChecksum, "crc32c is %#08x, index says %#08x", crc, e.CRC)
	}
	return &tensor.Tensor{DType: tensor.String, Shape: append([]int(nil), e.Shape...), Data: vals}, nil
}

// Close closes the data shards. It is safe to call more than once.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var first error
	for i, f := range r.shards {
		if f != nil {
			if err := f.Close(); err != nil && first == nil {
				first = err
			}
			r.shards[i] = nil
		}
	}
	r.closed = true
	return first
}

func ioErr(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// openFile opens a file of the bundle with OpenFile when set, else openRegular.
func (o ReaderOptions) openFile(name string) (File, int64, error) {
	if o.OpenFile != nil {
		return o.OpenFile(name)
	}
	f, size, err := openRegular(name)
	if f == nil {
		return nil, size, err
	}
	return f, size, err
}

// openRegular opens a file of the bundle: a regular file only (a named pipe or a device such
// as /dev/zero fails at once, naming the file), with its size.
func openRegular(name string) (*os.File, int64, error) {
	f, size, err := regfile.Open(name)
	if errors.Is(err, regfile.ErrNotRegular) {
		return nil, 0, errorf(name, "", -1, ErrFormat, "%v", err)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("checkpoint: %w", err)
	}
	return f, size, err
}

// sortedKeys returns the keys of m sorted bytewise.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
