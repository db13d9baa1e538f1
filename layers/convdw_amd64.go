//go:build amd64 && !purego

package layers

// convDW9x16 is the AVX-512 kernel of Conv2D's direct kernel gradient (convdw_amd64.s):
// for p in [0, npos), acc[t][0:16] += x[p·xstep + offs[t]] · dz[p·dzstep : +16] for the
// nine taps t (strides and offsets in bytes). The caller guarantees every address read.
//
//go:noescape
func convDW9x16(x, dz, acc *float32, npos, xstep, dzstep int, offs *[9]int)
