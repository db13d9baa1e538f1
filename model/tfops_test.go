//go:build cgo

package model

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestTFOps loads the chain of every operation kerasgo runs (testdata/tfops: tf_keras
// TFOpLambda layers, Keras 3 keras.src.ops operation nodes, with constants first and second,
// keyword arguments with and without "name") from both libraries' files: predictions within
// 1e-5 of Keras's, summaries equal to Keras's, configs written back equal to Keras's in both
// dialects (from a model read from either), each library's operations read back as the same
// ops, and every format written and read back with the same predictions.
func TestTFOps(t *testing.T) {
	dir := "../testdata/tfops/chain"
	x := readNpy(t, filepath.Join(dir, "x0.npy"))
	ops := func(m *Model) string {
		var s []string
		for _, l := range m.Layers() {
			if op, ok := l.(*layers.TFOp); ok {
				s = append(s, op.Op())
			}
		}
		return fmt.Sprint(s)
	}
	const want2 = "[add relu6 multiply subtract subtract divide relu add divide add add multiply divide add relu6 multiply add relu6 multiply]"
	const want3 = "[add relu6 multiply subtract subtract divide relu add divide add add multiply divide hard_sigmoid hard_swish]"
	for _, f := range []tfOpsFile{
		{"tfkeras/model.h5", "y0.npy", want2, "summary_keras2.txt", false, nil},
		// HardSigmoid and HardSilu are Keras 3 operations only
		{"keras3/model.keras", "y0_keras3.npy", want3, "summary_keras3.txt", true, map[string]bool{"m.h5": true, "sm": true}},
	} {
		t.Run(f.file, func(t *testing.T) {
			checkTFOpsFile(t, dir, x, ops, f)
		})
	}
}

// tfOpsFile is one library's file of a tfops case: its predictions (a file of the case), its
// ops (checkTFOpsFile's ops of the model), its summary, whether it has operations of Keras 3
// only (no tf_keras config), and the formats Go refuses to write from it (appsRoundTripFrom).
type tfOpsFile struct {
	file, want, ops, summary string
	keras3Only               bool
	refused                  map[string]bool
}

// checkTFOpsFile loads f.file of the case dir: ops(m) is f.ops, predictions on x within 1e-5
// of f.want, the summary f.summary; the configs written in both dialects read back as the same
// ops (the library's own exactly the fixture's; tf_keras's refused with ErrUnsupported when
// f.keras3Only), and every format written and read back (appsRoundTripFrom).
func checkTFOpsFile(t *testing.T, dir string, x *tensor.Tensor, ops func(*Model) string, f tfOpsFile) {
	t.Helper()
	m := appsLoad(t, dir, f.file, "")
	if got := ops(m); got != f.ops {
		t.Errorf("ops %s\nwant %s", got, f.ops)
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
		if f.keras3Only && c.d == saved.Keras2 {
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "exists only in Keras 3") {
				t.Errorf("Keras 3 model in tf_keras's dialect: err = %v, want ErrUnsupported", err)
			}
			continue
		}
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
		// each library's own model: its config exactly
		if (c.d == saved.Keras2) == (f.file == "tfkeras/model.h5") {
			assertJSONEqual(t, c.want, dropKey(t, got, "compile_config"), dropKey(t, readFile(t, filepath.Join(dir, c.want)), "compile_config"))
		}
	}
	appsRoundTripFrom(t, dir, f.file, f.refused)
}

// TestTFOpsTrainStep runs one TrainOnBatchN of the operation chain (Dense "pre", every TFOp,
// Dense "head") as tf_keras and Keras 3 saved it and compares the loss, the weights and the
// Adam slots (the gradients of "pre" pass back through every op) with tf_keras's
// train_on_batch from tfkeras/model.h5 computed in this run (testref.Functional).
func TestTFOpsTrainStep(t *testing.T) {
	dir := "../testdata/tfops/chain"
	rdir := filepath.Join(testref.Dir(t, testref.Functional), "chain")
	checkTrainStepFiles(t, dir, rdir)
}
