package layers

import (
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Keras 3's glu activation (keras.activations.glu, axis=-1 when named by an Activation
// layer): the last axis is split in halves a and b and the result is a·sigmoid(b), so the
// last axis is halved. It changes the shape, so only the Activation layer implements it;
// other layers refuse it (activationRefusals).

const gluName = "glu"

var glu = &activationFunc{name: gluName}

// activationRefusals are the Keras 3 activation names kerasgo refuses where they are asked
// for, with the reason.
var activationRefusals = map[string]string{
	gluName: "glu halves the last axis; kerasgo implements it in the Activation layer only",
	"threshold": "Keras 3's threshold(x, threshold, default_value) has no defaults, so a layer " +
		"naming it cannot be called (Keras 3.15 fails with a missing-argument TypeError too)",
}

// isGLU reports whether an "activation" config value names glu (a string, or a Keras 3
// function object).
func isGLU(v any) bool {
	switch x := v.(type) {
	case string:
		return x == gluName
	case map[string]any:
		n, _ := x["config"].(string)
		return n == gluName
	}
	return false
}

func gluOutputShape(name string, in []int) ([]int, error) {
	if len(in) == 0 || in[len(in)-1] < 0 || in[len(in)-1]%2 != 0 {
		return nil, layerErr(ErrShape, "Activation", name, "glu needs an even last axis, input %s", tensor.ShapeString(in))
	}
	out := slices.Clone(in)
	out[len(out)-1] /= 2
	return out, nil
}

// gluForward returns a·sigmoid(b) for the halves a, b of x's last axis.
func gluForward(x *tensor.Tensor) *tensor.Tensor {
	last := x.Shape[len(x.Shape)-1]
	h := last / 2
	z := x.Float32s()
	outShape := slices.Clone(x.Shape)
	outShape[len(outShape)-1] = h
	y := make([]float32, len(z)/2)
	for o, p := 0, 0; o+last <= len(z); o, p = o+last, p+h {
		for i := 0; i < h; i++ {
			y[p+i] = z[o+i] * sigm(z[o+h+i])
		}
	}
	return tensor.MustFromFloat32(outShape, y)
}

// gluBackward returns dL/dx: dy·sigmoid(b) for a, dy·a·s(b)·(1-s(b)) for b.
func gluBackward(x, dy *tensor.Tensor) *tensor.Tensor {
	last := x.Shape[len(x.Shape)-1]
	h := last / 2
	z, g := x.Float32s(), dy.Float32s()
	dx := make([]float32, len(z))
	for o, p := 0, 0; o+last <= len(z); o, p = o+last, p+h {
		for i := 0; i < h; i++ {
			a, s := z[o+i], sigm(z[o+h+i])
			dx[o+i] = g[p+i] * s
			dx[o+h+i] = g[p+i] * a * s * (1 - s)
		}
	}
	return tensor.MustFromFloat32(x.Shape, dx)
}

func sigm(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }

// gluOps writes glu as TF's graph of it: Split(-1, x) into two, then x1 · Sigmoid(x2).
func gluOps(g *graphBuilder, x string) string {
	dim := g.constant("split/split_dim", &tensor.Tensor{DType: tensor.Int32, Shape: []int{}, Data: []int32{-1}})
	split := g.op("split", "Split", []string{dim, x}, tAttrs(map[string]saved.Attr{"num_split": saved.IntAttr(2)}))
	s := g.fop("Sigmoid", "Sigmoid", split+":1")
	return g.fop("mul", "Mul", split, s)
}
