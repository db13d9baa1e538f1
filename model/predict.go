package model

import (
	"fmt"
	"slices"
	"sync"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// DefaultBatchSize is the batch size of Predict, Fit and Evaluate when their options leave
// it at 0 (Keras's default, 32).
const DefaultBatchSize = 32

// PredictOptions are the options of Predict. The zero value predicts in batches of
// DefaultBatchSize.
type PredictOptions struct {
	BatchSize int // samples per batch; 0 means DefaultBatchSize
}

// optionsArg returns the options value passed to a variadic options argument: the zero value
// when none was given. More than one is a programmer error.
func optionsArg[T any](fn string, opts []T) T {
	switch len(opts) {
	case 0:
		var zero T
		return zero
	case 1:
		return opts[0]
	}
	panic("model." + fn + ": at most one options value")
}

// Predict runs the model in inference mode (Dropout is the identity, BatchNormalization uses
// its moving statistics) on x, whose first dimension is the batch, in batches of
// opts.BatchSize samples (opts may be omitted), and returns the outputs of all samples in
// one float32 tensor. x of another real dtype is converted to float32 first. The layers use
// every core (GOMAXPROCS) within each batch.
//
// A model whose input shape is not known yet is built for x's shape first, as Keras builds on
// the first call.
//
// Predict, PredictN and PredictInto are safe to call from several goroutines on one model (a
// Go server sharing a loaded model between requests), and the calls run at once: each takes
// its own buffers from a per-model pool of workspaces, and the weights are only read. The
// first call after the model changed, and every call of a model with float16/bfloat16 layers,
// runs alone. Fit, TrainOnBatch and Evaluate may run concurrently with Predict: each training
// step or evaluation batch runs alone, and a Predict sees the weights between two steps.
// Changing the model otherwise (SetWeights, LoadWeights, Compile, Add, Pop) is not safe
// concurrently with Predict.
func (m *Model) Predict(x *tensor.Tensor, opts ...PredictOptions) (*tensor.Tensor, error) {
	y, err := m.predict(x, optionsArg("Predict", opts).BatchSize)
	return y, apiErr("predict", err)
}

func (m *Model) predict(x *tensor.Tensor, batchSize int) (*tensor.Tensor, error) {
	ws, alone := m.beginPredict()
	y, err := m.predictTo(ws, nil, x, batchSize)
	m.endPredict(ws, alone, err == nil)
	return y, err
}

// PredictInto is Predict writing the outputs into dst, a float32 tensor of the output's
// shape (batch, ...) that the caller owns, instead of a new tensor: once the model is warm
// (one earlier call of the same batch size) it allocates no tensor data, only a few
// headers of fixed size whatever the batch (issue 16). It is safe for concurrent use like
// Predict; dst must not be shared between concurrent calls, nor share memory with x.
func (m *Model) PredictInto(dst, x *tensor.Tensor, opts ...PredictOptions) error {
	if dst == nil || dst.DType != tensor.Float32 {
		return apiErr("predict", fmt.Errorf("%w: PredictInto needs a float32 destination tensor", ErrShape))
	}
	ws, alone := m.beginPredict()
	_, err := m.predictTo(ws, dst, x, optionsArg("PredictInto", opts).BatchSize)
	m.endPredict(ws, alone, err == nil)
	return apiErr("predict", err)
}

// predictTo is predict into dst (nil: a new tensor) with the workspace ws.
func (m *Model) predictTo(ws *predictWS, dst, x *tensor.Tensor, batchSize int) (*tensor.Tensor, error) {
	if x == nil {
		return nil, fmt.Errorf("%w: nil input", ErrShape)
	}
	if len(x.Shape) < 1 {
		return nil, fmt.Errorf("%w: input is a scalar; want (batch, ...)", ErrShape)
	}
	if m.fn != nil {
		if len(m.fn.inputs) != 1 || len(m.fn.outputs) != 1 {
			return nil, fmt.Errorf("%w: the model has %d inputs and %d outputs; use PredictN", ErrShape, len(m.fn.inputs), len(m.fn.outputs))
		}
		var dsts []*tensor.Tensor
		if dst != nil {
			ws.one[0][0] = dst
			dsts = ws.one[0][:]
		}
		ws.one[1][0] = x
		ys, err := m.predictNTo(ws, dsts, ws.one[1][:], batchSize)
		var y *tensor.Tensor
		if err == nil {
			y = ys[0]
		}
		ws.one = [2][1]*tensor.Tensor{} // keep no caller's tensor
		return y, err
	}
	if len(m.layers) == 0 {
		return nil, fmt.Errorf("%w: the model has no layers", ErrNotBuilt)
	}
	if m.dyn != nil {
		t, unlock, err := m.dynTwin([]*tensor.Tensor{x})
		if err != nil {
			return nil, err
		}
		if t != m {
			defer unlock()
			return t.predictTo(ws, dst, x, batchSize)
		}
	}
	if !m.Built() {
		if err := m.adoptInputShape(x.Shape[1:]); err != nil {
			return nil, err
		}
	}
	if !slices.Equal(x.Shape[1:], m.in.shape) {
		return nil, inputShapeErr(x.Shape, m.in.batch, m.in.shape)
	}
	if x.DType != tensor.Float32 {
		c, err := x.ToFloat32()
		if err != nil {
			return nil, err
		}
		x = c
	}
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	n := x.Shape[0]
	out := dst
	if out == nil {
		outShape := append([]int{n}, m.outShape...)
		if _, err := tensor.CheckShape(tensor.Float32, outShape, 0); err != nil {
			return nil, within("output "+tensor.ShapeString(outShape), err)
		}
		var err error
		if out, err = tensor.New(tensor.Float32, outShape); err != nil {
			return nil, err
		}
	} else if err := checkDst(dst, n, m.outShape); err != nil {
		return nil, err
	}
	outRow := rowLen(m.outShape)
	od := out.Float32s()
	for lo := 0; lo < n; lo += batchSize {
		hi := min(lo+batchSize, n)
		xb := x
		if lo > 0 || hi < n {
			xb = rowsInto(&ws.hdr, x, lo, hi)
		}
		y, _, err := m.forwardMaskWS(ws.lw, xb, false)
		if err != nil {
			return nil, err
		}
		ys := y.Float32s()
		if len(ys) != (hi-lo)*outRow {
			return nil, fmt.Errorf("%w: the last layer returned %s, want %s", ErrShape, tensor.ShapeString(y.Shape), shapeString(hi-lo, m.outShape))
		}
		copy(od[lo*outRow:], ys)
	}
	return out, nil
}

// forward runs every layer on a batch.
func (m *Model) forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	y, _, err := m.forwardMask(x, training)
	return y, err
}

// forwardMask is forward that also returns the Keras mask of a Sequential model's output
// (nil: none; a Functional model's are in m.fn.masks).
func (m *Model) forwardMask(x *tensor.Tensor, training bool) (*tensor.Tensor, []bool, error) {
	return m.forwardMaskWS(nil, x, training)
}

// forwardMaskWS is forwardMask whose inference uses the buffers of ws (see
// layers.Workspace); with ws, it writes nothing in the model (a Functional model's masks
// and values stay in ws).
func (m *Model) forwardMaskWS(ws *layers.Workspace, x *tensor.Tensor, training bool) (*tensor.Tensor, []bool, error) {
	if m.fn != nil {
		if ws != nil && !training {
			r := fnRunOf(ws, m.fn)
			r.xs = append(r.xs[:0], x)
			ys, err := m.fn.run(r, r.xs, false, r.ys)
			if err != nil {
				return nil, nil, err
			}
			r.ys = ys
			return ys[0], nil, nil
		}
		ys, vals, err := m.fn.forward([]*tensor.Tensor{x}, training)
		if err != nil {
			return nil, nil, err
		}
		m.fnVals = vals
		return ys[0], nil, nil
	}
	var mask []bool
	for i := 0; i < len(m.layers); i++ {
		if !training && mask == nil {
			// Conv2D → [BatchNormalization] → MaxPooling2D → [BatchNormalization] in one
			// fused pass where the CPU has the kernels (layers.ForwardFused).
			y, k, err := layers.InferFused(ws, m.layers[i:], x)
			if err != nil {
				l := m.layers[i]
				return nil, nil, layerErr(-1, l.Name(), l.Class(), err)
			}
			if k > 0 {
				x = y
				i += k - 1
				continue
			}
			// [ZeroPadding2D →] Conv2D/DepthwiseConv2D → BatchNormalization → [activation]
			// as one layer (layers.InferFolded), as a Functional model's chains run.
			if y, k, err := inferFoldedSeq(ws, m.layers[i:], x); err != nil || k > 0 {
				if err != nil {
					return nil, nil, err
				}
				x = y
				i += k - 1
				continue
			}
		}
		l := m.layers[i]
		var mu *sync.Mutex
		if !training {
			mu = guardOf(ws, l)
		}
		if mu != nil {
			mu.Lock()
		}
		y, ym, err := callMaskedWS(ws, l, x, mask, training)
		if mu != nil {
			mu.Unlock()
		}
		if err != nil {
			return nil, nil, layerErr(-1, l.Name(), l.Class(), err)
		}
		x, mask = y, ym
	}
	return x, mask, nil
}

// inferFoldedSeq runs the chain at the start of ls, [ZeroPadding2D →] Conv2D or
// DepthwiseConv2D → BatchNormalization → [activation], as one layer when layers.CanFold (and
// CanPad) accept it; k is the number of layers it ran (0: none, y nil). Only the head's and
// the normalisation's inference runs (both workspace layers, safe concurrently); the padding
// and the activation are read for their settings, never called, so they need no guard.
func inferFoldedSeq(ws *layers.Workspace, ls []layers.Layer, x *tensor.Tensor) (y *tensor.Tensor, k int, err error) {
	if ws == nil {
		return nil, 0, nil
	}
	var pad layers.Layer
	h := 0
	if len(ls) >= 3 && layers.CanPad(ls[0], ls[1]) {
		pad, h = ls[0], 1
	}
	if len(ls) < h+2 || !layers.CanFold(ls[h], ls[h+1], nil) {
		return nil, 0, nil
	}
	k = h + 2
	var act layers.Layer
	if len(ls) > k && layers.CanFold(ls[h], ls[h+1], ls[k]) {
		act = ls[k]
		k++
	}
	y, err = layers.InferFolded(ws, pad, ls[h], ls[h+1], act, x)
	if err != nil {
		return nil, 0, layerErr(-1, ls[h].Name(), ls[h].Class(), err)
	}
	return y, k, nil
}

// adoptInputShape builds an unbuilt model for inputs of shape in (without the batch), as
// Keras builds a model on its first call. A model with a declared shape keeps it (Predict
// then checks the input against it).
func (m *Model) adoptInputShape(in []int) error {
	if m.in.shape != nil && !slices.Contains(m.in.shape, -1) {
		return m.buildAll(m.in.shape, m.in.kind)
	}
	if m.in.shape != nil { // declared with unknown dimensions: the known ones must match
		if len(m.in.shape) != len(in) {
			return inputShapeErr(append([]int{-1}, in...), m.in.batch, m.in.shape)
		}
		for i, d := range m.in.shape {
			if d >= 0 && d != in[i] {
				return inputShapeErr(append([]int{-1}, in...), m.in.batch, m.in.shape)
			}
		}
	}
	return m.buildAll(slices.Clone(in), inputBuilt)
}

func rowLen(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// inputShapeErr reports an input of shape got (with its batch dimension) that does not fit
// the model's input (batch, shape).
func inputShapeErr(got []int, batch int, shape []int) error {
	return fmt.Errorf("%w: input shape %s, the model expects %s", ErrShape, tensor.ShapeString(got), shapeString(batch, shape))
}

// checkDst checks a PredictInto destination against the output shape for n samples.
func checkDst(dst *tensor.Tensor, n int, shape []int) error {
	if len(dst.Shape) != len(shape)+1 || dst.Shape[0] != n || !slices.Equal(dst.Shape[1:], shape) {
		return fmt.Errorf("%w: destination of shape %s for an output of %s", ErrShape, tensor.ShapeString(dst.Shape), shapeString(n, shape))
	}
	return nil
}
