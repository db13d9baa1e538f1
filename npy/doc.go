// Package npy reads and writes NumPy .npy files as tensor.Tensor values, so that Go programs
// can feed arrays made in Python (np.save) to a model and hand its outputs back (np.load).
//
// ReadFile and WriteFile work on paths; Read and Write on streams; ReadOptions bounds what a
// file may make Read allocate.
//
// # Format
//
// The format is NumPy's own (numpy/lib/format.py, "NEP 1"): the magic "\x93NUMPY", a major
// and a minor version byte, the header length (uint16 little-endian in version 1.0, uint32 in
// 2.0 and 3.0), then the header, a Python dict literal in ASCII (UTF-8 in 3.0) with the keys
// 'descr' (the dtype, e.g. '<f4'), 'fortran_order' and 'shape', padded with spaces and ended
// by a newline so that the array data starts on a 64-byte boundary; then the elements,
// row-major unless fortran_order is True.
//
// # Compatibility
//
// Read accepts versions 1.0, 2.0 and 3.0, little- and big-endian ('<', '>', '|', '=')
// float16/32/64, int8/16/32/64, uint8/16/32/64, bool and complex64/128 arrays of any rank,
// including scalars (shape ()). Big-endian data is converted to the host's order. Write
// writes version 1.0, little-endian, C order, as np.save does for such arrays; NumPy reads
// the result back bit for bit.
//
// # Limitations
//
// Fortran-order arrays, strings ('U', 'S'), structured dtypes and pickled objects ('O') are
// rejected with ErrUnsupported; bfloat16 tensors, which NumPy has no dtype for, cannot be
// written. .npz archives are not read (open the zip with archive/zip and call Read on each
// member).
package npy
