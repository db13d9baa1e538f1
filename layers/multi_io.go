package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/tensor"
)

// MultiIO is implemented by layers whose call can take tensors beside its main input (a
// recurrent layer's initial_state) or return several tensors (a recurrent layer's
// return_state: the output, then the final states). Package model calls a layer through it
// whenever MultiIO reports true for the number of tensors of the call; the outputs are then
// numbered as Keras numbers them (tensor_index in configs: [layer, node, tensor]).
type MultiIO interface {
	Layer
	// MultiIO reports whether a call on nIn tensors goes through this interface.
	MultiIO(nIn int) bool
	// OutputShapesIO returns the shape of every output of a call on tensors of shapes in
	// (the main input first), without the batch dimension. The layer is built for in[0].
	OutputShapesIO(in [][]int) ([][]int, error)
	// ForwardIO runs one call; mask is the main input's Keras mask (nil: none).
	ForwardIO(xs []*tensor.Tensor, mask []bool, training bool) ([]*tensor.Tensor, error)
	// BackwardIO takes dL/dy of every output of the last training ForwardIO (nil: zero)
	// and returns dL/dx of every input.
	BackwardIO(dys []*tensor.Tensor) ([]*tensor.Tensor, error)
}

// NumStates is the number of state tensors of a recurrent layer: 2 for an LSTM (h, c), else 1.
func (l *rnn) NumStates() int {
	if l.kind == kindLSTM {
		return 2
	}
	return 1
}

// ReturnState reports whether the layer also returns its final states.
func (l *rnn) ReturnState() bool { return l.returnState }

// MultiIO reports true when the layer returns its states or is given initial states.
func (l *rnn) MultiIO(nIn int) bool { return l.returnState || nIn > 1 }

// OutputShapesIO returns the output's shape, then with return_state one (units) per state.
// Initial states, when given, must be (units) each.
func (l *rnn) OutputShapesIO(in [][]int) ([][]int, error) {
	if len(in) == 0 {
		return nil, layerErr(ErrShape, l.class, l.name, "called on no tensors")
	}
	if len(in) > 1 && len(in) != 1+l.NumStates() {
		return nil, layerErr(ErrShape, l.class, l.name, "called with %d initial states, the layer has %d", len(in)-1, l.NumStates())
	}
	for i, s := range in[1:] {
		if !slices.Equal(s, []int{l.units}) {
			return nil, layerErr(ErrShape, l.class, l.name, "initial state %d has shape %s, want (None, %d)", i, tensor.ShapeString(s), l.units)
		}
	}
	y, err := l.OutputShape(in[0])
	if err != nil {
		return nil, err
	}
	out := [][]int{y}
	if l.returnState {
		for range l.NumStates() {
			out = append(out, []int{l.units})
		}
	}
	return out, nil
}

// stateData checks an initial state tensor (batch, units) and returns its data.
func (l *rnn) stateData(x *tensor.Tensor, batch int, i int) ([]float32, error) {
	if x == nil || x.DType != tensor.Float32 || !slices.Equal(x.Shape, []int{batch, l.units}) {
		shape := "nil"
		if x != nil {
			shape = tensor.ShapeString(x.Shape)
		}
		return nil, layerErr(ErrShape, l.class, l.name, "initial state %d has shape %s, want (%d, %d)", i, shape, batch, l.units)
	}
	return x.Float32s(), nil
}

// ForwardIO runs the layer from the given initial states (xs[1:], zeros when absent) and
// returns the output, then with return_state the final states (h, then c for an LSTM).
func (l *rnn) ForwardIO(xs []*tensor.Tensor, mask []bool, training bool) ([]*tensor.Tensor, error) {
	if len(xs) == 0 || xs[0] == nil || len(xs[0].Shape) == 0 {
		return nil, layerErr(ErrShape, l.class, l.name, "called on no tensor")
	}
	if len(xs) > 1 && len(xs) != 1+l.NumStates() {
		return nil, layerErr(ErrShape, l.class, l.name, "called with %d initial states, the layer has %d", len(xs)-1, l.NumStates())
	}
	B := xs[0].Shape[0]
	var h0, c0 []float32
	var err error
	if len(xs) > 1 {
		if h0, err = l.stateData(xs[1], B, 0); err != nil {
			return nil, err
		}
		if l.kind == kindLSTM {
			if c0, err = l.stateData(xs[2], B, 1); err != nil {
				return nil, err
			}
		}
	}
	l.mask = mask
	defer func() { l.mask = nil }()
	y, h, c, err := l.forwardState(xs[0], h0, c0, training)
	if err != nil {
		return nil, err
	}
	if l.cache != nil {
		l.cache.nIn = len(xs)
	}
	out := []*tensor.Tensor{y}
	if l.returnState {
		out = append(out, tensor.MustFromFloat32([]int{B, l.units}, h))
		if l.kind == kindLSTM {
			out = append(out, tensor.MustFromFloat32([]int{B, l.units}, c))
		}
	}
	return out, nil
}

// BackwardIO returns dL/dx and, when the call was given initial states, their gradients.
func (l *rnn) BackwardIO(dys []*tensor.Tensor) ([]*tensor.Tensor, error) {
	c := l.cache
	if c == nil {
		return nil, layerErr(ErrShape, l.class, l.name, "Backward without a training Forward")
	}
	want := 1
	if l.returnState {
		want += l.NumStates()
	}
	if len(dys) != want {
		return nil, layerErr(ErrShape, l.class, l.name, "%d output gradients for %d outputs", len(dys), want)
	}
	B := c.batch
	dy := dys[0]
	if dy == nil {
		dy = tensor.MustFromFloat32(slices.Clone(c.yShape), make([]float32, tensorLen(c.yShape)))
	}
	var dhT, dcT []float32
	var err error
	if len(dys) > 1 && dys[1] != nil {
		if dhT, err = l.stateData(dys[1], B, 0); err != nil {
			return nil, err
		}
	}
	if len(dys) > 2 && dys[2] != nil {
		if dcT, err = l.stateData(dys[2], B, 1); err != nil {
			return nil, err
		}
	}
	dx, dh0, dc0, err := l.backwardState(dy, dhT, dcT)
	if err != nil {
		return nil, err
	}
	out := []*tensor.Tensor{dx}
	if c.nIn > 1 {
		out = append(out, tensor.MustFromFloat32([]int{B, l.units}, dh0))
		if l.kind == kindLSTM {
			out = append(out, tensor.MustFromFloat32([]int{B, l.units}, dc0))
		}
	}
	return out, nil
}

// stateful is what Bidirectional needs of an inner layer returning its states.
type stateful interface {
	MultiIO
	ReturnState() bool
	NumStates() int
}

func (l *Bidirectional) innerStates() (stateful, stateful, bool) {
	f, ok1 := l.fwd.layer.(stateful)
	b, ok2 := l.bwd.layer.(stateful)
	if !ok1 || !ok2 || !f.ReturnState() {
		return nil, nil, false
	}
	return f, b, true
}

// NumStates is the number of initial states a call takes: the forward layer's, then the
// backward layer's (Keras splits initial_state in halves).
func (l *Bidirectional) NumStates() int {
	f, ok := l.fwd.layer.(stateful)
	if !ok {
		return 0
	}
	return 2 * f.NumStates()
}

// MultiIO reports true when the wrapped layer returns its states (return_state): the
// outputs are the merged output, then the forward layer's states, then the backward layer's;
// or when the call passes initial states (the forward layer's, then the backward layer's).
// With merge_mode None every call goes through it (two outputs at least).
func (l *Bidirectional) MultiIO(nIn int) bool {
	_, _, ok := l.innerStates()
	return ok || nIn > 1 || l.merge == mergeNone
}

// MaskedOutputsIO is implemented by MultiIO layers passing their input's Keras mask on to
// more outputs than the first: MaskedOutputs returns how many outputs, from the first, carry
// it when the layer passes a mask (layers.MaskPasser).
type MaskedOutputsIO interface {
	MaskedOutputs() int
}

// MaskedOutputs is 2 with merge_mode None (the forward and backward sequences carry the
// mask, as Keras's compute_mask gives it), else 1.
func (l *Bidirectional) MaskedOutputs() int {
	if l.merge == mergeNone {
		return 2
	}
	return 1
}

// splitStates splits a call's tensors into the forward layer's call (the main input and the
// first half of the initial states) and the backward layer's (the main input and the second
// half).
func splitStates[T any](l *Bidirectional, xs []T) ([]T, []T, error) {
	if len(xs) == 1 {
		return xs, xs, nil
	}
	if k := l.NumStates(); len(xs) != 1+k {
		return nil, nil, layerErr(ErrShape, "Bidirectional", l.name, "called with %d initial states, the forward and backward layers have %d", len(xs)-1, k)
	}
	h := 1 + (len(xs)-1)/2
	f := append([]T{xs[0]}, xs[1:h]...)
	b := append([]T{xs[0]}, xs[h:]...)
	return f, b, nil
}

// OutputShapesIO returns the merged output's shape (merge_mode None: the forward and
// backward outputs'), then with return_state the states' shapes
// (forward, then backward). Initial states, when given, must be the inner layer's, twice.
func (l *Bidirectional) OutputShapesIO(in [][]int) ([][]int, error) {
	if len(in) == 0 {
		return nil, layerErr(ErrShape, "Bidirectional", l.name, "called on no tensors")
	}
	fin, bin, err := splitStates(l, in)
	if err != nil {
		return nil, err
	}
	y, err := l.OutputShape(in[0])
	if err != nil {
		return nil, err
	}
	out := [][]int{y}
	if l.merge == mergeNone {
		out = append(out, slices.Clone(y))
	}
	f, ok1 := l.fwd.layer.(stateful)
	b, ok2 := l.bwd.layer.(stateful)
	if !ok1 || !ok2 {
		if len(in) > 1 {
			return nil, layerErr(ErrUnsupported, "Bidirectional", l.name, "initial_state of %s", l.fwd.layer.Class())
		}
		return out, nil
	}
	fs, err := f.OutputShapesIO(fin)
	if err != nil {
		return nil, err
	}
	bs, err := b.OutputShapesIO(bin)
	if err != nil {
		return nil, err
	}
	if f.ReturnState() {
		out = append(out, fs[1:]...)
		out = append(out, bs[1:]...)
	}
	return out, nil
}

// ForwardIO runs both layers (each from its half of the initial states, when given) and
// returns the merged output (merge_mode None: the forward layer's, then the backward
// layer's, in time order with return_sequences), then with return_state the forward layer's final states and the
// backward layer's.
func (l *Bidirectional) ForwardIO(xs []*tensor.Tensor, mask []bool, training bool) ([]*tensor.Tensor, error) {
	if len(xs) == 0 {
		return nil, layerErr(ErrShape, "Bidirectional", l.name, "called on no tensor")
	}
	f, ok1 := l.fwd.layer.(stateful)
	b, ok2 := l.bwd.layer.(stateful)
	if len(xs) == 1 && (!ok1 || !ok2 || !f.ReturnState()) {
		yf, yb, err := l.run(xs[0], mask, training)
		if err != nil {
			return nil, err
		}
		return l.outputs(yf, yb, training), nil
	}
	if !ok1 || !ok2 {
		return nil, layerErr(ErrUnsupported, "Bidirectional", l.name, "initial_state of %s", l.fwd.layer.Class())
	}
	fx, bx, err := splitStates(l, xs)
	if err != nil {
		return nil, err
	}
	if err := checkInput(xs[0], l.inShape, "Bidirectional", l.name); err != nil {
		return nil, err
	}
	of, err := f.ForwardIO(fx, mask, training)
	if err != nil {
		return nil, err
	}
	ob, err := b.ForwardIO(bx, mask, training)
	if err != nil {
		return nil, err
	}
	l.nIn = len(xs)
	out := l.outputs(of[0], ob[0], training)
	out = append(out, of[1:]...)
	return append(out, ob[1:]...), nil
}

// BackwardIO splits the merged output's gradient between the layers (merge_mode None: each
// output's goes to its layer), hands each its states'
// gradients and sums their dL/dx; with initial states it also returns their gradients
// (forward, then backward).
func (l *Bidirectional) BackwardIO(dys []*tensor.Tensor) ([]*tensor.Tensor, error) {
	f, ok1 := l.fwd.layer.(stateful)
	b, ok2 := l.bwd.layer.(stateful)
	nOut := 1
	if l.merge == mergeNone {
		nOut = 2
	}
	if !ok1 || !ok2 || (!f.ReturnState() && l.nIn < 2) {
		if len(dys) != nOut {
			return nil, layerErr(ErrShape, "Bidirectional", l.name, "%d output gradients for %d outputs", len(dys), nOut)
		}
		if nOut == 1 {
			dx, err := l.Backward(dys[0])
			return []*tensor.Tensor{dx}, err
		}
		dyf, dyb, err := l.unmergedGrads(dys[0], dys[1])
		if err != nil {
			return nil, err
		}
		dxf, err := l.fwd.layer.Backward(dyf)
		if err != nil {
			return nil, err
		}
		dxb, err := l.bwd.layer.Backward(dyb)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{addTensors(dxf, dxb)}, nil
	}
	k := 0
	if f.ReturnState() {
		k = f.NumStates()
	}
	if len(dys) != nOut+2*k || l.yf == nil {
		return nil, layerErr(ErrShape, "Bidirectional", l.name, "%d output gradients for %d outputs (or no training forward)", len(dys), nOut+2*k)
	}
	var dyf, dyb *tensor.Tensor
	if nOut == 2 {
		var err error
		if dyf, dyb, err = l.unmergedGrads(dys[0], dys[1]); err != nil {
			return nil, err
		}
	} else {
		dy := dys[0]
		if dy == nil {
			shape := slices.Clone(l.yf.Shape)
			if l.merge == "concat" {
				shape[len(shape)-1] *= 2
			}
			dy = tensor.MustFromFloat32(shape, make([]float32, tensorLen(shape)))
		}
		dyf, dyb = l.splitGrad(dy)
	}
	dxf, err := f.BackwardIO(append([]*tensor.Tensor{dyf}, dys[nOut:nOut+k]...))
	if err != nil {
		return nil, err
	}
	dxb, err := b.BackwardIO(append([]*tensor.Tensor{dyb}, dys[nOut+k:]...))
	if err != nil {
		return nil, err
	}
	out := []*tensor.Tensor{addTensors(dxf[0], dxb[0])}
	out = append(out, dxf[1:]...)
	return append(out, dxb[1:]...), nil
}

// unmergedGrads checks the gradients of merge_mode None's two outputs (nil: zero) and returns
// them as the forward and backward layers' output gradients (the backward one in its
// processing order).
func (l *Bidirectional) unmergedGrads(df, db *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor, error) {
	if l.yf == nil {
		return nil, nil, layerErr(ErrShape, "Bidirectional", l.name, "Backward without a training Forward")
	}
	shape := l.yf.Shape
	grad := func(d *tensor.Tensor, which string) (*tensor.Tensor, error) {
		if d == nil {
			return tensor.MustFromFloat32(slices.Clone(shape), make([]float32, tensorLen(shape))), nil
		}
		if d.DType != tensor.Float32 || !tensor.SameShape(d.Shape, shape) {
			return nil, layerErr(ErrShape, "Bidirectional", l.name, "%s output's gradient shape mismatch, want %s", which, tensor.ShapeString(shape))
		}
		return d, nil
	}
	gf, err := grad(df, "forward")
	if err != nil {
		return nil, nil, err
	}
	gb, err := grad(db, "backward")
	if err != nil {
		return nil, nil, err
	}
	if l.returnSeq() {
		gb = reverseTime(gb)
	}
	return gf, gb, nil
}

// StateCallKwargs is implemented by the layers whose tf_keras configs record keyword
// arguments with every tensor of a call given initial states (Bidirectional: its unset
// initial_state and constants, as its __call__ passes them on).
type StateCallKwargs interface {
	StateCallKwargs() map[string]any
}

// StateCallKwargs returns {"initial_state": null, "constants": null}.
func (l *Bidirectional) StateCallKwargs() map[string]any {
	return map[string]any{"initial_state": nil, "constants": nil}
}
