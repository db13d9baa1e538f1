package savedmodel

import (
	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/tensor"
)

// writeBundle writes the variables bundle, tensors in the given order (the index sorts keys).
func writeBundle(prefix string, keys []string, vals []*tensor.Tensor) error {
	w, err := checkpoint.NewWriter(prefix)
	if err != nil {
		return err
	}
	for i, k := range keys {
		if err := w.Add(k, vals[i]); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}
