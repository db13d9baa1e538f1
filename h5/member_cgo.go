//go:build cgo

package h5

// A read-only libhdf5 file driver that reads an HDF5 file stored (uncompressed) inside a zip
// archive in place: address a of the HDF5 file is byte base+a of the archive. A .keras file
// holds its model.weights.h5 stored, so it is read without being extracted anywhere. The
// driver is registered once; it is used only for files opened read-only. Its class is built
// with designated initializers for the libhdf5 1.10 and 1.12 driver interface; with later
// versions (another interface) the member is extracted instead (haveMemberDriver is false).

/*
#cgo LDFLAGS: -lhdf5
#cgo darwin CFLAGS: -I/usr/local/include
#cgo darwin LDFLAGS: -L/usr/local/lib
#cgo linux,!arm64 CFLAGS: -I/usr/local/include -I/usr/lib/x86_64-linux-gnu/hdf5/serial/include -I/usr/include/hdf5/serial
#cgo linux,!arm64 LDFLAGS: -L/usr/local/lib -L/usr/lib/x86_64-linux-gnu/hdf5/serial/
#cgo linux,arm64 CFLAGS: -I/usr/local/include -I/usr/lib/aarch64-linux-gnu/hdf5/serial/include -I/usr/include/hdf5/serial
#cgo linux,arm64 LDFLAGS: -L/usr/local/lib -L/usr/lib/aarch64-linux-gnu/hdf5/serial/
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <limits.h>

#if H5_VERSION_GE(1, 13, 0) || !H5_VERSION_GE(1, 10, 0)
#define KG_MEMBER_DRIVER 0
static hid_t kg_member_open(const char *path, long long base, long long size) { return -1; }
#else
#define KG_MEMBER_DRIVER 1

typedef struct { long long base, size; } kg_minfo;

typedef struct {
	H5FD_t pub; // must come first
	int fd;
	long long base, size;
	haddr_t eoa;
	dev_t dev;
	ino_t ino;
} kg_mfile;

static H5FD_t *kg_m_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr) {
	const kg_minfo *fa = (const kg_minfo *)H5Pget_driver_info(fapl);
	if (!fa || (flags & (H5F_ACC_RDWR | H5F_ACC_TRUNC | H5F_ACC_CREAT)) || fa->base < 0 || fa->size < 0) return NULL;
	int fd = open(name, O_RDONLY);
	if (fd < 0) return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fa->base > (long long)st.st_size ||
		fa->size > (long long)st.st_size - fa->base) {
		close(fd);
		return NULL;
	}
	kg_mfile *f = (kg_mfile *)calloc(1, sizeof *f);
	if (!f) { close(fd); return NULL; }
	f->fd = fd;
	f->base = fa->base;
	f->size = fa->size;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return &f->pub;
}

static herr_t kg_m_close(H5FD_t *file) {
	kg_mfile *f = (kg_mfile *)file;
	int r = close(f->fd);
	free(f);
	return r < 0 ? -1 : 0;
}

static int kg_m_cmp(const H5FD_t *a, const H5FD_t *b) {
	const kg_mfile *x = (const kg_mfile *)a, *y = (const kg_mfile *)b;
	if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
	if (x->base != y->base) return x->base < y->base ? -1 : 1;
	return 0;
}

static herr_t kg_m_query(const H5FD_t *file, unsigned long *flags) {
	*flags = H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE;
	return 0;
}

static haddr_t kg_m_get_eoa(const H5FD_t *file, H5FD_mem_t type) { return ((const kg_mfile *)file)->eoa; }
static herr_t kg_m_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t a) { ((kg_mfile *)file)->eoa = a; return 0; }
static haddr_t kg_m_get_eof(const H5FD_t *file, H5FD_mem_t type) { return (haddr_t)((const kg_mfile *)file)->size; }

static herr_t kg_m_get_handle(H5FD_t *file, hid_t fapl, void **handle) {
	*handle = &((kg_mfile *)file)->fd;
	return 0;
}

// kg_m_read reads size bytes at address a of the member; bytes past its end read as zero, as
// with libhdf5's own POSIX driver.
static herr_t kg_m_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t a, size_t size, void *buf) {
	kg_mfile *f = (kg_mfile *)file;
	if (a == HADDR_UNDEF || a > (haddr_t)LLONG_MAX || size > (size_t)LLONG_MAX) return -1;
	unsigned char *p = (unsigned char *)buf;
	while (size > 0) {
		if ((long long)a >= f->size) {
			memset(p, 0, size);
			break;
		}
		size_t n = size;
		if ((long long)n > f->size - (long long)a) n = (size_t)(f->size - (long long)a);
		if (n > (size_t)1 << 30) n = (size_t)1 << 30;
		ssize_t r = pread(f->fd, p, n, (off_t)(f->base + (long long)a));
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return -1;
		p += r;
		a += (haddr_t)r;
		size -= (size_t)r;
	}
	return 0;
}

static herr_t kg_m_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t a, size_t size, const void *buf) {
	return -1; // read-only
}

static herr_t kg_m_truncate(H5FD_t *file, hid_t dxpl, hbool_t closing) { return 0; }

static const H5FD_class_t kg_member_class = {
	.name = "kerasgo_zip_member",
	.maxaddr = (haddr_t)LLONG_MAX,
	.fc_degree = H5F_CLOSE_WEAK,
	.fapl_size = sizeof(kg_minfo),
	.open = kg_m_open,
	.close = kg_m_close,
	.cmp = kg_m_cmp,
	.query = kg_m_query,
	.get_eoa = kg_m_get_eoa,
	.set_eoa = kg_m_set_eoa,
	.get_eof = kg_m_get_eof,
	.get_handle = kg_m_get_handle,
	.read = kg_m_read,
	.write = kg_m_write,
	.truncate = kg_m_truncate,
	.fl_map = H5FD_FLMAP_DICHOTOMY,
};

static hid_t kg_member_id = -1;

// kg_member_open opens the HDF5 file stored at bytes [base, base+size) of path, read-only.
static hid_t kg_member_open(const char *path, long long base, long long size) {
	if (kg_member_id < 0 || H5Iis_valid(kg_member_id) <= 0) {
		kg_member_id = H5FDregister(&kg_member_class);
		if (kg_member_id < 0) return -1;
	}
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0) return -1;
	kg_minfo fa = {base, size};
	hid_t f = -1;
	if (H5Pset_driver(fapl, kg_member_id, &fa) >= 0) f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
	hid_t es = f < 0 ? H5Eget_current_stack() : -1;
	H5Pclose(fapl);
	if (es >= 0) H5Eset_current_stack(es);
	return f;
}
#endif

static int kg_have_member_driver(void) { return KG_MEMBER_DRIVER; }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// haveMemberDriver reports whether stored zip members are read in place.
var haveMemberDriver = C.kg_have_member_driver() != 0

// openMemberLib opens, read-only, the HDF5 file stored at bytes [base, base+size) of the
// archive at path (libMu must be held).
func openMemberLib(path string, base, size int64) (*h5file, error) {
	silenceLib()
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	id := C.kg_member_open(cp, C.longlong(base), C.longlong(size))
	if id < 0 {
		return nil, fmt.Errorf("%w: open: %s", ErrFormat, libError())
	}
	return &h5file{id: id, name: path, closeID: true}, nil
}
