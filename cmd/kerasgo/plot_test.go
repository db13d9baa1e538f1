package main

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/saved"
)

// TestPlotDot: `kerasgo plot -o x.dot` writes model.Dot's text for the options given by flags.
func TestPlotDot(t *testing.T) {
	cfg := filepath.Join(models, "seed", "config_keras2.json")
	dst := filepath.Join(t.TempDir(), "m.dot")
	code, _, errs := runCLI(t, "plot", cfg, "-o", dst, "--keras3", "--show-shapes", "--show-dtype",
		"--show-layer-names=false", "--rankdir", "LR", "--expand-nested", "--show-layer-activations",
		"--show-trainable", "--dpi", "72")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.FromJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Dot(model.DotOptions{Dialect: saved.Keras3, ShowShapes: true, ShowDtype: true,
		RankDir: "LR", ExpandNested: true, ShowLayerActivations: true, ShowTrainable: true, DPI: 72})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("plot wrote:\n%s\nwant:\n%s", got, want)
	}
	for _, bad := range [][]string{
		{"plot", cfg, "-o", "x.gif"},
		{"plot", cfg, "-o", dst, "--rankdir", "BT"},
		{"plot", cfg, "-o", dst, "--dpi", "-3"},
	} {
		if code, _, errs := runCLI(t, bad...); code == 0 || strings.Count(errs, "\n") > 12 {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errs)
		}
	}
}

// TestPlotPNG builds kerasgo-plot and checks that `kerasgo plot -o x.png` and `-o x.svg`
// write a PNG and an SVG of the model, and that a missing helper is a clear error.
func TestPlotPNG(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/kerasgo-plot")
	}
	dir := t.TempDir()
	helper := filepath.Join(dir, "kerasgo-plot")
	build := exec.Command("go", "build", "-o", helper, "../kerasgo-plot")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build kerasgo-plot: %v\n%s", err, out)
	}
	t.Setenv("KERASGO_PLOT", helper)
	cfg := filepath.Join(models, "seed", "config_keras2.json")
	pngPath := filepath.Join(dir, "m.png")
	if code, _, errs := runCLI(t, "plot", cfg, "-o", pngPath, "--show-shapes"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	data, err := os.ReadFile(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 300 {
		t.Errorf("PNG of 8 layers is %v", b)
	}
	svgPath := filepath.Join(dir, "m.svg")
	if code, _, errs := runCLI(t, "plot", cfg, "-o", svgPath, "--keras3"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	svg, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<svg", ">conv_1<", ">dense_2<", "class=\"edge\""} {
		if !bytes.Contains(svg, []byte(s)) {
			t.Errorf("SVG has no %q", s)
		}
	}
	if plotInProcess {
		return
	}
	t.Setenv("KERASGO_PLOT", filepath.Join(dir, "missing"))
	code, _, errs := runCLI(t, "plot", cfg, "-o", pngPath)
	if code == 0 || !strings.Contains(errs, "missing") {
		t.Errorf("missing helper: exit %d, %q", code, errs)
	}
}
