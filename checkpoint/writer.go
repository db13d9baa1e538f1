package checkpoint

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/internal/table"
	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/tensor"
)

// WriterOptions configures a Writer. The zero value writes one data shard, as TensorFlow does
// for CPU variables, and syncs every file to disk before it is put in place.
type WriterOptions struct {
	// MaxShardBytes starts a new data shard once the current one holds at least this many
	// bytes. 0 means a single shard.
	MaxShardBytes int64
	// NumShards, above 1, writes that many data shards in parallel, one goroutine each (as
	// TensorFlow writes one shard per device): each tensor goes to the shard that has been
	// given the fewest bytes so far, so that the shards come out about the same size. Add
	// then returns before the tensor is written: its data must not change until Close. It
	// cannot be combined with MaxShardBytes.
	NumShards int
	// Sync is kept for compatibility: files are synced unless NoSync is set.
	Sync bool
	// NoSync skips flushing files and folders to disk: the save stays safe against a killed
	// process but not against a power loss. For scratch checkpoints and tests.
	NoSync bool
}

// Writer writes a bundle. Tensors are streamed to data shards under a temporary prefix as they
// are added, in Add order; Close writes the index (keys sorted) and puts the bundle in place
// at the prefix (see "Saving" in the package documentation). A Writer holds the prefix's lock
// from NewWriter until Close or Abort; until Close puts the bundle in place, a previous
// bundle at the prefix is untouched.
type Writer struct {
	prefix string
	opts   WriterOptions
	tmp    string // the temporary prefix the bundle is built under
	lock   *atomicfile.Lock
	state  bool // Close also names the bundle in the folder's state file
	// complete is set once the temporary bundle is whole: from then on a failure leaves
	// what is on disk to the recovery rule instead of removing the new bundle.
	complete bool
	shards   []*shardFile
	entries  map[string]*tfpb.BundleEntryProto
	par      *parallel // the shard goroutines, with NumShards > 1
	err      error
	done     bool
}

type shardFile struct {
	f      *os.File
	bw     *bufio.Writer
	tmp    string
	offset int64
	synced bool // flushed and synced by its goroutine (NumShards > 1)
}

// NewWriter starts a bundle with the given prefix. The prefix's folder is created if needed.
// It takes the prefix's lock (another save to the same prefix gets an error wrapping ErrBusy)
// and finishes or rolls back a save to the prefix that was interrupted (see Recover).
// opts may be omitted (the zero WriterOptions); more than one panics.
func NewWriter(prefix string, options ...WriterOptions) (*Writer, error) {
	if len(options) > 1 {
		panic("checkpoint.NewWriter: at most one options value")
	}
	var opts WriterOptions
	if len(options) == 1 {
		opts = options[0]
	}
	return newWriter(prefix, opts, false)
}

// newWriter is NewWriter; with state set, Close also makes the bundle the folder's latest
// checkpoint.
func newWriter(prefix string, opts WriterOptions, state bool) (*Writer, error) {
	if prefix == "" {
		return nil, fmt.Errorf("checkpoint: empty prefix")
	}
	dir := filepath.Dir(prefix)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	lock, err := atomicfile.Acquire(prefix, false)
	if err != nil {
		return nil, lockErr(prefix, err)
	}
	if state {
		if err := checkStateFile(dir); err != nil {
			lock.Release()
			return nil, err
		}
	}
	if err := recoverLocked(prefix, !opts.NoSync); err != nil {
		lock.Release()
		return nil, err
	}
	if opts.NumShards < 0 || opts.NumShards > maxWriterShards || (opts.NumShards > 1 && opts.MaxShardBytes > 0) {
		lock.Release()
		return nil, fmt.Errorf("checkpoint: %s: NumShards %d (at most %d, not with MaxShardBytes)", prefix, opts.NumShards, maxWriterShards)
	}
	w := &Writer{prefix: prefix, opts: opts, tmp: atomicfile.TempPrefix(prefix), lock: lock,
		state: state, entries: map[string]*tfpb.BundleEntryProto{}}
	for i := 0; i < max(1, opts.NumShards); i++ {
		if err := w.newShard(); err != nil {
			w.removeTemps()
			lock.Release()
			return nil, err
		}
	}
	if opts.NumShards > 1 {
		w.startParallel()
	}
	return w, nil
}

func (w *Writer) newShard() error {
	tmp := fmt.Sprintf("%s.part-%05d", w.tmp, len(w.shards))
	atomicfile.Step("create data shard")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	w.shards = append(w.shards, &shardFile{f: f, bw: bufio.NewWriterSize(f, 1<<20), tmp: tmp})
	return nil
}

// Add appends a tensor under key. Keys must be unique and not empty.
func (w *Writer) Add(key string, t *tensor.Tensor) error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return fmt.Errorf("checkpoint: %s: Add after Close", w.prefix)
	}
	if key == HeaderKey {
		return fmt.Errorf("checkpoint: %s: empty tensor key", w.prefix)
	}
	if _, dup := w.entries[key]; dup {
		return fmt.Errorf("checkpoint: %s: duplicate key %q", w.prefix, key)
	}
	if t == nil {
		return fmt.Errorf("checkpoint: %s: key %q: nil tensor", w.prefix, key)
	}
	n, err := tensor.NumElements(t.Shape)
	if err != nil {
		return fmt.Errorf("checkpoint: %s: key %q: %w", w.prefix, key, err)
	}
	if !t.DType.Valid() {
		return fmt.Errorf("checkpoint: %s: key %q: %w: dtype %v", w.prefix, key, ErrUnsupported, t.DType)
	}
	if w.par != nil {
		return w.addParallel(key, t, n)
	}
	s := w.shards[len(w.shards)-1]
	if w.opts.MaxShardBytes > 0 && s.offset >= w.opts.MaxShardBytes {
		if err := w.newShard(); err != nil {
			w.err = err
			return err
		}
		s = w.shards[len(w.shards)-1]
	}
	e := &tfpb.BundleEntryProto{}
	if err := s.write(e, int32(len(w.shards)-1), t, n); err != nil {
		w.err = fmt.Errorf("checkpoint: %s: key %q: %w", w.prefix, key, err)
		return w.err
	}
	w.entries[key] = e
	return nil
}

// write appends t (n elements) to the shard, numbered id, and fills its index entry e.
func (s *shardFile) write(e *tfpb.BundleEntryProto, id int32, t *tensor.Tensor, n int64) error {
	cw := &countingWriter{w: s.bw, h: crc32.New(crc32.MakeTable(crc32.Castagnoli))}
	var crc uint32
	var err error
	if t.DType == tensor.String {
		crc, err = writeString(cw, t, n)
	} else {
		err = writeNumeric(cw, t, n)
		crc = cw.h.Sum32()
	}
	if err != nil {
		return err
	}
	shape := &tfpb.TensorShapeProto{}
	for _, d := range t.Shape {
		shape.Dim = append(shape.Dim, &tfpb.TensorShapeProto_Dim{Size: int64(d)})
	}
	e.Dtype = tfpb.DataType(t.DType)
	e.Shape = shape
	e.ShardId = id
	e.Offset = s.offset
	e.Size = cw.n
	e.Crc32C = table.MaskCRC(crc)
	s.offset += cw.n
	return nil
}

type countingWriter struct {
	w io.Writer
	h hash.Hash32
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

func writeNumeric(w *countingWriter, t *tensor.Tensor, n int64) error {
	want := n * int64(t.DType.Size())
	if b := rawView(t); b != nil {
		if int64(len(b)) != want {
			return fmt.Errorf("%v%v holds %d bytes of data, want %d", t.DType, t.Shape, len(b), want)
		}
		_, err := w.Write(b)
		return err
	}
	// Bool tensors and big-endian hosts: encode in chunks.
	const chunk = 1 << 16
	for start := int64(0); start < n; start += chunk {
		end := min(start+chunk, n)
		part, err := sliceTensor(t, int(start), int(end))
		if err != nil {
			return err
		}
		b, err := part.AppendBytes(nil)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if w.n != want {
		return fmt.Errorf("%v%v holds %d bytes of data, want %d", t.DType, t.Shape, w.n, want)
	}
	return nil
}

// sliceTensor returns elements [i, j) of t's flat data as a rank-1 tensor sharing memory.
func sliceTensor(t *tensor.Tensor, i, j int) (*tensor.Tensor, error) {
	var d any
	switch x := t.Data.(type) {
	case []bool:
		d = x[i:j]
	case []float32:
		d = x[i:j]
	case []float64:
		d = x[i:j]
	case []int32:
		d = x[i:j]
	case []int64:
		d = x[i:j]
	case []uint8:
		d = x[i:j]
	case []int8:
		d = x[i:j]
	case []int16:
		d = x[i:j]
	case []uint16:
		d = x[i:j]
	case []uint32:
		d = x[i:j]
	case []uint64:
		d = x[i:j]
	case []complex64:
		d = x[i:j]
	case []complex128:
		d = x[i:j]
	default:
		return nil, fmt.Errorf("%w: %v data of Go type %T", ErrUnsupported, t.DType, t.Data)
	}
	return &tensor.Tensor{DType: t.DType, Shape: []int{j - i}, Data: d}, nil
}

// writeString writes a DT_STRING tensor as TensorFlow does and returns its CRC-32C.
func writeString(w *countingWriter, t *tensor.Tensor, n int64) (uint32, error) {
	vals, ok := t.Data.([][]byte)
	if !ok || int64(len(vals)) != n {
		return 0, fmt.Errorf("string tensor %v holds %T", t.Shape, t.Data)
	}
	var hdr []byte
	var crc uint32
	var scratch [8]byte
	for _, v := range vals {
		l := uint64(len(v))
		hdr = binary.AppendUvarint(hdr, l)
		if l > 0xffffffff {
			binary.LittleEndian.PutUint64(scratch[:], l)
			crc = table.ExtendCRC(crc, scratch[:8])
		} else {
			binary.LittleEndian.PutUint32(scratch[:], uint32(l))
			crc = table.ExtendCRC(crc, scratch[:4])
		}
	}
	// The lengths' checksum is written even for a tensor with no elements.
	hdr = binary.LittleEndian.AppendUint32(hdr, table.MaskCRC(crc))
	crc = table.ExtendCRC(crc, hdr[len(hdr)-4:])
	if _, err := w.Write(hdr); err != nil {
		return 0, err
	}
	for _, v := range vals {
		crc = table.ExtendCRC(crc, v)
		if _, err := w.Write(v); err != nil {
			return 0, err
		}
	}
	return crc, nil
}

// Close writes the index and puts the bundle in place at the prefix, then releases the
// prefix's lock.
func (w *Writer) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	defer w.lock.Release()
	if w.par != nil {
		if err := w.stopParallel(); err != nil && w.err == nil {
			w.err = err
		}
	}
	if w.err != nil {
		w.removeTemps()
		return w.err
	}
	err := w.finish()
	if err != nil {
		if w.complete {
			recoverLocked(w.prefix, !w.opts.NoSync)
		} else {
			w.removeTemps()
		}
		w.err = err
	}
	return err
}

// Abort stops writing, removes the temporary files and releases the prefix's lock.
func (w *Writer) Abort() {
	if !w.done {
		w.done = true
		w.err = errors.New("checkpoint: writer aborted")
		if w.par != nil {
			w.par.abort()
		}
		w.removeTemps()
		w.lock.Release()
	}
}

// finish completes the bundle under the temporary prefix, then installs it.
func (w *Writer) finish() error {
	sync := !w.opts.NoSync
	n := len(w.shards)
	for i, s := range w.shards {
		if err := s.bw.Flush(); err != nil {
			return fmt.Errorf("checkpoint: %s: %w", s.tmp, err)
		}
		if sync && !s.synced {
			atomicfile.Step("sync data shard")
			if err := s.f.Sync(); err != nil {
				return fmt.Errorf("checkpoint: %s: %w", s.tmp, err)
			}
		}
		if err := s.f.Close(); err != nil {
			return fmt.Errorf("checkpoint: %s: %w", s.tmp, err)
		}
		s.f = nil
		atomicfile.Step("rename data shard")
		if err := os.Rename(s.tmp, DataFile(w.tmp, i, n)); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		s.tmp = DataFile(w.tmp, i, n)
	}
	idx, err := encodeIndex(len(w.shards), w.entries)
	if err != nil {
		return err
	}
	part := IndexFile(w.tmp) + ".part"
	atomicfile.Step("write index")
	if err := writeFile(part, idx, sync); err != nil {
		return err
	}
	// The temporary bundle is complete once its index has its name.
	atomicfile.Step("rename index")
	if err := os.Rename(part, IndexFile(w.tmp)); err != nil {
		os.Remove(part)
		return fmt.Errorf("checkpoint: %w", err)
	}
	w.complete = true
	if sync {
		atomicfile.SyncDir(filepath.Dir(w.prefix))
	}
	if w.state {
		// While the bundle moves to its prefix, the state file names the complete
		// temporary bundle, so that TF's latest_checkpoint always finds a whole one.
		if err := setLatest(w.prefix, w.tmp, sync); err != nil {
			return err
		}
	}
	return install(w.tmp, w.prefix, n, sync)
}

// encodeIndex returns the bytes of the .index table of a bundle with numShards data files.
func encodeIndex(numShards int, entries map[string]*tfpb.BundleEntryProto) ([]byte, error) {
	var buf bytes.Buffer
	tw := table.NewWriter(&buf, nil)
	hdr, err := proto.Marshal(&tfpb.BundleHeaderProto{
		NumShards: int32(numShards),
		Version:   &tfpb.VersionDef{Producer: bundleVersion},
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if err := tw.Add([]byte(HeaderKey), hdr); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	mo := proto.MarshalOptions{Deterministic: true}
	for _, k := range sortedKeys(entries) {
		v, err := mo.Marshal(entries[k])
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		if err := tw.Add([]byte(k), v); err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return buf.Bytes(), nil
}

func (w *Writer) removeTemps() {
	for _, s := range w.shards {
		if s.f != nil {
			s.f.Close()
			s.f = nil
		}
	}
	removeBundleTemps(w.prefix, w.tmp)
}

// writeFile writes data to name (a temporary name chosen by the caller).
func writeFile(name string, data []byte, sync bool) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
