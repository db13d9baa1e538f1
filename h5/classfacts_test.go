//go:build cgo

package h5

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestKeras3ClassFacts reads a Keras 3 weights file without config: the layers' classes and
// variable names come from the facts the layer implementations registered with package saved;
// a class nobody registered keeps the file's positional names and no class, and its path
// lets the layer be written back to the same place.
func TestKeras3ClassFacts(t *testing.T) {
	v := func(shape ...int) *tensor.Tensor {
		n, _ := tensor.NumElements(shape)
		return tensor.MustFromFloat32(shape, make([]float32, n))
	}
	in := &saved.Model{Dialect: saved.Keras3, Layers: []saved.Layer{
		{Name: "emb", Class: "FancyEmbedding", Weights: []saved.Variable{{Name: "embeddings", Trainable: true, Value: v(10, 4)}}},
		{Name: "bn", Class: "BatchNormalization", Weights: []saved.Variable{
			{Name: "beta", Trainable: true, Value: v(4)}, {Name: "moving_mean", Value: v(4)}, {Name: "moving_variance", Value: v(4)}}},
		{Name: "pool", Class: "MaxPooling2D"},
		{Name: "pool2", Class: "MaxPooling2D"},
		{Name: "d", Class: "Dense", Weights: []saved.Variable{{Name: "kernel", Trainable: true, Value: v(4, 2)}, {Name: "bias", Trainable: true, Value: v(2)}}},
	}}
	dir := t.TempDir()
	p := filepath.Join(dir, "a.weights.h5")
	if err := SaveWeightsKeras3(p, in); err != nil {
		t.Fatal(err)
	}
	m, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range m.Layers {
		s := l.Name + " " + l.Class + " " + l.Path + ":"
		for _, w := range l.Weights {
			s += " " + w.Name
			if !w.Trainable {
				s += "(nt)"
			}
		}
		got = append(got, s)
	}
	want := []string{
		"bn BatchNormalization batch_normalization: 0 moving_mean(nt) moving_variance(nt)",
		"d Dense dense: kernel bias",
		"emb  fancy_embedding: 0",
		"pool MaxPooling2D max_pooling2d:",
		"pool2 MaxPooling2D max_pooling2d_1:",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("read\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Written back, the unregistered layer keeps its path.
	q := filepath.Join(dir, "b.weights.h5")
	if err := SaveWeightsKeras3(q, m); err != nil {
		t.Fatal(err)
	}
	vars, err := List(q)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range vars {
		found = found || x.Path == "layers/fancy_embedding/vars/0"
	}
	if !found {
		t.Errorf("layers/fancy_embedding/vars/0 missing from the rewritten file: %v", vars)
	}
}

// TestWeightNamesUnregistered: without registered facts a Keras 3 layer's variables keep
// their positional names, and a layer path gives no class.
func TestWeightNamesUnregistered(t *testing.T) {
	if got := strings.Join(weightNamesFor("NoSuchClass", nil, 3), ","); got != "0,1,2" {
		t.Errorf("weightNamesFor(unregistered) = %s", got)
	}
	if got := strings.Join(weightNamesFor("Dense", map[string]any{"use_bias": false}, 2), ","); got != "0,1" {
		t.Errorf("weightNamesFor(Dense without bias, 2 vars) = %s", got)
	}
	if got := strings.Join(weightNamesFor("Dense", map[string]any{"use_bias": false}, 1), ","); got != "kernel" {
		t.Errorf("weightNamesFor(Dense without bias, 1 var) = %s", got)
	}
	if c := classForPath("no_such_layer_3"); c != "" {
		t.Errorf("classForPath(no_such_layer_3) = %q", c)
	}
	if c := classForPath("conv2d_3"); c != "Conv2D" {
		t.Errorf("classForPath(conv2d_3) = %q", c)
	}
}
