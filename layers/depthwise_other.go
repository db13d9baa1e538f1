//go:build !amd64 || purego

package layers

// Without the amd64 kernels (hasConv512 is false) depthwise inference runs dwForward.
var dwKernels [9]dwKernelFunc
