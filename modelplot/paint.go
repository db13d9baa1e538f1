//go:build !kerasgo_noplot

package modelplot

import (
	"encoding/xml"
	"errors"
	"fmt"
	"image/color"
	"io"
	"strconv"
	"strings"

	"github.com/fogleman/gg"
	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// maxPixels bounds the PNG's size (a graph of thousands of layers at a high dpi).
const maxPixels = 64 << 20

// svgTransform is Graphviz's transform of the top graph group: scale, then translate.
type svgTransform struct{ sx, sy, tx, ty float64 }

func (t svgTransform) pt(x, y float64) (float64, float64) {
	return (x + t.tx) * t.sx, (y + t.ty) * t.sy
}

// paintPNG paints Graphviz's SVG drawing of a graph as a PNG of the size Graphviz gives it
// (its width and height in points at the graph's dpi, one pixel each). Graphviz's SVG uses a
// small set of elements: polygons (node shapes, table cells, arrow heads), polylines (record
// field separators), ellipses (its default node shape), paths of cubic Béziers (edges) and
// text.
func paintPNG(svg []byte, w io.Writer) error {
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	dec.Strict = false
	var dc *gg.Context
	var tr svgTransform
	var text *xml.StartElement
	fonts := newFontCache()
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("modelplot: SVG: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			a := attrs(t)
			switch t.Name.Local {
			case "svg":
				wd, _ := strconv.ParseFloat(strings.TrimSuffix(a["width"], "pt"), 64)
				ht, _ := strconv.ParseFloat(strings.TrimSuffix(a["height"], "pt"), 64)
				W, H := int(wd+0.5), int(ht+0.5)
				if W < 1 || H < 1 || W*H > maxPixels {
					return fmt.Errorf("modelplot: image of %dx%d pixels refused (at most %d pixels)", W, H, maxPixels)
				}
				dc = gg.NewContext(W, H)
				dc.SetColor(color.White)
				dc.Clear()
			case "g":
				if s, ok := a["transform"]; ok {
					tr = parseTransform(s)
				}
			case "polygon", "polyline":
				if dc == nil {
					continue
				}
				pts := parsePoints(a["points"])
				if len(pts) < 2 {
					continue
				}
				for i, p := range pts {
					x, y := tr.pt(p[0], p[1])
					if i == 0 {
						dc.MoveTo(x, y)
					} else {
						dc.LineTo(x, y)
					}
				}
				if t.Name.Local == "polygon" {
					dc.ClosePath()
				}
				paint(dc, a, tr)
			case "ellipse":
				if dc == nil {
					continue
				}
				cx, _ := strconv.ParseFloat(a["cx"], 64)
				cy, _ := strconv.ParseFloat(a["cy"], 64)
				rx, _ := strconv.ParseFloat(a["rx"], 64)
				ry, _ := strconv.ParseFloat(a["ry"], 64)
				X, Y := tr.pt(cx, cy)
				dc.NewSubPath()
				dc.DrawEllipse(X, Y, rx*tr.sx, ry*tr.sy)
				paint(dc, a, tr)
			case "path":
				if dc == nil {
					continue
				}
				if err := tracePath(dc, a["d"], tr); err != nil {
					return err
				}
				paint(dc, a, tr)
			case "text":
				text = &t
			}
		case xml.CharData:
			if text == nil || dc == nil {
				continue
			}
			a := attrs(*text)
			x, _ := strconv.ParseFloat(a["x"], 64)
			y, _ := strconv.ParseFloat(a["y"], 64)
			size, _ := strconv.ParseFloat(a["font-size"], 64)
			X, Y := tr.pt(x, y)
			dc.SetFontFace(fonts.face(a["font-weight"] == "bold", size*tr.sy))
			dc.SetColor(parseColor(a["fill"], color.Black))
			s := string(t)
			ax := 0.0
			switch a["text-anchor"] {
			case "middle":
				ax = 0.5
			case "end":
				ax = 1
			}
			dc.DrawStringAnchored(s, X, Y, ax, 0)
		case xml.EndElement:
			if t.Name.Local == "text" {
				text = nil
			}
		}
	}
	if dc == nil {
		return errors.New("modelplot: SVG: no <svg> element")
	}
	return dc.EncodePNG(w)
}

func attrs(e xml.StartElement) map[string]string {
	m := make(map[string]string, len(e.Attr))
	for _, a := range e.Attr {
		m[a.Name.Local] = a.Value
	}
	return m
}

// paint fills and strokes the current path as the element's fill, stroke and stroke-width
// say.
func paint(dc *gg.Context, a map[string]string, tr svgTransform) {
	fill, stroke := a["fill"], a["stroke"]
	if fill != "" && fill != "none" && fill != "transparent" {
		dc.SetColor(parseColor(fill, color.Black))
		if stroke != "" && stroke != "none" {
			dc.FillPreserve()
		} else {
			dc.Fill()
			return
		}
	}
	if stroke == "" || stroke == "none" || stroke == "transparent" {
		dc.ClearPath()
		return
	}
	lw := 1.0
	if s, err := strconv.ParseFloat(a["stroke-width"], 64); err == nil {
		lw = s
	}
	dc.SetLineWidth(lw * tr.sx)
	dc.SetColor(parseColor(stroke, color.Black))
	var dash []float64
	for _, f := range strings.FieldsFunc(a["stroke-dasharray"], func(r rune) bool { return r == ',' || r == ' ' }) {
		if v, err := strconv.ParseFloat(f, 64); err == nil && v > 0 {
			dash = append(dash, v*tr.sx)
		}
	}
	dc.SetDash(dash...) // dashed clusters; none resets
	dc.Stroke()
}

// parseTransform reads "scale(sx sy) rotate(0) translate(tx ty)".
func parseTransform(s string) svgTransform {
	t := svgTransform{sx: 1, sy: 1}
	for _, part := range strings.Split(s, ")") {
		name, args, ok := strings.Cut(strings.TrimSpace(part), "(")
		if !ok {
			continue
		}
		f := strings.FieldsFunc(args, func(r rune) bool { return r == ' ' || r == ',' })
		v := make([]float64, len(f))
		for i := range f {
			v[i], _ = strconv.ParseFloat(f[i], 64)
		}
		switch {
		case name == "scale" && len(v) == 1:
			t.sx, t.sy = v[0], v[0]
		case name == "scale" && len(v) >= 2:
			t.sx, t.sy = v[0], v[1]
		case name == "translate" && len(v) >= 2:
			t.tx, t.ty = v[0], v[1]
		}
	}
	return t
}

func parsePoints(s string) [][2]float64 {
	var pts [][2]float64
	for _, p := range strings.Fields(s) {
		xs, ys, ok := strings.Cut(p, ",")
		if !ok {
			continue
		}
		x, err1 := strconv.ParseFloat(xs, 64)
		y, err2 := strconv.ParseFloat(ys, 64)
		if err1 == nil && err2 == nil {
			pts = append(pts, [2]float64{x, y})
		}
	}
	return pts
}

// tracePath adds a path of Graphviz's form ("M x,y C x1,y1 x2,y2 x3,y3 ...", absolute
// move-to, cubic and line-to commands) to the context's current path.
func tracePath(dc *gg.Context, d string, tr svgTransform) error {
	d = strings.NewReplacer(",", " ", "M", " M ", "C", " C ", "L", " L ", "Z", " Z ", "z", " Z ").Replace(d)
	f := strings.Fields(d)
	cmd := ""
	num := func(i int) float64 { v, _ := strconv.ParseFloat(f[i], 64); return v }
	for i := 0; i < len(f); {
		switch f[i] {
		case "M", "C", "L":
			cmd = f[i]
			i++
			continue
		case "Z":
			dc.ClosePath()
			i++
			continue
		}
		switch cmd {
		case "M", "L":
			if i+1 >= len(f) {
				return fmt.Errorf("modelplot: SVG path %q: short", d)
			}
			x, y := tr.pt(num(i), num(i+1))
			if cmd == "M" {
				dc.MoveTo(x, y)
				cmd = "L"
			} else {
				dc.LineTo(x, y)
			}
			i += 2
		case "C":
			if i+5 >= len(f) {
				return fmt.Errorf("modelplot: SVG path %q: short", d)
			}
			x1, y1 := tr.pt(num(i), num(i+1))
			x2, y2 := tr.pt(num(i+2), num(i+3))
			x3, y3 := tr.pt(num(i+4), num(i+5))
			dc.CubicTo(x1, y1, x2, y2, x3, y3)
			i += 6
		default:
			return fmt.Errorf("modelplot: SVG path %q: unsupported command at %q", d, f[i])
		}
	}
	return nil
}

var namedColors = map[string]color.Color{
	"black":       color.Black,
	"white":       color.White,
	"forestgreen": color.RGBA{0x22, 0x8b, 0x22, 0xff},
	"firebrick":   color.RGBA{0xb2, 0x22, 0x22, 0xff},
	"gray":        color.RGBA{0xc0, 0xc0, 0xc0, 0xff},
	"lightgrey":   color.RGBA{0xd3, 0xd3, 0xd3, 0xff},
}

func parseColor(s string, def color.Color) color.Color {
	if c, ok := namedColors[strings.ToLower(s)]; ok {
		return c
	}
	if len(s) == 7 && s[0] == '#' {
		v, err := strconv.ParseUint(s[1:], 16, 32)
		if err == nil {
			return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
		}
	}
	return def
}

// fontCache holds the Go fonts' faces by weight and size.
type fontCache struct {
	regular, bold *truetype.Font
	faces         map[[2]float64]font.Face
}

func newFontCache() *fontCache {
	r, _ := truetype.Parse(goregular.TTF)
	b, _ := truetype.Parse(gobold.TTF)
	return &fontCache{regular: r, bold: b, faces: map[[2]float64]font.Face{}}
}

func (c *fontCache) face(bold bool, size float64) font.Face {
	k := [2]float64{0, size}
	f := c.regular
	if bold {
		k[0], f = 1, c.bold
	}
	if fc, ok := c.faces[k]; ok {
		return fc
	}
	fc := truetype.NewFace(f, &truetype.Options{Size: size})
	c.faces[k] = fc
	return fc
}
