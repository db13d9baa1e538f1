//go:build amd64 && !purego

package layers

// convDW9x16 is the AVX-512 kernel of Conv2D's direct kernel gradient (convdw_amd64.s):
// for p in [0, npos), acc[t][0:16] += x[p·xstep + offs[t]] · dz[p·dzstep : +16] for the
// nine taps t (strides and offsets in bytes). The caller guarantees every address read.
//
//go:noescape
func convDW9x16(x, dz, acc *float32, npos, xstep, dzstep int, offs *[9]int)

// sumRows16 adds rows of 16 floats of d (stride bytes apart) to acc, row after row
// (convdw_amd64.s).
//
//go:noescape
func sumRows16(acc, d *float32, rows, stride int)

// winArg16 finds, for 16 channels, the first cell of a pooling window equal to the
// channel's maximum m (convdw_amd64.s; see winArg16Go).
//
//go:noescape
func winArg16(s, m *float32, idx *[16]int32, kh, kw, c, wc int)
