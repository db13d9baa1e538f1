package wconv

import (
	"errors"
	"strings"
	"testing"

	_ "github.com/kerasgo/kerasgo/layers" // class facts: aliases
)

// TestFromConfig reads the layers list of configs as both Keras dialects write them: a
// Sequential leaves its InputLayer out of model.layers, a Functional keeps it; nested models
// recurse with their trainable flags; a registered custom class "pkg>Name" is keyed by Name,
// an alias by its class, tf.keras 2.3's "Model" as Functional.
func TestFromConfig(t *testing.T) {
	cfg := `{"class_name": "Sequential", "config": {"name": "outer", "layers": [
		{"class_name": "InputLayer", "config": {"name": "in"}},
		{"class_name": "Convolution2D", "config": {"name": "c", "trainable": true}},
		{"class_name": "Model", "config": {"name": "inner", "trainable": false, "layers": [
			{"class_name": "InputLayer", "name": "x", "config": {"name": "x"}},
			{"class_name": "kerasgo>ScaleShift", "name": "s", "config": {"name": "s", "trainable": false}}],
			"input_layers": [["x", 0, 0]], "output_layers": [["s", 0, 0]]}},
		{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d"}, "registered_name": null}]}}`
	m, err := fromConfig([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range m.layers {
		got = append(got, l.name+":"+l.class)
	}
	if strings.Join(got, " ") != "c:Conv2D inner:Functional d:Dense" || m.name != "outer" || !m.complete || !m.ordered {
		t.Fatalf("layers %v, name %q", got, m.name)
	}
	inner := m.layers[1]
	if inner.sub == nil || inner.trainable != no || len(inner.sub.layers) != 2 ||
		inner.sub.layers[0].class != "InputLayer" || inner.sub.layers[1].class != "ScaleShift" || inner.sub.layers[1].trainable != no {
		t.Fatalf("nested model %+v", inner.sub)
	}
	if m.layers[2].trainable != yes {
		t.Error("a layer without a trainable key is trainable")
	}
	for _, bad := range []struct{ cfg, says string }{
		{`[1]`, "model config"},
		{`{"class_name": "MyModel", "config": {"name": "m"}}`, "subclassed"},
		{`{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {}}]}}`, "no name"},
		{`{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "a"}}, {"class_name": "Dense", "config": {"name": "a"}}]}}`, "two layers named"},
		{strings.Repeat(`{"class_name": "Sequential", "config": {"name": "n", "layers": [`, 70) + strings.Repeat(`]}}`, 70), "deeper"},
	} {
		_, err := fromConfig([]byte(bad.cfg))
		if err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("%.60s: err = %v, want one saying %q", bad.cfg, err, bad.says)
		}
		if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrUnsupported) {
			t.Errorf("%.60s: uncategorised %v", bad.cfg, err)
		}
	}
}
