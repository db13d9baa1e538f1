package layers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// FuzzFromConfig feeds arbitrary JSON to FromConfig: it must never panic, and a layer it
// accepts must write configs in both dialects that parse back to the same config, and must
// answer OutputShape for a small input without panicking.
func FuzzFromConfig(f *testing.F) {
	b, err := os.ReadFile("testdata/corpus_layer_configs.json")
	if err == nil {
		var es []corpusEntry
		if json.Unmarshal(b, &es) == nil {
			for _, e := range es {
				if s, err := json.Marshal(map[string]any{"class_name": e.ClassName, "config": e.Config}); err == nil {
					f.Add(s)
				}
			}
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(fixtureRoot, "*", "config_keras3.json"))
	for _, p := range dirs {
		if b, err := os.ReadFile(p); err == nil {
			var m struct {
				Config struct {
					Layers []json.RawMessage `json:"layers"`
				} `json:"config"`
			}
			if json.Unmarshal(b, &m) == nil {
				for _, l := range m.Config.Layers {
					f.Add([]byte(l))
				}
			}
		}
	}
	f.Add([]byte(`{"class_name":"Conv2D","config":{"filters":1e9,"kernel_size":[4096,4096]}}`))
	f.Add([]byte(`{"class_name":"Dense","config":{"units":3,"activation":{"class_name":"function","config":"softmax_v2"}}}`))
	f.Add([]byte(`{"class_name":"AveragePooling2D","config":{"pool_size":[3,2],"strides":[2,1],"padding":"same"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var obj struct {
			ClassName string         `json:"class_name"`
			Config    map[string]any `json:"config"`
		}
		if json.Unmarshal(data, &obj) != nil {
			return
		}
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			l, _, err := FromConfig(obj.ClassName, obj.Config, d)
			if err != nil {
				continue
			}
			c1, err := json.Marshal(l.Config(d))
			if err != nil {
				t.Fatalf("marshal config: %v", err)
			}
			var back map[string]any
			if err := json.Unmarshal(c1, &back); err != nil {
				t.Fatal(err)
			}
			l2, _, err := FromConfig(l.Class(), back, d)
			if err != nil {
				t.Fatalf("own config %s does not parse: %v", c1, err)
			}
			c2, _ := json.Marshal(l2.Config(d))
			if string(c1) != string(c2) {
				t.Fatalf("config changed through a round trip:\n%s\n%s", c1, c2)
			}
			l.OutputShape([]int{5, 5, 2})
			l.OutputShape([]int{7})
			l.OutputShape(nil)
		}
	})
}
