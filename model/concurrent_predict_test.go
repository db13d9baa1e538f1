//go:build cgo

package model

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestConcurrentPredict shares one loaded model between 8 goroutines, as a Go server does,
// for every fixture model and per-layer case (so every layer class with a fixture): each
// goroutine's predictions equal the single-goroutine ones exactly. make test also runs it
// under the race detector.
func TestConcurrentPredict(t *testing.T) {
	n := 0
	for _, c := range functionalCases(t) {
		src := filepath.Join(c.Dir, "keras3", "model.keras")
		if !c.Supported.Keras3 {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			m, err := Load(src)
			if err != nil {
				t.Fatal(err)
			}
			xs := make([]*tensor.Tensor, len(c.Inputs))
			for i, in := range c.Inputs {
				xs[i] = readNpy(t, filepath.Join(c.Dir, in.File))
			}
			want, err := m.PredictN(xs)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make(chan string, 16)
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 2 {
						var got []*tensor.Tensor
						var err error
						// The rank-2 attention cases attend across the batch (as Keras does):
						// their predictions depend on the batch size.
						if len(xs) == 1 && len(want) == 1 && !strings.HasSuffix(c.Name, "_rank2") {
							var y *tensor.Tensor
							y, err = m.Predict(xs[0], PredictOptions{BatchSize: 2})
							got = []*tensor.Tensor{y}
						} else {
							got, err = m.PredictN(xs)
						}
						if err != nil {
							errs <- err.Error()
							return
						}
						for i := range got {
							if !slices.Equal(got[i].Float32s(), want[i].Float32s()) {
								errs <- "output differs from the single-goroutine prediction"
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
			}
		})
	}
	if n < 40 {
		t.Errorf("%d cases, want at least 40", n)
	}
}
