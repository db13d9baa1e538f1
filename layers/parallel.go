package layers

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// spinFor bounds how long a worker that has just finished a job polls the queue for the next
// one before it parks, and how long parallelFor's caller polls for the last chunks before it
// parks. A hand-off to a parked goroutine costs a futex wake-up and a scheduling
// delay of some microseconds, which at small sizes (the seed model at batch 32: ~0.2 ms for
// the whole Predict) is a visible share of the wall time. The spin is bounded per hand-off,
// so an idle process burns at most spinFor of CPU per worker after its last job. 0 disables
// it. KERASGO_SPIN_US overrides it (for experiments).
var spinFor = func() time.Duration {
	if v, err := strconv.Atoi(os.Getenv("KERASGO_SPIN_US")); err == nil && v >= 0 {
		return time.Duration(v) * time.Microsecond
	}
	return 50 * time.Microsecond
}()

// spinUntil polls done until it returns true or spinFor has passed; it reports whether done
// returned true. The clock is read only every few polls.
func spinUntil(done func() bool) bool {
	if spinFor <= 0 {
		return false
	}
	start := time.Now()
	for i := 1; ; i++ {
		if done() {
			return true
		}
		if i%16 == 0 {
			if time.Since(start) >= spinFor {
				return false
			}
		}
	}
}

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
	j.left.Store(int32(w))
	j.done.Lock() // unlocked by whoever finishes the last chunk
	pool.wake(j, min(w-1, runtime.GOMAXPROCS(0)-1))
	j.run()
	// The chunks left are running on workers: poll for them briefly before parking.
	spinUntil(func() bool { return j.left.Load() == 0 })
	j.done.Lock()
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
	left     atomic.Int32 // chunks not yet finished
	done     sync.Mutex   // locked until left reaches 0 (a WaitGroup would not fit 48 bytes)
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
	defer func() {
		if j.left.Add(-1) == 0 {
			j.done.Unlock()
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			j.panicked.CompareAndSwap(nil, &panicValue{r})
		}
	}()
	w := int(j.chunks)
	j.fn(i, i*j.n/w, (i+1)*j.n/w)
}

// workerPool is a set of goroutines, started once and grown with GOMAXPROCS, that help run
// parallelFor jobs. A worker that finishes a job polls the queue for up to spinFor before it
// blocks on the channel; nothing spins longer than that.
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
	for {
		j := p.poll()
		if j == nil {
			j = <-p.jobs
		}
		j.run()
	}
}

// poll returns a job from the queue if one arrives within spinFor, else nil.
func (p *workerPool) poll() *job {
	if spinFor <= 0 {
		return nil
	}
	start := time.Now()
	for i := 1; ; i++ {
		select {
		case j := <-p.jobs:
			return j
		default:
		}
		if i%16 == 0 && time.Since(start) >= spinFor {
			return nil
		}
	}
}
