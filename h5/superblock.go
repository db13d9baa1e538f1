package h5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"

	"github.com/kerasgo/kerasgo/internal/regfile"
)

// hdf5Magic is the HDF5 format signature. It sits at offset 0 or, after a user block, at
// 512, 1024, 2048, ... bytes.
var hdf5Magic = []byte("\x89HDF\r\n\x1a\n")

// zipMagic starts a zip archive (a .keras file).
var zipMagic = []byte("PK\x03\x04")

// fileKind sniffs a file: "hdf5", "zip" or "" for neither.
func fileKind(path string) (string, error) {
	f, _, err := openRegular(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b [8]byte
	n, err := io.ReadFull(f, b[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", err
	}
	switch {
	case n >= 8 && bytes.Equal(b[:8], hdf5Magic):
		return "hdf5", nil
	case n >= 4 && bytes.Equal(b[:4], zipMagic):
		return "zip", nil
	}
	return "", nil
}

// checkSuperblock validates the HDF5 superblock of f (of the given size) in pure Go before
// libhdf5 sees the file: signature, versions, field sizes, and that the addresses it
// declares lie inside the file (a truncated file is reported here, with the sizes).
func checkSuperblock(r io.ReaderAt, size int64) (sbInfo, error) {
	var base int64 = -1
	var sb [128]byte
	for off := int64(0); off+8 <= size; {
		if _, err := r.ReadAt(sb[:8], off); err != nil {
			return sbInfo{}, formatf("read superblock: %v", err)
		}
		if bytes.Equal(sb[:8], hdf5Magic) {
			base = off
			break
		}
		if off == 0 {
			off = 512
		} else {
			off *= 2
		}
	}
	if base < 0 {
		return sbInfo{}, formatf("no HDF5 signature (not an HDF5 file)")
	}
	n, err := r.ReadAt(sb[:], base)
	if err != nil && err != io.EOF {
		return sbInfo{}, formatf("read superblock: %v", err)
	}
	return parseSuperblock(sb[:n], base, size)
}

// parseSuperblock checks the superblock bytes b found at file offset at in a file of size.
func parseSuperblock(b []byte, at, size int64) (sbInfo, error) {
	if len(b) < 9 {
		return sbInfo{}, formatf("truncated superblock (file is %d bytes)", size)
	}
	ver := b[8]
	var sOff, sLen int
	var p int
	switch ver {
	case 0, 1:
		if len(b) < 24 {
			return sbInfo{}, formatf("truncated superblock (file is %d bytes)", size)
		}
		sOff, sLen = int(b[13]), int(b[14])
		p = 24
		if ver == 1 {
			p += 4
		}
	case 2, 3:
		if len(b) < 12 {
			return sbInfo{}, formatf("truncated superblock (file is %d bytes)", size)
		}
		sOff, sLen = int(b[9]), int(b[10])
		p = 12
	default:
		return sbInfo{}, unsupportedf("HDF5 superblock version %d", ver)
	}
	if sOff != 8 && sOff != 4 && sOff != 2 {
		return sbInfo{}, formatf("superblock: offset size %d", sOff)
	}
	if sLen != 8 && sLen != 4 && sLen != 2 {
		return sbInfo{}, formatf("superblock: length size %d", sLen)
	}
	addr := func(i int) (uint64, bool) {
		q := p + i*sOff
		if q+sOff > len(b) {
			return 0, false
		}
		switch sOff {
		case 2:
			return uint64(binary.LittleEndian.Uint16(b[q:])), true
		case 4:
			return uint64(binary.LittleEndian.Uint32(b[q:])), true
		}
		return binary.LittleEndian.Uint64(b[q:]), true
	}
	undef := func(v uint64) bool {
		switch sOff {
		case 2:
			return v == 0xffff
		case 4:
			return v == 0xffffffff
		}
		return v == ^uint64(0)
	}
	var baseAddr, eof, root uint64
	var ok1, ok2, ok3 bool
	if ver <= 1 {
		// base, free-space info, end of file, driver info, root symbol table entry
		// (link name offset, object header address, ...).
		baseAddr, ok1 = addr(0)
		eof, ok2 = addr(2)
		root, ok3 = addr(5)
	} else {
		// base, superblock extension, end of file, root object header.
		baseAddr, ok1 = addr(0)
		eof, ok2 = addr(2)
		root, ok3 = addr(3)
	}
	if !ok1 || !ok2 || !ok3 {
		return sbInfo{}, formatf("truncated superblock (file is %d bytes)", size)
	}
	if undef(baseAddr) {
		baseAddr = 0
	}
	if baseAddr > uint64(size) {
		return sbInfo{}, formatf("superblock base address %d beyond the file's %d bytes", baseAddr, size)
	}
	if undef(eof) || baseAddr+eof > uint64(size) {
		return sbInfo{}, formatf("truncated file: the superblock declares %d bytes, the file has %d", baseAddr+eof, size)
	}
	if undef(root) || root >= eof {
		return sbInfo{}, formatf("superblock: root group address %d outside the file's %d bytes", root, eof)
	}
	return sbInfo{base: int64(baseAddr), sOff: sOff, sLen: sLen}, nil
}

// checkFile sniffs and validates an HDF5 file before libhdf5 opens it, and returns an open
// handle on it for the pure-Go guards (the caller closes it).
func checkFile(path string) (*os.File, sbInfo, int64, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, sbInfo{}, 0, err
	}
	sb, err := checkSuperblock(f, size)
	if err != nil {
		f.Close()
		return nil, sbInfo{}, 0, err
	}
	return f, sb, size, nil
}

// openRegular opens an input file: a regular file only (a named pipe, a device such as
// /dev/zero, or a symlink to one fails at once with ErrFormat), with its size.
func openRegular(path string) (*os.File, int64, error) {
	f, size, err := regfile.Open(path)
	if errors.Is(err, regfile.ErrNotRegular) {
		return nil, 0, formatf("%v", err)
	}
	return f, size, err
}

// openChecked validates path and opens it with libhdf5 (libMu must be held).
func openChecked(path string) (*h5file, error) {
	f, sb, size, err := checkFile(path)
	if err != nil {
		return nil, err
	}
	h, err := openLib(path)
	if err != nil {
		f.Close()
		return nil, err
	}
	h.raw = f
	h.size = size
	h.guard = &vlenGuard{r: f, size: size, sb: sb}
	return h, nil
}
