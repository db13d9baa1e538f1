package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds what the weightless reshaping and pooling layers share (ZeroPadding2D,
// Cropping2D, UpSampling2D, Reshape, Permute, RepeatVector, GlobalAveragePooling2D,
// GlobalMaxPooling2D): a base without weights, and a builder of TF graph ops.

// stateless is the base of a layer without weights; xShape is the shape of the input of the
// last Forward (what Backward needs).
type stateless struct {
	base
	xShape []int
}

// SetTrainable sets Keras's layer.trainable (no effect: the layer has no weights).
func (s *stateless) SetTrainable(t bool) { s.trainable = t }

// Weights returns nil: the layer has no weights.
func (s *stateless) Weights() []*Weight { return nil }

// checkDY checks dy against the output shape for the batch of the last Forward.
func (s *stateless) checkDY(dy *tensor.Tensor, out []int, class string) error {
	if s.xShape == nil {
		return layerErr(ErrShape, class, s.name, "Backward without a Forward")
	}
	want := append([]int{s.xShape[0]}, out...)
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, want) {
		have := "nil"
		if dy != nil {
			have = dy.DType.String() + " " + tensor.ShapeString(dy.Shape)
		}
		return layerErr(ErrShape, class, s.name, "dy %s, want float32 %s", have, tensor.ShapeString(want))
	}
	return nil
}

// image3 checks a (height, width, channels) input shape.
func image3(in []int, class, name string) error {
	if len(in) != 3 || in[0] < 1 || in[1] < 1 || in[2] < 1 || in[0] > maxDim || in[1] > maxDim || in[2] > maxDim {
		return layerErr(ErrShape, class, name, "input shape %s: want (height, width, channels)", tensor.ShapeString(in))
	}
	return nil
}

// checkElems fails when a shape holds more elements than a tensor may.
func checkElems(shape []int, class, name string) error {
	if _, err := tensor.CheckShape(tensor.Float32, shape, 0); err != nil {
		return layerErr(ErrShape, class, name, "output shape %s: %v", tensor.ShapeString(shape), err)
	}
	return nil
}

// copyWindow copies, for each of n images, an hh×ww window of channels c from src (sh×sw
// images, window at sy, sx) to dst (dh×dw images, window at dy, dx). dst is not cleared.
func copyWindow(n, c int, src []float32, sh, sw, sy, sx int, dst []float32, dh, dw, dy, dx, hh, ww int) {
	parallelFor(n, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			for y := 0; y < hh; y++ {
				so := ((i*sh+sy+y)*sw + sx) * c
				do := ((i*dh+dy+y)*dw + dx) * c
				copy(dst[do:do+ww*c], src[so:so+ww*c])
			}
		}
	})
}

// opsBuilder collects a layer's TF graph ops.
type opsBuilder struct{ ops []saved.Op }

// outArgs names the first output argument of the op types these layers use.
var outArgs = map[string]string{
	"Const": "output", "Pad": "output", "StridedSlice": "output", "Reshape": "output",
	"Transpose": "y", "ExpandDims": "output", "Tile": "output", "Mean": "output", "Max": "output",
	"ResizeNearestNeighbor": "resized_images", "ResizeBilinear": "resized_images",
}

func (b *opsBuilder) add(name, typ string, inputs []string, attrs map[string]saved.Attr) string {
	b.ops = append(b.ops, saved.Op{Name: name, Type: typ, Inputs: inputs, Attrs: attrs, OutArg: outArgs[typ]})
	return name
}

// int32Const adds a Const op holding int32 values of the given shape (nil: a vector).
func (b *opsBuilder) int32Const(name string, shape []int, v ...int32) string {
	if shape == nil {
		shape = []int{len(v)}
	}
	t := &tensor.Tensor{DType: tensor.Int32, Shape: slices.Clone(shape), Data: slices.Clone(v)}
	return b.add(name, "Const", nil, map[string]saved.Attr{"dtype": saved.TypeAttr(tensor.Int32), "value": saved.TensorAttr(t)})
}

// graph returns the LayerGraph of a single-input layer.
func (b *opsBuilder) graph(in, out []int, output string) *saved.LayerGraph {
	return &saved.LayerGraph{InputShapes: [][]int{slices.Clone(in)}, OutputShape: slices.Clone(out), Ops: b.ops, Output: output}
}

func f32Attr() saved.Attr { return saved.TypeAttr(tensor.Float32) }

func i32s(v ...int) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

// notBuilt is Graph's error for a layer not built.
func notBuilt(class, name string) error {
	return layerErr(ErrShape, class, name, "Graph before Build")
}

// pads reads an int, a pair or a pair of pairs (ZeroPadding2D padding, Cropping2D cropping)
// as ((top, bottom), (left, right)).
func (r *cfgReader) pads(def [2][2]int, key string) [2][2]int {
	v, _, ok := r.get(key)
	if !ok || v == nil {
		return def
	}
	if n, ok := toInt(v, 0, maxDim); ok {
		return [2][2]int{{n, n}, {n, n}}
	}
	if l, ok := v.([]any); ok && len(l) == 2 {
		a, ok1 := toInt(l[0], 0, maxDim)
		b, ok2 := toInt(l[1], 0, maxDim)
		if ok1 && ok2 {
			return [2][2]int{{a, a}, {b, b}}
		}
		var out [2][2]int
		good := true
		for i, e := range l {
			p, ok := e.([]any)
			if !ok || len(p) != 2 {
				good = false
				break
			}
			for j := range 2 {
				x, ok := toInt(p[j], 0, maxDim)
				good = good && ok
				out[i][j] = x
			}
		}
		if good {
			return out
		}
	}
	r.fail(ErrFormat, "%s: want an integer, a pair of integers or a pair of pairs, non-negative, have %s", key, jsonValue(v))
	return def
}

func pairsList(p [2][2]int) []any {
	return []any{intList(p[0][0], p[0][1]), intList(p[1][0], p[1][1])}
}
