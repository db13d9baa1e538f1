//go:build cgo

package h5

// This file is the only place that talks to libhdf5. It uses gonum.org/v1/hdf5 for files and
// groups, and a thin adapter of its own (the C functions below) for what gonum/hdf5 does not
// offer: attribute iteration, variable-length and fixed-length string attributes, scalar and
// empty dataspaces, link types, dataset dtype introspection, dataset I/O with an explicit
// native memory type, and the libhdf5 error stack as text. C only ever gets flat byte
// buffers from Go. Every function here must be called with libMu held.

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
#include <stdio.h>

static void kg_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

// A call that succeeds clears libhdf5's error stack: a function that cleans up after a failed
// call keeps the stack first (KG_KEEP, a copy when r < 0) and puts it back last (KG_RESTORE),
// so that the caller reads the failure itself (an errno among it).
#define KG_KEEP(r) ((r) < 0 ? H5Eget_current_stack() : (hid_t)-1)
#define KG_RESTORE(es) do { if ((es) >= 0) H5Eset_current_stack(es); } while (0)

typedef struct { char *buf; size_t cap; size_t len; int n; } kg_ebuf;

static herr_t kg_walk(unsigned n, const H5E_error2_t *e, void *data) {
	kg_ebuf *b = (kg_ebuf *)data;
	char minor[160];
	minor[0] = 0;
	if (b->n >= 3 || b->len + 8 >= b->cap) return 0;
	H5Eget_msg(e->min_num, NULL, minor, sizeof minor);
	int w = snprintf(b->buf + b->len, b->cap - b->len, "%s%s%s%s%s", b->len ? "; " : "",
		e->desc ? e->desc : "", minor[0] ? " (" : "", minor, minor[0] ? ")" : "");
	if (w > 0) {
		b->len += (size_t)w;
		if (b->len >= b->cap) b->len = b->cap - 1;
	}
	b->n++;
	return 0;
}

// kg_errstack writes the innermost entries of the current error stack into buf and clears it.
static void kg_errstack(char *buf, size_t cap) {
	kg_ebuf b = {buf, cap, 0, 0};
	buf[0] = 0;
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, kg_walk, &b);
	H5Eclear2(H5E_DEFAULT);
}

// kg_kind: 0 missing, 1 group, 2 dataset, 3 other object, 4 soft link, 5 external/user link,
// -1 error. Every component of path is checked to be a hard link.
// kg_kind with open 0 stops after checking the links (6: every component is a hard link).
static int kg_kind(hid_t loc, const char *path, int open) {
	size_t n = strlen(path);
	if (n == 0 || (n == 1 && path[0] == '/')) return 1;
	char *p = (char *)malloc(n + 1);
	if (!p) return -1;
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0) continue;
		char save = p[i];
		p[i] = 0;
		htri_t ex = H5Lexists(loc, p, H5P_DEFAULT);
		if (ex <= 0) { free(p); return ex == 0 ? 0 : -1; }
		H5L_info_t li;
		if (H5Lget_info(loc, p, &li, H5P_DEFAULT) < 0) { free(p); return -1; }
		if (li.type == H5L_TYPE_SOFT) { free(p); return 4; }
		if (li.type != H5L_TYPE_HARD) { free(p); return 5; }
		p[i] = save;
	}
	if (!open) { free(p); return 6; }
	hid_t o = H5Oopen(loc, p, H5P_DEFAULT);
	free(p);
	if (o < 0) return -1;
	H5I_type_t t = H5Iget_type(o);
	H5Oclose(o);
	if (t == H5I_GROUP) return 1;
	if (t == H5I_DATASET) return 2;
	return 3;
}

typedef struct { char *buf; size_t cap; size_t len; int fail; } kg_names;

static int kg_names_add(kg_names *n, char tag, const char *name) {
	size_t l = strlen(name);
	if (n->len + l + 2 > n->cap) {
		size_t c = n->cap ? n->cap * 2 : 1024;
		while (c < n->len + l + 2) c *= 2;
		char *nb = (char *)realloc(n->buf, c);
		if (!nb) { n->fail = 1; return -1; }
		n->buf = nb;
		n->cap = c;
	}
	n->buf[n->len++] = tag;
	memcpy(n->buf + n->len, name, l);
	n->len += l;
	n->buf[n->len++] = 0;
	return 0;
}

static herr_t kg_link_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
	char tag = 'x';
	if (info->type == H5L_TYPE_HARD) tag = 'h';
	else if (info->type == H5L_TYPE_SOFT) tag = 's';
	else if (info->type == H5L_TYPE_EXTERNAL) tag = 'e';
	return kg_names_add((kg_names *)data, tag, name) < 0 ? -1 : 0;
}

// kg_links lists the links of group path as tag byte + name + NUL, in name order.
static char *kg_links(hid_t loc, const char *path, size_t *outlen, int *err) {
	kg_names n = {0, 0, 0, 0};
	*err = 0;
	hid_t g = H5Gopen2(loc, path, H5P_DEFAULT);
	if (g < 0) { *err = 1; return NULL; }
	hsize_t idx = 0;
	herr_t r = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, kg_link_cb, &n);
	H5Gclose(g);
	if (r < 0 || n.fail) { *err = 1; free(n.buf); return NULL; }
	*outlen = n.len;
	return n.buf;
}

static herr_t kg_attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
	return kg_names_add((kg_names *)data, 'a', name) < 0 ? -1 : 0;
}

static char *kg_attrs(hid_t loc, const char *path, size_t *outlen, int *err) {
	kg_names n = {0, 0, 0, 0};
	*err = 0;
	hid_t o = H5Oopen(loc, path, H5P_DEFAULT);
	if (o < 0) { *err = 1; return NULL; }
	hsize_t idx = 0;
	herr_t r = H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, kg_attr_cb, &n);
	H5Oclose(o);
	if (r < 0 || n.fail) { *err = 1; free(n.buf); return NULL; }
	*outlen = n.len;
	return n.buf;
}

// Type description shared by attributes and datasets.
typedef struct {
	int cls;       // H5T_class_t
	size_t size;   // element size in bytes
	int sign;      // integers: 1 signed
	int order;     // 0 LE, 1 BE, other
	int vlen;      // strings: variable length
	int cset;      // strings: 0 ASCII, 1 UTF-8
	int strpad;    // fixed strings: 0 NULLTERM, 1 NULLPAD, 2 SPACEPAD
	int super_cls; // enum: base class; compound: members (2 float members -> complex)
	int space;     // 0 scalar, 1 simple, 2 null
	int rank;
	hsize_t dims[32];
} kg_tinfo;

static int kg_describe(hid_t t, hid_t s, kg_tinfo *ti) {
	memset(ti, 0, sizeof *ti);
	H5T_class_t c = H5Tget_class(t);
	if (c < 0) return -1;
	ti->cls = (int)c;
	ti->size = H5Tget_size(t);
	if (c == H5T_INTEGER || c == H5T_FLOAT || c == H5T_BITFIELD) {
		H5T_order_t o = H5Tget_order(t);
		ti->order = o == H5T_ORDER_LE ? 0 : (o == H5T_ORDER_BE ? 1 : 2);
	}
	if (c == H5T_INTEGER) ti->sign = H5Tget_sign(t) == H5T_SGN_2;
	if (c == H5T_STRING) {
		ti->vlen = H5Tis_variable_str(t) > 0;
		ti->cset = (int)H5Tget_cset(t);
		ti->strpad = (int)H5Tget_strpad(t);
	}
	if (c == H5T_ENUM) {
		hid_t b = H5Tget_super(t);
		if (b >= 0) {
			ti->super_cls = (int)H5Tget_class(b);
			ti->sign = H5Tget_sign(b) == H5T_SGN_2;
			H5Tclose(b);
		}
	}
	if (c == H5T_COMPOUND) {
		int nm = H5Tget_nmembers(t);
		ti->super_cls = -1;
		if (nm == 2) {
			hid_t a = H5Tget_member_type(t, 0), b = H5Tget_member_type(t, 1);
			if (a >= 0 && b >= 0 && H5Tget_class(a) == H5T_FLOAT && H5Tget_class(b) == H5T_FLOAT &&
				H5Tget_size(a) == H5Tget_size(b) && H5Tget_member_offset(t, 1) == H5Tget_size(a) &&
				H5Tget_order(a) == H5T_ORDER_LE)
				ti->super_cls = 100; // complex
			if (a >= 0) H5Tclose(a);
			if (b >= 0) H5Tclose(b);
		}
	}
	H5S_class_t sc = H5Sget_simple_extent_type(s);
	if (sc == H5S_SCALAR) ti->space = 0;
	else if (sc == H5S_NULL) ti->space = 2;
	else if (sc == H5S_SIMPLE) ti->space = 1;
	else return -1;
	if (sc == H5S_SIMPLE) {
		int r = H5Sget_simple_extent_ndims(s);
		if (r < 0 || r > 32) return -2;
		ti->rank = r;
		if (H5Sget_simple_extent_dims(s, ti->dims, NULL) < 0) return -1;
	}
	return 0;
}

static int kg_attr_info(hid_t loc, const char *obj, const char *name, kg_tinfo *ti) {
	hid_t a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
	if (a < 0) return -1;
	hid_t t = H5Aget_type(a), s = H5Aget_space(a);
	int r = (t < 0 || s < 0) ? -1 : kg_describe(t, s, ti);
	if (t >= 0) H5Tclose(t);
	if (s >= 0) H5Sclose(s);
	H5Aclose(a);
	return r;
}

// kg_attr_read_vlen reads n variable-length strings, returned NUL-separated in a malloc'd buffer.
static char *kg_attr_read_vlen(hid_t loc, const char *obj, const char *name, size_t n, int cset,
	size_t maxbytes, size_t *outlen, int *err) {
	*err = 1;
	hid_t a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
	if (a < 0) return NULL;
	hid_t mt = H5Tcopy(H5T_C_S1);
	H5Tset_size(mt, H5T_VARIABLE);
	H5Tset_cset(mt, (H5T_cset_t)cset);
	char **ptrs = (char **)calloc(n ? n : 1, sizeof(char *));
	char *out = NULL;
	if (ptrs && H5Aread(a, mt, ptrs) >= 0) {
		size_t total = 0;
		for (size_t i = 0; i < n; i++) total += (ptrs[i] ? strlen(ptrs[i]) : 0) + 1;
		if (total <= maxbytes) {
			out = (char *)malloc(total ? total : 1);
			if (out) {
				size_t off = 0;
				for (size_t i = 0; i < n; i++) {
					size_t l = ptrs[i] ? strlen(ptrs[i]) : 0;
					if (l) memcpy(out + off, ptrs[i], l);
					off += l;
					out[off++] = 0;
				}
				*outlen = total;
				*err = 0;
			}
		} else {
			*err = 2;
		}
		hid_t s = H5Aget_space(a);
		if (s >= 0) {
			H5Dvlen_reclaim(mt, s, H5P_DEFAULT, ptrs);
			H5Sclose(s);
		}
	}
	free(ptrs);
	H5Tclose(mt);
	H5Aclose(a);
	return out;
}

// kg_attr_read_raw reads an attribute into buf with memory type: 0 = the file type (fixed
// strings), 1 = native double, 2 = native int64.
static int kg_attr_read_raw(hid_t loc, const char *obj, const char *name, int kind, void *buf, size_t nbytes) {
	hid_t a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
	if (a < 0) return -1;
	hid_t s = H5Aget_space(a);
	hid_t mt = kind == 1 ? H5Tcopy(H5T_NATIVE_DOUBLE) : (kind == 2 ? H5Tcopy(H5T_NATIVE_INT64) : H5Aget_type(a));
	int r = -1;
	if (s >= 0 && mt >= 0) {
		hssize_t np = H5Sget_simple_extent_npoints(s);
		if (np >= 0 && (size_t)np * H5Tget_size(mt) == nbytes) r = H5Aread(a, mt, buf) < 0 ? -1 : 0;
		else r = -3;
	}
	if (mt >= 0) H5Tclose(mt);
	if (s >= 0) H5Sclose(s);
	H5Aclose(a);
	return r;
}

static hid_t kg_space(int rank, const hsize_t *dims) {
	if (rank < 0) return H5Screate(H5S_NULL);
	if (rank == 0) return H5Screate(H5S_SCALAR);
	return H5Screate_simple(rank, dims, NULL);
}

// kg_attr_write_vlen writes n NUL-separated strings from flat as a vlen string attribute.
static int kg_attr_write_vlen(hid_t loc, const char *obj, const char *name, const char *flat,
	size_t flatlen, size_t n, int scalar, int cset) {
	const char **ptrs = (const char **)calloc(n ? n : 1, sizeof(char *));
	if (!ptrs) return -1;
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		if (off >= flatlen) { free(ptrs); return -1; }
		ptrs[i] = flat + off;
		off += strlen(flat + off) + 1;
	}
	hid_t t = H5Tcopy(H5T_C_S1);
	H5Tset_size(t, H5T_VARIABLE);
	H5Tset_cset(t, (H5T_cset_t)cset);
	hsize_t d = n;
	hid_t s = kg_space(scalar ? 0 : 1, &d);
	int r = -1;
	hid_t a = H5Acreate_by_name(loc, obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (a >= 0) r = (n == 0 || H5Awrite(a, t, ptrs) >= 0) ? 0 : -1;
	hid_t es = KG_KEEP(r);
	if (a >= 0) H5Aclose(a);
	H5Sclose(s);
	H5Tclose(t);
	free(ptrs);
	KG_RESTORE(es);
	return r;
}

// kg_attr_write_fixed writes n fixed-length NULLPAD ASCII strings of itemsize bytes each.
static int kg_attr_write_fixed(hid_t loc, const char *obj, const char *name, const char *flat, size_t n, size_t itemsize) {
	hid_t t = H5Tcopy(H5T_C_S1);
	H5Tset_size(t, itemsize);
	H5Tset_strpad(t, H5T_STR_NULLPAD);
	hsize_t d = n;
	hid_t s = kg_space(1, &d);
	int r = -1;
	hid_t a = H5Acreate_by_name(loc, obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (a >= 0) r = (n == 0 || H5Awrite(a, t, flat) >= 0) ? 0 : -1;
	hid_t es = KG_KEEP(r);
	if (a >= 0) H5Aclose(a);
	H5Sclose(s);
	H5Tclose(t);
	KG_RESTORE(es);
	return r;
}

// kg_attr_write_empty writes a 1-D float64 attribute of length 0 (what h5py writes for []).
static int kg_attr_write_empty(hid_t loc, const char *obj, const char *name) {
	hsize_t d = 0;
	hid_t s = kg_space(1, &d);
	int r = -1;
	hid_t a = H5Acreate_by_name(loc, obj, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (a >= 0) r = 0;
	hid_t es = KG_KEEP(r);
	if (a >= 0) H5Aclose(a);
	H5Sclose(s);
	KG_RESTORE(es);
	return r;
}

static int kg_dset_info(hid_t loc, const char *path, kg_tinfo *ti, int *has_bf16_attr) {
	hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
	if (d < 0) return -1;
	hid_t t = H5Dget_type(d), s = H5Dget_space(d);
	int r = (t < 0 || s < 0) ? -1 : kg_describe(t, s, ti);
	if (t >= 0) H5Tclose(t);
	if (s >= 0) H5Sclose(s);
	*has_bf16_attr = 0;
	H5Dclose(d);
	return r;
}

static hid_t kg_memtype(int kind, hid_t filetype) {
	switch (kind) {
	case 1: return H5Tcopy(H5T_NATIVE_FLOAT);
	case 2: return H5Tcopy(H5T_NATIVE_DOUBLE);
	case 3: return H5Tcopy(H5T_NATIVE_INT32);
	case 4: return H5Tcopy(H5T_NATIVE_UINT8);
	case 5: return H5Tcopy(H5T_NATIVE_INT16);
	case 6: return H5Tcopy(H5T_NATIVE_INT8);
	case 9: return H5Tcopy(H5T_NATIVE_INT64);
	case 17: return H5Tcopy(H5T_NATIVE_UINT16);
	case 22: return H5Tcopy(H5T_NATIVE_UINT32);
	case 23: return H5Tcopy(H5T_NATIVE_UINT64);
	}
	// bool, float16, bfloat16, complex: read with the file's own type (checked LE by the caller).
	return filetype >= 0 ? H5Tcopy(filetype) : -1;
}

static int kg_dset_read(hid_t loc, const char *path, int kind, void *buf, size_t nbytes) {
	hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
	if (d < 0) return -1;
	hid_t ft = H5Dget_type(d), s = H5Dget_space(d);
	hid_t mt = kg_memtype(kind, ft);
	int r = -1;
	if (ft >= 0 && s >= 0 && mt >= 0) {
		hssize_t np = H5Sget_simple_extent_npoints(s);
		if (np < 0 || (size_t)np * H5Tget_size(mt) != nbytes) r = -3;
		else if (np == 0) r = 0;
		else r = H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
	}
	if (mt >= 0) H5Tclose(mt);
	if (ft >= 0) H5Tclose(ft);
	if (s >= 0) H5Sclose(s);
	H5Dclose(d);
	return r;
}

// kg_store describes where a dataset's data lives, read before any data is.
typedef struct {
	int layout;                 // H5D_layout_t: 0 compact, 1 contiguous, 2 chunked, 3 virtual
	int chunk_rank;
	hsize_t chunk[32];
	unsigned long long stored;  // bytes allocated in the file (compressed, for chunked data)
	unsigned long long offset;  // contiguous data: file address; ~0 when not allocated
	int external;               // number of external raw data files
	int nfilters;
	int filters[16];
} kg_store;

static int kg_dset_store(hid_t loc, const char *path, kg_store *st) {
	memset(st, 0, sizeof *st);
	st->offset = ~0ULL;
	hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
	if (d < 0) return -1;
	hid_t p = H5Dget_create_plist(d);
	int r = -1;
	if (p >= 0) {
		H5D_layout_t l = H5Pget_layout(p);
		st->layout = (int)l;
		st->external = H5Pget_external_count(p);
		if (l == H5D_CHUNKED) {
			int cr = H5Pget_chunk(p, 32, st->chunk);
			st->chunk_rank = cr;
		}
		int nf = H5Pget_nfilters(p);
		st->nfilters = nf;
		for (int i = 0; i < nf && i < 16; i++) {
			unsigned flags = 0, fc = 0;
			size_t ne = 0;
			st->filters[i] = (int)H5Pget_filter2(p, (unsigned)i, &flags, &ne, NULL, 0, NULL, &fc);
		}
		st->stored = (unsigned long long)H5Dget_storage_size(d);
		if (l == H5D_CONTIGUOUS) {
			haddr_t a = H5Dget_offset(d);
			st->offset = a == HADDR_UNDEF ? ~0ULL : (unsigned long long)a;
		}
		r = (l < 0 || st->external < 0 || nf < 0 || (l == H5D_CHUNKED && st->chunk_rank < 0)) ? -1 : 0;
		H5Pclose(p);
	}
	H5Dclose(d);
	H5Eclear2(H5E_DEFAULT); // H5Dget_offset of unallocated data leaves an error behind
	return r;
}

// kg_dset_read_rows reads rows [start, start+count) of a dataset's first dimension into buf,
// which holds exactly nbytes: chunked data read in such pieces keeps libhdf5's per-read
// bookkeeping (one entry per chunk touched) bounded.
static int kg_dset_read_rows(hid_t loc, const char *path, int kind, void *buf, size_t nbytes,
	hsize_t start, hsize_t count) {
	hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
	if (d < 0) return -1;
	hid_t ft = H5Dget_type(d), fs = H5Dget_space(d);
	hid_t mt = kg_memtype(kind, ft);
	hid_t ms = -1;
	int r = -1;
	if (ft >= 0 && fs >= 0 && mt >= 0) {
		hsize_t dims[32], off[32], cnt[32];
		int rank = H5Sget_simple_extent_ndims(fs);
		if (rank >= 1 && rank <= 32 && H5Sget_simple_extent_dims(fs, dims, NULL) >= 0 && start + count <= dims[0]) {
			hsize_t n = count;
			for (int i = 0; i < rank; i++) {
				off[i] = i == 0 ? start : 0;
				cnt[i] = i == 0 ? count : dims[i];
				if (i > 0) n *= dims[i];
			}
			if (n * H5Tget_size(mt) != nbytes) r = -3;
			else if (n == 0) r = 0;
			else if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, NULL, cnt, NULL) >= 0 &&
				(ms = H5Screate_simple(1, &n, NULL)) >= 0)
				r = H5Dread(d, mt, ms, fs, H5P_DEFAULT, buf) < 0 ? -1 : 0;
		} else r = -3;
	}
	hid_t es = r == -1 ? H5Eget_current_stack() : -1;
	if (ms >= 0) H5Sclose(ms);
	if (mt >= 0) H5Tclose(mt);
	if (ft >= 0) H5Tclose(ft);
	if (fs >= 0) H5Sclose(fs);
	H5Dclose(d);
	if (es >= 0) H5Eset_current_stack(es);
	return r;
}

static hid_t kg_filetype(int kind) {
	switch (kind) {
	case 1: return H5Tcopy(H5T_IEEE_F32LE);
	case 2: return H5Tcopy(H5T_IEEE_F64LE);
	case 3: return H5Tcopy(H5T_STD_I32LE);
	case 4: return H5Tcopy(H5T_STD_U8LE);
	case 5: return H5Tcopy(H5T_STD_I16LE);
	case 6: return H5Tcopy(H5T_STD_I8LE);
	case 9: return H5Tcopy(H5T_STD_I64LE);
	case 17: return H5Tcopy(H5T_STD_U16LE);
	case 22: return H5Tcopy(H5T_STD_U32LE);
	case 23: return H5Tcopy(H5T_STD_U64LE);
	case 19: { // IEEE half, little-endian, as NumPy's float16 is stored by h5py
		hid_t t = H5Tcopy(H5T_IEEE_F32LE);
		H5Tset_fields(t, 15, 10, 5, 0, 10);
		H5Tset_size(t, 2);
		H5Tset_ebias(t, 15);
		return t;
	}
	case 14: // bfloat16 as Keras 3 stores it: 2-byte opaque (NumPy "|V2"), a "dtype" attribute
		return H5Tcreate(H5T_OPAQUE, 2);
	case 10: { // bool as h5py writes it: enum of int8 FALSE=0, TRUE=1
		hid_t t = H5Tenum_create(H5T_STD_I8LE);
		signed char f = 0, tr = 1;
		H5Tenum_insert(t, "FALSE", &f);
		H5Tenum_insert(t, "TRUE", &tr);
		return t;
	}
	}
	return -1;
}

// kg_dset_write creates dataset name in group gpath and writes buf (native layout) into it.
static int kg_dset_write(hid_t loc, const char *gpath, const char *name, int kind, int rank,
	const hsize_t *dims, const void *buf, size_t nbytes) {
	hid_t ft = kg_filetype(kind);
	if (ft < 0) return -4;
	hid_t mt = (kind == 19 || kind == 10 || kind == 14) ? H5Tcopy(ft) : kg_memtype(kind, -1);
	hid_t s = kg_space(rank, dims);
	hid_t g = H5Gopen2(loc, gpath, H5P_DEFAULT);
	hid_t d = -1, es = -1;
	int r = -1;
	if (g >= 0 && s >= 0 && mt >= 0) {
		hssize_t np = H5Sget_simple_extent_npoints(s);
		if (np < 0 || (size_t)np * H5Tget_size(mt) != nbytes) r = -3;
		else {
			d = H5Dcreate2(g, name, ft, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
			if (d >= 0) r = (np == 0 || H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) ? 0 : -1;
			es = KG_KEEP(r);
			if (d >= 0 && H5Dclose(d) < 0 && r == 0) {
				r = -1; // data may be written out when the dataset is closed
				es = H5Eget_current_stack();
			}
		}
	}
	if (es < 0) es = KG_KEEP(r);
	if (g >= 0) H5Gclose(g);
	if (s >= 0) H5Sclose(s);
	if (mt >= 0) H5Tclose(mt);
	H5Tclose(ft);
	KG_RESTORE(es);
	return r;
}

// kg_objaddr returns the file address of an object's header (objects written once by h5py
// are allocated in creation order), or 0 on failure.
static unsigned long long kg_objaddr(hid_t loc, const char *path) {
	H5G_stat_t st;
	if (H5Gget_objinfo(loc, path, 0, &st) < 0) return 0;
	return (unsigned long long)st.objno[0] | ((unsigned long long)st.objno[1] << 32);
}

static int kg_mkgroup(hid_t loc, const char *path) {
	hid_t g = H5Gcreate2(loc, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (g < 0) return -1;
	return H5Gclose(g) < 0 ? -1 : 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"gonum.org/v1/hdf5"

	"github.com/kerasgo/kerasgo/tensor"
)

func init() {
	C.kg_silence()
}

// silenceLib turns off libhdf5's printing of error stacks on this thread.
func silenceLib() { C.kg_silence() }

// haveLib reports whether this build can call libhdf5.
const haveLib = true

// h5file is an open HDF5 file. Objects inside are addressed by slash-separated paths from
// the root ("model_weights/conv_1").
type h5file struct {
	f       *hdf5.File // nil for a file opened by id alone (closeID)
	id      C.hid_t
	closeID bool            // close with H5Fclose(id): a zip member opened in place
	name    string          // the file's path, for errors
	raw     io.Closer       // the file the pure-Go guards read, closed with h (nil: not h's)
	guard   *vlenGuard      // checks vlen references before libhdf5 follows them
	read    map[string]bool // datasets readTensor has read, when tracked (see readModel)
	size    int64           // the file's size in bytes (0 when unknown)
	// The running total of tensor bytes read, and its limit (see bounds.go).
	total, maxTotal int64
	stores          map[string]storage // storageOf's answers, per dataset
}

// libError returns the current libhdf5 error stack as text and clears it.
func libError() string {
	buf := make([]byte, 2048)
	C.kg_errstack((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	s := C.GoString((*C.char)(unsafe.Pointer(&buf[0])))
	if s == "" {
		return "libhdf5 call failed"
	}
	return s
}

// libFailure is the error of a failed libhdf5 call of operation op: the operating system's
// error when libhdf5 recorded one (its file drivers give the errno: a full disk is
// syscall.ENOSPC, "no space left on device (ENOSPC)"), else libhdf5's own messages.
func libFailure(op string) error {
	s := libError()
	if m := reErrno.FindStringSubmatch(s); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			return &osError{op: op, errno: syscall.Errno(n)}
		}
	}
	return fmt.Errorf("%s: %s", op, s)
}

// reErrno finds the errno libhdf5's POSIX drivers put in their error messages.
var reErrno = regexp.MustCompile(`errno = ([0-9]+)`)

func openLib(path string) (*h5file, error) {
	C.kg_silence()
	f, err := hdf5.OpenFile(path, hdf5.F_ACC_RDONLY)
	if err != nil {
		return nil, fmt.Errorf("%w: open: %s", ErrFormat, libError())
	}
	return &h5file{f: f, id: C.hid_t(f.ID()), name: path}, nil
}

func createLib(path string) (*h5file, error) {
	C.kg_silence()
	f, err := hdf5.CreateFile(path, hdf5.F_ACC_TRUNC)
	if err != nil {
		return nil, libFailure("create")
	}
	return &h5file{f: f, id: C.hid_t(f.ID()), name: path}, nil
}

// close is idempotent.
func (h *h5file) close() error {
	if h == nil || (h.f == nil && !h.closeID) {
		return nil
	}
	if h.raw != nil {
		h.raw.Close()
		h.raw = nil
	}
	var failed bool
	if h.closeID {
		failed = C.H5Fclose(h.id) < 0
		h.closeID = false
	} else {
		failed = h.f.Close() != nil
		h.f = nil
	}
	if failed {
		return libFailure("close")
	}
	return nil
}

func cpath(p string) *C.char {
	if p == "" {
		p = "/"
	}
	return C.CString(p)
}

// kind reports what path names, checking every component is a hard link.
func (h *h5file) kind(path string) (objKind, error) {
	cp := cpath(path)
	defer C.free(unsafe.Pointer(cp))
	k := C.kg_kind(h.id, cp, 0)
	if k == 6 {
		// Every component is a hard link: the object's header is checked in pure Go before
		// libhdf5 opens the object and decodes its messages (a dataset's layout among them).
		if err := h.checkHeader(path); err != nil {
			return kindMissing, err
		}
		k = C.kg_kind(h.id, cp, 1)
	}
	if k < 0 {
		return kindMissing, fmt.Errorf("%w: %s", ErrFormat, libError())
	}
	return objKind(k), nil
}

func splitNames(buf []byte) []string {
	var out []string
	for len(buf) > 0 {
		i := 0
		for i < len(buf) && buf[i] != 0 {
			i++
		}
		out = append(out, string(buf[:i]))
		if i < len(buf) {
			i++
		}
		buf = buf[i:]
	}
	return out
}

// links lists a group's links in name order: each entry is a tag ('h' hard, 's' soft,
// 'e' external, 'x' other) followed by the name.
func (h *h5file) links(path string) ([]string, error) {
	cp := cpath(path)
	defer C.free(unsafe.Pointer(cp))
	var n C.size_t
	var e C.int
	p := C.kg_links(h.id, cp, &n, &e)
	if e != 0 {
		return nil, fmt.Errorf("%w: list group: %s", ErrFormat, libError())
	}
	if p == nil {
		return nil, nil
	}
	defer C.free(unsafe.Pointer(p))
	return splitNames(C.GoBytes(unsafe.Pointer(p), C.int(n))), nil
}

// attrNames lists the attribute names of an object in name order.
func (h *h5file) attrNames(path string) ([]string, error) {
	if err := h.checkHeader(path); err != nil {
		return nil, err
	}
	cp := cpath(path)
	defer C.free(unsafe.Pointer(cp))
	var n C.size_t
	var e C.int
	p := C.kg_attrs(h.id, cp, &n, &e)
	if e != 0 {
		return nil, fmt.Errorf("%w: list attributes: %s", ErrFormat, libError())
	}
	if p == nil {
		return nil, nil
	}
	defer C.free(unsafe.Pointer(p))
	names := splitNames(C.GoBytes(unsafe.Pointer(p), C.int(n)))
	for i, s := range names {
		names[i] = s[1:]
	}
	return names, nil
}

func toTypeInfo(ti *C.kg_tinfo) typeInfo {
	t := typeInfo{
		class:    int(ti.cls),
		size:     int64(ti.size),
		signed:   ti.sign != 0,
		order:    int(ti.order),
		vlen:     ti.vlen != 0,
		cset:     int(ti.cset),
		strpad:   int(ti.strpad),
		superCls: int(ti.super_cls),
		space:    int(ti.space),
	}
	for i := 0; i < int(ti.rank); i++ {
		t.dims = append(t.dims, uint64(ti.dims[i]))
	}
	return t
}

// attrInfo describes an attribute's type and dataspace.
func (h *h5file) attrInfo(path, name string) (typeInfo, error) {
	cp, cn := cpath(path), C.CString(name)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cn))
	var ti C.kg_tinfo
	if r := C.kg_attr_info(h.id, cp, cn, &ti); r != 0 {
		if r == -2 {
			return typeInfo{}, fmt.Errorf("%w: rank over 32", ErrFormat)
		}
		return typeInfo{}, fmt.Errorf("%w: %s", ErrFormat, libError())
	}
	return toTypeInfo(&ti), nil
}

// attrVlen reads n variable-length strings of at most limit bytes together.
func (h *h5file) attrVlen(path, name string, n int, cset int, limit int64) ([]string, error) {
	cp, cn := cpath(path), C.CString(name)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cn))
	var ln C.size_t
	var e C.int
	p := C.kg_attr_read_vlen(h.id, cp, cn, C.size_t(n), C.int(cset), C.size_t(limit), &ln, &e)
	if e == 2 {
		return nil, fmt.Errorf("%w: strings exceed the %d-byte limit", ErrFormat, limit)
	}
	if e != 0 || p == nil {
		return nil, fmt.Errorf("%w: read strings: %s", ErrFormat, libError())
	}
	defer C.free(unsafe.Pointer(p))
	b := C.GoBytes(unsafe.Pointer(p), C.int(ln))
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		j := 0
		for j < len(b) && b[j] != 0 {
			j++
		}
		out = append(out, string(b[:j]))
		if j < len(b) {
			j++
		}
		b = b[j:]
	}
	return out, nil
}

// attrRaw reads an attribute: kind 0 with the file type (fixed strings), 1 as float64,
// 2 as int64, into a buffer of exactly nbytes.
func (h *h5file) attrRaw(path, name string, kind int, nbytes int) ([]byte, error) {
	cp, cn := cpath(path), C.CString(name)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cn))
	buf := make([]byte, nbytes+1)
	if r := C.kg_attr_read_raw(h.id, cp, cn, C.int(kind), unsafe.Pointer(&buf[0]), C.size_t(nbytes)); r != 0 {
		if r == -3 {
			return nil, fmt.Errorf("%w: size mismatch", ErrFormat)
		}
		return nil, fmt.Errorf("%w: read: %s", ErrFormat, libError())
	}
	return buf[:nbytes], nil
}

// datasetInfo describes a dataset; bf16 reports a Keras 3 dtype="bfloat16" attribute.
func (h *h5file) datasetInfo(path string) (typeInfo, bool, error) {
	cp := cpath(path)
	defer C.free(unsafe.Pointer(cp))
	var ti C.kg_tinfo
	var bf C.int
	if r := C.kg_dset_info(h.id, cp, &ti, &bf); r != 0 {
		if r == -2 {
			return typeInfo{}, false, fmt.Errorf("%w: rank over 32", ErrFormat)
		}
		return typeInfo{}, false, fmt.Errorf("%w: %s", ErrFormat, libError())
	}
	return toTypeInfo(&ti), bf != 0, nil
}

// readDataset reads a dataset whose dtype and shape were checked by the caller into t.Data.
func (h *h5file) readDataset(path string, t *tensor.Tensor) error {
	cp := cpath(path)
	defer C.free(unsafe.Pointer(cp))
	ptr, nbytes := dataPointer(t)
	if nbytes == 0 {
		var z [8]byte
		ptr = unsafe.Pointer(&z[0])
	}
	r := C.kg_dset_read(h.id, cp, C.int(t.DType), ptr, C.size_t(nbytes))
	if r == -3 {
		return fmt.Errorf("%w: size mismatch", ErrFormat)
	}
	if r != 0 {
		return fmt.Errorf("%w: read: %s", ErrFormat, libError())
	}
	return nil
}

// storageOf describes where a dataset's data lives, without reading it.
func (h *h5file) storageOf(path string) (storage, error) {
	cp := cpath(path)
	defer C.free(unsafe.Pointer(cp))
	var st C.kg_store
	if C.kg_dset_store(h.id, cp, &st) != 0 {
		return storage{}, fmt.Errorf("%w: dataset storage: %s", ErrFormat, libError())
	}
	s := storage{layout: int(st.layout), stored: uint64(st.stored), offset: uint64(st.offset),
		external: int(st.external) > 0}
	for i := 0; i < int(st.chunk_rank) && i < 32; i++ {
		s.chunk = append(s.chunk, uint64(st.chunk[i]))
	}
	for i := 0; i < int(st.nfilters) && i < 16; i++ {
		s.filters = append(s.filters, int(st.filters[i]))
	}
	if int(st.nfilters) > 16 {
		s.filters = append(s.filters, -1) // more filters than listed: refused as unknown
	}
	return s, nil
}

// readRows reads rows [start, start+count) of the dataset's first dimension into the
// matching part of t.Data (rowElems elements per row).
func (h *h5file) readRows(path string, t *tensor.Tensor, start, count, rowElems int64) error {
	cp := cpath(path)
	defer C.free(unsafe.Pointer(cp))
	ptr, nbytes := dataPointer(t)
	es := int64(0)
	if n, _ := tensor.NumElements(t.Shape); n > 0 {
		es = int64(nbytes) / n
	}
	if count == 0 || es == 0 {
		return nil
	}
	off := start * rowElems * es
	size := count * rowElems * es
	if off < 0 || off+size > int64(nbytes) {
		return fmt.Errorf("%w: rows %d..%d outside the tensor", ErrFormat, start, start+count)
	}
	r := C.kg_dset_read_rows(h.id, cp, C.int(t.DType), unsafe.Add(ptr, off), C.size_t(size), C.hsize_t(start), C.hsize_t(count))
	if r == -3 {
		return fmt.Errorf("%w: size mismatch", ErrFormat)
	}
	if r != 0 {
		return fmt.Errorf("%w: read: %s", ErrFormat, libError())
	}
	return nil
}

// dataPointer returns the address and byte size of a numeric tensor's storage.
func dataPointer(t *tensor.Tensor) (unsafe.Pointer, int) {
	switch x := t.Data.(type) {
	case []float32:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), 4 * len(x)
		}
	case []float64:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), 8 * len(x)
		}
	case []int32:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), 4 * len(x)
		}
	case []int64:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), 8 * len(x)
		}
	case []uint8:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), len(x)
		}
	case []int8:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), len(x)
		}
	case []int16:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), 2 * len(x)
		}
	case []uint16:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), 2 * len(x)
		}
	case []uint32:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), 4 * len(x)
		}
	case []uint64:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), 8 * len(x)
		}
	case []bool:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), len(x)
		}
	case []complex64:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), 8 * len(x)
		}
	case []complex128:
		if len(x) > 0 {
			return unsafe.Pointer(&x[0]), 16 * len(x)
		}
	}
	return nil, 0
}

// objAddr returns the address of an object's header in the file (0 when unknown).
func (h *h5file) objAddr(path string) uint64 {
	cp := cpath(path)
	defer C.free(unsafe.Pointer(cp))
	a := uint64(C.kg_objaddr(h.id, cp))
	if a == 0 {
		libError()
	}
	return a
}

// mkGroup creates one group (its parent must exist).
func (h *h5file) mkGroup(path string) error {
	cp := cpath(path)
	defer C.free(unsafe.Pointer(cp))
	if C.kg_mkgroup(h.id, cp) != 0 {
		return libFailure("create group")
	}
	return nil
}

// writeVlenAttr writes strings as a vlen string attribute: scalar (one string) or 1-D array.
func (h *h5file) writeVlenAttr(path, name string, vals []string, scalar, utf8 bool) error {
	var flat []byte
	for _, v := range vals {
		if strings.IndexByte(v, 0) >= 0 {
			return errors.New("string contains NUL")
		}
		flat = append(flat, v...)
		flat = append(flat, 0)
	}
	flat = append(flat, 0)
	cp, cn := cpath(path), C.CString(name)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cn))
	cset := 0
	if utf8 {
		cset = 1
	}
	sc := 0
	if scalar {
		sc = 1
	}
	if C.kg_attr_write_vlen(h.id, cp, cn, (*C.char)(unsafe.Pointer(&flat[0])), C.size_t(len(flat)),
		C.size_t(len(vals)), C.int(sc), C.int(cset)) != 0 {
		return libFailure("write attribute")
	}
	return nil
}

// writeFixedAttr writes n fixed-length NULLPAD strings of itemsize bytes from flat.
func (h *h5file) writeFixedAttr(path, name string, flat []byte, n, itemsize int) error {
	cp, cn := cpath(path), C.CString(name)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cn))
	flat = append(flat, 0)
	if C.kg_attr_write_fixed(h.id, cp, cn, (*C.char)(unsafe.Pointer(&flat[0])), C.size_t(n), C.size_t(itemsize)) != 0 {
		return libFailure("write attribute")
	}
	return nil
}

// writeEmptyAttr writes an empty float64 array attribute.
func (h *h5file) writeEmptyAttr(path, name string) error {
	cp, cn := cpath(path), C.CString(name)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cn))
	if C.kg_attr_write_empty(h.id, cp, cn) != 0 {
		return libFailure("write attribute")
	}
	return nil
}

// writeDataset creates dataset name in group gpath holding t.
func (h *h5file) writeDataset(gpath, name string, t *tensor.Tensor) error {
	if len(t.Shape) > tensor.MaxRank {
		return fmt.Errorf("rank %d over %d", len(t.Shape), tensor.MaxRank)
	}
	n, err := tensor.NumElements(t.Shape)
	if err != nil {
		return err
	}
	ptr, nbytes := dataPointer(t)
	if ptr == nil && n != 0 {
		return fmt.Errorf("%w: dtype %v", ErrUnsupported, t.DType)
	}
	if int64(nbytes) != n*int64(t.DType.Size()) {
		return fmt.Errorf("%w: tensor data does not match shape %v", ErrFormat, t.Shape)
	}
	var z [8]byte
	if nbytes == 0 {
		ptr = unsafe.Pointer(&z[0])
	}
	dims := make([]C.hsize_t, len(t.Shape)+1)
	for i, d := range t.Shape {
		dims[i] = C.hsize_t(d)
	}
	cg, cn := cpath(gpath), C.CString(name)
	defer C.free(unsafe.Pointer(cg))
	defer C.free(unsafe.Pointer(cn))
	r := C.kg_dset_write(h.id, cg, cn, C.int(t.DType), C.int(len(t.Shape)), &dims[0], ptr, C.size_t(nbytes))
	switch r {
	case 0:
		if t.DType == tensor.BFloat16 {
			// Keras 3 marks its opaque bfloat16 datasets with a dtype attribute
			return h.writeVlenAttr(joinPath(gpath, name), "dtype", []string{"bfloat16"}, true, true)
		}
		return nil
	case -4:
		return fmt.Errorf("%w: dtype %v", ErrUnsupported, t.DType)
	case -3:
		return fmt.Errorf("%w: tensor data does not match shape %v", ErrFormat, t.Shape)
	}
	return libFailure("write dataset")
}
