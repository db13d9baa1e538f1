//go:build !cgo

package h5

import (
	"fmt"
	"os"

	"github.com/kerasgo/kerasgo/tensor"
)

// haveLib reports whether this build can call libhdf5.
const haveLib = false

// errNoCgo is returned by every HDF5 operation in a build without cgo.
var errNoCgo = fmt.Errorf("%w: HDF5 needs cgo and libhdf5 (this binary was built with CGO_ENABLED=0)", ErrUnsupported)

func silenceLib() {}

type h5file struct {
	name  string
	raw   *os.File
	guard *vlenGuard
	read  map[string]bool
	size  int64

	total, maxTotal int64
	stores          map[string]storage
}

func openLib(path string) (*h5file, error)   { return nil, errNoCgo }
func createLib(path string) (*h5file, error) { return nil, errNoCgo }
func (h *h5file) close() error               { return nil }

func (h *h5file) kind(path string) (objKind, error)            { return kindMissing, errNoCgo }
func (h *h5file) links(path string) ([]string, error)          { return nil, errNoCgo }
func (h *h5file) attrNames(path string) ([]string, error)      { return nil, errNoCgo }
func (h *h5file) attrInfo(path, name string) (typeInfo, error) { return typeInfo{}, errNoCgo }
func (h *h5file) attrVlen(path, name string, n int, cset int, limit int64) ([]string, error) {
	return nil, errNoCgo
}
func (h *h5file) attrRaw(path, name string, kind int, nbytes int) ([]byte, error) {
	return nil, errNoCgo
}
func (h *h5file) datasetInfo(path string) (typeInfo, bool, error) { return typeInfo{}, false, errNoCgo }
func (h *h5file) readDataset(path string, t *tensor.Tensor) error { return errNoCgo }
func (h *h5file) objAddr(path string) uint64                      { return 0 }
func (h *h5file) mkGroup(path string) error                       { return errNoCgo }
func (h *h5file) writeVlenAttr(path, name string, vals []string, scalar, utf8 bool) error {
	return errNoCgo
}
func (h *h5file) writeFixedAttr(path, name string, flat []byte, n, itemsize int) error {
	return errNoCgo
}
func (h *h5file) writeEmptyAttr(path, name string) error                  { return errNoCgo }
func (h *h5file) writeDataset(gpath, name string, t *tensor.Tensor) error { return errNoCgo }

func (h *h5file) storageOf(path string) (storage, error) { return storage{}, errNoCgo }
func (h *h5file) readRows(path string, t *tensor.Tensor, start, count, rowElems int64) error {
	return errNoCgo
}

// haveMemberDriver reports whether stored zip members are read in place.
var haveMemberDriver = false

func openMemberLib(path string, base, size int64) (*h5file, error) { return nil, errNoCgo }
