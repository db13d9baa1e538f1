package model

import (
	"github.com/kerasgo/kerasgo/callbacks"
	"github.com/kerasgo/kerasgo/tensor"
)

// validate runs Fit's validation pass, calling the callbacks that implement
// callbacks.TestHooks as Keras calls on_test_begin, on_test_batch_end and on_test_end.
func (m *Model) validate(cbs []Callback, xs, ys []*tensor.Tensor, batch int, names []string) ([]float64, error) {
	var hooks []callbacks.TestHooks[*Model]
	for _, c := range cbs {
		if h, ok := c.(callbacks.TestHooks[*Model]); ok {
			hooks = append(hooks, h)
		}
	}
	for _, h := range hooks {
		if err := h.OnTestBegin(m, Logs{}); err != nil {
			return nil, err
		}
	}
	var hookErr error
	var onBatch func(int, int)
	if len(hooks) > 0 {
		onBatch = func(done, _ int) {
			for _, h := range hooks {
				if hookErr == nil {
					hookErr = h.OnTestBatchEnd(m, done-1, Logs{})
				}
			}
		}
	}
	vals, err := m.evaluate(xs, ys, batch, onBatch)
	if err != nil {
		return nil, within("validation", err)
	}
	if hookErr != nil {
		return nil, hookErr
	}
	logs := Logs{}
	for i, name := range names {
		logs[name] = vals[i]
	}
	for _, h := range hooks {
		if err := h.OnTestEnd(m, logs); err != nil {
			return nil, err
		}
	}
	return vals, nil
}

// abortCallbacks lets the callbacks that hold files (callbacks.Aborter) close them when Fit
// fails: Keras does not call on_train_end then, and neither does Fit.
func abortCallbacks(cbs []Callback) {
	for _, c := range cbs {
		if a, ok := c.(callbacks.Aborter); ok {
			a.Abort()
		}
	}
}
