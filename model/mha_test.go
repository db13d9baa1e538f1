package model

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// TestMHATrainStep loads the Transformer encoder block (testdata/layers_mha/transformer_block:
// token and position Embeddings, MultiHeadAttention, residual Adds, LayerNormalization,
// feed-forward Dense, GlobalAveragePooling1D, Dense) as tf_keras and Keras 3 saved it, runs
// one TrainOnBatchN and compares the loss, every weight, every Adam slot and the iteration
// count with tf_keras's train_on_batch from the same file in this run (testref.MHA).
func TestMHATrainStep(t *testing.T) {
	ref := testref.Dir(t, testref.MHA)
	const name = "transformer_block"
	dir := filepath.Join("..", "testdata", "layers_mha", name)
	rdir := filepath.Join(ref, name)
	checkTrainStepFiles(t, dir, rdir)
}

// TestMHACallArgs reads MultiHeadAttention calls from both dialects' configs: the value (and
// key) given as keyword tensors, use_causal_mask kept and written back, and attention masks
// refused with ErrUnsupported naming the argument, return_attention_scores taken when a
// boolean (testdata/layers_attnscores).
func TestMHACallArgs(t *testing.T) {
	dir := filepath.Join("..", "testdata", "layers_mha", "layer_mha_causal")
	for _, src := range []string{"config_keras2_to_json.json", "config_keras3.json"} {
		data := string(readFile(t, filepath.Join(dir, src)))
		m, err := FromConfig([]byte(data))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		var mha *layers.MultiHeadAttention
		for _, l := range m.Layers() {
			if a, ok := l.(*layers.MultiHeadAttention); ok {
				mha = a
			}
		}
		if mha == nil || !mha.CausalMask() {
			t.Fatalf("%s: no MultiHeadAttention with use_causal_mask", src)
		}
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			got, err := m.Config(d)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.ReplaceAll(string(got), " ", ""), `"use_causal_mask":true`) {
				t.Errorf("%s -> %v: use_causal_mask not written", src, d)
			}
		}
		for _, bad := range []struct {
			from, to, want string
			is             error
		}{
			{`"use_causal_mask": true`, `"use_causal_mask": true, "return_attention_scores": "yes"`, "return_attention_scores", ErrFormat},
		} {
			b := strings.Replace(data, bad.from, bad.to, 1)
			if b == data {
				t.Fatalf("%s: no call to change", src)
			}
			_, err := FromConfig([]byte(b))
			if !errors.Is(err, bad.is) || !strings.Contains(err.Error(), bad.want) {
				t.Errorf("%s with %s: %v", src, bad.want, err)
			}
		}
	}
}
