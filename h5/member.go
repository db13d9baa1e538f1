package h5

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// This file opens the model.weights.h5 of a .keras zip. A stored member (what Keras writes) is
// read in place through a file driver of our own (member_cgo.go): nothing is extracted. A
// compressed member is inflated into a temporary file that nothing else can see or keep: on
// Linux the file is unlinked as soon as it is created and libhdf5 opens it through
// /proc/self/fd, so even a killed process leaves nothing behind; elsewhere it is removed on
// every return, and files left by processes that no longer run are removed before the next
// extraction. Either way the member must start with the HDF5 signature, checked before
// anything else is done with it.

// tempPrefix starts the names of the temporary files: kerasgo-<pid>-<random>.weights.h5.
const tempPrefix = "kerasgo-"

// staleAge is the age after which a temporary file of an earlier kerasgo, whose name does not
// say which process made it, is taken to be left over.
const staleAge = time.Hour

// checkMemberSignature reads the start of a zip member: it must be an HDF5 file.
func checkMemberSignature(f *zip.File) error {
	r, err := f.Open()
	if err != nil {
		return zipErr(err)
	}
	defer r.Close()
	var head [8]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || !bytes.Equal(head[:], hdf5Magic) {
		return formatf("not an HDF5 file (no HDF5 signature at its start)")
	}
	return nil
}

// storedMember returns where the bytes of a stored (uncompressed) member lie in the archive,
// after checking them against the member's CRC-32; ok is false for a compressed member.
func storedMember(zr io.ReaderAt, zsize int64, f *zip.File) (base, size int64, ok bool, err error) {
	if f.Method != zip.Store {
		return 0, 0, false, nil
	}
	base, err = f.DataOffset()
	if err != nil {
		return 0, 0, false, zipErr(err)
	}
	size = int64(f.UncompressedSize64)
	if f.CompressedSize64 != f.UncompressedSize64 || size < 0 || base < 0 || base > zsize || size > zsize-base {
		return 0, 0, false, formatf("stored member of %d bytes at offset %d does not fit the %d-byte archive", f.UncompressedSize64, base, zsize)
	}
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, io.NewSectionReader(zr, base, size)); err != nil {
		return 0, 0, false, err
	}
	if h.Sum32() != f.CRC32 {
		return 0, 0, false, fmt.Errorf("%w: %w", ErrChecksum, zip.ErrChecksum)
	}
	return base, size, true, nil
}

// openMember validates the HDF5 file stored at bytes [base, base+size) of the archive zpath
// (open as zr) in pure Go, then opens it in place with libhdf5 (libMu must be held).
func openMember(zpath string, zr io.ReaderAt, base, size int64) (*h5file, error) {
	sec := io.NewSectionReader(zr, base, size)
	sb, err := checkSuperblock(sec, size)
	if err != nil {
		return nil, err
	}
	h, err := openMemberLib(zpath, base, size)
	if err != nil {
		return nil, err
	}
	h.size = size
	h.guard = &vlenGuard{r: sec, size: size, sb: sb}
	return h, nil
}

// extractMember inflates a member of at most limit bytes into a temporary file and returns
// the way to open it with libhdf5, the path that errors may name, and the function that
// removes the file.
func extractMember(f *zip.File, limit int64) (weightsOpener, string, func(), error) {
	dir := os.TempDir()
	cleanStaleTemps(dir)
	tmp, err := os.CreateTemp(dir, tempPrefix+strconv.Itoa(os.Getpid())+"-*.weights.h5")
	if err != nil {
		return nil, "", nil, err
	}
	// An unlinked file is opened through our own driver: libhdf5's resolves the name.
	path, hidden := tmp.Name(), false
	if haveMemberDriver {
		path, hidden = hideTemp(tmp)
	}
	done := func() {
		tmp.Close()
		if !hidden {
			os.Remove(tmp.Name())
		}
	}
	fail := func(err error) (weightsOpener, string, func(), error) {
		done()
		return nil, "", nil, err
	}
	r, err := f.Open()
	if err != nil {
		return fail(zipErr(err))
	}
	n, err := io.Copy(tmp, io.LimitReader(r, limit+1))
	r.Close()
	if err != nil {
		return fail(zipErr(err))
	}
	if n > limit || uint64(n) != f.UncompressedSize64 {
		return fail(formatf("member size %d, directory says %d", n, f.UncompressedSize64))
	}
	open := func() (*h5file, error) { return openChecked(path) }
	if hidden {
		open = func() (*h5file, error) { return openMember(path, tmp, 0, n) }
	}
	return open, path, done, nil
}

// cleanStaleTemps removes the temporary files of processes that no longer run from dir.
func cleanStaleTemps(dir string) {
	names, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*.weights.h5"))
	for _, n := range names {
		rest := strings.TrimPrefix(filepath.Base(n), tempPrefix)
		i := strings.IndexByte(rest, '-')
		if i <= 0 {
			// Named by an earlier kerasgo without its process id: stale once old.
			if st, err := os.Lstat(n); err == nil && st.Mode().IsRegular() && time.Since(st.ModTime()) > staleAge {
				os.Remove(n)
			}
			continue
		}
		pid, err := strconv.Atoi(rest[:i])
		if err != nil || pid <= 0 || pid == os.Getpid() || processRuns(pid) {
			continue
		}
		os.Remove(n)
	}
}

// memberErr replaces the temporary file's name in err's message by the member's.
func memberErr(err error, tmp string) error {
	if err == nil || tmp == "" || !strings.Contains(err.Error(), tmp) {
		return err
	}
	return &renamedErr{err: err, old: tmp, new: memberWeights}
}

// renamedErr is err with one name in its message replaced.
type renamedErr struct {
	err      error
	old, new string
}

func (e *renamedErr) Error() string { return strings.ReplaceAll(e.err.Error(), e.old, e.new) }
func (e *renamedErr) Unwrap() error { return e.err }
