package layers

import (
	"math"
	"slices"
)

// hardSigmoid is Keras 3's hard_sigmoid, relu6(x+3)/6; hardSigmoidTFK is tf_keras's,
// clip(0.2x+0.5, 0, 1). Both are written "hard_sigmoid"; a config read in the tf_keras dialect
// gets hardSigmoidTFK.
var (
	hardSigmoid    = &activationFunc{name: "hard_sigmoid", forward: hardSigmoidF(1.0 / 6), backward: hardSigmoidB(1.0 / 6)}
	hardSigmoidTFK = &activationFunc{name: "hard_sigmoid_tf_keras", forward: hardSigmoidF(0.2), backward: hardSigmoidB(0.2)}
	// hardSilu is x·hard_sigmoid(x) (Keras 3's hard_silu; hard_swish is its alias).
	hardSilu = &activationFunc{name: "hard_silu", forward: hardSiluF, backward: hardSiluB, needZ: true}
)

func relu6F(z, y []float32, _ int) {
	for i, v := range z {
		y[i] = min(max(v, 0), 6)
	}
}

func relu6B(_, y, dy, dz []float32, _ int) {
	for i, v := range y {
		if v > 0 && v < 6 {
			dz[i] = dy[i]
		} else {
			dz[i] = 0
		}
	}
}

// leakyAlpha is the slope of the leaky_relu activation (the default of tf.nn.leaky_relu and
// keras.activations.leaky_relu).
const leakyAlpha = 0.2

func leakyReluF(z, y []float32, _ int) {
	for i, v := range z {
		if v < 0 {
			v *= leakyAlpha
		}
		y[i] = v
	}
}

func leakyReluB(_, y, dy, dz []float32, _ int) {
	for i, v := range y {
		if v > 0 {
			dz[i] = dy[i]
		} else {
			dz[i] = dy[i] * leakyAlpha
		}
	}
}

func logSoftmaxF(z, y []float32, last int) {
	if last <= 0 {
		return
	}
	for o := 0; o+last <= len(z); o += last {
		zr, yr := z[o:o+last], y[o:o+last]
		m := slices.Max(zr)
		var s float64
		for _, v := range zr {
			s += math.Exp(float64(v - m))
		}
		ls := float32(math.Log(s))
		for i, v := range zr {
			yr[i] = v - m - ls
		}
	}
}

func logSoftmaxB(_, y, dy, dz []float32, last int) {
	if last <= 0 {
		return
	}
	for o := 0; o+last <= len(y); o += last {
		yr, dyr, dzr := y[o:o+last], dy[o:o+last], dz[o:o+last]
		var s float32
		for _, v := range dyr {
			s += v
		}
		for i, v := range yr {
			dzr[i] = dyr[i] - float32(math.Exp(float64(v)))*s
		}
	}
}

func hardSigmoidF(slope float32) func(z, y []float32, _ int) {
	return func(z, y []float32, _ int) {
		for i, v := range z {
			y[i] = min(max(slope*v+0.5, 0), 1)
		}
	}
}

func hardSigmoidB(slope float32) func(z, y, dy, dz []float32, _ int) {
	return func(_, y, dy, dz []float32, _ int) {
		for i, v := range y {
			if v > 0 && v < 1 {
				dz[i] = dy[i] * slope
			} else {
				dz[i] = 0
			}
		}
	}
}

func hardSiluF(z, y []float32, _ int) {
	for i, v := range z {
		y[i] = v * min(max(v+3, 0), 6) / 6
	}
}

func hardSiluB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		g := min(max(v+3, 0), 6) / 6
		if v > -3 && v < 3 {
			g += v / 6
		}
		dz[i] = dy[i] * g
	}
}

func softplus64(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }

func mishF(z, y []float32, _ int) {
	for i, v := range z {
		x := float64(v)
		y[i] = float32(x * math.Tanh(softplus64(x)))
	}
}

func mishB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		x := float64(v)
		t := math.Tanh(softplus64(x))
		s := 1 / (1 + math.Exp(-x))
		dz[i] = dy[i] * float32(t+x*(1-t*t)*s)
	}
}

// squareplusB is Keras 3's squareplus default b.
const squareplusB4 = 4

func squareplusF(z, y []float32, _ int) {
	for i, v := range z {
		x := float64(v)
		y[i] = float32((x + math.Sqrt(x*x+squareplusB4)) / 2)
	}
}

func squareplusB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		x := float64(v)
		dz[i] = dy[i] * float32((1+x/math.Sqrt(x*x+squareplusB4))/2)
	}
}

func sparsePlusF(z, y []float32, _ int) {
	for i, v := range z {
		switch {
		case v <= -1:
			y[i] = 0
		case v >= 1:
			y[i] = v
		default:
			y[i] = (v + 1) * (v + 1) / 4
		}
	}
}

func sparsePlusB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		switch {
		case v <= -1:
			dz[i] = 0
		case v >= 1:
			dz[i] = dy[i]
		default:
			dz[i] = dy[i] * (v + 1) / 2
		}
	}
}

// shrinkThreshold is Keras 3's soft_shrink and hard_shrink default threshold.
const shrinkThreshold = 0.5

func softShrinkF(z, y []float32, _ int) {
	for i, v := range z {
		switch {
		case v > shrinkThreshold:
			y[i] = v - shrinkThreshold
		case v < -shrinkThreshold:
			y[i] = v + shrinkThreshold
		default:
			y[i] = 0
		}
	}
}

func hardShrinkF(z, y []float32, _ int) {
	for i, v := range z {
		if v > shrinkThreshold || v < -shrinkThreshold {
			y[i] = v
		} else {
			y[i] = 0
		}
	}
}

func shrinkB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		if v > shrinkThreshold || v < -shrinkThreshold {
			dz[i] = dy[i]
		} else {
			dz[i] = 0
		}
	}
}

func tanhShrinkF(z, y []float32, _ int) {
	for i, v := range z {
		y[i] = v - float32(math.Tanh(float64(v)))
	}
}

func tanhShrinkB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		t := float32(math.Tanh(float64(v)))
		dz[i] = dy[i] * t * t
	}
}

func hardTanhF(z, y []float32, _ int) {
	for i, v := range z {
		y[i] = min(max(v, -1), 1)
	}
}

func hardTanhB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		if v > -1 && v < 1 {
			dz[i] = dy[i]
		} else {
			dz[i] = 0
		}
	}
}

func logSigmoidF(z, y []float32, _ int) {
	for i, v := range z {
		y[i] = float32(-softplus64(-float64(v)))
	}
}

func logSigmoidB(_, y, dy, dz []float32, _ int) {
	for i, v := range y {
		// f'(z) = 1 - sigmoid(z) = 1 - exp(log_sigmoid(z)).
		dz[i] = dy[i] * float32(-math.Expm1(float64(v)))
	}
}

func sparseSigmoidF(z, y []float32, _ int) {
	for i, v := range z {
		y[i] = min(max(0.5*(v+1), 0), 1)
	}
}

func sparseSigmoidB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		if v > -1 && v < 1 {
			dz[i] = dy[i] * 0.5
		} else {
			dz[i] = 0
		}
	}
}

// sparsemaxF is Keras 3.15's sparsemax over the last axis (every backend computes it so):
// with the row sorted in descending order s_1 >= s_2 >= ..., cumulative sums c_i and support
// S = {i : 1 + i·s_i > c_i} of size k, tau = (sum of c_i over S - 1) / k and y = max(z - tau, 0).
// (The paper's tau is (c_k - 1)/k; Keras sums the cumulative sums, and Keras is the truth.)
func sparsemaxF(z, y []float32, last int) {
	if last <= 0 {
		return
	}
	sorted := make([]float32, last)
	for o := 0; o+last <= len(z); o += last {
		zr, yr := z[o:o+last], y[o:o+last]
		copy(sorted, zr)
		slices.Sort(sorted)
		slices.Reverse(sorted)
		tau := sparsemaxTau(sorted)
		for i, v := range zr {
			yr[i] = max(v-tau, 0)
		}
	}
}

// sparsemaxTau is Keras's tau of a row sorted in descending order.
func sparsemaxTau(sorted []float32) float32 {
	var cum, cumSum float32
	k := 0
	for i, v := range sorted {
		cum += v
		if v-(cum-1)/float32(i+1) > 0 {
			k++
			cumSum += cum
		}
	}
	return (cumSum - 1) / float32(k)
}

// sparsemaxB: with r_i the rank of z_i in the sorted row (1-based) and A the sum of dy over
// y > 0, dtau/dz_i = (k - r_i + 1)/k for r_i <= k, so dz_i = dy_i·[y_i > 0] - A·dtau/dz_i.
func sparsemaxB(z, y, dy, dz []float32, last int) {
	if last <= 0 {
		return
	}
	idx := make([]int, last)
	for o := 0; o+last <= len(y); o += last {
		zr, yr, dyr, dzr := z[o:o+last], y[o:o+last], dy[o:o+last], dz[o:o+last]
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case zr[a] > zr[b]:
				return -1
			case zr[a] < zr[b]:
				return 1
			}
			return 0
		})
		var cum float32
		k := 0
		for i, j := range idx {
			cum += zr[j]
			if zr[j]-(cum-1)/float32(i+1) > 0 {
				k++
			}
		}
		var sum float32
		for i, v := range yr {
			if v > 0 {
				sum += dyr[i]
			}
		}
		for i, v := range yr {
			if v > 0 {
				dzr[i] = dyr[i]
			} else {
				dzr[i] = 0
			}
		}
		for r, j := range idx[:k] {
			dzr[j] -= sum * float32(k-r) / float32(k)
		}
	}
}
