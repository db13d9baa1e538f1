package h5

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// libhdf5 1.10 trusts variable-length string references: a corrupt global heap reference
// in an attribute makes H5Aread copy from a bad address (a crash inside H5HG_read). Before
// any vlen attribute is read, this file checks its references in pure Go: it parses the
// attribute's message in the object header (version 1, what h5py writes by default) and the
// global heap collections the references point to, and requires every reference to name a
// live heap object of exactly the referenced length.

// sbInfo is what the guard needs from the superblock.
type sbInfo struct {
	base       int64
	sOff, sLen int
}

// vlenGuard checks vlen attribute references of one file.
type vlenGuard struct {
	r     io.ReaderAt
	size  int64
	sb    sbInfo
	heaps map[uint64]map[uint32]uint64 // collection address → object index → size
}

func (g *vlenGuard) read(addr uint64, n int) ([]byte, error) {
	off := g.sb.base + int64(addr)
	if addr > uint64(g.size) || n < 0 || off < 0 || off+int64(n) > g.size {
		return nil, formatf("address %d+%d outside the file", addr, n)
	}
	b := make([]byte, n)
	if _, err := g.r.ReadAt(b, off); err != nil {
		return nil, formatf("read at %d: %v", addr, err)
	}
	return b, nil
}

func (g *vlenGuard) uint(b []byte, n int) uint64 {
	switch n {
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	case 8:
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// checkAttr validates the vlen references of attribute name in the object header at addr,
// and that the strings they declare take at most limit bytes together (before the global
// heap holding them is read). Headers it cannot parse (version 2, shared types) are left to
// libhdf5, whose version 2 headers carry checksums.
func (g *vlenGuard) checkAttr(addr uint64, name string, limit int64) error {
	hdr, err := g.read(addr, 16)
	if err != nil {
		return err
	}
	if bytes.Equal(hdr[:4], []byte("OHDR")) || hdr[0] != 1 {
		return nil
	}
	nmsgs := int(binary.LittleEndian.Uint16(hdr[2:]))
	var blocks headerBlocks
	if err := blocks.add(g, addr+16, uint64(binary.LittleEndian.Uint32(hdr[8:]))); err != nil {
		return err
	}
	seen := 0
	for bi := 0; bi < len(blocks.list) && bi < 1024; bi++ {
		bl := blocks.list[bi]
		data, err := g.read(bl.addr, int(bl.size))
		if err != nil {
			return err
		}
		for p := 0; p+8 <= len(data) && seen < nmsgs; seen++ {
			typ := binary.LittleEndian.Uint16(data[p:])
			sz := int(binary.LittleEndian.Uint16(data[p+2:]))
			msg := data[p+8:]
			if sz > len(msg) {
				return formatf("object header message overruns its block")
			}
			msg = msg[:sz]
			p += 8 + sz
			switch typ {
			case 0x10: // continuation
				if len(msg) < g.sb.sOff+g.sb.sLen {
					return formatf("short continuation message")
				}
				if err := blocks.add(g, g.uint(msg, g.sb.sOff), g.uint(msg[g.sb.sOff:], g.sb.sLen)); err != nil {
					return err
				}
			case 0x0C: // attribute
				if err := g.checkAttrMsg(msg, name, limit); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// headerBlocks lists the blocks of one object header. Each block may be listed once (a
// continuation pointing back at a block would loop), and together they may not be larger
// than the file.
type headerBlocks struct {
	list  []headerBlock
	seen  map[uint64]bool
	total uint64
}

type headerBlock struct{ addr, size uint64 }

func (hb *headerBlocks) add(g *vlenGuard, addr, size uint64) error {
	if size > 1<<24 {
		return formatf("object header block of %d bytes", size)
	}
	if hb.seen[addr] {
		return formatf("object header block at %d is continued into twice", addr)
	}
	if hb.seen == nil {
		hb.seen = map[uint64]bool{}
	}
	hb.seen[addr] = true
	hb.total += size
	if hb.total > uint64(g.size) {
		return formatf("object header blocks total %d bytes in a %d-byte file", hb.total, g.size)
	}
	hb.list = append(hb.list, headerBlock{addr, size})
	return nil
}

func pad8(n int) int { return (n + 7) &^ 7 }

// checkAttrMsg checks one attribute message if it is the named one.
func (g *vlenGuard) checkAttrMsg(msg []byte, name string, limit int64) error {
	if len(msg) < 8 {
		return formatf("short attribute message")
	}
	ver, flags := msg[0], msg[1]
	nameSize := int(binary.LittleEndian.Uint16(msg[2:]))
	dtSize := int(binary.LittleEndian.Uint16(msg[4:]))
	dsSize := int(binary.LittleEndian.Uint16(msg[6:]))
	p := 8
	padded := func(n int) int { return n }
	switch ver {
	case 1:
		padded = pad8
	case 2:
	case 3:
		p = 9
	default:
		return nil
	}
	if ver >= 2 && flags&3 != 0 {
		return nil // shared datatype or dataspace
	}
	if p+padded(nameSize) > len(msg) || nameSize == 0 {
		return formatf("attribute message name overruns the message")
	}
	n := string(bytes.TrimRight(msg[p:p+nameSize], "\x00"))
	if n != name {
		return nil
	}
	p += padded(nameSize)
	if p+padded(dtSize) > len(msg) || dtSize < 8 {
		return formatf("attribute %q: datatype overruns the message", name)
	}
	dt := msg[p : p+dtSize]
	p += padded(dtSize)
	if p+padded(dsSize) > len(msg) || dsSize < 4 {
		return formatf("attribute %q: dataspace overruns the message", name)
	}
	ds := msg[p : p+dsSize]
	p += padded(dsSize)
	if dt[0]&0x0f != classVlen {
		return nil
	}
	count, err := g.dataspace(ds)
	if err != nil {
		return fmt.Errorf("attribute %q: %w", name, err)
	}
	elem := 4 + g.sb.sOff + 4
	if count > int64(len(msg)) || int64(p)+count*int64(elem) > int64(len(msg)) {
		return formatf("attribute %q: %d vlen references overrun the message", name, count)
	}
	total := uint64(0)
	for i := int64(0); i < count; i++ {
		total += uint64(binary.LittleEndian.Uint32(msg[p+int(i)*elem:]))
	}
	if total > uint64(limit) {
		return formatf("strings exceed the %d-byte limit (%d bytes)", limit, total)
	}
	for i := int64(0); i < count; i++ {
		e := msg[p+int(i)*elem:]
		length := uint64(binary.LittleEndian.Uint32(e))
		coll := g.uint(e[4:], g.sb.sOff)
		idx := binary.LittleEndian.Uint32(e[4+g.sb.sOff:])
		if coll == 0 && length == 0 {
			continue
		}
		objs, err := g.heap(coll)
		if err != nil {
			return fmt.Errorf("attribute %q: global heap at %d: %w", name, coll, err)
		}
		sz, ok := objs[idx]
		if !ok || idx == 0 {
			return formatf("attribute %q: reference to missing global heap object %d at %d", name, idx, coll)
		}
		if sz != length {
			return formatf("attribute %q: global heap object %d holds %d bytes, the reference says %d", name, idx, sz, length)
		}
	}
	return nil
}

// heap parses a global heap collection: object index → object size.
func (g *vlenGuard) heap(addr uint64) (map[uint32]uint64, error) {
	if h, ok := g.heaps[addr]; ok {
		return h, nil
	}
	if len(g.heaps) > 4096 {
		return nil, formatf("too many global heap collections")
	}
	hdr, err := g.read(addr, 8+g.sb.sLen)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(hdr[:4], []byte("GCOL")) || hdr[4] != 1 {
		return nil, formatf("no global heap collection signature")
	}
	size := g.uint(hdr[8:], g.sb.sLen)
	if size < uint64(8+g.sb.sLen) || size > 1<<30 {
		return nil, formatf("collection size %d", size)
	}
	data, err := g.read(addr, int(size))
	if err != nil {
		return nil, err
	}
	objs := map[uint32]uint64{}
	oh := 8 + g.sb.sLen // object header: index, refcount, reserved, size
	p := 8 + g.sb.sLen
	for p+oh <= len(data) {
		idx := uint32(binary.LittleEndian.Uint16(data[p:]))
		sz := g.uint(data[p+8:], g.sb.sLen)
		if idx == 0 {
			// The free-space object covers exactly the rest of the collection.
			if sz != uint64(len(data)-p) {
				return nil, formatf("free space of %d bytes, %d remain", sz, len(data)-p)
			}
			p = len(data)
			break
		}
		if sz > uint64(len(data)-p-oh) {
			return nil, formatf("object %d of %d bytes overruns the collection", idx, sz)
		}
		if _, dup := objs[idx]; dup {
			return nil, formatf("duplicate object %d", idx)
		}
		objs[idx] = sz
		p += oh + pad8(int(sz))
	}
	if p > len(data) {
		return nil, formatf("objects overrun the collection")
	}
	if g.heaps == nil {
		g.heaps = map[uint64]map[uint32]uint64{}
	}
	g.heaps[addr] = objs
	return objs, nil
}

// checkHeader validates the structure of a version-1 object header at addr before libhdf5
// iterates or opens its attributes: every message lies inside its block, continuation
// blocks lie inside the file, and every attribute message is self-consistent (name,
// datatype, dataspace and data sizes). Version 2 headers are checksummed and left to libhdf5.
func (g *vlenGuard) checkHeader(addr uint64) error {
	hdr, err := g.read(addr, 16)
	if err != nil {
		return err
	}
	if bytes.Equal(hdr[:4], []byte("OHDR")) {
		return nil
	}
	if hdr[0] != 1 {
		return formatf("object header version %d", hdr[0])
	}
	nmsgs := int(binary.LittleEndian.Uint16(hdr[2:]))
	var blocks headerBlocks
	if err := blocks.add(g, addr+16, uint64(binary.LittleEndian.Uint32(hdr[8:]))); err != nil {
		return err
	}
	seen := 0
	dsCount, esize := int64(-1), int64(-1)
	var layout []byte
	for bi := 0; bi < len(blocks.list); bi++ {
		if bi > 1024 {
			return formatf("more than 1024 object header blocks")
		}
		bl := blocks.list[bi]
		data, err := g.read(bl.addr, int(bl.size))
		if err != nil {
			return err
		}
		p := 0
		for ; p+8 <= len(data); seen++ {
			typ := binary.LittleEndian.Uint16(data[p:])
			sz := int(binary.LittleEndian.Uint16(data[p+2:]))
			if p+8+sz > len(data) {
				return formatf("object header message %d overruns its block", seen)
			}
			msg := data[p+8 : p+8+sz]
			p += 8 + sz
			switch typ {
			case 0x10:
				if len(msg) < g.sb.sOff+g.sb.sLen {
					return formatf("short continuation message")
				}
				if err := blocks.add(g, g.uint(msg, g.sb.sOff), g.uint(msg[g.sb.sOff:], g.sb.sLen)); err != nil {
					return err
				}
			case 0x01:
				n, err := g.dataspace(msg)
				if err != nil {
					return err
				}
				dsCount = n
			case 0x03:
				if data[p-8-sz+4]&0x02 != 0 {
					break // a committed datatype, shared by reference
				}
				n, err := checkDatatype(msg, 0)
				if err != nil {
					return err
				}
				if n > len(msg) {
					return formatf("datatype overruns its message")
				}
				esize = int64(binary.LittleEndian.Uint32(msg[4:]))
			case 0x08:
				layout = msg
			case 0x0C:
				if data[p-8-sz+4]&0x02 != 0 {
					return formatf("shared attribute message %d", seen)
				}
				if err := g.checkAttrShape(msg); err != nil {
					return err
				}
			}
		}
		if p != len(data) {
			return formatf("object header block has %d trailing bytes", len(data)-p)
		}
	}
	if seen < nmsgs {
		return formatf("object header declares %d messages, holds %d", nmsgs, seen)
	}
	if layout != nil {
		return g.checkLayout(layout, dsCount, esize)
	}
	return nil
}

// checkAttrShape checks one attribute message's internal sizes.
func (g *vlenGuard) checkAttrShape(msg []byte) error {
	if len(msg) < 8 {
		return formatf("short attribute message")
	}
	ver, flags := msg[0], msg[1]
	nameSize := int(binary.LittleEndian.Uint16(msg[2:]))
	dtSize := int(binary.LittleEndian.Uint16(msg[4:]))
	dsSize := int(binary.LittleEndian.Uint16(msg[6:]))
	p := 8
	padded := func(n int) int { return n }
	switch ver {
	case 1:
		padded = pad8
		if flags != 0 {
			return formatf("attribute message flags %d", flags)
		}
	case 2:
	case 3:
		p = 9
	default:
		return formatf("attribute message version %d", ver)
	}
	if nameSize == 0 || p+padded(nameSize) > len(msg) || msg[p+nameSize-1] != 0 {
		return formatf("attribute name overruns its message")
	}
	p += padded(nameSize)
	if dtSize < 8 || p+padded(dtSize) > len(msg) {
		return formatf("attribute datatype overruns its message")
	}
	dt := msg[p : p+dtSize]
	p += padded(dtSize)
	if dsSize < 4 || p+padded(dsSize) > len(msg) {
		return formatf("attribute dataspace overruns its message")
	}
	ds := msg[p : p+dsSize]
	p += padded(dsSize)
	if ver >= 2 && flags&3 != 0 {
		// A shared (committed) datatype or dataspace sends libhdf5 to another object header
		// while it builds its attribute table; Keras files never hold one.
		return formatf("attribute with a shared datatype or dataspace (flags %d)", flags)
	}
	if ver >= 2 && flags != 0 {
		return formatf("attribute message flags %d", flags)
	}
	if n, err := checkDatatype(dt, 0); err != nil {
		return err
	} else if n > dtSize {
		return formatf("attribute datatype overruns its message")
	}
	count, err := g.dataspace(ds)
	if err != nil {
		return err
	}
	class := int(dt[0] & 0x0f)
	esize := int64(binary.LittleEndian.Uint32(dt[4:]))
	if class == classVlen && esize != int64(4+g.sb.sOff+4) {
		return formatf("attribute vlen element size %d", esize)
	}
	if esize <= 0 || esize > 1<<20 {
		return formatf("attribute element size %d", esize)
	}
	if count > int64(len(msg)) || int64(p)+count*esize > int64(len(msg)) {
		return formatf("attribute data of %d x %d bytes overruns its message", count, esize)
	}
	return nil
}
