package model

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// smallAttention is a self-attention block small enough for the race detector:
// MultiHeadAttention (2 heads of 4) on (6, 8) inputs, residual Add, LayerNormalization,
// GlobalAveragePooling1D, Dense.
func smallAttention(tb testing.TB) *Model {
	tb.Helper()
	in := Input(6, 8)
	a := MustApply(layers.NewMultiHeadAttention(2, 4), in.Output(), in.Output())
	x := MustApply(layers.NewLayerNormalization(), MustApply(layers.NewAdd(), in.Output(), a))
	x = MustApply(layers.NewGlobalAveragePooling1D(), x)
	y := MustApply(layers.NewDense(3, layers.DenseOptions{Activation: "softmax"}), x)
	m, err := NewModel([]*KerasTensor{in.Output()}, []*KerasTensor{y})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func randomInput(seed uint64, shape ...int) *tensor.Tensor {
	rng := layers.NewRand(seed)
	n := 1
	for _, d := range shape {
		n *= d
	}
	d := make([]float32, n)
	for i := range d {
		d[i] = rng.Float32()*2 - 1
	}
	return tensor.MustFromFloat32(shape, d)
}

// concurrentCases are the models TestConcurrentPredictModels shares between goroutines.
func concurrentCases(tb testing.TB) []struct {
	name string
	m    *Model
	x    *tensor.Tensor
} {
	return []struct {
		name string
		m    *Model
		x    *tensor.Tensor
	}{
		{"seed", seedModel(), seedInput(5)},
		{"functional", functionalSeed(tb), seedInput(5)},
		{"rnn", rnnModel(), indexInput(5, 6, 9)},
		{"attention", smallAttention(tb), randomInput(7, 5, 6, 8)},
		{"mobile", mobileBlocks(tb), randomInput(3, 5, 16, 16, 6)},
	}
}

// mobileBlocks is a Functional model of the chains inference runs as one pass
// (layers.InferFolded): ZeroPadding2D → DepthwiseConv2D (valid, stride 2) → BatchNormalization
// → ReLU(6), Conv2D 1×1 → BatchNormalization → swish, DepthwiseConv2D (same) →
// BatchNormalization → ReLU with a residual Add, then a squeeze-excite style Multiply.
func mobileBlocks(tb testing.TB) *Model {
	six := 6.0
	in := Input(16, 16, 6)
	x := MustApply(layers.NewZeroPadding2D([2][2]int{{0, 1}, {0, 1}}), in.Output())
	x = MustApply(layers.NewDepthwiseConv2D([2]int{3, 3}, layers.DepthwiseConv2DOptions{Strides: [2]int{2, 2}, NoBias: true}), x)
	x = MustApply(layers.NewBatchNormalization(), x)
	x = MustApply(layers.NewReLU(layers.ReLUOptions{MaxValue: &six}), x)
	x = MustApply(layers.NewConv2D(20, [2]int{1, 1}, layers.Conv2DOptions{NoBias: true}), x)
	x = MustApply(layers.NewBatchNormalization(), x)
	x = MustApply(layers.NewActivation("swish"), x)
	y := MustApply(layers.NewDepthwiseConv2D([2]int{5, 5}, layers.DepthwiseConv2DOptions{Padding: "same"}), x)
	y = MustApply(layers.NewBatchNormalization(), y)
	y = MustApply(layers.NewReLU(), y)
	x = MustApply(layers.NewAdd(), x, y)
	p := MustApply(layers.NewGlobalAveragePooling2D(layers.GlobalPoolingOptions{Keepdims: true}), x)
	x = MustApply(layers.NewMultiply(), x, p)
	x = MustApply(layers.NewGlobalAveragePooling2D(), x)
	out := MustApply(layers.NewDense(4, layers.DenseOptions{Activation: "softmax"}), x)
	m, err := NewModel([]*KerasTensor{in.Output()}, []*KerasTensor{out})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestConcurrentPredictModels shares one model between 8 goroutines (the seed model, a
// Functional model with a branch, a stack of SimpleRNN/GRU/LSTM and a self-attention block),
// each calling Predict, PredictInto and PredictN at two batch sizes: every result equals the
// single-goroutine one bit for bit. Run it with -race too (`go test -race ./model/ -run
// Concurrent`).
func TestConcurrentPredictModels(t *testing.T) {
	for _, c := range concurrentCases(t) {
		t.Run(c.name, func(t *testing.T) {
			n := c.x.Shape[0]
			want := map[int]*tensor.Tensor{}
			for _, bs := range []int{2, n} {
				y, err := c.m.Predict(c.x, PredictOptions{BatchSize: bs})
				if err != nil {
					t.Fatal(err)
				}
				want[bs] = y
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					dst := tensor.MustFromFloat32(want[n].Shape, make([]float32, want[n].Len()))
					for i := range 4 {
						bs := []int{2, n}[(g+i)%2]
						var got *tensor.Tensor
						var err error
						switch i % 3 {
						case 0:
							got, err = c.m.Predict(c.x, PredictOptions{BatchSize: bs})
						case 1:
							err = c.m.PredictInto(dst, c.x, PredictOptions{BatchSize: bs})
							got = dst
						default:
							var ys []*tensor.Tensor
							ys, err = c.m.PredictN([]*tensor.Tensor{c.x}, PredictOptions{BatchSize: bs})
							if err == nil {
								got = ys[0]
							}
						}
						if err != nil {
							errs <- err
							return
						}
						if !slices.Equal(got.Float32s(), want[bs].Float32s()) {
							errs <- fmt.Errorf("goroutine %d call %d (batch size %d): prediction differs from the serial one", g, i, bs)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestConcurrentPredictOverlaps checks that concurrent Predict calls on one model run at
// once (they took turns on a mutex before): a hook inside the call, workspace held, waits
// until two calls are inside together; with calls that take turns the first would wait
// forever (the test gives up after 10 s). The model keeps both workspaces afterwards.
func TestConcurrentPredictOverlaps(t *testing.T) {
	for _, c := range concurrentCases(t)[:2] {
		t.Run(c.name, func(t *testing.T) {
			m := c.m
			if _, err := m.Predict(c.x); err != nil { // the first call runs alone
				t.Fatal(err)
			}
			var inside atomic.Int32
			both := make(chan struct{})
			m.run.hook = func() {
				if inside.Add(1) == 2 {
					close(both)
				}
				select {
				case <-both:
				case <-time.After(10 * time.Second):
				}
			}
			defer func() { m.run.hook = nil }()
			var wg sync.WaitGroup
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := m.Predict(c.x); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			select {
			case <-both:
			default:
				t.Fatal("two concurrent Predict calls never ran at once")
			}
			m.run.free.Lock()
			kept := len(m.run.free.ws)
			m.run.free.Unlock()
			if kept < 2 {
				t.Errorf("the model keeps %d workspaces after two concurrent calls, want 2", kept)
			}
		})
	}
}

// TestConcurrentPredictDuringFit runs Predict from 4 goroutines while Fit trains the model
// (and a callback predicts between batches, as Keras callbacks may): every concurrent
// prediction equals the prediction with the weights of some step boundary (the callback
// records each one), so no Predict saw a half-updated model; -race checks the rest.
func TestConcurrentPredictDuringFit(t *testing.T) {
	m := NewSequential(Input(4),
		layers.NewDense(8, layers.DenseOptions{Activation: "relu"}),
		layers.NewBatchNormalization(),
		layers.NewDense(3, layers.DenseOptions{Activation: "softmax"}))
	if err := m.Compile(CompileOptions{Optimizer: "sgd", Loss: "sparse_categorical_crossentropy"}); err != nil {
		t.Fatal(err)
	}
	x := randomInput(11, 64, 4)
	yd := make([]float32, 64)
	for i := range yd {
		yd[i] = float32(i % 3)
	}
	y := tensor.MustFromFloat32([]int{64, 1}, yd)
	probe := randomInput(12, 3, 4)
	key := func(t *tensor.Tensor) string { return fmt.Sprint(t.Float32s()) }

	var mu sync.Mutex
	seen := map[string]bool{}
	record := func() error {
		p, err := m.Predict(probe)
		if err != nil {
			return err
		}
		mu.Lock()
		seen[key(p)] = true
		mu.Unlock()
		return nil
	}
	if err := record(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var got []string
	var gotMu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				p, err := m.Predict(probe)
				if err != nil {
					t.Error(err)
					return
				}
				gotMu.Lock()
				got = append(got, key(p))
				gotMu.Unlock()
			}
		}()
	}
	// Once, between two steps, wait until the other goroutines predict again, so that some
	// predictions surely fall inside Fit.
	count := func() int { gotMu.Lock(); defer gotMu.Unlock(); return len(got) }
	cb := &batchRecorder{record: func() error {
		if err := record(); err != nil {
			return err
		}
		if len(seen) == 4 {
			c0 := count()
			for end := time.Now().Add(10 * time.Second); count() < c0+4 && time.Now().Before(end); {
				time.Sleep(time.Millisecond)
			}
		}
		return nil
	}}
	_, err := m.Fit(x, y, FitOptions{Epochs: 3, BatchSize: 8, Callbacks: []Callback{cb}})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if cb.n != 24 {
		t.Fatalf("%d batch callbacks, want 24", cb.n)
	}
	if len(seen) < 10 {
		t.Fatalf("only %d distinct predictions over 24 steps: the weights did not change", len(seen))
	}
	if len(got) < 4 {
		t.Fatalf("%d concurrent predictions ran, want at least 4", len(got))
	}
	for i, k := range got {
		if !seen[k] {
			t.Fatalf("concurrent prediction %d of %d matches no step boundary's weights", i, len(got))
		}
	}
	t.Logf("%d concurrent predictions during 24 training steps, all at step boundaries", len(got))
}

// batchRecorder calls record after every training batch.
type batchRecorder struct {
	CallbackBase
	record func() error
	n      int
}

func (b *batchRecorder) OnBatchEnd(_ *Model, _ int, _ Logs) error {
	b.n++
	return b.record()
}

// BenchmarkPredictParallel runs Predict on the seed model from GOMAXPROCS goroutines
// (b.RunParallel) at batches of 1 and 32 images, with concurrent calls ("concurrent", the
// model's own behaviour) and with every call under one mutex ("serial", as calls were before
// the per-call workspaces). Throughput is images per second; cpu-s/op the process's CPU
// seconds per call.
func BenchmarkPredictParallel(b *testing.B) {
	for _, n := range []int{1, 32} {
		for _, mode := range []string{"concurrent", "serial"} {
			b.Run(fmt.Sprintf("batch%d/%s", n, mode), func(b *testing.B) {
				m := seedModel()
				x := seedInput(n)
				if _, err := m.Predict(x); err != nil {
					b.Fatal(err)
				}
				var mu sync.Mutex
				b.ReportAllocs()
				b.ResetTimer()
				cpu := startCPU()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if mode == "serial" {
							mu.Lock()
						}
						_, err := m.Predict(x, PredictOptions{BatchSize: n})
						if mode == "serial" {
							mu.Unlock()
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "images/s")
				cpu.report(b)
			})
		}
	}
}

// TestFoldedChainsPredict checks that Predict of mobileBlocks runs its three chains as one
// pass each (planFolds: three heads, one with its ZeroPadding2D) and predicts what the
// layers one by one do (the graph's forward without a workspace), within swish's ulp.
func TestFoldedChainsPredict(t *testing.T) {
	m := mobileBlocks(t)
	x := randomInput(3, 5, 16, 16, 6)
	got, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	r := newFnRun().(*fnRun)
	m.fn.planFolds(r)
	pads := 0
	for n, st := range r.folds {
		if st.pad == n {
			pads++
		}
	}
	if len(r.folds)-pads != 3 || pads != 1 {
		t.Errorf("planFolds: %d chains and %d padded, want 3 and 1", len(r.folds)-pads, pads)
	}
	ys, _, err := m.fn.forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range ys[0].Float32s() {
		if d := math.Abs(float64(got.Float32s()[i] - v)); d > 1e-6*math.Abs(float64(v)) {
			t.Fatalf("[%d] = %v folded, %v layer by layer", i, got.Float32s()[i], v)
		}
	}
}
