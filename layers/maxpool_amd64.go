//go:build amd64 && !purego

package layers

//go:noescape
func maxWindow8(d, s *float32, groups, c, kw, kh, rowStride int)

// maxWindowAsm reports whether maxWindow8 can run (AVX2 with OS support).
var maxWindowAsm = hasFMA
