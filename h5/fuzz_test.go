package h5

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzConfig fuzzes the pure-Go config decoding: layer lists of model configs in every Keras
// shape, the Keras 3 legacy rewrite, and the training_config / compile_config translations.
func FuzzConfig(f *testing.F) {
	for _, p := range []string{"../testdata/formats/seed/config_keras2.json", "../testdata/formats/seed/config_keras3.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "d"}}]}`))
	f.Add([]byte(`{"loss": "mse", "optimizer_config": {"class_name": "Custom>Adam", "config": {"learning_rate": 0.1}}}`))
	f.Add([]byte(`{"optimizer": "adam", "loss": null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		modelLayers(b)
		modelName(b)
		if out, err := keras3LegacyConfig(b); err == nil && !json.Valid(out) {
			t.Fatalf("keras3LegacyConfig produced invalid JSON from %q", b)
		}
		if out, err := compileToTraining(b); err == nil && !json.Valid(out) {
			t.Fatalf("compileToTraining produced invalid JSON from %q", b)
		}
		if out, err := trainingToCompile(b); err == nil && !json.Valid(out) {
			t.Fatalf("trainingToCompile produced invalid JSON from %q", b)
		}
		if fs, err := objectFields(b); err == nil {
			if !json.Valid(marshalFields(fs)) {
				t.Fatalf("objectFields round trip invalid for %q", b)
			}
		}
		optimizerFromTraining(b)
		optimizerFromCompile(b)
	})
}

// FuzzAttributes fuzzes the pure-Go attribute decoding: fixed-length string splitting, weight
// name parsing, the chunk rule, and the object header / global heap guard over raw bytes.
func FuzzAttributes(f *testing.F) {
	f.Add([]byte("conv_1/kernel:0\x00\x00bias"), 8, 1)
	f.Add([]byte("a b  "), 5, 2)
	if b, err := os.ReadFile(filepath.Join("..", "testdata", "formats", "seed", "tfkeras", "weights.h5")); err == nil {
		f.Add(b[:min(len(b), 4096)], 16, 0)
	}
	f.Fuzz(func(t *testing.T, b []byte, size, pad int) {
		if size > 0 && size <= len(b) {
			n := len(b) / size
			s := splitFixed(b, n, size, pad%3)
			if len(s) != n {
				t.Fatal("splitFixed count")
			}
		}
		shortWeightName("conv_1", string(b))
		names := []string{string(b), "x"}
		if chunks, size, err := splitForHeader(names); err == nil && chunks != nil {
			total := 0
			for _, c := range chunks {
				if len(c)*size > headerLimit {
					t.Fatal("chunk over the limit")
				}
				total += len(c)
			}
			if total != len(names) {
				t.Fatal("chunks lost names")
			}
		}
		g := &vlenGuard{r: bytes.NewReader(b), size: int64(len(b)), sb: sbInfo{sOff: 8, sLen: 8}}
		g.checkHeader(uint64(size) % uint64(len(b)+1))
		g.checkAttr(0, "x", maxAttrBytes)
		parseSuperblock(b, 0, int64(len(b)))
	})
}
