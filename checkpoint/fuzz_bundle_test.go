package checkpoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// tinyKerasModel is a Dense layer with Adam slots: a small seed for fuzzing bundles.
func tinyKerasModel() *saved.Model {
	v := func(n int, x float32) *tensor.Tensor {
		d := make([]float32, n)
		for i := range d {
			d[i] = x + float32(i)
		}
		if n == 6 {
			return tensor.MustFromFloat32([]int{2, 3}, d)
		}
		return tensor.MustFromFloat32([]int{n}, d)
	}
	m := &saved.Model{Dialect: saved.Keras2, Layers: []saved.Layer{{Name: "dense", Class: "Dense", Weights: []saved.Variable{
		{Name: "kernel", Trainable: true, Value: v(6, 1)}, {Name: "bias", Trainable: true, Value: v(3, 10)}}}}}
	m.Optimizer = &saved.Optimizer{Class: "Adam", Iterations: 3, LearningRate: 0.01}
	for _, w := range []string{"kernel", "bias"} {
		n := map[string]int{"kernel": 6, "bias": 3}[w]
		for _, s := range []string{"momentum", "velocity"} {
			m.Optimizer.Slots = append(m.Optimizer.Slots, saved.Slot{Layer: "dense", Weight: w, Name: s, Value: v(n, 0.5)})
		}
	}
	return m
}

// FuzzBundle reads arbitrary index and data bytes as a bundle through everything verify and
// the Keras loader do: every tensor's data and checksum, the object graph, the Keras keys.
// Errors are fine; panics, hangs and unbounded allocations are not.
func FuzzBundle(f *testing.F) {
	dir := f.TempDir()
	seed := filepath.Join(dir, "seed", "ckpt")
	for i, m := range []*saved.Model{tinyKerasModel(), {Dialect: saved.Keras2, Layers: tinyKerasModel().Layers}} {
		if err := SaveKerasWeights(seed, m); err != nil {
			f.Fatalf("seed %d: %v", i, err)
		}
		index, _ := os.ReadFile(IndexFile(seed))
		data, _ := os.ReadFile(DataFile(seed, 0, 1))
		f.Add(index, data)
	}
	prefix := filepath.Join(dir, "in", "ckpt")
	os.MkdirAll(filepath.Dir(prefix), 0o755)
	f.Fuzz(func(t *testing.T, index, data []byte) {
		if err := os.WriteFile(IndexFile(prefix), index, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(DataFile(prefix, 0, 1), data, 0o644); err != nil {
			t.Fatal(err)
		}
		o := ReaderOptions{MaxTensorBytes: 1 << 20, MaxTotalBytes: 4 << 20, MaxIndexBlockBytes: 1 << 20}
		if r, err := o.Open(prefix); err == nil {
			r.verify()
			r.Close()
		}
		o.LoadKerasWeights(prefix)
		Audit(prefix)
	})
}

// FuzzKerasGraph writes a valid bundle (checksums right) whose object graph is arbitrary bytes,
// and reads it as verify and the Keras loader do: the graph's parse and every use of it
// (nodes, children, slot variables, attribute keys) meet it past the checksums.
func FuzzKerasGraph(f *testing.F) {
	dir := f.TempDir()
	seed := filepath.Join(dir, "seed", "ckpt")
	if err := SaveKerasWeights(seed, tinyKerasModel()); err != nil {
		f.Fatal(err)
	}
	r, err := Open(seed)
	if err != nil {
		f.Fatal(err)
	}
	vals := map[string]*tensor.Tensor{}
	for _, k := range r.Keys() {
		t, err := r.Read(k)
		if err != nil {
			f.Fatal(err)
		}
		if k == ObjectGraphKey {
			f.Add(t.Data.([][]byte)[0])
			continue
		}
		vals[k] = t
	}
	r.Close()
	f.Add([]byte{})
	prefix := filepath.Join(dir, "in", "ckpt")
	f.Fuzz(func(t *testing.T, graph []byte) {
		w, err := NewWriter(prefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range sortedKeys(vals) {
			if err := w.Add(k, vals[k]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Add(ObjectGraphKey, &tensor.Tensor{DType: tensor.String, Shape: []int{}, Data: [][]byte{graph}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		LoadKerasWeights(prefix)
		Audit(prefix)
	})
}
