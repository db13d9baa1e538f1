//go:build !amd64 || purego

package layers

// The portable kernels: no vector unit to dispatch to.

func expSlice(x, y []float32)     { expSliceGo(x, y) }
func sigmoidSlice(x, y []float32) { sigmoidSliceGo(x, y) }
func swishSlice(x, y []float32)   { swishSliceGo(x, y) }
func tanhSlice(x, y []float32)    { tanhSliceGo(x, y) }

// vmathKernels names the kernels expSlice and friends run (for the tests' logs).
const vmathKernels = "go"

// softmaxRows has no portable vector version: softmaxF's loop serves.
func softmaxRows(x, y []float32, n int) bool { return false }
