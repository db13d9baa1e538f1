package layers

import (
	"slices"
	"strconv"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Reshaping1DOptions are the optional arguments of NewZeroPadding1D, NewCropping1D and
// NewUpSampling1D.
type Reshaping1DOptions struct {
	Name       string
	InputShape []int
}

func init() {
	opOutArg["Split"] = "output"
	register(Spec{Classes: []string{"ZeroPadding1D"}, FromConfig: func(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
		r := newCfgReader("ZeroPadding1D", cfg)
		l := &ZeroPadding1D{}
		r.readBase(&l.base)
		l.pad = r.pair1D([2]int{1, 1}, "padding")
		r.dataFormat()
		return finishAs(l, r)
	}})
	register(Spec{Classes: []string{"Cropping1D"}, FromConfig: func(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
		r := newCfgReader("Cropping1D", cfg)
		l := &Cropping1D{}
		r.readBase(&l.base)
		l.crop = r.pair1D([2]int{1, 1}, "cropping")
		return finishAs(l, r)
	}})
	register(Spec{Classes: []string{"UpSampling1D"}, FromConfig: func(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
		r := newCfgReader("UpSampling1D", cfg)
		l := &UpSampling1D{}
		r.readBase(&l.base)
		l.size = r.single(2, 1, maxKernel, "size", "length")
		return finishAs(l, r)
	}})
}

func finishAs(l Layer, r *cfgReader) (Layer, []string, error) {
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// pair1D reads a (before, after) amount of steps: an integer for both or a pair.
func (r *cfgReader) pair1D(def [2]int, key string) [2]int {
	v, _, ok := r.get(key)
	if !ok || v == nil {
		return def
	}
	if n, ok := toInt(v, 0, maxDim); ok {
		return [2]int{n, n}
	}
	if l, ok := v.([]any); ok && len(l) == 2 {
		a, ok1 := toInt(l[0], 0, maxDim)
		b, ok2 := toInt(l[1], 0, maxDim)
		if ok1 && ok2 {
			return [2]int{a, b}
		}
	}
	r.fail(ErrFormat, "%s: want an integer or a pair of integers in [0, %d], have %s", key, maxDim, jsonValue(v))
	return def
}

// ZeroPadding1D is Keras's ZeroPadding1D: it adds (before, after) steps of zeros.
type ZeroPadding1D struct {
	stateless
	pad [2]int
}

// NewZeroPadding1D returns a ZeroPadding1D layer. It panics on a negative padding (a
// programmer error).
func NewZeroPadding1D(padding [2]int, opts ...Reshaping1DOptions) *ZeroPadding1D {
	o := optionsArg("NewZeroPadding1D", opts)
	if padding[0] < 0 || padding[1] < 0 || padding[0] > maxDim || padding[1] > maxDim {
		panic("layers.NewZeroPadding1D: padding must be non-negative")
	}
	return &ZeroPadding1D{stateless: stateless{base: newBase(o.Name, o.InputShape)}, pad: padding}
}

// Class returns "ZeroPadding1D".
func (l *ZeroPadding1D) Class() string { return "ZeroPadding1D" }

// Padding returns (before, after).
func (l *ZeroPadding1D) Padding() [2]int { return l.pad }

// OutputShape returns (steps+before+after, channels).
func (l *ZeroPadding1D) OutputShape(in []int) ([]int, error) {
	if err := steps2(in, "ZeroPadding1D", l.name); err != nil {
		return nil, err
	}
	out := []int{in[0] + l.pad[0] + l.pad[1], in[1]}
	if err := checkElems(out, "ZeroPadding1D", l.name); err != nil {
		return nil, err
	}
	return out, nil
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *ZeroPadding1D) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Build records the input shape.
func (l *ZeroPadding1D) Build(in []int, _ *Rand) error { return build1D(l, &l.stateless, in) }

// build1D checks in with l's OutputShape and records it.
func build1D(l Layer, s *stateless, in []int) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	s.inShape = slices.Clone(in)
	return nil
}

// Forward pads x (batch, steps, c) with zeros.
func (l *ZeroPadding1D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "ZeroPadding1D", l.name); err != nil {
		return nil, err
	}
	out, _ := l.OutputShape(l.inShape)
	n, s, c := x.Shape[0], l.inShape[0], l.inShape[1]
	ys := []int{n, out[0], out[1]}
	y, err := tensor.New(tensor.Float32, ys)
	if err != nil {
		return nil, layerErr(ErrShape, "ZeroPadding1D", l.name, "output %s: %v", tensor.ShapeString(ys), err)
	}
	copyWindow(n, c, x.Float32s(), 1, s, 0, 0, y.Float32s(), 1, out[0], 0, l.pad[0], 1, s)
	l.xShape = slices.Clone(x.Shape)
	return y, nil
}

// Backward returns the part of dy over the input.
func (l *ZeroPadding1D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	out, _ := l.OutputShape(l.inShape)
	if err := l.checkDY(dy, out, "ZeroPadding1D"); err != nil {
		return nil, err
	}
	n, s, c := l.xShape[0], l.inShape[0], l.inShape[1]
	dx := make([]float32, n*s*c)
	copyWindow(n, c, dy.Float32s(), 1, out[0], 0, l.pad[0], dx, 1, s, 0, 0, 1, s)
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// Graph returns the layer as a TF Pad op.
func (l *ZeroPadding1D) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("ZeroPadding1D", l.name)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	g := newGraphBuilder("ZeroPadding1D", l.name)
	p := g.constant("Pad/paddings", &tensor.Tensor{DType: tensor.Int32, Shape: []int{3, 2}, Data: i32s(0, 0, l.pad[0], l.pad[1], 0, 0)})
	y := g.op("Pad", "Pad", []string{"$in", p}, tAttrs(map[string]saved.Attr{"Tpaddings": saved.TypeAttr(tensor.Int32)}))
	return g.graphOut(l.inShape, out, false, y)
}

// Config returns the layer's Keras config in dialect d (Keras 3 adds data_format).
func (l *ZeroPadding1D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["padding"] = intList(l.pad[0], l.pad[1])
	if d == saved.Keras3 {
		c["data_format"] = "channels_last"
	}
	return c
}

// Cropping1D is Keras's Cropping1D: it removes (before, after) steps.
type Cropping1D struct {
	stateless
	crop [2]int
}

// NewCropping1D returns a Cropping1D layer. It panics on a negative cropping (a programmer
// error).
func NewCropping1D(cropping [2]int, opts ...Reshaping1DOptions) *Cropping1D {
	o := optionsArg("NewCropping1D", opts)
	if cropping[0] < 0 || cropping[1] < 0 || cropping[0] > maxDim || cropping[1] > maxDim {
		panic("layers.NewCropping1D: cropping must be non-negative")
	}
	return &Cropping1D{stateless: stateless{base: newBase(o.Name, o.InputShape)}, crop: cropping}
}

// Class returns "Cropping1D".
func (l *Cropping1D) Class() string { return "Cropping1D" }

// Cropping returns (before, after).
func (l *Cropping1D) Cropping() [2]int { return l.crop }

// OutputShape returns (steps-before-after, channels).
func (l *Cropping1D) OutputShape(in []int) ([]int, error) {
	if err := steps2(in, "Cropping1D", l.name); err != nil {
		return nil, err
	}
	if l.crop[0]+l.crop[1] >= in[0] {
		return nil, layerErr(ErrShape, "Cropping1D", l.name, "input shape %s: cropping %v leaves no steps", tensor.ShapeString(in), l.crop)
	}
	return []int{in[0] - l.crop[0] - l.crop[1], in[1]}, nil
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *Cropping1D) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Build records the input shape.
func (l *Cropping1D) Build(in []int, _ *Rand) error { return build1D(l, &l.stateless, in) }

// Forward crops x (batch, steps, c).
func (l *Cropping1D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Cropping1D", l.name); err != nil {
		return nil, err
	}
	out, _ := l.OutputShape(l.inShape)
	n, s, c := x.Shape[0], l.inShape[0], l.inShape[1]
	y := make([]float32, n*out[0]*c)
	copyWindow(n, c, x.Float32s(), 1, s, 0, l.crop[0], y, 1, out[0], 0, 0, 1, out[0])
	l.xShape = slices.Clone(x.Shape)
	return tensor.MustFromFloat32([]int{n, out[0], c}, y), nil
}

// Backward puts dy back at the kept steps (zeros at the cropped ones).
func (l *Cropping1D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	out, _ := l.OutputShape(l.inShape)
	if err := l.checkDY(dy, out, "Cropping1D"); err != nil {
		return nil, err
	}
	n, s, c := l.xShape[0], l.inShape[0], l.inShape[1]
	dx := make([]float32, n*s*c)
	copyWindow(n, c, dy.Float32s(), 1, out[0], 0, 0, dx, 1, s, 0, l.crop[0], 1, out[0])
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// Graph returns the layer as a TF StridedSlice of the steps.
func (l *Cropping1D) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("Cropping1D", l.name)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	g := newGraphBuilder("Cropping1D", l.name)
	begin := g.int32Const("strided_slice/stack", i32s(0, l.crop[0], 0))
	end := g.int32Const("strided_slice/stack_1", i32s(0, l.crop[0]+out[0], 0))
	strides := g.int32Const("strided_slice/stack_2", i32s(1, 1, 1))
	y := g.op("strided_slice", "StridedSlice", []string{"$in", begin, end, strides}, tAttrs(map[string]saved.Attr{
		"Index": saved.TypeAttr(tensor.Int32),
		// Batch and channels are taken whole (bits 0 and 2).
		"begin_mask": saved.IntAttr(5), "end_mask": saved.IntAttr(5),
		"ellipsis_mask": saved.IntAttr(0), "new_axis_mask": saved.IntAttr(0), "shrink_axis_mask": saved.IntAttr(0),
	}))
	return g.graphOut(l.inShape, out, false, y)
}

// Config returns the layer's Keras config in dialect d.
func (l *Cropping1D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["cropping"] = intList(l.crop[0], l.crop[1])
	return c
}

// UpSampling1D is Keras's UpSampling1D: it repeats each step size times.
type UpSampling1D struct {
	stateless
	size int
}

// NewUpSampling1D returns an UpSampling1D layer. It panics on a size below 1 (a programmer
// error).
func NewUpSampling1D(size int, opts ...Reshaping1DOptions) *UpSampling1D {
	o := optionsArg("NewUpSampling1D", opts)
	if size < 1 || size > maxKernel {
		panic("layers.NewUpSampling1D: size must be positive")
	}
	return &UpSampling1D{stateless: stateless{base: newBase(o.Name, o.InputShape)}, size: size}
}

// Class returns "UpSampling1D".
func (l *UpSampling1D) Class() string { return "UpSampling1D" }

// Size returns the repeat factor.
func (l *UpSampling1D) Size() int { return l.size }

// maxSplit bounds the steps of an UpSampling1D whose graph tf_keras's way (one Split output
// per step) would write.
const maxSplit = 1 << 16

// OutputShape returns (steps·size, channels).
func (l *UpSampling1D) OutputShape(in []int) ([]int, error) {
	if err := steps2(in, "UpSampling1D", l.name); err != nil {
		return nil, err
	}
	out := []int{in[0] * l.size, in[1]}
	if err := checkElems(out, "UpSampling1D", l.name); err != nil {
		return nil, err
	}
	return out, nil
}

// ParamCount returns 0 (no weights) for an input shape the layer accepts.
func (l *UpSampling1D) ParamCount(in []int) (int64, error) { return zeroParams(l, in) }

// Build records the input shape.
func (l *UpSampling1D) Build(in []int, _ *Rand) error { return build1D(l, &l.stateless, in) }

// Forward repeats each step of x (batch, steps, c) size times.
func (l *UpSampling1D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "UpSampling1D", l.name); err != nil {
		return nil, err
	}
	n, s, c := x.Shape[0], l.inShape[0], l.inShape[1]
	xd := x.Float32s()
	y := make([]float32, n*s*l.size*c)
	for i := 0; i < n*s; i++ {
		src := xd[i*c : (i+1)*c]
		for k := 0; k < l.size; k++ {
			copy(y[(i*l.size+k)*c:], src)
		}
	}
	l.xShape = slices.Clone(x.Shape)
	return tensor.MustFromFloat32([]int{n, s * l.size, c}, y), nil
}

// Backward sums the gradients of each step's copies.
func (l *UpSampling1D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	out, _ := l.OutputShape(l.inShape)
	if err := l.checkDY(dy, out, "UpSampling1D"); err != nil {
		return nil, err
	}
	n, s, c := l.xShape[0], l.inShape[0], l.inShape[1]
	g := dy.Float32s()
	dx := make([]float32, n*s*c)
	for i := 0; i < n*s; i++ {
		d := dx[i*c : (i+1)*c]
		for k := 0; k < l.size; k++ {
			for ch, v := range g[(i*l.size+k)*c : (i*l.size+k+1)*c] {
				d[ch] += v
			}
		}
	}
	return tensor.MustFromFloat32(l.xShape, dx), nil
}

// Graph returns the layer as tf_keras writes it: a Split of the steps into one tensor each
// and a ConcatV2 that lists each of them size times.
func (l *UpSampling1D) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt("UpSampling1D", l.name)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	s := l.inShape[0]
	if s*l.size > maxSplit {
		return nil, layerErr(ErrUnsupported, "UpSampling1D", l.name, "graph of %d steps repeated %d times: more than %d concatenated tensors", s, l.size, maxSplit)
	}
	g := newGraphBuilder("UpSampling1D", l.name)
	i32 := func(v int32) *tensor.Tensor {
		return &tensor.Tensor{DType: tensor.Int32, Shape: []int{}, Data: []int32{v}}
	}
	dim := g.constant("split/split_dim", i32(1))
	split := g.op("split", "Split", []string{dim, "$in"}, tAttrs(map[string]saved.Attr{"num_split": saved.IntAttr(int64(s))}))
	parts := make([]string, 0, s*l.size+1)
	for i := 0; i < s; i++ {
		ref := split
		if i > 0 {
			ref = split + ":" + strconv.Itoa(i)
		}
		for k := 0; k < l.size; k++ {
			parts = append(parts, ref)
		}
	}
	parts = append(parts, g.constant("concat/axis", i32(1)))
	y := g.op("concat", "ConcatV2", parts, tAttrs(map[string]saved.Attr{"N": saved.IntAttr(int64(s * l.size)), "Tidx": saved.TypeAttr(tensor.Int32)}))
	return g.graphOut(l.inShape, out, false, y)
}

// Config returns the layer's Keras config in dialect d.
func (l *UpSampling1D) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["size"] = l.size
	return c
}
