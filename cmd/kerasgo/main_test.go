package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if !strings.Contains(out, "[8 10]") {
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
