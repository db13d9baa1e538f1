//go:build !amd64 || purego

package layers

func maxWindow8(d, s *float32, groups, c, kw, kh, rowStride int) {
	panic("layers: maxWindow8 without the amd64 kernel")
}

func relu8(p *float32, groups int) { panic("layers: relu8 without the amd64 kernel") }

var maxWindowAsm = false
