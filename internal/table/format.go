package table

import "hash/crc32"

// On-disk constants. They are part of the file format.
const (
	// Magic ends every table file (footer bytes 40..47, little-endian).
	Magic uint64 = 0xdb4775248b80fb57
	// FooterSize is the size of the footer: two padded block handles and the magic.
	FooterSize = 2*maxHandleLen + 8
	// TrailerSize is the size of the trailer after each block: type byte and masked CRC.
	TrailerSize = 5

	// DefaultBlockSize is TensorFlow's target size of an uncompressed data block.
	DefaultBlockSize = 256 * 1024
	// DefaultRestartInterval is TensorFlow's number of entries between restart points in data
	// blocks. Index blocks always use 1.
	DefaultRestartInterval = 16

	maxHandleLen = 20 // two varint64

	// Block compression types (the first trailer byte).
	NoCompression     = 0
	SnappyCompression = 1

	maskDelta = 0xa282ead8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC returns the CRC-32C (Castagnoli) of b.
func CRC(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// ExtendCRC extends crc with b.
func ExtendCRC(crc uint32, b []byte) uint32 { return crc32.Update(crc, castagnoli, b) }

// MaskCRC returns the masked form of a CRC as TensorFlow and LevelDB store it.
func MaskCRC(c uint32) uint32 { return (c>>15 | c<<17) + maskDelta }

// UnmaskCRC is the inverse of MaskCRC.
func UnmaskCRC(m uint32) uint32 {
	r := m - maskDelta
	return r>>17 | r<<15
}

// Handle locates a block in the file. Size excludes the trailer.
type Handle struct {
	Offset, Size uint64
}
