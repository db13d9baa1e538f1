package checkpoint

import (
	"fmt"
	"sync"

	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/tensor"
)

// maxWriterShards bounds WriterOptions.NumShards (TensorFlow's file names have 5 digits).
const maxWriterShards = 4096

// parallel is the shard goroutines of a Writer with NumShards > 1: each owns one data shard
// and writes the tensors sent to it, in the order they were added.
type parallel struct {
	jobs    []chan job
	planned []int64 // bytes given to each shard so far
	errs    []error // each goroutine's first error, read after wg.Wait
	wg      sync.WaitGroup
	stop    chan struct{}
	once    sync.Once
}

type job struct {
	e *tfpb.BundleEntryProto
	t *tensor.Tensor
	n int64
}

// startParallel starts one goroutine per shard. A shard's goroutine also flushes and syncs its
// file once its last tensor is written, so that the shards' syncs overlap too.
func (w *Writer) startParallel() {
	p := &parallel{stop: make(chan struct{})}
	n := len(w.shards)
	p.jobs, p.planned, p.errs = make([]chan job, n), make([]int64, n), make([]error, n)
	doSync := !w.opts.NoSync
	for i, s := range w.shards {
		ch := make(chan job, 1)
		p.jobs[i] = ch
		p.wg.Add(1)
		go func(i int, s *shardFile) {
			defer p.wg.Done()
			for j := range ch {
				if p.errs[i] != nil {
					continue // drain
				}
				if err := s.write(j.e, int32(i), j.t, j.n); err != nil {
					p.errs[i] = fmt.Errorf("%s: %w", s.tmp, err)
				}
			}
			if p.errs[i] != nil || p.aborted() {
				return
			}
			if err := s.bw.Flush(); err != nil {
				p.errs[i] = fmt.Errorf("%s: %w", s.tmp, err)
				return
			}
			if doSync {
				if err := s.f.Sync(); err != nil {
					p.errs[i] = fmt.Errorf("%s: %w", s.tmp, err)
					return
				}
				s.synced = true
			}
		}(i, s)
	}
	w.par = p
}

func (p *parallel) aborted() bool {
	select {
	case <-p.stop:
		return true
	default:
		return false
	}
}

// payloadBytes is what t will take in a data file (string tensors: their bytes plus a
// length each, about).
func payloadBytes(t *tensor.Tensor, n int64) int64 {
	if vals, ok := t.Data.([][]byte); ok {
		s := int64(4)
		for _, v := range vals {
			s += int64(len(v)) + 2
		}
		return s
	}
	return n * int64(t.DType.Size())
}

// addParallel gives t to the shard that has been given the fewest bytes so far.
func (w *Writer) addParallel(key string, t *tensor.Tensor, n int64) error {
	p := w.par
	best := 0
	for i, b := range p.planned {
		if b < p.planned[best] {
			best = i
		}
	}
	p.planned[best] += payloadBytes(t, n)
	e := &tfpb.BundleEntryProto{}
	w.entries[key] = e
	p.jobs[best] <- job{e: e, t: t, n: n}
	return nil
}

// stopParallel waits for every shard's goroutine and returns the first error.
func (w *Writer) stopParallel() error {
	p := w.par
	p.once.Do(func() {
		for _, ch := range p.jobs {
			close(ch)
		}
	})
	p.wg.Wait()
	for _, err := range p.errs {
		if err != nil {
			return fmt.Errorf("checkpoint: %s: %w", w.prefix, err)
		}
	}
	return nil
}

// abort stops the goroutines without flushing.
func (p *parallel) abort() {
	close(p.stop)
	p.once.Do(func() {
		for _, ch := range p.jobs {
			close(ch)
		}
	})
	p.wg.Wait()
}
