//go:build amd64 && !purego

package layers

func expSlice(x, y []float32)     { expSliceGo(x, y) }
func sigmoidSlice(x, y []float32) { sigmoidSliceGo(x, y) }
func tanhSlice(x, y []float32)    { tanhSliceGo(x, y) }

const vmathKernels = "go"
