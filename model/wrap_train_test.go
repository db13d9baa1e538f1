package model

import (
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
)

// TestWrapTrainStep loads the acceptance models of testdata/layers_wrap (Bidirectional,
// TimeDistributed, masks from Embedding(mask_zero) and Masking on padded inputs) as tf_keras
// and Keras 3 saved them, runs one TrainOnBatchN and compares the logs, every weight, every
// Adam slot and the iterations with tf_keras's train_on_batch from the same file, computed
// on this machine in this run (testref.Wrap, testdata/gen/reference.py --part wrap).
// mask_bigru_td's output carries the mask, by which Keras weights the loss (model/loss_mask.go).
func TestWrapTrainStep(t *testing.T) {
	checkTrainStepCases(t, filepath.Join("..", "testdata", "layers_wrap"), testref.Dir(t, testref.Wrap),
		"bigru_td", "text_bilstm", "mask_lstm", "masking_rnn", "mask_bigru_td")
}

// TestAttnMaskTrainStep: one TrainOnBatchN of the masked attention cases of
// testdata/layers_attnmask (Attention, AdditiveAttention with the causal mask into an LSTM,
// MultiHeadAttention, each over Embedding(mask_zero) on padded tokens) from both files,
// compared with tf_keras's train_on_batch computed in this run (testref.Wrap).
func TestAttnMaskTrainStep(t *testing.T) {
	checkTrainStepCases(t, filepath.Join("..", "testdata", "layers_attnmask"), testref.Dir(t, testref.Wrap),
		"attention_masked", "additive_self_masked_causal", "mha_keras_masks")
}
