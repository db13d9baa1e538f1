//go:build amd64 && !purego

package layers

// affineRows16 applies d[j] = d[j]*scale[j] + shift[j] to rows rows of groups×16 floats at d
// (AVX-512; callers check hasConv512).
//
//go:noescape
func affineRows16(d, scale, shift *float32, rows, groups int)
