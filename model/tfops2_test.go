//go:build cgo

package model

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/layers"
)

// TestTFOps2 loads the operations on two tensors (testdata/tfops2/binary: tf_keras
// TFOpLambda layers with the second tensor as keyword argument "y", Keras 3 operation nodes
// with two tensor arguments; a tensor times itself; a broadcast along the last axis) from both
// libraries' files: the ops read as layers.TFOp2 (and the constant one as TFOp), predictions
// within 1e-5 of Keras's, summaries equal to Keras's, configs written back equal to Keras's
// in both dialects from either file and read back as the same ops, and every format written
// and read back with the same predictions (appsRoundTripFrom; compat.TestTFOps2InKeras has
// tf_keras, Keras 3 and tf.saved_model load what kerasgo writes).
func TestTFOps2(t *testing.T) {
	dir := "../testdata/tfops2/binary"
	x := readNpy(t, filepath.Join(dir, "x0.npy"))
	ops := func(m *Model) string {
		var s []string
		for _, l := range m.Layers() {
			switch op := l.(type) {
			case *layers.TFOp2:
				s = append(s, op.Op()+"2")
			case *layers.TFOp:
				s = append(s, op.Op())
			}
		}
		return fmt.Sprint(s)
	}
	const want = "[add2 multiply2 multiply2 subtract2 add divide2 multiply2]"
	for _, f := range []tfOpsFile{
		{"tfkeras/model.h5", "y0.npy", want, "summary_keras2.txt", false, nil},
		{"keras3/model.keras", "y0_keras3.npy", want, "summary_keras3.txt", false, nil},
	} {
		t.Run(f.file, func(t *testing.T) {
			checkTFOpsFile(t, dir, x, ops, f)
		})
	}
}

// TestTFOps2TrainStep runs one TrainOnBatchN of the operations on two tensors as tf_keras and
// Keras 3 saved them and compares the loss, the weights and the Adam slots (the gradients of
// "a", "b" and "s" pass back through both operands of every op, a broadcast one summed) with
// tf_keras's train_on_batch from tfkeras/model.h5 computed in this run (testref.Functional).
func TestTFOps2TrainStep(t *testing.T) {
	dir := "../testdata/tfops2/binary"
	rdir := filepath.Join(testref.Dir(t, testref.Functional), "binary")
	checkTrainStepFiles(t, dir, rdir)
}
