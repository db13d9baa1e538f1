package data

import (
	"math"
	"math/rand/v2"

	"github.com/kerasgo/kerasgo/tensor"
)

// SyntheticOptions size the synthetic dataset. Zero values mean the defaults: 20000
// training and 2000 test images, seed 1.
type SyntheticOptions struct {
	Train, Test int
	Seed        uint64
}

// palette is one colour per class (RGB in [0, 1]).
var palette = [CIFARClasses][3]float32{
	{0.9, 0.1, 0.1}, {0.1, 0.8, 0.2}, {0.15, 0.25, 0.9}, {0.9, 0.85, 0.1}, {0.8, 0.2, 0.8},
	{0.1, 0.8, 0.8}, {0.95, 0.55, 0.1}, {0.5, 0.5, 0.5}, {0.55, 0.3, 0.1}, {0.95, 0.95, 0.95},
}

// Synthetic returns a deterministic CIFAR-shaped dataset (32x32x3 float32 images in [0, 1],
// uint8 labels of 10 classes) generated in memory: each class is a colour and a stripe
// pattern (orientation and period), drawn with a random phase, a random brightness, a
// random background and pixel noise. The seed CNN learns it to well above chance in a few
// epochs; it stands in for CIFAR-10 when no data folder is given. opts may be omitted (the
// defaults of SyntheticOptions); more than one panics.
func Synthetic(opts ...SyntheticOptions) (train, test *Dataset) {
	if len(opts) > 1 {
		panic("data.Synthetic: at most one options value")
	}
	var o SyntheticOptions
	if len(opts) == 1 {
		o = opts[0]
	}
	if o.Train <= 0 {
		o.Train = 20000
	}
	if o.Test <= 0 {
		o.Test = 2000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x63696661))
	return synth(r, o.Train), synth(r, o.Test)
}

func synth(r *rand.Rand, n int) *Dataset {
	const side, ch = CIFARSide, CIFARChannels
	x := make([]float32, n*side*side*ch)
	y := make([]uint8, n)
	for i := 0; i < n; i++ {
		k := r.IntN(CIFARClasses)
		y[i] = uint8(k)
		// Orientation: 0 horizontal, 1 vertical, 2 diagonal, 3 anti-diagonal; period 4-7.
		orient := k % 4
		period := float64(4 + k%3*2)
		phase := r.Float64() * 2 * math.Pi
		amp := 0.45 + 0.2*r.Float32()
		var bg [3]float32
		for c := range bg {
			bg[c] = 0.2 + 0.2*r.Float32()
		}
		col := palette[k]
		img := x[i*side*side*ch:]
		for row := 0; row < side; row++ {
			for cl := 0; cl < side; cl++ {
				var u float64
				switch orient {
				case 0:
					u = float64(row)
				case 1:
					u = float64(cl)
				case 2:
					u = float64(row+cl) / math.Sqrt2
				default:
					u = float64(row-cl) / math.Sqrt2
				}
				s := float32(0.5 + 0.5*math.Sin(2*math.Pi*u/period+phase))
				for c := 0; c < ch; c++ {
					v := bg[c]*(1-amp) + amp*s*col[c] + 0.35*amp*col[c] + 0.05*float32(r.NormFloat64())
					img[(row*side+cl)*ch+c] = min(max(v, 0), 1)
				}
			}
		}
	}
	return &Dataset{
		X: tensor.MustFromFloat32([]int{n, side, side, ch}, x),
		Y: &tensor.Tensor{DType: tensor.Uint8, Shape: []int{n, 1}, Data: y},
	}
}
