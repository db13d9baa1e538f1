package layers

import (
	"fmt"
	"maps"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// data_format "channels_first" for the 2-D convolution and pooling classes: the layer is the
// class's channels_last implementation run between two transposes, (batch, channels, height,
// width) to (batch, height, width, channels) and back, as Keras's TensorFlow backend computes
// it on a CPU. The weights are the same (Keras keeps a Conv2D kernel as (kh, kw, in, out) in
// either format); configs say "channels_first"; shapes, summaries and the TF graph (Transpose
// ops around the class's own) are in the channels_first layout.

// channelsFirstClasses are the classes whose data_format "channels_first" is implemented.
var channelsFirstClasses = map[string]bool{
	"Conv2D": true, "MaxPooling2D": true, "AveragePooling2D": true,
	"GlobalAveragePooling2D": true, "GlobalMaxPooling2D": true,
}

// fromConfigChannelsFirst builds a channels_first layer of a class in channelsFirstClasses;
// ok is false for other classes and formats.
func fromConfigChannelsFirst(class string, cfg map[string]any, d saved.Dialect) (l Layer, warnings []string, ok bool, err error) {
	if c, known := Canonical(class); known {
		class = c
	}
	if !channelsFirstClasses[class] || cfg["data_format"] != "channels_first" {
		return nil, nil, false, nil
	}
	last := maps.Clone(cfg)
	last["data_format"] = "channels_last"
	inner, ws, err := registry[class].FromConfig(last, d)
	if err != nil {
		return nil, ws, true, err
	}
	return &ChannelsFirst{Layer: inner}, ws, true, nil
}

// ChannelsFirst is a 2-D convolution or pooling layer with data_format "channels_first"; the
// embedded Layer is the channels_last layer it runs.
type ChannelsFirst struct {
	Layer
	in []int // (channels, height, width)
}

// toLast and toFirst move the channels of a (c, h, w) shape to the end and back.
func toLast(s []int) []int  { return []int{s[1], s[2], s[0]} }
func toFirst(s []int) []int { return []int{s[2], s[0], s[1]} }

func (l *ChannelsFirst) shapeErr(in []int) error {
	return layerErr(ErrShape, l.Class(), l.Name(), "input shape %s: want (channels, height, width)", tensor.ShapeString(in))
}

// Build builds the channels_last layer for (height, width, channels).
func (l *ChannelsFirst) Build(in []int, rng *Rand) error {
	if len(in) != 3 {
		return l.shapeErr(in)
	}
	if err := l.Layer.Build(toLast(in), rng); err != nil {
		return err
	}
	l.in = slices.Clone(in)
	return nil
}

// InputShape is the (channels, height, width) shape the layer was built for.
func (l *ChannelsFirst) InputShape() []int { return slices.Clone(l.in) }

// OutputShape is the channels_last layer's, channels first (a global pooling's (channels) as
// it is).
func (l *ChannelsFirst) OutputShape(in []int) ([]int, error) {
	if len(in) != 3 {
		return nil, l.shapeErr(in)
	}
	out, err := l.Layer.OutputShape(toLast(in))
	if err != nil || len(out) != 3 {
		return out, err
	}
	return toFirst(out), nil
}

// transpose4 reorders the dimensions of a rank-4 float32 tensor by perm (batch first).
func transpose4(x *tensor.Tensor, perm []int) (*tensor.Tensor, error) {
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("%w: want a rank-4 tensor, have %s", ErrShape, tensor.ShapeString(x.Shape))
	}
	in := x.Shape[1:]
	out := []int{in[perm[0]], in[perm[1]], in[perm[2]]}
	y, err := tensor.New(tensor.Float32, append([]int{x.Shape[0]}, out...))
	if err != nil {
		return nil, err
	}
	transposeSamples(x.Shape[0], in, perm, x.Float32s(), y.Float32s())
	return y, nil
}

var (
	permToLast  = []int{1, 2, 0} // (c, h, w) -> (h, w, c)
	permToFirst = []int{2, 0, 1} // (h, w, c) -> (c, h, w)
)

// Forward transposes x to channels_last, runs the layer and transposes its result back.
func (l *ChannelsFirst) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if len(x.Shape) != 4 {
		return nil, l.shapeErr(x.Shape[min(1, len(x.Shape)):])
	}
	xl, err := transpose4(x, permToLast)
	if err != nil {
		return nil, err
	}
	y, err := Forward(l.Layer, xl, training)
	if err != nil || len(y.Shape) != 4 {
		return y, err
	}
	return transpose4(y, permToFirst)
}

// Backward is Forward's in reverse: dy to channels_last, the layer's backward, dx back.
func (l *ChannelsFirst) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if len(dy.Shape) == 4 {
		var err error
		if dy, err = transpose4(dy, permToLast); err != nil {
			return nil, err
		}
	}
	dx, err := l.Layer.Backward(dy)
	if err != nil || dx == nil {
		return dx, err
	}
	return transpose4(dx, permToFirst)
}

// Config is the channels_last layer's config with data_format "channels_first".
func (l *ChannelsFirst) Config(d saved.Dialect) map[string]any {
	c := l.Layer.Config(d)
	if c != nil {
		c["data_format"] = "channels_first"
	}
	return c
}

// SetTrainable sets the layer's trainable flag.
func (l *ChannelsFirst) SetTrainable(t bool) {
	if s, ok := l.Layer.(interface{ SetTrainable(bool) }); ok {
		s.SetTrainable(t)
	}
}

// DTypePolicy is the layer's dtype policy.
func (l *ChannelsFirst) DTypePolicy() string { return PolicyOf(l.Layer) }

// ParamCount is the channels_last layer's count for the transposed shape.
func (l *ChannelsFirst) ParamCount(in []int) (int64, error) {
	if len(in) != 3 {
		return 0, l.shapeErr(in)
	}
	if p, ok := l.Layer.(interface{ ParamCount([]int) (int64, error) }); ok {
		return p.ParamCount(toLast(in))
	}
	return 0, nil
}

// Graph is the channels_last layer's graph between two Transpose ops.
func (l *ChannelsFirst) Graph() (*saved.LayerGraph, error) {
	gr, ok := l.Layer.(Grapher)
	if !ok || l.in == nil {
		return nil, notBuilt(l.Class(), l.Name())
	}
	g, err := gr.Graph()
	if err != nil {
		return nil, err
	}
	out, err := l.OutputShape(l.in)
	if err != nil {
		return nil, err
	}
	var b opsBuilder
	p := b.int32Const("channels_last/perm", nil, i32s(0, 2, 3, 1)...)
	x := b.add("channels_last", "Transpose", []string{"$in", p}, map[string]saved.Attr{"T": f32Attr(), "Tperm": saved.TypeAttr(tensor.Int32)})
	for _, op := range g.Ops {
		op.Inputs = slices.Clone(op.Inputs)
		for i, r := range op.Inputs {
			if r == "$in" {
				op.Inputs[i] = x
			}
		}
		b.ops = append(b.ops, op)
	}
	y := g.Output
	if y == "$in" {
		y = x
	}
	if len(out) == 3 {
		p2 := b.int32Const("channels_first/perm", nil, i32s(0, 3, 1, 2)...)
		y = b.add("channels_first", "Transpose", []string{y, p2}, map[string]saved.Attr{"T": f32Attr(), "Tperm": saved.TypeAttr(tensor.Int32)})
	}
	ng := b.graph(l.in, out, y)
	ng.Training = g.Training
	return ng, nil
}

var _ Grapher = (*ChannelsFirst)(nil)

// DeclaredInputShape is the batch input shape the layer's config declares, or nil.
func (l *ChannelsFirst) DeclaredInputShape() []int { return DeclaredInputShape(l.Layer) }

// SetDeclaredInputShape sets the batch input shape the layer declares.
func (l *ChannelsFirst) SetDeclaredInputShape(s []int) {
	if d, ok := l.Layer.(Declarer); ok {
		d.SetDeclaredInputShape(s)
	}
}

// Trainable reports the layer's trainable flag.
func (l *ChannelsFirst) Trainable() bool {
	if t, ok := l.Layer.(TrainableFlag); ok {
		return t.Trainable()
	}
	return true
}

// SetSkipInputGradient makes Backward return nil for dL/dx (the first layer of a model).
func (l *ChannelsFirst) SetSkipInputGradient(skip bool) {
	if s, ok := l.Layer.(InputGradientSkipper); ok {
		s.SetSkipInputGradient(skip)
	}
}
