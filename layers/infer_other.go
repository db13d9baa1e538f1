//go:build !amd64 || purego

package layers

func maxWindow8(d, s *float32, groups, c, kw, kh, rowStride int) {
	panic("layers: maxWindow8 without the amd64 kernel")
}

func reluTo8(d, s *float32, groups int) { panic("layers: reluTo8 without the amd64 kernel") }

var maxWindowAsm = false
