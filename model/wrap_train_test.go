package model

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestWrapTrainStep loads the acceptance models of testdata/layers_wrap (Bidirectional,
// TimeDistributed, masks from Embedding(mask_zero) and Masking on padded inputs) as tf_keras
// and Keras 3 saved them, runs one TrainOnBatchN and compares the logs, every weight, every
// Adam slot and the iterations with tf_keras's train_on_batch from the same file, computed
// on this machine in this run (testref.Wrap, testdata/gen/reference.py --part wrap).
// mask_bigru_td's output carries the mask, by which Keras weights the loss: kerasgo refuses
// to train it (TestMaskedOutputTrainRefused).
func TestWrapTrainStep(t *testing.T) {
	ref := testref.Dir(t, testref.Wrap)
	for _, name := range []string{"bigru_td", "text_bilstm", "mask_lstm", "masking_rnn"} {
		dir := filepath.Join("..", "testdata", "layers_wrap", name)
		rdir := filepath.Join(ref, name)
		var logs map[string]float64
		if err := json.Unmarshal(readFile(t, filepath.Join(rdir, "logs.json")), &logs); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"tfkeras/model.h5", "keras3/model.keras"} {
			t.Run(name+"/"+f, func(t *testing.T) {
				checkTrainStep(t, dir, rdir, f, logs)
			})
		}
	}
}

// TestMaskedOutputTrainRefused: a model whose output carries a Keras mask (Embedding(mask_zero)
// + Bidirectional(GRU, return_sequences) + TimeDistributed(Dense)) predicts as Keras does but
// refuses to train, naming the output and the mask's layer.
func TestMaskedOutputTrainRefused(t *testing.T) {
	dir := filepath.Join("..", "testdata", "layers_wrap", "mask_bigru_td")
	m, err := Load(filepath.Join(dir, "tfkeras", "model.h5"))
	if err != nil {
		skipNoHDF5(t, err)
		t.Fatal(err)
	}
	x := readNpy(t, filepath.Join(dir, "x0.npy"))
	y := tensor.MustFromFloat32(x.Shape, make([]float32, x.Len()))
	_, _, err = m.TrainOnBatchN([]*tensor.Tensor{x}, []*tensor.Tensor{y})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"tagger" (TimeDistributed)`) || !strings.Contains(err.Error(), `"embed" (Embedding)`) {
		t.Errorf("train: %v", err)
	}
}
