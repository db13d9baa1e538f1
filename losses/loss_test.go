package losses

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestLossGradientsFiniteDifference checks every loss path's gradient against central
// differences of its own loss (the paths the Keras fixtures do not reach: crossentropies on
// outputs that are not a softmax/sigmoid, and the logits paths from raw outputs).
func TestLossGradientsFiniteDifference(t *testing.T) {
	r := layers.NewRand(3)
	const rows, c = 4, 5
	probs := func() []float32 {
		p := make([]float32, rows*c)
		for i := range p {
			p[i] = 0.05 + 0.9*r.Float32()
		}
		return p
	}
	sparse := make([]float32, rows)
	onehot := make([]float32, rows*c)
	binary := make([]float32, rows*c)
	for i := 0; i < rows; i++ {
		k := r.IntN(c)
		sparse[i] = float32(k)
		onehot[i*c+k] = 1
		for j := 0; j < c; j++ {
			binary[i*c+j] = float32(r.IntN(2))
		}
	}
	cases := []struct {
		name       string
		loss       string
		fromLogits bool
		act        string
		y          *tensor.Tensor
	}{
		{"sparse probs", "sparse_categorical_crossentropy", false, "", tensor.MustFromFloat32([]int{rows}, sparse)},
		{"sparse logits", "sparse_categorical_crossentropy", true, "", tensor.MustFromFloat32([]int{rows}, sparse)},
		{"cce probs", "categorical_crossentropy", false, "", tensor.MustFromFloat32([]int{rows, c}, onehot)},
		{"cce logits", "categorical_crossentropy", true, "", tensor.MustFromFloat32([]int{rows, c}, onehot)},
		{"bce probs", "binary_crossentropy", false, "", tensor.MustFromFloat32([]int{rows, c}, binary)},
		{"bce logits", "binary_crossentropy", true, "", tensor.MustFromFloat32([]int{rows, c}, binary)},
		{"mse", "mse", false, "", tensor.MustFromFloat32([]int{rows, c}, probs())},
	}
	for _, tc := range cases {
		l, err := Parse(tc.loss, tc.fromLogits)
		if err != nil {
			t.Fatal(err)
		}
		p := probs()
		res, err := l.Compute(tensor.MustFromFloat32([]int{rows, c}, p), tc.y, tc.act, true, false)
		if err != nil {
			t.Fatal(err)
		}
		const h = 1e-3
		for i := range p {
			orig := p[i]
			p[i] = orig + h
			up, _ := l.Compute(tensor.MustFromFloat32([]int{rows, c}, p), tc.y, tc.act, false, false)
			p[i] = orig - h
			down, _ := l.Compute(tensor.MustFromFloat32([]int{rows, c}, p), tc.y, tc.act, false, false)
			p[i] = orig
			fd := (float64(up.Loss) - float64(down.Loss)) / (2 * h)
			if d := math.Abs(fd - float64(res.Grad[i])); d > 2e-2*math.Abs(fd)+2e-3 {
				t.Errorf("%s: dL/dy[%d] = %v, finite difference %v", tc.name, i, res.Grad[i], fd)
			}
		}
	}
}

// TestLossValuesMatchKeras compares every loss path's value with tf_keras's loss function on
// the same outputs (eager tensors: the probability paths clip as Keras does).
func TestLossValuesMatchKeras(t *testing.T) {
	r := layers.NewRand(5)
	const rows, c = 6, 4
	type pyCase struct {
		Loss       string      `json:"loss"`
		FromLogits bool        `json:"from_logits"`
		P          [][]float32 `json:"p"`
		Y          any         `json:"y"`
	}
	var cases []pyCase
	var got []float64
	for _, name := range []string{"sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "mean_squared_error"} {
		for _, logits := range []bool{false, true} {
			if logits && name == "mean_squared_error" {
				continue
			}
			p := make([]float32, rows*c)
			for i := range p {
				if logits {
					p[i] = 6*r.Float32() - 3
				} else {
					p[i] = r.Float32()
				}
			}
			// Extremes: exact 0 and 1 probabilities exercise Keras's epsilon clipping.
			if !logits {
				p[0], p[5] = 0, 1
			}
			var y *tensor.Tensor
			var yj any
			switch name {
			case "sparse_categorical_crossentropy":
				v := make([]float32, rows)
				ints := make([]int, rows)
				for i := range v {
					ints[i] = r.IntN(c)
					v[i] = float32(ints[i])
				}
				y, yj = tensor.MustFromFloat32([]int{rows}, v), ints
			default:
				v := make([]float32, rows*c)
				rowsJ := make([][]float32, rows)
				for i := 0; i < rows; i++ {
					if name == "categorical_crossentropy" {
						v[i*c+r.IntN(c)] = 1
					} else {
						for j := 0; j < c; j++ {
							v[i*c+j] = float32(r.IntN(2))
						}
					}
					rowsJ[i] = v[i*c : (i+1)*c]
				}
				y, yj = tensor.MustFromFloat32([]int{rows, c}, v), rowsJ
			}
			l, err := Parse(name, logits)
			if err != nil {
				t.Fatal(err)
			}
			res, err := l.Compute(tensor.MustFromFloat32([]int{rows, c}, p), y, "", false, false)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, float64(res.Loss))
			pj := make([][]float32, rows)
			for i := range pj {
				pj[i] = p[i*c : (i+1)*c]
			}
			cases = append(cases, pyCase{name, logits, pj, yj})
		}
	}
	py := testref.Python(t)
	out := testref.RunPy(t, py, `
import json, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, tensorflow as tf, tf_keras as keras
res = []
for c in json.load(sys.stdin):
    cls = {"sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
           "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
           "binary_crossentropy": keras.losses.BinaryCrossentropy}.get(c["loss"])
    fn = cls(from_logits=c["from_logits"]) if cls else keras.losses.MeanSquaredError()
    p = tf.constant(np.array(c["p"], dtype=np.float32))
    y = np.array(c["y"], dtype=np.float32)
    res.append(float(fn(y, p)))
print(json.dumps(res))
`, cases)
	var want []float64
	if err := jsonUnmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i := range cases {
		if math.Abs(got[i]-want[i]) > 1e-5*math.Abs(want[i])+1e-6 {
			t.Errorf("%s from_logits=%v: Go %v, tf_keras %v", cases[i].Loss, cases[i].FromLogits, got[i], want[i])
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
