package layers

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// chunksPerProc is how many chunks parallelFor makes per GOMAXPROCS: chunks are handed out
// one at a time to whichever goroutine is free, so when another process holds a core the
// others take over its share instead of waiting for one big static chunk.
const chunksPerProc = 4

// parallelFor splits [0, n) into workers(n) contiguous chunks and calls fn once for each,
// concurrently, on the caller's goroutine and the package's persistent worker goroutines.
// worker is the chunk index, in [0, workers(n)): per-chunk buffers and partial sums indexed
// by it are never shared. It returns when every chunk has finished. Calls may nest (fn may
// call parallelFor): a caller never waits for a chunk that nobody has started, it runs it
// itself. A panic in fn is re-raised on the caller's goroutine.
func parallelFor(n int, fn func(worker, lo, hi int)) {
	w := workers(n)
	if w <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	j := &job{fn: fn, n: n, chunks: int32(w)}
	j.wg.Add(w)
	pool.wake(j, min(w-1, runtime.GOMAXPROCS(0)-1))
	j.run()
	j.wg.Wait()
	// A worker that dequeues j late claims nothing and never reads fn: drop the closure
	// (and whatever it holds) now rather than when the queue entry goes.
	j.fn = nil
	if p := j.panicked.Load(); p != nil {
		panic(p.v)
	}
}

// workers is the number of chunks parallelFor uses for n items: 1 with one processor,
// else chunksPerProc per processor, at most n.
func workers(n int) int {
	p := runtime.GOMAXPROCS(0)
	if p <= 1 {
		return min(max(n, 0), 1)
	}
	return max(min(chunksPerProc*p, n), 1)
}

// job is one parallelFor call: chunks are claimed through next until none is left.
type job struct {
	fn       func(worker, lo, hi int)
	n        int
	chunks   int32
	next     atomic.Int32
	wg       sync.WaitGroup
	panicked atomic.Pointer[panicValue]
}

type panicValue struct{ v any }

// run claims and runs chunks until every chunk has been claimed.
func (j *job) run() {
	for {
		i := j.next.Add(1) - 1
		if i >= j.chunks {
			return
		}
		j.runChunk(int(i))
	}
}

func (j *job) runChunk(i int) {
	defer j.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			j.panicked.CompareAndSwap(nil, &panicValue{r})
		}
	}()
	w := int(j.chunks)
	j.fn(i, i*j.n/w, (i+1)*j.n/w)
}

// workerPool is a set of goroutines, started once and grown with GOMAXPROCS, that help run
// parallelFor jobs. Nothing spins: idle workers block on the channel.
type workerPool struct {
	mu      sync.Mutex
	started int
	jobs    chan *job
}

var pool = &workerPool{jobs: make(chan *job, 64)}

// wake offers j to k workers through a buffered queue. An offer is never waited for: the
// caller runs the chunks itself meanwhile, and a worker that picks the job up late finds every
// chunk claimed and moves on.
func (p *workerPool) wake(j *job, k int) {
	p.ensure(runtime.GOMAXPROCS(0) - 1)
	for range k {
		select {
		case p.jobs <- j:
		default:
			return
		}
	}
}

// ensure starts workers until there are n.
func (p *workerPool) ensure(n int) {
	p.mu.Lock()
	for p.started < n {
		p.started++
		go p.loop()
	}
	p.mu.Unlock()
}

func (p *workerPool) loop() {
	for j := range p.jobs {
		j.run()
	}
}
