package h5

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds the typed reads on top of the libhdf5 adapter: string-list attributes in
// every encoding Keras files use, tensors from datasets with their declared size checked
// first, and the recursive dataset listing.

// nelems returns the element count of a dataspace, checked against limit.
func (t typeInfo) nelems(limit int64) (int64, error) {
	switch t.space {
	case 0:
		return 1, nil
	case 2:
		return 0, nil
	}
	n := int64(1)
	for _, d := range t.dims {
		if d > math.MaxInt64 || (d != 0 && uint64(n) > uint64(limit)/d) {
			return 0, formatf("dataspace %v exceeds %d elements", t.dims, limit)
		}
		n *= int64(d)
	}
	if n > limit {
		return 0, formatf("dataspace %v exceeds %d elements", t.dims, limit)
	}
	return n, nil
}

// attrPath names an attribute in errors: "model_weights@layer_names".
func attrPath(obj, name string) string {
	if obj == "" || obj == "/" {
		return "/@" + name
	}
	return obj + "@" + name
}

// hasAttr reports whether obj has an attribute called name.
func hasAttr(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// readStrings reads a string attribute as a list: vlen or fixed-length, ASCII or UTF-8,
// scalar or array. An empty array of any type (Keras writes float64 for "no weights") and a
// null dataspace give an empty list. A numeric non-empty attribute is an error.
func (h *h5file) readStrings(obj, name string) ([]string, error) {
	return h.readStringsMax(obj, name, maxAttrBytes)
}

// readStringsMax is readStrings refusing, before the strings reach Go, more than limit bytes.
func (h *h5file) readStringsMax(obj, name string, limit int64) ([]string, error) {
	ti, err := h.attrInfo(obj, name)
	if err != nil {
		return nil, atObj(attrPath(obj, name), err)
	}
	n, err := ti.nelems(maxAttrElems)
	if err != nil {
		return nil, atObj(attrPath(obj, name), err)
	}
	if n == 0 {
		return []string{}, nil
	}
	if ti.class != classString {
		return nil, atObj(attrPath(obj, name), formatf("want strings, found type class %d", ti.class))
	}
	if ti.vlen {
		if err := h.checkVlen(obj, name, limit); err != nil {
			return nil, atObj(attrPath(obj, name), err)
		}
		s, err := h.attrVlen(obj, name, int(n), ti.cset, limit)
		return s, atObj(attrPath(obj, name), err)
	}
	if ti.size <= 0 || n*ti.size > limit {
		return nil, atObj(attrPath(obj, name), formatf("fixed strings of %d x %d bytes, over the %d-byte limit", n, ti.size, limit))
	}
	buf, err := h.attrRaw(obj, name, 0, int(n*ti.size))
	if err != nil {
		return nil, atObj(attrPath(obj, name), err)
	}
	return splitFixed(buf, int(n), int(ti.size), ti.strpad), nil
}

// checkVlen validates a vlen attribute's heap references before libhdf5 follows them.
func (h *h5file) checkVlen(obj, name string, limit int64) error {
	if h.guard == nil {
		return nil
	}
	addr := h.objAddr(obj)
	if addr == 0 && obj != "" && obj != "/" {
		return formatf("cannot locate the object header")
	}
	return h.guard.checkAttr(addr, name, limit)
}

// checkHeader validates an object's header in pure Go before libhdf5 walks its attributes.
func (h *h5file) checkHeader(obj string) error {
	if h.guard == nil {
		return nil
	}
	addr := h.objAddr(obj)
	if addr == 0 && obj != "" && obj != "/" {
		return formatf("cannot locate the object header")
	}
	return h.guard.checkHeader(addr)
}

// splitFixed cuts n fixed-length strings of size bytes, removing NUL or space padding.
func splitFixed(buf []byte, n, size, strpad int) []string {
	out := make([]string, n)
	for i := range out {
		b := buf[i*size : (i+1)*size]
		if strpad == 2 {
			b = []byte(strings.TrimRight(string(b), " "))
		} else if j := strings.IndexByte(string(b), 0); j >= 0 {
			b = b[:j]
		}
		out[i] = string(b)
	}
	return out
}

// readString reads a scalar or one-element string attribute.
func (h *h5file) readString(obj, name string) (string, error) {
	return h.readStringMax(obj, name, maxAttrBytes)
}

// readStringMax is readString refusing a string over limit bytes before it reaches Go.
func (h *h5file) readStringMax(obj, name string, limit int64) (string, error) {
	s, err := h.readStringsMax(obj, name, limit)
	if err != nil {
		return "", err
	}
	if len(s) != 1 {
		return "", atObj(attrPath(obj, name), formatf("want one string, found %d", len(s)))
	}
	return s[0], nil
}

// readChunkedStrings reads a string-list attribute that Keras may have split into name0,
// name1, ... (FORMATS.md §1.8). present is false when neither form exists.
func (h *h5file) readChunkedStrings(obj, name string, attrs []string) (list []string, present bool, err error) {
	if hasAttr(attrs, name) {
		s, err := h.readStrings(obj, name)
		return s, true, err
	}
	for i := 0; i < maxChunks; i++ {
		an := name + strconv.Itoa(i)
		if !hasAttr(attrs, an) {
			return list, i > 0, nil
		}
		s, err := h.readStrings(obj, an)
		if err != nil {
			return nil, true, err
		}
		list = append(list, s...)
		if len(list) > maxAttrElems {
			return nil, true, atObj(attrPath(obj, name), formatf("more than %d names", maxAttrElems))
		}
	}
	return nil, true, atObj(attrPath(obj, name), formatf("more than %d chunks", maxChunks))
}

// dtypeOf maps an HDF5 dataset type to a tensor dtype (Invalid with a description when none
// fits). bf16 reports Keras 3's dtype="bfloat16" dataset attribute.
func dtypeOf(t typeInfo, bf16 bool) (tensor.DType, string) {
	switch t.class {
	case classFloat:
		if t.order != 0 {
			// libhdf5 converts big-endian floats of the standard sizes on read.
			if t.size == 4 {
				return tensor.Float32, "float32"
			}
			if t.size == 8 {
				return tensor.Float64, "float64"
			}
			return tensor.Invalid, fmt.Sprintf("float%d big-endian", 8*t.size)
		}
		switch t.size {
		case 2:
			return tensor.Float16, "float16"
		case 4:
			return tensor.Float32, "float32"
		case 8:
			return tensor.Float64, "float64"
		}
		return tensor.Invalid, fmt.Sprintf("float%d", 8*t.size)
	case classInteger:
		if t.signed {
			switch t.size {
			case 1:
				return tensor.Int8, "int8"
			case 2:
				return tensor.Int16, "int16"
			case 4:
				return tensor.Int32, "int32"
			case 8:
				return tensor.Int64, "int64"
			}
		} else {
			switch t.size {
			case 1:
				return tensor.Uint8, "uint8"
			case 2:
				if bf16 {
					return tensor.BFloat16, "bfloat16"
				}
				return tensor.Uint16, "uint16"
			case 4:
				return tensor.Uint32, "uint32"
			case 8:
				return tensor.Uint64, "uint64"
			}
		}
		return tensor.Invalid, fmt.Sprintf("int%d", 8*t.size)
	case classEnum:
		if t.size == 1 && t.superCls == classInteger {
			return tensor.Bool, "bool"
		}
		return tensor.Invalid, "enum"
	case classOpaque, classBitfield:
		if bf16 && t.size == 2 {
			return tensor.BFloat16, "bfloat16"
		}
		return tensor.Invalid, fmt.Sprintf("opaque%d", 8*t.size)
	case classCompound:
		if t.superCls == 100 && t.size == 8 {
			return tensor.Complex64, "complex64"
		}
		if t.superCls == 100 && t.size == 16 {
			return tensor.Complex128, "complex128"
		}
		return tensor.Invalid, "compound"
	case classString:
		return tensor.String, "string"
	}
	names := map[int]string{classTime: "time", classRef: "reference", classVlen: "vlen", classArray: "array"}
	if s, ok := names[t.class]; ok {
		return tensor.Invalid, s
	}
	return tensor.Invalid, fmt.Sprintf("type class %d", t.class)
}

// shapeOf converts a dataspace to a tensor shape.
func (t typeInfo) shape() ([]int, error) {
	if t.space == 2 {
		return nil, unsupportedf("null dataspace")
	}
	s := make([]int, len(t.dims))
	for i, d := range t.dims {
		if d > math.MaxInt32*1024 {
			return nil, formatf("dimension %d too large", d)
		}
		s[i] = int(d)
	}
	return s, nil
}

// readTensor reads a numeric dataset, checking first its declared size against maxBytes,
// against what the file stores of it, and the read's running total (see bounds.go).
func (h *h5file) readTensor(path string, maxBytes int64) (*tensor.Tensor, error) {
	ti, bf16, err := h.datasetInfoBF16(path)
	if err != nil {
		return nil, atObj(path, err)
	}
	dt, desc := dtypeOf(ti, bf16)
	if dt == tensor.Invalid || dt == tensor.String {
		return nil, atObj(path, unsupportedf("dataset type %s", desc))
	}
	if (dt == tensor.Float16 || dt == tensor.BFloat16 || dt == tensor.Bool || dt == tensor.Complex64 || dt == tensor.Complex128) && ti.order != 0 && ti.class != classOpaque && ti.class != classEnum && ti.class != classCompound {
		return nil, atObj(path, unsupportedf("big-endian %s", desc))
	}
	shape, err := ti.shape()
	if err != nil {
		return nil, atObj(path, err)
	}
	nbytes, err := tensor.CheckShape(dt, shape, maxBytes)
	if err != nil {
		return nil, atObj(path, fmt.Errorf("%w: %w", ErrFormat, err))
	}
	st, err := h.storageOfCached(path)
	if err != nil {
		return nil, atObj(path, err)
	}
	if err := h.checkStorage(st, ti.dims, nbytes, int64(dt.Size())); err != nil {
		return nil, atObj(path, err)
	}
	if err := h.charge(nbytes); err != nil {
		return nil, atObj(path, err)
	}
	t, err := tensor.New(dt, shape)
	if err != nil {
		return nil, atObj(path, fmt.Errorf("%w: %w", ErrFormat, err))
	}
	if err := h.readData(path, t, st, ti.dims, nbytes); err != nil {
		return nil, atObj(path, err)
	}
	if h.read != nil {
		h.read[path] = true
	}
	return t, nil
}

// joinPath joins HDF5 path components.
func joinPath(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		p = strings.Trim(p, "/")
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(p)
	}
	return b.String()
}

// child lists the hard-linked children of a group by kind; soft and external links are
// returned separately.
type childList struct {
	groups, datasets, others, softs []string
}

func (h *h5file) children(path string) (childList, error) {
	var c childList
	ls, err := h.links(path)
	if err != nil {
		return c, atObj(pathOrRoot(path), err)
	}
	for _, l := range ls {
		if l == "" {
			continue
		}
		name := l[1:]
		if l[0] != 'h' {
			c.softs = append(c.softs, name)
			continue
		}
		k, err := h.kind(joinPath(path, name))
		if err != nil {
			return c, atObj(joinPath(path, name), err)
		}
		switch k {
		case kindGroup:
			c.groups = append(c.groups, name)
		case kindDataset:
			c.datasets = append(c.datasets, name)
		default:
			c.others = append(c.others, name)
		}
	}
	return c, nil
}

func pathOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// requireGroup checks path is a group reached through hard links only (Keras rejects soft
// and external links).
func (h *h5file) requireKind(path string, want objKind) error {
	k, err := h.kind(path)
	if err != nil {
		return atObj(path, err)
	}
	if k == want {
		return nil
	}
	switch k {
	case kindMissing:
		return atObj(path, formatf("missing"))
	case kindSoftLink:
		return atObj(path, unsupportedf("soft link"))
	case kindExternalLink:
		return atObj(path, unsupportedf("external link"))
	}
	if want == kindGroup {
		return atObj(path, formatf("not a group"))
	}
	return atObj(path, formatf("not a dataset"))
}

// datasetInfoBF16 is datasetInfo plus Keras 3's dtype="bfloat16" marker, which is read
// (through the guard) only for 2-byte types.
func (h *h5file) datasetInfoBF16(path string) (typeInfo, bool, error) {
	ti, _, err := h.datasetInfo(path)
	if err != nil || ti.size != 2 {
		return ti, false, err
	}
	attrs, err := h.attrNames(path)
	if err != nil || !hasAttr(attrs, "dtype") {
		return ti, false, err
	}
	s, err := h.readStrings(path, "dtype")
	if err != nil {
		return ti, false, err
	}
	return ti, len(s) == 1 && s[0] == "bfloat16", nil
}
