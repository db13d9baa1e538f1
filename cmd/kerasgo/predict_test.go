package main

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
)

const twoInTwoOut = "../../testdata/functional/two_in_two_out"

// TestPredictFunctionalTwoInTwoOut runs `kerasgo predict` on the two-input, two-output
// Functional fixture from every whole-model file Keras wrote: the inputs go in the model's
// order (vec, img), and the outputs (cls, reg) come out within 1e-5 of Keras's predictions.
func TestPredictFunctionalTwoInTwoOut(t *testing.T) {
	for _, f := range []struct{ path, y0, y1 string }{
		{"tfkeras/model.h5", "y0.npy", "y1.npy"},
		{"tfkeras/savedmodel", "y0.npy", "y1.npy"},
		{"keras3/model.keras", "y0_keras3.npy", "y1_keras3.npy"},
		{"keras3/legacy.h5", "y0_keras3.npy", "y1_keras3.npy"},
	} {
		t.Run(f.path, func(t *testing.T) {
			dir := t.TempDir()
			o0, o1 := filepath.Join(dir, "cls.npy"), filepath.Join(dir, "reg.npy")
			code, out, errs := runCLI(t, "predict", filepath.Join(twoInTwoOut, f.path),
				"--input", filepath.Join(twoInTwoOut, "x0.npy"), "--input", filepath.Join(twoInTwoOut, "x1.npy"),
				"--output", o0, "--output", o1, "--batch-size", "2")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if want := "wrote " + o0 + " (3, 3)\nwrote " + o1 + " (3, 2)\n"; out != want {
				t.Errorf("stdout %q, want %q", out, want)
			}
			assertNpyClose(t, o0, filepath.Join(twoInTwoOut, f.y0), 1e-5)
			assertNpyClose(t, o1, filepath.Join(twoInTwoOut, f.y1), 1e-5)
		})
	}
}

// TestPredictFunctionalCounts: one --input or --output too few or too many is refused before
// anything is read or written, with an error naming the model's inputs (or outputs) in order.
func TestPredictFunctionalCounts(t *testing.T) {
	mdl := filepath.Join(twoInTwoOut, "tfkeras", "model.h5")
	x0, x1 := filepath.Join(twoInTwoOut, "x0.npy"), filepath.Join(twoInTwoOut, "x1.npy")
	dir := t.TempDir()
	o0, o1, o2 := filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy"), filepath.Join(dir, "c.npy")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--input", x0, "--output", o0, "--output", o1}, `has 2 input(s) ("vec", "img"), in this order; got 1 --input`},
		{[]string{"--input", x1, "--input", x0, "--input", x0, "--output", o0, "--output", o1}, `has 2 input(s) ("vec", "img"), in this order; got 3 --input`},
		{[]string{"--input", x0, "--input", x1, "--output", o0}, `has 2 output(s) ("cls", "reg"), in this order; got 1 --output`},
		{[]string{"--input", x0, "--input", x1, "--output", o0, "--output", o1, "--output", o2}, `has 2 output(s) ("cls", "reg"), in this order; got 3 --output`},
	} {
		args := append([]string{mdl}, c.args...)
		err := cmdPredict(args, io.Discard)
		if !errors.Is(err, model.ErrShape) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), mdl) {
			t.Errorf("%v: err = %v, want model.ErrShape naming %s and %q", c.args, err, mdl, c.want)
		}
		code, _, errs := runCLI(t, append([]string{"predict"}, args...)...)
		if code != 1 || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q: want 1 and one line", c.args, code, errs)
		}
	}
	// Inputs in the wrong order: the shapes do not fit, and the error names the input.
	err := cmdPredict([]string{mdl, "--input", x1, "--input", x0, "--output", o0, "--output", o1}, io.Discard)
	if !errors.Is(err, model.ErrShape) || !strings.Contains(err.Error(), `input "vec"`) {
		t.Errorf("swapped inputs: err = %v, want model.ErrShape naming input \"vec\"", err)
	}
	for _, o := range []string{o0, o1, o2} {
		if _, err := os.Stat(o); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was written by a refused predict: %v", o, err)
		}
	}
	// A Sequential model has one input and one output.
	err = cmdPredict([]string{filepath.Join(models, "seed", "config_keras2.json"), "--input", filepath.Join(models, "seed", "x.npy"),
		"--output", o0, "--output", o1}, io.Discard)
	if !errors.Is(err, model.ErrShape) || !strings.Contains(err.Error(), "has 1 output(s)") {
		t.Errorf("Sequential with 2 --output: err = %v", err)
	}
}

// TestFunctionalSummaryLsVerify: summary prints tf_keras's text for a Functional model read
// from any whole-model file, ls lists its variables, and verify says kerasgo can run it.
func TestFunctionalSummaryLsVerify(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(twoInTwoOut, "summary_keras2.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tfkeras/model.h5", "keras3/model.keras", "keras3/legacy.h5", "config_keras3.json"} {
		code, out, errs := runCLI(t, "summary", filepath.Join(twoInTwoOut, f))
		if code != 0 || out != string(want) {
			t.Errorf("summary %s: exit %d %s\n%s\nwant:\n%s", f, code, errs, out, want)
		}
	}
	code, out, errs := runCLI(t, "ls", filepath.Join(twoInTwoOut, "tfkeras", "model.h5"))
	if code != 0 || !strings.Contains(out, "model_weights/img_conv/img_conv/kernel:0\tfloat32\t(3, 3, 2, 3)\n") {
		t.Errorf("ls: exit %d %s\n%s", code, errs, out)
	}
	for _, f := range []string{"tfkeras/model.h5", "keras3/model.keras", "keras3/legacy.h5", "tfkeras/savedmodel"} {
		code, out, errs := runCLI(t, "verify", filepath.Join(twoInTwoOut, f))
		if code != 0 || !strings.Contains(out, "\nkerasgo can run: yes — Functional \"two_in_two_out\", 8 layers, 8 weights") {
			t.Errorf("verify %s: exit %d %s\n%s", f, code, errs, out)
		}
	}
}

// assertNpyClose checks that two .npy files hold float32 arrays of one shape whose elements
// differ by at most tol.
func assertNpyClose(t *testing.T, got, want string, tol float64) {
	t.Helper()
	g, err := npy.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := npy.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !equalInts(g.Shape, w.Shape) {
		t.Fatalf("%s: shape %v, want %v", got, g.Shape, w.Shape)
	}
	gv, wv := g.Float32s(), w.Float32s()
	for i := range gv {
		if d := math.Abs(float64(gv[i] - wv[i])); !(d <= tol) {
			t.Fatalf("%s[%d] = %g, want %g (|diff| %g > %g)", got, i, gv[i], wv[i], d, tol)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
