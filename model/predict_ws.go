package model

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// Concurrent Predict. Each Predict, PredictN and PredictInto call takes a workspace
// (predictWS) from the model's free list, or makes one when all are in use, and gives it
// back after: the workspace holds the layers' inference buffers for that call
// (layers.Workspace), the batch headers and a Functional model's per-call graph state, so
// that calls on one model share nothing mutable and run at once, each layer splitting its
// work over the worker pool. The free list keeps at most GOMAXPROCS workspaces; a warm call
// allocates no tensor data.
//
// The layers' weights are read only during Predict. What may write the model runs alone:
//   - the first Predict after the model changed (a training step, a change of layers or
//     weights), which builds a model not built yet and lets the layers drop what a training
//     Forward cached (their inference Forward writes nothing else);
//   - every Predict of a model with a layer under a float16/bfloat16 policy (its inference
//     rounds the weights in place: layers.InferMutates);
//   - a training step (Fit, TrainOnBatch) and an evaluation batch (Evaluate, Fit's
//     validation): a Predict from another goroutine waits for the step and sees the weights
//     between two steps. Callbacks run between steps, so they may call Predict.
//
// A model whose inputs have unknown dimensions besides the batch runs inputs of other shapes
// on twins (model/dynshape.go); calls on twins take turns.

// runState is the concurrency state of a model (the zero value is ready).
type runState struct {
	mu    sync.RWMutex
	clean atomic.Bool // set by a Predict that ran alone, cleared when the model changes
	free  struct {
		sync.Mutex
		ws []*predictWS
	}
	made atomic.Int32 // workspaces made (tests)
	// guards holds a mutex per layer (of the model and the models it holds as layers) whose
	// inference Forward may write the layer (not layers.InferPure): concurrent calls take
	// turns on that layer only. Made by a Predict that runs alone, read by the others.
	guards map[layers.Layer]*sync.Mutex
	// hook, when set (tests), runs inside each Predict's computation, workspace held.
	hook func()
}

// predictWS is one Predict call's workspace.
type predictWS struct {
	lw    *layers.Workspace
	hdr   tensor.Tensor    // a Sequential batch's header when it is part of the input
	hdrs  []tensor.Tensor  // a Functional model's batch headers, one per input
	batch []*tensor.Tensor // a Functional model's batch, one per input
	ys    []*tensor.Tensor // a Functional model's outputs of one batch
	one   [2][1]*tensor.Tensor
	ins   []*tensor.Tensor // a Functional model's checked inputs
}

// dirty records that the model changed: the next Predict runs alone.
func (m *Model) dirty() { m.run.clean.Store(false) }

// beginPredict takes a workspace and the model's run lock, shared unless the call must run
// alone (see above); endPredict gives them back.
func (m *Model) beginPredict() (ws *predictWS, alone bool) {
	for {
		if !m.run.clean.Load() || m.inferMutates() {
			m.run.mu.Lock()
			alone = true
			break
		}
		m.run.mu.RLock()
		if m.run.clean.Load() { // a training step may have come in between
			break
		}
		m.run.mu.RUnlock()
	}
	f := &m.run.free
	f.Lock()
	if n := len(f.ws); n > 0 {
		ws = f.ws[n-1]
		f.ws[n-1] = nil
		f.ws = f.ws[:n-1]
	}
	f.Unlock()
	if ws == nil {
		ws = &predictWS{lw: layers.NewWorkspace()}
		m.run.made.Add(1)
	}
	if alone {
		m.run.guards = map[layers.Layer]*sync.Mutex{}
		m.addGuards(m.run.guards)
	}
	ws.lw.SetAux(guardsKey{}, m.run.guards)
	if h := m.run.hook; h != nil {
		h()
	}
	return ws, alone
}

// endPredict ends a call beginPredict began; ok tells it succeeded (then a call that ran
// alone leaves the model clean).
func (m *Model) endPredict(ws *predictWS, alone, ok bool) {
	clear(ws.ins) // keep no caller's tensor
	clear(ws.batch)
	f := &m.run.free
	f.Lock()
	if len(f.ws) < runtime.GOMAXPROCS(0) {
		f.ws = append(f.ws, ws)
	}
	f.Unlock()
	if alone {
		if ok {
			m.run.clean.Store(true)
		}
		m.run.mu.Unlock()
	} else {
		m.run.mu.RUnlock()
	}
}

// beginAlone holds the model alone (a training step, an evaluation batch) and marks it
// changed; endAlone releases it.
func (m *Model) beginAlone() {
	m.run.mu.Lock()
	m.dirty()
}

func (m *Model) endAlone() { m.run.mu.Unlock() }

// inferMutates reports whether a layer of the model (or of a model it holds as a layer)
// writes its weights in inference (layers.InferMutates).
func (m *Model) inferMutates() bool {
	for _, l := range m.layers {
		if layers.InferMutates(l) {
			return true
		}
		if n, ok := l.(*Nested); ok && n.m.inferMutates() {
			return true
		}
	}
	return false
}

// guardsKey is the key of a Predict's layer guards in its layers.Workspace.
type guardsKey struct{}

// addGuards adds a mutex for each of m's layers that is not layers.InferPure, and for those
// of the models m holds as layers.
func (m *Model) addGuards(g map[layers.Layer]*sync.Mutex) {
	for _, l := range m.layers {
		if n, ok := l.(*Nested); ok {
			n.m.addGuards(g)
		} else if !layers.InferPure(l) && g[l] == nil {
			g[l] = new(sync.Mutex)
		}
	}
}

// guardOf returns the mutex an inference call of l holds in a concurrent Predict using ws
// (nil: none needed).
func guardOf(ws *layers.Workspace, l layers.Layer) *sync.Mutex {
	if ws == nil {
		return nil
	}
	g, _ := ws.Aux(guardsKey{}, noGuards).(map[layers.Layer]*sync.Mutex)
	return g[l]
}

func noGuards() any { return map[layers.Layer]*sync.Mutex(nil) }

// fnRunOf returns the graph state of one call of g in ws (nil ws: a fresh one).
func fnRunOf(ws *layers.Workspace, g *graph) *fnRun {
	if ws == nil {
		return &fnRun{vals: map[*KerasTensor]*tensor.Tensor{}}
	}
	r := ws.Aux(g, newFnRun).(*fnRun)
	r.ws = ws
	return r
}

func newFnRun() any { return &fnRun{vals: map[*KerasTensor]*tensor.Tensor{}} }

// rowsInto makes hdr a view of rows [lo, hi) of the float32 tensor t and returns it.
func rowsInto(hdr *tensor.Tensor, t *tensor.Tensor, lo, hi int) *tensor.Tensor {
	row := rowLen(t.Shape[1:])
	layers.SetFloat32View(hdr, t.Float32s()[lo*row:hi*row], hi-lo)
	hdr.Shape = append(hdr.Shape, t.Shape[1:]...)
	return hdr
}
