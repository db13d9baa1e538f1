package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
)

const models = "../../testdata/models"

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestSummaryFromConfig: `kerasgo summary config.json` prints tf_keras's summary text.
func TestSummaryFromConfig(t *testing.T) {
	for _, v := range []string{"seed", "auto_names", "wide"} {
		for _, d := range []string{"config_keras2.json", "config_keras3.json"} {
			code, out, errs := runCLI(t, "summary", filepath.Join(models, v, d))
			if code != 0 {
				t.Fatalf("%s/%s: exit %d: %s", v, d, code, errs)
			}
			want, err := os.ReadFile(filepath.Join(models, v, "summary_keras2.txt"))
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Errorf("%s/%s: summary differs:\n%s\nwant:\n%s", v, d, out, want)
			}
		}
	}
}

func TestPredictWritesNpy(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "y.npy")
	code, out, errs := runCLI(t, "predict", filepath.Join(models, "seed", "config_keras2.json"),
		"--input", filepath.Join(models, "seed", "x.npy"), "--output", dst)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "(8, 10)") {
		t.Errorf("output %q does not report the (8, 10) result", out)
	}
	if _, err := os.Stat(dst); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsAreOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"summary", "/nonexistent/model.h5"},
		{"predict", filepath.Join(models, "seed", "x.npy"), "--input", "a", "--output", "b"},
		{"summary", filepath.Join(models, "seed", "x.npy")},
	} {
		code, out, errs := runCLI(t, args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1 (stdout %q)", args, code, out)
		}
		if strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "kerasgo: ") {
			t.Errorf("%v: stderr %q is not one kerasgo: line", args, errs)
		}
	}
}

func TestUsage(t *testing.T) {
	if code, _, _ := runCLI(t, "bogus"); code != 2 {
		t.Errorf("unknown verb: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "summary"); code != 2 {
		t.Errorf("missing path: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t); code != 2 {
		t.Errorf("no args: exit %d, want 2", code)
	}
}

// TestConvertLsVerify converts a config to a SavedModel and a TF checkpoint (both pure Go),
// lists and verifies them, then flips one data byte: verify must fail naming the checksum.
func TestConvertLsVerify(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(models, "seed", "config_keras2.json")
	sm, ck := filepath.Join(dir, "newmodel"), filepath.Join(dir, "weights_folder", "my_weights")
	if code, _, errs := runCLI(t, "convert", cfg, sm); code != 0 {
		t.Fatalf("convert to SavedModel: %s", errs)
	}
	if code, _, errs := runCLI(t, "convert", cfg, ck, "--weights-only"); code != 0 {
		t.Fatalf("convert to checkpoint: %s", errs)
	}
	code, out, errs := runCLI(t, "ls", sm)
	if code != 0 || !strings.Contains(out, "signature serving_default output dense_2\tfloat32\t(None, 10)") ||
		!strings.Contains(out, "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE\tfloat32\t(3, 3, 3, 16)") {
		t.Fatalf("ls SavedModel: exit %d %s\n%s", code, errs, out)
	}
	code, out, _ = runCLI(t, "ls", filepath.Dir(ck))
	if code != 0 || !strings.Contains(out, "_CHECKPOINTABLE_OBJECT_GRAPH\tstring\t()") {
		t.Fatalf("ls checkpoint folder: exit %d\n%s", code, out)
	}
	for _, p := range []string{sm, ck} {
		if code, out, errs := runCLI(t, "verify", p); code != 0 || !strings.HasPrefix(out, "ok: ") {
			t.Fatalf("verify %s: exit %d %s %s", p, code, out, errs)
		}
	}
	if code, out, _ := runCLI(t, "summary", sm); code != 0 || !strings.Contains(out, "Total params: 25962") {
		t.Fatalf("summary of the SavedModel: exit %d\n%s", code, out)
	}
	data := ck + ".data-00000-of-00001"
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(data, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runCLI(t, "verify", ck)
	if code != 1 || !strings.Contains(errs, "checksum") {
		t.Fatalf("verify of a corrupted checkpoint: exit %d, stderr %q", code, errs)
	}
}

// TestHelp: --help, -h and -help, alone or after a verb, print usage on stdout and exit 0,
// without the flag package's "flag: help requested".
func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"},
		{"summary", "--help"}, {"ls", "-h"}, {"predict", "--help"}, {"convert", "-help"},
		{"verify", "--help"}, {"demo", "-h"}, {"help", "predict"}, {"predict", "m.h5", "--help"},
	} {
		code, out, errs := runCLI(t, args...)
		if code != 0 || errs != "" {
			t.Errorf("%v: exit %d, stderr %q; want 0 and nothing", args, code, errs)
		}
		if !strings.HasPrefix(out, "usage:\n  kerasgo ") || strings.Contains(out+errs, "help requested") {
			t.Errorf("%v: stdout %q is not the usage", args, out)
		}
		if verb := args[0]; verb != "help" && !strings.HasPrefix(verb, "-") && !strings.Contains(out, "kerasgo "+verb) {
			t.Errorf("%v: usage %q does not show the verb", args, out)
		}
	}
	_, out, _ := runCLI(t, "predict", "--help")
	for _, f := range []string{"-input", "-output", "-batch-size"} {
		if !strings.Contains(out, f) {
			t.Errorf("predict --help does not list %s:\n%s", f, out)
		}
	}
}

// TestErrorMessage: a load error reads "kerasgo: load PATH: ..." (the library's "model: "
// gives way to "kerasgo: "), naming the layer by its name.
func TestErrorMessage(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join(models, "seed", "config_keras2.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "lstm.json")
	if err := os.WriteFile(p, bytes.Replace(cfg, []byte(`"Flatten"`), []byte(`"ConvLSTM3D"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "m.h5")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"summary", missing}, "kerasgo: load " + missing + ": no such file or directory\n"},
		{[]string{"summary", p}, "kerasgo: load " + p + `: 1 layer of classes kerasgo does not implement: "flatten" (ConvLSTM3D)` + "\n"},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code != 1 || errs != c.want {
			t.Errorf("%v: exit %d, stderr %q; want 1, %q", c.args, code, errs, c.want)
		}
	}
}

// TestPredictCorruptInput: a truncated .npy input fails with an error matching
// model.ErrFormat and npy.ErrFormat, printed on one line that names the file once.
func TestPredictCorruptInput(t *testing.T) {
	x, err := os.ReadFile(filepath.Join(models, "seed", "x.npy"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "x.npy")
	if err := os.WriteFile(bad, x[:len(x)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join(models, "seed", "config_keras2.json"), "--input", bad, "--output", filepath.Join(dir, "y.npy")}
	err = cmdPredict(args, io.Discard)
	if !errors.Is(err, model.ErrFormat) || !errors.Is(err, npy.ErrFormat) {
		t.Errorf("err = %v, want model.ErrFormat and npy.ErrFormat", err)
	}
	code, _, errs := runCLI(t, append([]string{"predict"}, args...)...)
	if code != 1 || !strings.HasPrefix(errs, "kerasgo: npy: ") || strings.Count(errs, bad) != 1 || strings.Count(errs, "\n") != 1 {
		t.Errorf("exit %d, stderr %q: want one kerasgo: npy: line naming %s once", code, errs, bad)
	}
	if _, err := os.Stat(filepath.Join(dir, "y.npy")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an output was written for a corrupt input: %v", err)
	}
}
