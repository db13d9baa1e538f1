package layers

import (
	"fmt"
	"slices"

	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds the call argument return_attention_scores=True of Attention,
// AdditiveAttention and MultiHeadAttention: the call returns two tensors, the output and the
// attention weights after the softmax (and masks, before dropout), (batch, Tq, Tv) for
// Attention and AdditiveAttention, (batch, heads, Tq, Tv) for MultiHeadAttention. Such a call
// goes through MultiIO (several outputs); the weights carry no Keras mask (Keras sets the
// query's mask on the first output only). The scores' gradient is added to the weights'
// gradient from the output. The TF graph returns the Softmax op as LayerGraph.MoreOutputs.

// MaskedMultiIO is implemented by MultiIO layers taking a list of inputs whose every input's
// Keras mask counts (the attention layers returning their scores).
type MaskedMultiIO interface {
	MultiIO
	MaskedForwarderN
	// ForwardIOMasks is ForwardIO with one mask per input (nil entries: none).
	ForwardIOMasks(xs []*tensor.Tensor, masks [][]bool, training bool) ([]*tensor.Tensor, error)
}

// ScoresReturner is implemented by the attention layers; ReturnScores reports that their
// calls pass return_attention_scores=True.
type ScoresReturner interface {
	ReturnScores() bool
	SetReturnScores(on bool)
}

func (c *attnCore) setScoresKwarg(v any) error {
	b, ok := v.(bool)
	if !ok && v != nil {
		return fmt.Errorf("%w: call argument return_attention_scores=%v: want a boolean", ErrFormat, v)
	}
	if c.scoresSet && c.scores != b {
		return fmt.Errorf("%w: calls with and without return_attention_scores (kerasgo keeps one value per layer)", ErrUnsupported)
	}
	c.scores, c.scoresSet = b, true
	return nil
}

// ReturnScores reports whether the layer's calls return the attention scores.
func (c *attnCore) ReturnScores() bool { return c.scores }

// SetReturnScores sets return_attention_scores of the layer's calls (before it is called).
func (c *attnCore) SetReturnScores(on bool) { c.scores, c.scoresSet = on, true }

// MultiIO reports true when the calls return the attention scores.
func (c *attnCore) MultiIO(int) bool { return c.scores }

// scoresShapes returns the output's and the scores' shapes (Tq, Tv).
func (c *attnCore) scoresShapes(class string, out []int, in [][]int) ([][]int, error) {
	if !c.scores {
		return [][]int{out}, nil
	}
	if len(in[0]) != 2 {
		return nil, layerErr(ErrUnsupported, class, c.name, "return_attention_scores on rank-2 inputs %s (the scores would span the batch)", shapesText(in))
	}
	return [][]int{out, {in[0][0], in[1][0]}}, nil
}

// forwardScores runs forward and returns the output, then the scores when the calls return them.
func (c *attnCore) forwardScores(l Layer, f scoreFunc, xs []*tensor.Tensor, masks [][]bool, training bool) ([]*tensor.Tensor, error) {
	if PolicyOf(l) != PolicyFloat32 {
		return nil, layerErr(ErrUnsupported, l.Class(), c.name, "return_attention_scores with dtype policy %s", PolicyOf(l))
	}
	c.scoresOut = nil
	y, err := c.forward(l.Class(), f, xs, masks, training)
	if err != nil {
		return nil, err
	}
	if !c.scores {
		return []*tensor.Tensor{y}, nil
	}
	s := c.scoresOut
	c.scoresOut = nil
	if len(y.Shape) != 3 || len(xs) < 2 || len(xs[1].Shape) != 3 {
		return nil, layerErr(ErrUnsupported, l.Class(), c.name, "return_attention_scores on rank-2 inputs")
	}
	return []*tensor.Tensor{y, tensor.MustFromFloat32([]int{y.Shape[0], y.Shape[1], xs[1].Shape[1]}, s)}, nil
}

// backwardScores takes dL/d of the output and of the scores (nil: zero) and returns dL/dx.
func (c *attnCore) backwardScores(class string, f scoreFunc, dys []*tensor.Tensor) ([]*tensor.Tensor, error) {
	ca := c.cache
	if ca == nil {
		return nil, layerErr(ErrShape, class, c.name, "BackwardIO without a training ForwardIO")
	}
	want := 1
	if c.scores {
		want = 2
	}
	if len(dys) != want {
		return nil, layerErr(ErrShape, class, c.name, "%d output gradients for %d outputs", len(dys), want)
	}
	yShape := append([]int{ca.q.Shape[0]}, attnOutShape(c.inShapes)...)
	dy := dys[0]
	if dy == nil {
		dy = tensor.MustFromFloat32(yShape, make([]float32, tensorLen(yShape)))
	}
	if len(dys) > 1 && dys[1] != nil {
		sShape := []int{ca.q.Shape[0], ca.tq, ca.tv}
		if ds := dys[1]; ds.DType != tensor.Float32 || !slices.Equal(ds.Shape, sShape) {
			return nil, layerErr(ErrShape, class, c.name, "scores gradient of shape %s, want %s", tensor.ShapeString(ds.Shape), tensor.ShapeString(sShape))
		}
		c.dScores = dys[1].Float32s()
		defer func() { c.dScores = nil }()
	}
	return c.backward(class, f, dy)
}

// OutputShapesIO returns the output's shape, then the scores' (Tq, Tv).
func (l *Attention) OutputShapesIO(in [][]int) ([][]int, error) {
	out, err := l.OutputShapeN(in)
	if err != nil {
		return nil, err
	}
	return l.scoresShapes("Attention", out, in)
}

// ForwardIO is ForwardIOMasks with the query's mask only.
func (l *Attention) ForwardIO(xs []*tensor.Tensor, mask []bool, training bool) ([]*tensor.Tensor, error) {
	return l.ForwardIOMasks(xs, [][]bool{mask}, training)
}

// ForwardIOMasks returns the output, then the attention scores.
func (l *Attention) ForwardIOMasks(xs []*tensor.Tensor, masks [][]bool, training bool) ([]*tensor.Tensor, error) {
	return l.forwardScores(l, l, xs, masks, training)
}

// BackwardIO fills the weights' gradients from dL/d of the output and of the scores.
func (l *Attention) BackwardIO(dys []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if l.trainable {
		for _, w := range l.Weights() {
			clear(gradOf(w))
		}
	}
	return l.backwardScores("Attention", l, dys)
}

// OutputShapesIO returns the output's shape, then the scores' (Tq, Tv).
func (l *AdditiveAttention) OutputShapesIO(in [][]int) ([][]int, error) {
	out, err := l.OutputShapeN(in)
	if err != nil {
		return nil, err
	}
	return l.scoresShapes("AdditiveAttention", out, in)
}

// ForwardIO is ForwardIOMasks with the query's mask only.
func (l *AdditiveAttention) ForwardIO(xs []*tensor.Tensor, mask []bool, training bool) ([]*tensor.Tensor, error) {
	return l.ForwardIOMasks(xs, [][]bool{mask}, training)
}

// ForwardIOMasks returns the output, then the attention scores.
func (l *AdditiveAttention) ForwardIOMasks(xs []*tensor.Tensor, masks [][]bool, training bool) ([]*tensor.Tensor, error) {
	return l.forwardScores(l, l, xs, masks, training)
}

// BackwardIO fills scale's gradient from dL/d of the output and of the scores.
func (l *AdditiveAttention) BackwardIO(dys []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return l.backwardScores("AdditiveAttention", l, dys)
}

// ReturnScores reports whether the layer's calls return the attention scores.
func (l *MultiHeadAttention) ReturnScores() bool { return l.scores }

// SetReturnScores sets return_attention_scores of the layer's calls (before it is called).
func (l *MultiHeadAttention) SetReturnScores(on bool) { l.scores = on }

// MultiIO reports true when the calls return the attention scores.
func (l *MultiHeadAttention) MultiIO(int) bool { return l.scores }

// OutputShapesIO returns the output's shape, then the scores' (heads, Tq, Tv).
func (l *MultiHeadAttention) OutputShapesIO(in [][]int) ([][]int, error) {
	out, err := l.OutputShapeN(in)
	if err != nil {
		return nil, err
	}
	if !l.scores {
		return [][]int{out}, nil
	}
	s := in
	if l.maskArg && len(s) > 2 {
		s = s[:len(s)-1]
	}
	ss, err := l.scoresShapeOf(s)
	if err != nil {
		return nil, err
	}
	return [][]int{out, ss}, nil
}

// ForwardIO is ForwardIOMasks with the query's mask only.
func (l *MultiHeadAttention) ForwardIO(xs []*tensor.Tensor, mask []bool, training bool) ([]*tensor.Tensor, error) {
	return l.ForwardIOMasks(xs, [][]bool{mask}, training)
}

// ForwardIOMasks returns the output, then the attention scores (batch, heads, Tq, Tv).
func (l *MultiHeadAttention) ForwardIOMasks(xs []*tensor.Tensor, masks [][]bool, training bool) ([]*tensor.Tensor, error) {
	if PolicyOf(l) != PolicyFloat32 {
		return nil, layerErr(ErrUnsupported, "MultiHeadAttention", l.name, "return_attention_scores with dtype policy %s", PolicyOf(l))
	}
	l.scoresOut = nil
	y, err := l.ForwardMaskedN(xs, masks, training)
	if err != nil {
		return nil, err
	}
	if !l.scores {
		return []*tensor.Tensor{y}, nil
	}
	s := l.scoresOut
	l.scoresOut = nil
	shape := l.scoresShape(y.Shape[0], y.Shape[1], xs[1].Shape[1])
	return []*tensor.Tensor{y, tensor.MustFromFloat32(shape, s)}, nil
}

// BackwardIO takes dL/d of the output and of the scores (nil: zero) and returns dL/dx.
func (l *MultiHeadAttention) BackwardIO(dys []*tensor.Tensor) ([]*tensor.Tensor, error) {
	const class = "MultiHeadAttention"
	c := l.cache
	if c == nil {
		return nil, layerErr(ErrShape, class, l.name, "BackwardIO without a training ForwardIO")
	}
	want := 1
	if l.scores {
		want = 2
	}
	if len(dys) != want {
		return nil, layerErr(ErrShape, class, l.name, "%d output gradients for %d outputs", len(dys), want)
	}
	bt, tq, tv := c.q.Shape[0], c.q.Shape[1], c.v.Shape[1]
	dy := dys[0]
	if dy == nil {
		shape := []int{bt, tq, l.out(c.q.Shape[1:])}
		if gr := l.group; l.grouped() && gr != nil {
			shape = slices.Clone(gr.qShape)
			shape[len(shape)-1] = l.out(gr.qShape[1:])
		}
		dy = tensor.MustFromFloat32(shape, make([]float32, tensorLen(shape)))
	}
	if len(dys) > 1 && dys[1] != nil {
		sShape := []int{bt, l.heads, tq, tv}
		if gr := l.group; l.grouped() && gr != nil {
			sShape = slices.Clone(gr.scoreShape)
		}
		if ds := dys[1]; ds.DType != tensor.Float32 || !slices.Equal(ds.Shape, sShape) {
			return nil, layerErr(ErrShape, class, l.name, "scores gradient of shape %s, want %s", tensor.ShapeString(ds.Shape), tensor.ShapeString(sShape))
		}
		l.dScores = dys[1].Float32s()
		defer func() { l.dScores = nil }()
	}
	return l.BackwardN(dy)
}
