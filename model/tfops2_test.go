//go:build cgo

package model

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
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
	for _, f := range []struct{ file, want, summary string }{
		{"tfkeras/model.h5", "y0.npy", "summary_keras2.txt"},
		{"keras3/model.keras", "y0_keras3.npy", "summary_keras3.txt"},
	} {
		t.Run(f.file, func(t *testing.T) {
			m := appsLoad(t, dir, f.file, "")
			if got := ops(m); got != want {
				t.Errorf("ops %s\nwant %s", got, want)
			}
			y, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(t, y, readNpy(t, filepath.Join(dir, f.want))); d > 1e-5 {
				t.Errorf("predictions differ from Keras's by %g", d)
			} else {
				t.Logf("max |diff| %.3g", d)
			}
			sum := m.Summary()
			if f.summary == "summary_keras3.txt" {
				sum = m.SummaryKeras3()
			}
			assertTextEqual(t, f.summary, sum, string(readFile(t, filepath.Join(dir, f.summary))))
			for _, c := range []struct {
				d    saved.Dialect
				want string
			}{{saved.Keras2, "config_keras2_to_json.json"}, {saved.Keras3, "config_keras3.json"}} {
				got, err := m.Config(c.d)
				if err != nil {
					t.Fatal(err)
				}
				back, err := FromJSON(got)
				if err != nil {
					t.Fatalf("%s: reading back the %v config: %v", f.file, c.d, err)
				}
				if ops(back) != ops(m) {
					t.Errorf("%v config read back: ops %s, want %s", c.d, ops(back), ops(m))
				}
				if (c.d == saved.Keras2) == (f.file == "tfkeras/model.h5") {
					assertJSONEqual(t, c.want, dropKey(t, got, "compile_config"), dropKey(t, readFile(t, filepath.Join(dir, c.want)), "compile_config"))
				}
			}
			appsRoundTripFrom(t, dir, f.file, nil)
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
	var logs map[string]float64
	if err := json.Unmarshal(readFile(t, filepath.Join(rdir, "logs.json")), &logs); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tfkeras/model.h5", "keras3/model.keras"} {
		t.Run(f, func(t *testing.T) {
			checkTrainStep(t, dir, rdir, f, logs)
		})
	}
}
