//go:build cgo

// Package h5test writes HDF5 files that Keras never writes, straight through libhdf5, for
// tests of package h5's defences: datasets that declare far more data than the file stores
// (chunked and compressed, never written), chunk shapes and layouts of every kind. It is not
// safe to call while package h5 is using libhdf5 on another goroutine.
package h5test

/*
#cgo LDFLAGS: -lhdf5
#cgo linux,!arm64 CFLAGS: -I/usr/lib/x86_64-linux-gnu/hdf5/serial/include -I/usr/include/hdf5/serial
#cgo linux,!arm64 LDFLAGS: -L/usr/lib/x86_64-linux-gnu/hdf5/serial/
#cgo linux,arm64 CFLAGS: -I/usr/lib/aarch64-linux-gnu/hdf5/serial/include -I/usr/include/hdf5/serial
#cgo linux,arm64 LDFLAGS: -L/usr/lib/aarch64-linux-gnu/hdf5/serial/
#cgo darwin CFLAGS: -I/usr/local/include
#cgo darwin LDFLAGS: -L/usr/local/lib
#include <hdf5.h>
#include <stdlib.h>

static int h5t_create(const char *file) {
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	hid_t f = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	if (f < 0) return -1;
	return H5Fclose(f) < 0 ? -1 : 0;
}

static int h5t_replace(const char *file, const char *name, int rank, const hsize_t *dims,
	const hsize_t *maxdims, int crank, const hsize_t *chunk, int deflate, const float *data) {
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	hid_t f = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
	if (f < 0) return -1;
	if (H5Lexists(f, name, H5P_DEFAULT) > 0 && H5Ldelete(f, name, H5P_DEFAULT) < 0) {
		H5Fclose(f);
		return -2;
	}
	hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
	H5Pset_create_intermediate_group(lcpl, 1);
	hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
	int r = 0;
	if (crank > 0 && H5Pset_chunk(dcpl, crank, chunk) < 0) r = -3;
	if (r == 0 && deflate > 0 && H5Pset_deflate(dcpl, (unsigned)deflate) < 0) r = -4;
	hid_t s = H5Screate_simple(rank, dims, maxdims);
	hid_t d = -1;
	if (r == 0) {
		d = H5Dcreate2(f, name, H5T_IEEE_F32LE, s, lcpl, dcpl, H5P_DEFAULT);
		if (d < 0) r = -5;
	}
	if (r == 0 && data && H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) r = -6;
	if (d >= 0) H5Dclose(d);
	H5Sclose(s);
	H5Pclose(dcpl);
	H5Pclose(lcpl);
	if (H5Fclose(f) < 0 && r == 0) r = -7;
	return r;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

var mu sync.Mutex

// Unlimited is a MaxDims entry for an extendible dimension.
const Unlimited = ^uint64(0)

// Dataset describes a float32 dataset for Replace.
type Dataset struct {
	Dims    []uint64
	MaxDims []uint64  // nil: the same as Dims; Unlimited for an extendible dimension
	Chunk   []uint64  // chunk shape; nil for contiguous data
	Deflate int       // gzip level of chunked data, 0 for none
	Data    []float32 // written when not nil (one value per element); nil leaves it unwritten
}

// Create makes an empty HDF5 file at path.
func Create(path string) error {
	mu.Lock()
	defer mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	if C.h5t_create(cp) != 0 {
		return fmt.Errorf("h5test: create %s failed", path)
	}
	return nil
}

// Replace removes the dataset name (a path such as "model_weights/dense/dense/kernel:0") from
// the HDF5 file at path, if it is there, and creates it anew as d describes, with any missing
// groups.
func Replace(path, name string, d Dataset) error {
	if len(d.Dims) == 0 || len(d.Dims) > 32 || (d.MaxDims != nil && len(d.MaxDims) != len(d.Dims)) ||
		(d.Chunk != nil && len(d.Chunk) != len(d.Dims)) {
		return fmt.Errorf("h5test: bad dataset description %+v", d)
	}
	n := uint64(1)
	for _, x := range d.Dims {
		n *= x
	}
	if d.Data != nil && uint64(len(d.Data)) != n {
		return fmt.Errorf("h5test: %d values for %d elements", len(d.Data), n)
	}
	mu.Lock()
	defer mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dims := make([]C.hsize_t, 32)
	max := make([]C.hsize_t, 32)
	chunk := make([]C.hsize_t, 32)
	for i, x := range d.Dims {
		dims[i], max[i] = C.hsize_t(x), C.hsize_t(x)
		if d.MaxDims != nil {
			max[i] = C.hsize_t(d.MaxDims[i])
		}
		if d.Chunk != nil {
			chunk[i] = C.hsize_t(d.Chunk[i])
		}
	}
	var data *C.float
	if len(d.Data) > 0 {
		data = (*C.float)(unsafe.Pointer(&d.Data[0]))
	}
	cp, cn := C.CString(path), C.CString(name)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cn))
	crank := 0
	if d.Chunk != nil {
		crank = len(d.Chunk)
	}
	if r := C.h5t_replace(cp, cn, C.int(len(d.Dims)), &dims[0], &max[0], C.int(crank), &chunk[0], C.int(d.Deflate), data); r != 0 {
		return fmt.Errorf("h5test: replace %s in %s failed (step %d)", name, path, -r)
	}
	return nil
}
