package layers

import "math"

// Float32 exp, sigmoid and tanh over slices, for the activations, the recurrent layers' gates
// and the attention softmax. Each element costs a range reduction and a short polynomial in
// float32 instead of a float64 math.Exp/math.Tanh call. Measured against float64 math over
// dense sweeps (vmath_test.go): exp within 1 ulp of the correctly rounded float32 result,
// sigmoid and tanh within 2.5 ulp; results below float32's normal range are the
// correctly scaled value rounded once (as a float32 exp does), huge arguments overflow to
// +Inf (exp) or saturate (sigmoid 0 and 1, tanh ±1), NaN gives NaN.
//
// expSlice, sigmoidSlice and tanhSlice dispatch to the AVX2/AVX-512 kernels when the CPU has
// them (vmath_amd64.go); the functions here are the portable versions and the reference the
// kernels are tested against.

const (
	expHi = 88.75  // exp(x) overflows float32 above ~88.7228: clamped here, the scaling overflows
	expLo = -104.0 // exp(x) rounds to 0 below ~-103.97
	log2e = 1.44269504088896341
	// ln 2 split so that n·ln2Hi is exact for |n| < 2^9 (Cody–Waite reduction).
	ln2Hi = 0.693359375
	ln2Lo = -2.12194440e-4
	// 1.5·2^23: adding it rounds a float32 of magnitude < 2^22 to an integer.
	roundMagic = 12582912.0
)

// Minimax coefficients of (exp(r) - 1 - r)/r² on |r| ≤ ln2/2, highest degree first.
const (
	expP0 = 1.9875691500e-4
	expP1 = 1.3981999507e-3
	expP2 = 8.3334519073e-3
	expP3 = 4.1665795894e-2
	expP4 = 1.6666665459e-1
	expP5 = 5.0000001201e-1
)

// exp32 is e^x in float32 arithmetic.
func exp32(x float32) float32 {
	q, n := expReduce(x)
	p := q + 1
	// p·2^n in two steps: n ∈ [-150, 128], so each half-power is a normal float32; the
	// first product is exact, the second rounds once (to a subnormal, zero or +Inf when
	// the result is out of range).
	n1 := n >> 1
	p *= math.Float32frombits(uint32(n1+127) << 23)
	return p * math.Float32frombits(uint32(n-n1+127)<<23)
}

// expReduce splits e^x as 2^n·(1+q): n = round(x·log2 e), q = e^r - 1 for r = x - n·ln 2
// (|r| ≤ ln2/2 plus rounding). x is clamped to [expLo, expHi] first; a NaN x gives a NaN q.
func expReduce(x float32) (q float32, n int32) {
	nan := x != x
	x = clampf(x, expLo, expHi)
	fn := (x*log2e + roundMagic) - roundMagic
	r := x - fn*ln2Hi
	r -= fn * ln2Lo
	p := ((((expP0*r+expP1)*r+expP2)*r+expP3)*r+expP4)*r + expP5
	q = p*(r*r) + r
	if nan {
		q = x
	}
	return q, int32(fn)
}

// clampf is min(max(x, lo), hi) without the builtins' NaN handling (x is not NaN).
func clampf(x, lo, hi float32) float32 {
	if x < lo {
		x = lo
	}
	if x > hi {
		x = hi
	}
	return x
}

// sigmoid32f is 1/(1+e^-x) in float32 arithmetic: with e = e^-|x| (never overflowing),
// 1/(1+e) for x ≥ 0 and e/(1+e) for x < 0, so that tiny results keep their precision. The
// sign selects the numerator by its bits (random signs would defeat a branch predictor).
func sigmoid32f(x float32) float32 {
	xb := math.Float32bits(x)
	e := exp32(math.Float32frombits(xb | 1<<31))
	neg := uint32(int32(xb) >> 31)
	num := math.Float32frombits(math.Float32bits(e)&neg | math.Float32bits(1)&^neg)
	return num / (1 + e) // also NaN
}

// tanhClamp: tanh(x) rounds to ±1 in float32 for |x| above about 9.01.
const tanhClamp = 9.5

// tanh32 is tanh(x) in float32 arithmetic: with m = e^(2|x|) - 1 (as 2^n·(1+q) - 1, exact
// for n = 0, so small |x| keep their relative precision), tanh|x| = m/(m+2), with x's sign.
func tanh32(x float32) float32 {
	xb := math.Float32bits(x)
	a := math.Float32frombits(xb &^ (1 << 31))
	q, n := expReduce(2 * min(a, tanhClamp))
	s := math.Float32frombits(uint32(n+127) << 23) // 2^n, n ≤ 14
	m := s*q + (s - 1)
	t := m / (m + 2)
	return math.Float32frombits(math.Float32bits(t) | xb&(1<<31)) // ±0 stays; NaN stays
}

// expSliceGo writes e^x[i] into y[i] (y may alias x).
func expSliceGo(x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = exp32(v)
	}
}

// sigmoidSliceGo writes sigmoid(x[i]) into y[i] (y may alias x).
// swishSliceGo writes x·sigmoid(x) into y (y must not alias x): sigmoidSliceGo, then the
// product, as swishAVX512 computes it.
func swishSliceGo(x, y []float32) {
	sigmoidSliceGo(x, y)
	for i, v := range x {
		y[i] *= v
	}
}

func sigmoidSliceGo(x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = sigmoid32f(v)
	}
}

// tanhSliceGo writes tanh(x[i]) into y[i] (y may alias x).
func tanhSliceGo(x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = tanh32(v)
	}
}

// expSubSum writes e^(x[i]-m) into y[i] and returns their sum (y may alias x): the middle
// pass of a softmax.
func expSubSum(x, y []float32, m float32) float32 {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = v - m
	}
	expSlice(y, y)
	var s float32
	for _, v := range y {
		s += v
	}
	return s
}
