//go:build !amd64 || purego

package layers

var (
	convKernels16 [17]convKernelFunc
	convKernels32 [13]convKernelFunc
)

var hasConv512 = false

func maxWindow16(d, s *float32, groups, c, kw, kh, rowStride int) {
	panic("layers: maxWindow16 without the amd64 kernel")
}
