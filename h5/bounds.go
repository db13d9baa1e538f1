package h5

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/tensor"
)

// This file bounds what reading a dataset may cost. A dataset declares its shape; what the
// file stores of it may be far less (chunks never written read as the fill value, compressed
// chunks inflate), so a small file can declare gigabytes. Before any data is allocated, every
// dataset's declared size is checked against what the file stores of it, the file's size and
// the caller's limits, and the sum over all tensors of one read against the file's size and
// ReadOptions.MaxTotalBytes. Chunked data is then read in pieces of bounded size and chunk
// count, which bounds libhdf5's own allocations (a chunk buffer, one entry per chunk touched).

// DefaultMaxTotalBytes is the default bound on the bytes of all tensors one Load, List or Audit
// reads from a file (ReadOptions.MaxTotalBytes).
const DefaultMaxTotalBytes int64 = 4 * tensor.DefaultMaxBytes

const (
	// maxExpansion is the most deflate can expand (about 1032 to 1); shuffle and fletcher32,
	// the other filters allowed, do not expand.
	maxExpansion = 1032
	// storageSlack is what a dataset may declare beyond maxExpansion times what the file
	// stores of it (a small dataset never written, read as its fill value).
	storageSlack = 64 << 10
	// pieceBytes and maxChunksPerRead bound one read of chunked data.
	pieceBytes       = 64 << 20
	maxChunksPerRead = 1 << 16
)

// Dataset layouts (H5D_layout_t).
const (
	layoutCompact    = 0
	layoutContiguous = 1
	layoutChunked    = 2
	layoutVirtual    = 3
)

// storage is where a dataset's data lives, as libhdf5 reports it before any data is read.
type storage struct {
	layout   int
	chunk    []uint64 // chunk dims of chunked data
	stored   uint64   // bytes the file holds for the data (compressed, for chunked data)
	offset   uint64   // contiguous data: its file address; math.MaxUint64 when never written
	external bool     // raw data in external files
	filters  []int    // filter ids of the pipeline
}

// filterNames are the filters whose expansion maxExpansion bounds.
var filterNames = map[int]string{1: "deflate", 2: "shuffle", 3: "fletcher32"}

// maxTotal is ReadOptions.MaxTotalBytes with its default.
func (o ReadOptions) maxTotal() int64 {
	if o.MaxTotalBytes <= 0 {
		return DefaultMaxTotalBytes
	}
	return o.MaxTotalBytes
}

// startRead resets the running total of bytes read from h and sets its limit.
func (o ReadOptions) startRead(h *h5file) {
	h.total, h.maxTotal = 0, o.maxTotal()
}

// storageOfCached is storageOf, remembered per dataset for the life of h.
func (h *h5file) storageOfCached(path string) (storage, error) {
	if st, ok := h.stores[path]; ok {
		return st, nil
	}
	st, err := h.storageOf(path)
	if err != nil {
		return st, err
	}
	if h.stores == nil {
		h.stores = map[string]storage{}
	}
	h.stores[path] = st
	return st, nil
}

// checkDeclared refuses, before anything is read, a file with a numeric dataset whose declared
// size is over maxBytes or over what the file stores of it (see checkStorage), or whose
// datasets declare more bytes together than the limit or than the file could hold. Datasets
// kerasgo does not read (unsupported layouts or filters) are left to the reader.
func (h *h5file) checkDeclared(vars []Var, maxBytes int64) error {
	sum := int64(0)
	for _, v := range vars {
		if v.DType == tensor.Invalid || v.DType == tensor.String {
			continue
		}
		nbytes, err := tensor.CheckShape(v.DType, v.Shape, maxBytes)
		if err != nil {
			return atObj(v.Path, fmt.Errorf("%w: %w", ErrFormat, err))
		}
		st, err := h.storageOfCached(v.Path)
		if err != nil {
			return atObj(v.Path, err)
		}
		dims := make([]uint64, len(v.Shape))
		for i, d := range v.Shape {
			dims[i] = uint64(d)
		}
		if err := h.checkStorage(st, dims, nbytes, int64(v.DType.Size())); err != nil {
			if errors.Is(err, ErrUnsupported) {
				continue
			}
			return atObj(v.Path, err)
		}
		if nbytes > math.MaxInt64-sum {
			return atObj(v.Path, formatf("the datasets declare more than %d bytes together", int64(math.MaxInt64)))
		}
		sum += nbytes
	}
	return h.checkTotal(sum, "the datasets declare")
}

// checkTotal checks bytes of tensor data against the limit and against what the file's size
// allows.
func (h *h5file) checkTotal(bytes int64, what string) error {
	limit := h.maxTotal
	if limit <= 0 {
		limit = DefaultMaxTotalBytes
	}
	if bytes > limit {
		return formatf("%s %d bytes of tensors, over the %d-byte limit (ReadOptions.MaxTotalBytes)", what, bytes, limit)
	}
	if h.size > 0 && bytes > maxExpansion*h.size+storageSlack {
		return formatf("%s %d bytes of tensors, more than a %d-byte file can hold", what, bytes, h.size)
	}
	return nil
}

// charge adds one tensor's bytes to the running total of the read.
func (h *h5file) charge(bytes int64) error {
	h.total += bytes
	return h.checkTotal(h.total, "the tensors read take")
}

// checkStorage checks a dataset's declared size (nbytes, dims, element size es) against what
// the file stores of it.
func (h *h5file) checkStorage(st storage, dims []uint64, nbytes, es int64) error {
	if st.layout == layoutVirtual {
		return unsupportedf("virtual dataset (data mapped from other datasets or files)")
	}
	if st.layout != layoutCompact && st.layout != layoutContiguous && st.layout != layoutChunked {
		return unsupportedf("dataset layout %d", st.layout)
	}
	if st.external {
		return unsupportedf("raw data in external files")
	}
	for _, f := range st.filters {
		if _, ok := filterNames[f]; !ok {
			return unsupportedf("HDF5 filter %d (kerasgo reads deflate, shuffle and fletcher32)", f)
		}
	}
	if h.size > 0 && st.stored > uint64(h.size) {
		return formatf("stores %d bytes of data, more than the whole %d-byte file", st.stored, h.size)
	}
	if nbytes == 0 {
		return nil
	}
	switch st.layout {
	case layoutCompact:
		if st.stored != uint64(nbytes) {
			return formatf("compact dataset holds %d bytes of data, its shape and type declare %d", st.stored, nbytes)
		}
	case layoutContiguous:
		if st.offset == math.MaxUint64 {
			if nbytes > storageSlack {
				return formatf("declares %d bytes of data but the file stores none (never written)", nbytes)
			}
			return nil
		}
		if h.size > 0 && (st.offset > uint64(h.size) || uint64(nbytes) > uint64(h.size)-st.offset) {
			return formatf("%d bytes of data at offset %d run past the end of the %d-byte file", nbytes, st.offset, h.size)
		}
	case layoutChunked:
		if uint64(nbytes) > maxExpansion*st.stored+storageSlack {
			return formatf("declares %d bytes of data but the file stores %d bytes of it (compression expands at most %d-fold)", nbytes, st.stored, maxExpansion)
		}
		if len(st.chunk) != len(dims) || slices.Contains(st.chunk, 0) {
			return formatf("chunk shape %v does not fit the dataset's %v", st.chunk, dims)
		}
		cb := uint64(es)
		for _, c := range st.chunk {
			if c > math.MaxInt64/cb {
				return formatf("chunk shape %v overflows", st.chunk)
			}
			cb *= c
		}
		if cb > uint64(max(nbytes, storageSlack)) {
			return formatf("chunks of %d bytes (shape %v) for %d bytes of data", cb, st.chunk, nbytes)
		}
		if n := chunksPerRow(dims, st.chunk); n > maxChunksPerRead {
			return unsupportedf("chunk shape %v: one row of chunks of the %v dataset has %d chunks (kerasgo reads at most %d at a time)", st.chunk, dims, n, maxChunksPerRead)
		}
	}
	return nil
}

// chunksPerRow counts the chunks one row of chunks (chunk[0] rows of the first dimension)
// covers.
func chunksPerRow(dims, chunk []uint64) uint64 {
	n := uint64(1)
	for i := 1; i < len(dims); i++ {
		n *= (dims[i] + chunk[i] - 1) / chunk[i]
		if n > maxChunksPerRead {
			return n
		}
	}
	return n
}

// readData reads a checked dataset into t: at once, or chunked data in pieces of whole rows of
// chunks holding at most pieceBytes bytes and maxChunksPerRead chunks (at least one row of
// chunks).
func (h *h5file) readData(path string, t *tensor.Tensor, st storage, dims []uint64, nbytes int64) error {
	if st.layout != layoutChunked || len(dims) == 0 || dims[0] == 0 {
		return h.readDataset(path, t)
	}
	rowElems := int64(1)
	for _, d := range dims[1:] {
		rowElems *= int64(d)
	}
	if rowElems == 0 {
		return h.readDataset(path, t)
	}
	rowBytes := nbytes / int64(dims[0])
	c0 := int64(st.chunk[0])
	perRow := int64(chunksPerRow(dims, st.chunk))
	k := max(1, min(pieceBytes/max(1, c0*rowBytes), maxChunksPerRead/perRow))
	rows := k * c0
	for start := int64(0); start < int64(dims[0]); start += rows {
		if err := h.readRows(path, t, start, min(rows, int64(dims[0])-start), rowElems); err != nil {
			return err
		}
	}
	return nil
}
