//go:build !kerasgo_noplot

package modelplot

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/saved"
)

// twoLayerDot is the DOT text of a small Sequential model in a dialect.
func twoLayerDot(t *testing.T, d saved.Dialect) []byte {
	t.Helper()
	m := model.NewSequential(layers.NewDense(8, layers.DenseOptions{Activation: "relu"}), layers.NewDense(2, layers.DenseOptions{Activation: "softmax"}))
	if err := m.Build(4); err != nil {
		t.Fatal(err)
	}
	o := model.DefaultDotOptions(d)
	o.ShowShapes = true
	s, err := m.Dot(o)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}

var (
	edgePath  = regexp.MustCompile(`(?s)<g id="edge\d+" class="edge">.*?<path [^>]*d="M([-\d.]+),([-\d.]+)C([-\d., ]+)"`)
	transform = regexp.MustCompile(`transform="([^"]+)"`)
)

// TestPNGDrawsEdges renders a model's graph to SVG and PNG and checks that the PNG has dark
// pixels along every edge Graphviz laid out (go-graphviz's own PNG renderer drew none), that
// its size is Graphviz's, and that node text is painted.
func TestPNGDrawsEdges(t *testing.T) {
	ctx := context.Background()
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		dot := twoLayerDot(t, d)
		var svg, pngBuf bytes.Buffer
		if err := Render(ctx, dot, SVG, &svg); err != nil {
			t.Fatal(err)
		}
		if err := Render(ctx, dot, PNG, &pngBuf); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&pngBuf)
		if err != nil {
			t.Fatal(err)
		}
		s := svg.String()
		for _, name := range []string{"dense", "dense_1"} {
			if !strings.Contains(s, ">"+name+"<") {
				t.Errorf("dialect %d: SVG has no text %q", d, name)
			}
		}
		tr := parseTransform(transform.FindStringSubmatch(s)[1])
		edges := edgePath.FindAllStringSubmatch(s, -1)
		wantEdges := 2 // InputLayer -> dense -> dense_1 (tf_keras)
		if d == saved.Keras3 {
			wantEdges = 1
		}
		if len(edges) != wantEdges {
			t.Fatalf("dialect %d: %d edges in the SVG, want %d", d, len(edges), wantEdges)
		}
		for _, e := range edges {
			x0, _ := strconv.ParseFloat(e[1], 64)
			y0, _ := strconv.ParseFloat(e[2], 64)
			f := strings.FieldsFunc(e[3], func(r rune) bool { return r == ',' || r == ' ' })
			x3, _ := strconv.ParseFloat(f[len(f)-2], 64)
			y3, _ := strconv.ParseFloat(f[len(f)-1], 64)
			// Points along the (straight, vertical here) edge, away from its ends.
			for _, k := range []float64{0.25, 0.5, 0.75} {
				X, Y := tr.pt(x0+(x3-x0)*k, y0+(y3-y0)*k)
				if !darkNear(img, int(X+0.5), int(Y+0.5), 2) {
					t.Errorf("dialect %d: no edge pixel near (%.0f, %.0f) (%.0f%% along %s)", d, X, Y, k*100, e[0][strings.Index(e[0], "d=\"M"):])
				}
			}
			// Beside the edge is the background.
			X, Y := tr.pt((x0+x3)/2, (y0+y3)/2)
			if darkNear(img, int(X)+12, int(Y), 1) {
				t.Errorf("dialect %d: dark pixels beside the edge at (%.0f, %.0f)", d, X+12, Y)
			}
		}
		if dark(img) < 500 {
			t.Errorf("dialect %d: only %d dark pixels: text and boxes missing", d, dark(img))
		}
	}
}

func darkNear(img image.Image, x, y, r int) bool {
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if isDark(img, x+dx, y+dy) {
				return true
			}
		}
	}
	return false
}

func isDark(img image.Image, x, y int) bool {
	if !(image.Point{x, y}.In(img.Bounds())) {
		return false
	}
	r, g, b, _ := img.At(x, y).RGBA()
	return r+g+b < 3*0x4000
}

func dark(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if isDark(img, x, y) {
				n++
			}
		}
	}
	return n
}

// TestPNGSizeFollowsDPI: Graphviz sizes the image by the graph's dpi.
func TestPNGSizeFollowsDPI(t *testing.T) {
	size := func(dot string) image.Point {
		var buf bytes.Buffer
		if err := Render(context.Background(), []byte(dot), PNG, &buf); err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(&buf)
		if err != nil {
			t.Fatal(err)
		}
		return image.Pt(cfg.Width, cfg.Height)
	}
	a := size("digraph G { dpi=72; a -> b; }")
	b := size("digraph G { dpi=144; a -> b; }")
	if b.X < 2*a.X-2 || b.X > 2*a.X+2 || b.Y < 2*a.Y-2 || b.Y > 2*a.Y+2 {
		t.Errorf("dpi 72: %v, dpi 144: %v; want twice the size", a, b)
	}
}

// TestRenderErrors: bad DOT and unknown formats are errors, not panics.
func TestRenderErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(context.Background(), []byte("digraph G { a -> "), SVG, &buf); err == nil {
		t.Error("truncated DOT rendered without error")
	}
	if err := Render(context.Background(), []byte("digraph G { a; }"), Format("gif"), &buf); err == nil || !strings.Contains(err.Error(), "gif") {
		t.Errorf("format gif: %v", err)
	}
	for _, bad := range []string{"", "{", "graph", "digraph G { a [label=<<b>]; }", "digraph G { a -> b -> ; }",
		"digraph G { a [shape=record, label=\"{|{\"]; }", "\x00\xff", strings.Repeat("digraph G {", 100)} {
		for _, f := range []Format{SVG, PNG} {
			buf.Reset()
			err := Render(context.Background(), []byte(bad), f, &buf) // an error or a picture, never a panic
			if err == nil && buf.Len() == 0 {
				t.Errorf("%q as %s: no error and nothing written", bad, f)
			}
		}
	}
	if err := Render(context.Background(), []byte("digraph G { dpi=100000; a -> b; }"), PNG, &buf); err == nil {
		t.Error("a gigantic PNG was not refused")
	}
}

// TestRenderFixtures lays out the drawing of every model of testdata/functional and
// testdata/plot (both dialects, nested models expanded, shapes shown) with Graphviz: it parses
// each DOT text and draws one node group per node.
func TestRenderFixtures(t *testing.T) {
	var files []string
	for _, part := range []string{"functional", "plot"} {
		f, _ := filepath.Glob(filepath.Join("..", "testdata", part, "*", "config_keras3.json"))
		files = append(files, f...)
	}
	if len(files) < 50 {
		t.Fatalf("only %d fixture configs", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := model.FromJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			o := model.DefaultDotOptions(d)
			o.ShowShapes, o.ExpandNested, o.ShowTrainable = true, true, true
			dot, err := m.Dot(o)
			if err != nil {
				t.Fatal(err)
			}
			var svg bytes.Buffer
			if err := Render(context.Background(), []byte(dot), SVG, &svg); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			want := strings.Count(dot, " [label=")
			if got := strings.Count(svg.String(), `class="node"`); got != want {
				t.Errorf("%s dialect %d: %d nodes drawn, want %d", f, d, got, want)
			}
			if got, want := strings.Count(svg.String(), `class="edge"`), strings.Count(dot, " -> "); got != want {
				t.Errorf("%s dialect %d: %d edges drawn, want %d", f, d, got, want)
			}
		}
	}
}

func TestPlotModelFormats(t *testing.T) {
	m := model.NewSequential(layers.NewDense(2))
	if err := m.Build(3); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, magic := range map[string]string{"a.png": "\x89PNG", "b": "\x89PNG", "c.svg": "<?xml", "d.dot": "digraph G {"} {
		p := filepath.Join(dir, name)
		if err := PlotModel(context.Background(), m, p, model.DefaultDotOptions(saved.Keras3)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte(magic)) {
			t.Errorf("%s starts %q, want %q", name, data[:min(12, len(data))], magic)
		}
	}
	if err := PlotModel(context.Background(), m, filepath.Join(dir, "x.gif"), model.DotOptions{}); err == nil {
		t.Error("x.gif: no error")
	}
}

// TestPNGEllipse: Graphviz's default node shape is painted too (its outline crosses the
// node's centre line at the left and right).
func TestPNGEllipse(t *testing.T) {
	var svg, out bytes.Buffer
	dot := []byte("digraph G { dpi=72; a; }")
	if err := Render(context.Background(), dot, SVG, &svg); err != nil {
		t.Fatal(err)
	}
	if err := Render(context.Background(), dot, PNG, &out); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&out)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<ellipse [^>]*cx="([-\d.]+)" cy="([-\d.]+)" rx="([-\d.]+)"`).FindStringSubmatch(svg.String())
	if m == nil {
		t.Fatalf("no ellipse in\n%s", svg.String())
	}
	cx, _ := strconv.ParseFloat(m[1], 64)
	cy, _ := strconv.ParseFloat(m[2], 64)
	rx, _ := strconv.ParseFloat(m[3], 64)
	tr := parseTransform(transform.FindStringSubmatch(svg.String())[1])
	for _, x := range []float64{cx - rx, cx + rx} {
		X, Y := tr.pt(x, cy)
		found := false
		for dx := -1; dx <= 1; dx++ {
			r, g, b, _ := img.At(int(X+0.5)+dx, int(Y+0.5)).RGBA()
			found = found || r+g+b < 3*0xc000 // the 1-pixel outline is antialiased grey
		}
		if !found {
			t.Errorf("no outline at (%.0f, %.0f)", X, Y)
		}
	}
	// Inside is white.
	X, Y := tr.pt(cx-rx/2, cy-5)
	if r, g, b, _ := img.At(int(X), int(Y)).RGBA(); r+g+b < 3*0xf000 {
		t.Errorf("inside the ellipse at (%.0f, %.0f) is not white", X, Y)
	}
}
