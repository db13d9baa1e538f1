//go:build cgo

package model

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// TestAttnFixturesConfigSummary checks the attention family's per-layer cases
// (testdata/layers_attn) beyond predictions: both config dialects as Keras wrote them and
// both summaries.
func TestAttnFixturesConfigSummary(t *testing.T) {
	n := 0
	for _, c := range functionalCases(t) {
		if filepath.Base(filepath.Dir(c.Dir)) != "layers_attn" {
			continue
		}
		n++
		dir := c.Dir
		t.Run(c.Name, func(t *testing.T) {
			for _, src := range []string{"config_keras2_to_json.json", "config_keras3.json"} {
				m, err := FromConfig(readFile(t, filepath.Join(dir, src)))
				if err != nil {
					t.Fatalf("%s: %v", src, err)
				}
				for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
					want := "config_keras2_to_json.json"
					if d == saved.Keras3 {
						want = "config_keras3.json"
					}
					got, err := m.Config(d)
					if err != nil {
						t.Fatalf("%s -> %v: %v", src, d, err)
					}
					assertJSONEqual(t, fmt.Sprintf("%s -> %s", src, want), dropKey(t, got, "compile_config"),
						dropKey(t, readFile(t, filepath.Join(dir, want)), "compile_config"))
				}
			}
			m, err := Load(filepath.Join(dir, "tfkeras", "model.h5"))
			if err != nil {
				t.Fatal(err)
			}
			assertTextEqual(t, "tf_keras summary", m.Summary(), string(readFile(t, filepath.Join(dir, "summary_keras2.txt"))))
			m3, err := Load(filepath.Join(dir, "keras3", "model.keras"))
			if err != nil {
				t.Fatal(err)
			}
			assertTextEqual(t, "Keras 3 summary", m3.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3.txt"))))
		})
	}
	if n == 0 {
		t.Fatal("no layers_attn cases")
	}
}

// TestAttentionCallArgsRefused: a config whose attention call returns the attention scores
// (a second output, testdata/layers_attnscores) is read, with return_attention_scores a
// boolean; use_causal_mask is taken (testdata/layers_attnmask) but must be a boolean.
func TestAttentionCallArgsRefused(t *testing.T) {
	dir := filepath.Join("..", "testdata", "layers_attn", "layer_attention_dot")
	for _, src := range []string{"config_keras2_to_json.json", "config_keras3.json"} {
		data := string(readFile(t, filepath.Join(dir, src)))
		if _, err := FromConfig([]byte(data)); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		var bad string
		if src == "config_keras3.json" {
			bad = strings.Replace(data, `"kwargs": {}}]`, `"kwargs": {"return_attention_scores": true}}]`, 1)
		} else {
			bad = strings.Replace(data, `["in1", 0, 0, {}]`, `["in1", 0, 0, {"return_attention_scores": true}]`, 1)
		}
		if bad == data {
			t.Fatalf("%s: no call to change", src)
		}
		if _, err := FromConfig([]byte(bad)); err != nil {
			t.Errorf("%s with return_attention_scores: %v", src, err)
		}
		_, err := FromConfig([]byte(strings.Replace(bad, `"return_attention_scores": true`, `"return_attention_scores": "yes"`, 1)))
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "return_attention_scores") {
			t.Errorf("%s with return_attention_scores \"yes\": %v", src, err)
		}
		bad = strings.Replace(bad, `"return_attention_scores": true`, `"use_causal_mask": "yes"`, 1)
		_, err = FromConfig([]byte(bad))
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "use_causal_mask") {
			t.Errorf("%s with use_causal_mask \"yes\": %v", src, err)
		}
	}
}
