package h5

import (
	"bytes"
	"encoding/binary"
)

// libhdf5 1.10 builds a table of every attribute of an object before H5Aiterate2 calls back,
// and when one attribute message fails to decode it frees a half-built table and crashes
// (a NULL attribute in H5A__close). Any attribute message libhdf5 would refuse to decode must
// therefore be refused here first. checkDatatype walks an encoded datatype recursively (vlen,
// array, enum and compound types nest others) with the rules libhdf5 1.10's decoder applies:
// versions 1 to 3, known classes, properties of the class's length, sizes that fit.

// maxDtypeDepth bounds nesting (a vlen of an array of a compound of ...).
const maxDtypeDepth = 16

// checkDatatype checks the datatype encoded at the start of b and returns its length.
func checkDatatype(b []byte, depth int) (int, error) {
	if depth > maxDtypeDepth {
		return 0, formatf("datatype nested more than %d deep", maxDtypeDepth)
	}
	if len(b) < 8 {
		return 0, formatf("datatype overruns its message")
	}
	class, ver := int(b[0]&0x0f), int(b[0]>>4)
	if ver < 1 || ver > 3 {
		return 0, formatf("datatype version %d", ver)
	}
	bits := uint32(b[1]) | uint32(b[2])<<8 | uint32(b[3])<<16
	size := int64(binary.LittleEndian.Uint32(b[4:]))
	p := 8
	need := func(n int) error {
		if n < 0 || p+n > len(b) {
			return formatf("datatype class %d properties overrun the message", class)
		}
		return nil
	}
	switch class {
	case classInteger, classBitfield:
		if err := need(4); err != nil {
			return 0, err
		}
		off, prec := int64(binary.LittleEndian.Uint16(b[p:])), int64(binary.LittleEndian.Uint16(b[p+2:]))
		if size <= 0 || prec == 0 || off+prec > 8*size {
			return 0, formatf("integer datatype of %d bytes with %d bits at offset %d", size, prec, off)
		}
		p += 4
	case classFloat:
		if err := need(12); err != nil {
			return 0, err
		}
		off, prec := int64(binary.LittleEndian.Uint16(b[p:])), int64(binary.LittleEndian.Uint16(b[p+2:]))
		epos, esz, mpos, msz := int64(b[p+4]), int64(b[p+5]), int64(b[p+6]), int64(b[p+7])
		if size <= 0 || prec == 0 || off+prec > 8*size || esz == 0 || msz == 0 ||
			epos+esz > prec || mpos+msz > prec {
			return 0, formatf("float datatype of %d bytes with inconsistent bit fields", size)
		}
		p += 12
	case classTime:
		if err := need(2); err != nil {
			return 0, err
		}
		p += 2
	case classString:
		if size <= 0 {
			return 0, formatf("string datatype of %d bytes", size)
		}
	case classOpaque:
		n := int(bits & 0xff)
		if err := need(n); err != nil {
			return 0, err
		}
		p += n
	case classRef:
		if size <= 0 {
			return 0, formatf("reference datatype of %d bytes", size)
		}
	case classCompound:
		n, err := checkCompound(b, ver, int(bits&0xffff), size, depth)
		if err != nil {
			return 0, err
		}
		p = n
	case classEnum:
		n := int(bits & 0xffff)
		bl, err := checkDatatype(b[p:], depth+1)
		if err != nil {
			return 0, err
		}
		base := b[p]
		if c := int(base & 0x0f); c != classInteger && c != classBitfield {
			return 0, formatf("enum over datatype class %d", c)
		}
		bsize := int64(binary.LittleEndian.Uint32(b[p+4:]))
		if bsize != size {
			return 0, formatf("enum of %d bytes over a %d-byte base", size, bsize)
		}
		p += bl
		for i := 0; i < n; i++ {
			l, err := cName(b[p:], ver < 3)
			if err != nil {
				return 0, err
			}
			p += l
		}
		if int64(n)*size > int64(len(b)-p) {
			return 0, formatf("enum values overrun the message")
		}
		p += n * int(size)
	case classVlen:
		if size <= 0 {
			return 0, formatf("vlen datatype of %d bytes", size)
		}
		if t := bits & 0x0f; t > 1 {
			return 0, formatf("vlen type %d", t)
		}
		bl, err := checkDatatype(b[p:], depth+1)
		if err != nil {
			return 0, err
		}
		p += bl
	case classArray:
		if ver < 2 {
			return 0, formatf("array datatype version %d", ver)
		}
		if err := need(1); err != nil {
			return 0, err
		}
		rank := int(b[p])
		if rank == 0 || rank > 32 {
			return 0, formatf("array datatype of rank %d", rank)
		}
		p++
		if ver == 2 {
			p += 3
		}
		if err := need(4 * rank); err != nil {
			return 0, err
		}
		count := int64(1)
		for i := 0; i < rank; i++ {
			d := int64(binary.LittleEndian.Uint32(b[p+4*i:]))
			if d == 0 || count > (1<<40)/d {
				return 0, formatf("array datatype dimension %d", d)
			}
			count *= d
		}
		p += 4 * rank
		if ver == 2 {
			if err := need(4 * rank); err != nil {
				return 0, err
			}
			p += 4 * rank
		}
		bl, err := checkDatatype(b[p:], depth+1)
		if err != nil {
			return 0, err
		}
		bsize := int64(binary.LittleEndian.Uint32(b[p+4:]))
		if bsize*count != size {
			return 0, formatf("array datatype of %d bytes holds %d x %d", size, count, bsize)
		}
		p += bl
	default:
		return 0, formatf("datatype class %d", class)
	}
	return p, nil
}

// checkCompound checks a compound datatype's n members and returns the encoded length.
func checkCompound(b []byte, ver, n int, size int64, depth int) (int, error) {
	if n == 0 || size <= 0 {
		return 0, formatf("compound datatype of %d members, %d bytes", n, size)
	}
	p := 8
	offBytes := 4
	if ver == 3 {
		offBytes = 1
		for s := size; s > 0xff && offBytes < 4; s >>= 8 {
			offBytes++
		}
	}
	for i := 0; i < n; i++ {
		l, err := cName(b[p:], ver < 3)
		if err != nil {
			return 0, err
		}
		p += l
		if p+offBytes > len(b) {
			return 0, formatf("compound member offset overruns the message")
		}
		var off int64
		for k := offBytes - 1; k >= 0; k-- {
			off = off<<8 | int64(b[p+k])
		}
		p += offBytes
		if ver == 1 {
			if p+28 > len(b) {
				return 0, formatf("compound member dimensions overrun the message")
			}
			if r := b[p]; r > 4 {
				return 0, formatf("compound member of rank %d", r)
			}
			p += 28
		}
		ml, err := checkDatatype(b[p:], depth+1)
		if err != nil {
			return 0, err
		}
		msize := int64(binary.LittleEndian.Uint32(b[p+4:]))
		if off < 0 || off+msize > size {
			return 0, formatf("compound member at %d of %d bytes outside %d bytes", off, msize, size)
		}
		p += ml
	}
	return p, nil
}

// cName returns the encoded length of a NUL-terminated name, padded to 8 bytes if pad.
func cName(b []byte, pad bool) (int, error) {
	i := bytes.IndexByte(b, 0)
	if i <= 0 {
		return 0, formatf("member name overruns the message")
	}
	n := i + 1
	if pad {
		n = pad8(n)
	}
	if n > len(b) {
		return 0, formatf("member name overruns the message")
	}
	return n, nil
}

// dataspace checks an encoded dataspace as libhdf5 1.10 decodes it (version, flags, rank,
// dimensions inside the message, none over its maximum) and returns its element count (0 for
// a null dataspace, 1 for a scalar), refusing counts over 2^40.
func (g *vlenGuard) dataspace(ds []byte) (int64, error) {
	if len(ds) < 4 {
		return 0, formatf("dataspace overruns its message")
	}
	ver, rank, flags := ds[0], int(ds[1]), ds[2]
	p := 4
	null := false
	switch ver {
	case 1:
		p = 8
		if flags&^3 != 0 {
			return 0, formatf("dataspace flags %#x", flags)
		}
	case 2:
		if ds[3] > 2 {
			return 0, formatf("dataspace type %d", ds[3])
		}
		if flags&^1 != 0 {
			return 0, formatf("dataspace flags %#x", flags)
		}
		null = ds[3] == 2
	default:
		return 0, formatf("dataspace version %d", ver)
	}
	if rank > 32 {
		return 0, formatf("dataspace of rank %d", rank)
	}
	n := rank
	if flags&1 != 0 {
		n *= 2
	}
	if p+n*g.sb.sLen > len(ds) {
		return 0, formatf("dataspace dimensions overrun the message")
	}
	count := int64(1)
	for i := 0; i < rank; i++ {
		d := g.uint(ds[p+i*g.sb.sLen:], g.sb.sLen)
		if flags&1 != 0 {
			m := g.uint(ds[p+(rank+i)*g.sb.sLen:], g.sb.sLen)
			if m < d && m != 1<<(8*uint(g.sb.sLen))-1 {
				return 0, formatf("dataspace dimension %d over its maximum %d", d, m)
			}
		}
		if d > 1<<31 || (d != 0 && count > (1<<40)/int64(d)) {
			return 0, formatf("dataspace too large")
		}
		count *= int64(d)
	}
	if null {
		return 0, nil
	}
	return count, nil
}

// checkLayout checks a dataset's layout message. libhdf5 1.10 copies a compact dataset's
// data out of the message by the size the message declares, and later reads as many bytes
// as the dataspace and datatype say: both must agree with the message (count and esize are
// -1 when the header holds no dataspace or datatype message).
func (g *vlenGuard) checkLayout(msg []byte, count, esize int64) error {
	if len(msg) < 2 {
		return formatf("short layout message")
	}
	var compact int64 = -1
	switch ver := msg[0]; ver {
	case 1, 2:
		rank, class := int(msg[1]), msg[2]
		if len(msg) < 8 || rank == 0 || rank > 33 || class > 2 {
			return formatf("layout message version %d: rank %d class %d", ver, rank, class)
		}
		p := 8
		if class != 0 {
			p += g.sb.sOff
		}
		p += 4 * rank
		if class == 0 {
			if p+4 > len(msg) {
				return formatf("compact layout overruns its message")
			}
			compact = int64(binary.LittleEndian.Uint32(msg[p:]))
			if compact > int64(len(msg)-p-4) {
				return formatf("compact data of %d bytes overruns its layout message", compact)
			}
		} else if p > len(msg) {
			return formatf("layout message overruns itself")
		}
	case 3, 4:
		switch class := msg[1]; class {
		case 0:
			if len(msg) < 4 {
				return formatf("compact layout overruns its message")
			}
			compact = int64(binary.LittleEndian.Uint16(msg[2:]))
			if compact > int64(len(msg)-4) {
				return formatf("compact data of %d bytes overruns its layout message", compact)
			}
		case 1:
			if len(msg) < 2+g.sb.sOff+g.sb.sLen {
				return formatf("contiguous layout overruns its message")
			}
		case 2, 3:
		default:
			return formatf("layout class %d", class)
		}
	default:
		return formatf("layout message version %d", ver)
	}
	if compact >= 0 && count >= 0 && esize > 0 && compact != count*esize {
		return formatf("compact dataset holds %d bytes of data, its dataspace and datatype declare %d", compact, count*esize)
	}
	return nil
}
