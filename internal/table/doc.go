// Package table reads and writes the immutable sorted string table that TensorFlow uses for
// checkpoint .index files: TensorFlow's own copy of the LevelDB table format.
//
// # Format
//
// A table file is a sequence of blocks followed by a fixed-size footer:
//
//	[data block 0][trailer] ... [data block n][trailer]
//	[metaindex block][trailer]
//	[index block][trailer]
//	[footer: 48 bytes]
//
// A block holds entries sorted by key, each stored as
//
//	varint32 shared | varint32 non_shared | varint32 value_len | key[shared:] | value
//
// where shared is the length of the prefix the key has in common with the previous key of the
// block (0 at restart points). After the entries come the restart offsets (fixed32 each) and
// their count (fixed32). A restart point starts every RestartInterval entries (16 in data
// blocks, 1 in the index block).
//
// Each block is followed by a 5-byte trailer: one compression byte (0 none, 1 Snappy) and the
// masked CRC-32C of the block contents followed by the compression byte.
//
// The index block maps, for every data block, a key that is >= the block's last key and <
// the next block's first key to the block's handle (varint64 offset, varint64 size). The
// metaindex block is empty in every TensorFlow file. The footer holds the metaindex and index
// handles, zero padding up to byte 40, and the magic number 0xdb4775248b80fb57 as two
// little-endian fixed32 words.
//
// The writer reproduces TensorFlow's TableBuilder byte for byte for uncompressed output: the
// same block flushing rule (a block ends once its size estimate reaches BlockSize, and an
// entry of at least twice BlockSize starts a new block), the same separator and successor
// shortening of index keys, the same trailer and footer.
//
// # Compatibility
//
// Read from TensorFlow's tensorflow/core/lib/io/{table_builder.cc, block_builder.cc,
// format.{h,cc}, table.cc, table_options.h}. Checked against real .index files written by TF
// 1.4 to 2.21 (see ../../checkpoint tests), including Snappy-compressed blocks written by TF
// 1.14 and 2.14.
//
// # Limitations
//
// The writer never compresses (TensorFlow's bundle writer never does either). Filter blocks
// and non-empty metaindex blocks are not written; a reader ignores the metaindex.
package table
