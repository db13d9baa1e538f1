package compat

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// TestLayerConfigsFromKeras constructs layers in real tf_keras 2.21 and Keras 3.15 from
// constructor arguments (Keras's defaults for the rest, shorthand forms such as an int
// padding) and checks, in both dialects, that Go's FromConfig of Keras's get_config() writes
// the same config back, and that Go's FromConfig of the constructor arguments alone (the
// defaults Go fills in) writes Keras's config.
func TestLayerConfigsFromKeras(t *testing.T) {
	python(t)
	type kcase struct {
		class  string
		kwargs map[string]any
	}
	cases := []kcase{
		{"ZeroPadding2D", map[string]any{}},
		{"ZeroPadding2D", map[string]any{"padding": 3}},
		{"ZeroPadding2D", map[string]any{"padding": []any{1, 2}}},
		{"ZeroPadding2D", map[string]any{"padding": []any{[]any{1, 2}, []any{0, 4}}}},
		{"Cropping2D", map[string]any{}},
		{"Cropping2D", map[string]any{"cropping": 2}},
		{"Cropping2D", map[string]any{"cropping": []any{1, 0}}},
		{"Cropping2D", map[string]any{"cropping": []any{[]any{1, 2}, []any{3, 0}}}},
		{"UpSampling2D", map[string]any{}},
		{"UpSampling2D", map[string]any{"size": 3}},
		{"UpSampling2D", map[string]any{"size": []any{2, 4}, "interpolation": "bilinear"}},
		{"Reshape", map[string]any{"target_shape": []any{-1, 3}}},
		{"Reshape", map[string]any{"target_shape": []any{2, 3, 4}}},
		{"Permute", map[string]any{"dims": []any{2, 1}}},
		{"Permute", map[string]any{"dims": []any{3, 1, 2}}},
		{"RepeatVector", map[string]any{"n": 4}},
		{"GlobalAveragePooling2D", map[string]any{}},
		{"GlobalAveragePooling2D", map[string]any{"keepdims": true}},
		{"GlobalAvgPool2D", map[string]any{}},
		{"GlobalMaxPooling2D", map[string]any{}},
		{"GlobalMaxPooling2D", map[string]any{"keepdims": true}},
		{"GlobalMaxPool2D", map[string]any{"keepdims": true}},
		{"Conv2D", map[string]any{"filters": 4, "kernel_size": 3, "dilation_rate": 2}},
		{"Conv2D", map[string]any{"filters": 6, "kernel_size": []any{3, 2}, "dilation_rate": []any{2, 1}, "groups": 3, "padding": "same"}},
		{"Conv2D", map[string]any{"filters": 4, "kernel_size": 1, "groups": 2, "strides": 2}},
	}
	dir := t.TempDir()
	var spec []map[string]any
	for i, c := range cases {
		spec = append(spec, map[string]any{"id": fmt.Sprintf("l%d", i), "class_name": c.class, "kwargs": c.kwargs})
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var res []struct {
		ID     string         `json:"id"`
		K2     map[string]any `json:"keras2"`
		K3     map[string]any `json:"keras3"`
		Class2 string         `json:"class2"`
		Class3 string         `json:"class3"`
	}
	runPythonJSON(t, &res, "layers_configs.py", dir)
	if len(res) != len(cases) {
		t.Fatalf("python ran %d cases, want %d", len(res), len(cases))
	}
	for i, r := range res {
		c := cases[i]
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			want, class := r.K2, r.Class2
			if d == saved.Keras3 {
				want, class = r.K3, r.Class3
			}
			if canon, ok := layers.Canonical(c.class); !ok || canon != class {
				t.Errorf("%s %v: Canonical %q, Keras's class %q", c.class, d, canon, class)
			}
			l, w, err := layers.FromConfig(c.class, want, d)
			if err != nil || len(w) > 0 {
				t.Errorf("%s %v: FromConfig of Keras's config: %v %q", c.class, d, err, w)
				continue
			}
			if got := canonJSON(l.Config(d)); !reflect.DeepEqual(got, any(want)) {
				gb, _ := json.Marshal(got)
				kb, _ := json.Marshal(want)
				t.Errorf("%s %v: Keras's config through Go:\ngo:    %s\nkeras: %s", c.class, d, gb, kb)
			}
			args := canonJSON(c.kwargs).(map[string]any)
			args["name"] = r.ID
			l, _, err = layers.FromConfig(c.class, args, d)
			if err != nil {
				t.Errorf("%s %v: FromConfig of the arguments: %v", c.class, d, err)
				continue
			}
			if got := canonJSON(l.Config(d)); !reflect.DeepEqual(got, any(want)) {
				gb, _ := json.Marshal(got)
				kb, _ := json.Marshal(want)
				t.Errorf("%s %v %v: Go's defaults differ from Keras's:\ngo:    %s\nkeras: %s", c.class, c.kwargs, d, gb, kb)
			}
		}
	}
}
