package checkpoint

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestObjectsRoundTrip: WriteObjects keys each variable by its first breadth-first path (a
// shared object by the path listed first, as TF keys it) and ObjectGraph gives the graph back:
// children in order, shared objects and the root's self-reference as one object, keys and
// full names; the values read back equal.
func TestObjectsRoundTrip(t *testing.T) {
	k := tensor.MustFromFloat32([]int{2}, []float32{1, 2})
	b := tensor.MustFromFloat32([]int{}, []float32{3})
	c := tensor.MustFromFloat32([]int{1}, []float32{4})
	kern := &Object{FullName: "dense/kernel", Value: k}
	bias := &Object{FullName: "dense/bias", Value: b}
	dense := &Object{Children: []ObjectChild{{"kernel", kern}, {"bias", bias}}}
	cellVar := &Object{FullName: "lstm/lstm_cell/kernel", Value: c}
	cell := &Object{Children: []ObjectChild{{"kernel", cellVar}}}
	rnn := &Object{Children: []ObjectChild{{"cell", cell}}}
	root := &Object{}
	root.Children = []ObjectChild{{"layer-0", &Object{}}, {"layer_with_weights-0", dense}, {"layer-1", dense},
		{"layer_with_weights-1", rnn}, {"layer-2", rnn}, {"root", root}}
	prefix := filepath.Join(t.TempDir(), "w")
	if err := WriteObjects(prefix, root); err != nil {
		t.Fatal(err)
	}
	r, err := Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := map[string]*tensor.Tensor{
		"layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE":      k,
		"layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE":        b,
		"layer_with_weights-1/cell/kernel/.ATTRIBUTES/VARIABLE_VALUE": c,
	}
	if n := len(r.Keys()); n != len(want)+1 {
		t.Errorf("%d keys, want %d: %v", n, len(want)+1, r.Keys())
	}
	for key, v := range want {
		got, err := r.Read(key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if !sameTensor(got, v) {
			t.Errorf("%s: read %v, wrote %v", key, got.Data, v.Data)
		}
	}
	g, err := r.ObjectGraph()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ch := range g.Children {
		names = append(names, ch.Name)
	}
	if len(names) != 6 || names[1] != "layer_with_weights-0" || names[5] != "root" {
		t.Fatalf("root children %v", names)
	}
	if g.Child("root") != g || g.Child("layer-1") != g.Child("layer_with_weights-0") {
		t.Error("shared objects are not one object")
	}
	kv := g.Child("layer_with_weights-0").Child("kernel")
	if kv == nil || kv.Key != "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE" || kv.FullName != "dense/kernel" || kv.Value != nil {
		t.Errorf("kernel object %+v", kv)
	}
	if cv := g.Child("layer-2").Child("cell").Child("kernel"); cv == nil || cv.Key != "layer_with_weights-1/cell/kernel/.ATTRIBUTES/VARIABLE_VALUE" {
		t.Errorf("cell kernel object %+v", cv)
	}
	if g.Child("layer-0") == nil || g.Child("layer-0").Key != "" || len(g.Child("layer-0").Children) != 0 {
		t.Error("the weightless layer-0")
	}
}

// TestObjectGraphNotObjectBased: a bundle without _CHECKPOINTABLE_OBJECT_GRAPH (TF1 Saver)
// has no object graph: ErrUnsupported.
func TestObjectGraphNotObjectBased(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "v1")
	w, err := NewWriter(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("dense/kernel", tensor.MustFromFloat32([]int{1}, []float32{1})); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.ObjectGraph(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("err = %v, want ErrUnsupported", err)
	}
	if err := WriteObjects(prefix+"x", nil); err == nil {
		t.Error("WriteObjects(nil root): no error")
	}
}
