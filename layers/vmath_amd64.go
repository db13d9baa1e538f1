//go:build amd64 && !purego

package layers

//go:noescape
func expAVX512(x, y *float32, n int)

//go:noescape
func sigmoidAVX512(x, y *float32, n int)

//go:noescape
func tanhAVX512(x, y *float32, n int)

//go:noescape
func swishAVX512(x, y *float32, n int)

// vmathKernels names the kernels expSlice and friends run (for the tests' logs).
var vmathKernels = map[bool]string{true: "avx512", false: "go"}[hasAVX512]

// vmathRun runs the AVX-512 kernel k over the whole 16-float groups of x and the portable
// function g over the rest.
func vmathRun(k func(x, y *float32, n int), g func(x, y []float32), x, y []float32) {
	y = y[:len(x)]
	if m := len(x) &^ 15; hasAVX512 && m > 0 {
		k(&x[0], &y[0], m)
		x, y = x[m:], y[m:]
	}
	g(x, y)
}

func expSlice(x, y []float32)     { vmathRun(expAVX512, expSliceGo, x, y) }
func sigmoidSlice(x, y []float32) { vmathRun(sigmoidAVX512, sigmoidSliceGo, x, y) }
func tanhSlice(x, y []float32)    { vmathRun(tanhAVX512, tanhSliceGo, x, y) }
func swishSlice(x, y []float32)   { vmathRun(swishAVX512, swishSliceGo, x, y) }

//go:noescape
func softmaxRowsAVX512(x, y *float32, rows, n int)

// softmaxRows writes the softmax of each row of n floats of x into y (y may alias x) and
// reports whether it did (rows of at least 16 floats on an AVX-512 CPU).
func softmaxRows(x, y []float32, n int) bool {
	if !hasAVX512 || n < 16 || len(x) < n {
		return false
	}
	rows := len(x) / n
	_ = y[rows*n-1]
	softmaxRowsAVX512(&x[0], &y[0], rows, n)
	return true
}
