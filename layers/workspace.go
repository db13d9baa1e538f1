package layers

import "github.com/kerasgo/kerasgo/tensor"

// Workspace holds the inference buffers of one caller: package model gives each concurrent
// Predict its own (from a per-model free list), so that several goroutines run one model at
// once with no lock and no shared buffer, and a warm call allocates no tensor data.
//
// The layers' buffer API is small: a layer whose inference Forward reuses buffers keeps an
// inferBufs value as the key of its buffers and, in inference, takes them with
// ws.acquire(&l.infer) and gives them back with ws.release(b). With a Workspace that returns
// the workspace's own set for that layer (reused by the workspace's next call, no lock);
// without one (plain Forward(x, false)) it returns the layer's own set, locked, or fresh
// buffers when a concurrent call holds it, and the output buffers (b.out) are then fresh
// allocations, owned by the caller. So:
//
//   - Forward(x, false) of any layer returns a result the caller owns, and is safe to call
//     concurrently with other inference Forwards of the layer;
//   - Infer(ws, l, x) (ForwardWS) returns a result valid until the next use of ws for l;
//     one Workspace is for one goroutine at a time.
//
// A layer's inference Forward writes nothing else in the layer (it may clear what a training
// Forward cached, but only when it is set, which package model does first on its own:
// see model.Predict), and reads its weights only.
type Workspace struct {
	sets map[*inferBufs]*inferBufs
	aux  map[any]any
}

// NewWorkspace returns an empty Workspace.
func NewWorkspace() *Workspace { return &Workspace{sets: map[*inferBufs]*inferBufs{}} }

// acquire returns the buffers of one inference call of the layer whose own buffers are own.
func (ws *Workspace) acquire(own *inferBufs) *inferBufs {
	if ws == nil {
		b := own.acquire()
		b.fresh = true
		return b
	}
	b := ws.sets[own]
	if b == nil {
		b = &inferBufs{}
		ws.sets[own] = b
	}
	return b
}

// release gives back buffers acquire returned.
func (ws *Workspace) release(b *inferBufs) {
	if ws == nil {
		b.fresh = false
		b.release()
	}
}

// WorkspaceForwarder is implemented by layers that reuse buffers in inference (Conv2D,
// MaxPooling2D, BatchNormalization, Dense, a model used as a layer): ForwardWS is
// Forward(x, false) with the buffers of ws.
type WorkspaceForwarder interface {
	ForwardWS(ws *Workspace, x *tensor.Tensor) (*tensor.Tensor, error)
}

// WorkspaceForwarderN is WorkspaceForwarder for multi-input layers (the merge layers).
type WorkspaceForwarderN interface {
	ForwardNWS(ws *Workspace, xs []*tensor.Tensor) (*tensor.Tensor, error)
}

// Infer is Forward(l, x, false) with the buffers of ws (nil: Forward's own). A layer under a
// float16/bfloat16 policy runs through Forward, which rounds its weights in place for the
// call (see InferMutates).
func Infer(ws *Workspace, l Layer, x *tensor.Tensor) (*tensor.Tensor, error) {
	if wf, ok := l.(WorkspaceForwarder); ok && ws != nil && policyRound(PolicyOf(l)) == nil {
		return wf.ForwardWS(ws, x)
	}
	return Forward(l, x, false)
}

// InferN is ForwardN(l, xs, false) with the buffers of ws, as Infer.
func InferN(ws *Workspace, l MultiInput, xs []*tensor.Tensor) (*tensor.Tensor, error) {
	if wf, ok := l.(WorkspaceForwarderN); ok && ws != nil && policyRound(PolicyOf(l)) == nil {
		return wf.ForwardNWS(ws, xs)
	}
	return ForwardN(l, xs, false)
}

// InferMutates reports whether an inference Forward of l writes its weights: a layer under a
// float16 or bfloat16 policy rounds them in place for the call and restores them after, so
// such a layer must not run concurrently with another call of it.
func InferMutates(l Layer) bool { return policyRound(PolicyOf(l)) != nil }

// Aux returns the value a caller outside this package keeps in ws under key, made by mk on
// first use (package model keeps a Functional model's per-call graph state there, so that a
// model used as a layer also runs concurrently).
func (ws *Workspace) Aux(key any, mk func() any) any {
	if ws.aux == nil {
		ws.aux = map[any]any{}
	}
	v, ok := ws.aux[key]
	if !ok {
		v = mk()
		ws.aux[key] = v
	}
	return v
}

// SetAux sets the value kept in ws under key (see Aux).
func (ws *Workspace) SetAux(key, v any) {
	if ws.aux == nil {
		ws.aux = map[any]any{}
	}
	ws.aux[key] = v
}

// InferPure reports whether l's inference Forward writes nothing in the layer once a first
// call has cleared what a training Forward cached (the layers with workspace buffers), so
// that calls run concurrently. Other layers may record shapes or caches in any Forward;
// package model runs each of those under a per-layer lock in a concurrent Predict.
func InferPure(l Layer) bool {
	switch l.(type) {
	case WorkspaceForwarder, WorkspaceForwarderN:
		return true
	}
	return false
}
