//go:build amd64 && !purego

package layers

// Kernels of the inference fast paths (infer_amd64.s).

//go:noescape
func maxWindow8(d, s *float32, groups, c, kw, kh, rowStride int)

//go:noescape
func reluTo8(d, s *float32, groups int)

// maxWindowAsm reports whether maxWindow8 and reluTo8 can run (AVX2 with OS support).
var maxWindowAsm = hasFMA
