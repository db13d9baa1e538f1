package model

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
)

// PlotOptions size a History's plot. The zero value draws panels 5 by 3.2 inches at 96 dpi.
type PlotOptions struct {
	PanelWidth, PanelHeight vg.Length
	DPI                     int
}

var (
	trainColor = color.RGBA{R: 31, G: 119, B: 180, A: 255} // the blue and orange of matplotlib's
	valColor   = color.RGBA{R: 255, G: 127, B: 14, A: 255} // default cycle, as Keras users plot
)

// panels returns the plot's panels: one per logged key without a "val_" prefix (its
// validation values drawn in the same panel), then the learning rate; epochs from 1 on x.
func (h *History) panels() ([]*plot.Plot, error) {
	if h == nil || len(h.Epoch) == 0 {
		return nil, fmt.Errorf("%w: the history holds no epoch to plot", ErrShape)
	}
	xs := func(vals []float64) plotter.XYs {
		pts := make(plotter.XYs, 0, len(vals))
		for i, v := range vals {
			if i < len(h.Epoch) {
				pts = append(pts, plotter.XY{X: float64(h.Epoch[i] + 1), Y: v})
			}
		}
		return pts
	}
	var out []*plot.Plot
	add := func(title string, series [][2]any) error {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = title
		p.Add(plotter.NewGrid())
		lo, hi, last := math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, s := range series {
			vals := s[1].([]float64)
			for _, v := range vals {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			if len(vals) > 0 {
				last = math.Max(last, vals[len(vals)-1])
			}
		}
		if lo == hi && !math.IsInf(lo, 0) {
			// A constant series (a fixed learning rate): a range around it, not around 0.
			d := math.Abs(lo) / 2
			if d == 0 {
				d = 1
			}
			p.Y.Min, p.Y.Max = lo-d, hi+d
		}
		// The legend goes in the top right corner unless the curves end there.
		p.Legend.Top = !(last > (lo+hi)/2)
		p.Legend.YOffs = vg.Points(-4)
		if !p.Legend.Top {
			p.Legend.YOffs = vg.Points(4)
		}
		for _, s := range series {
			name, vals := s[0].(string), s[1].([]float64)
			l, pts, err := plotter.NewLinePoints(xs(vals))
			if err != nil {
				return fmt.Errorf("%w: history %q: %v", ErrShape, name, err)
			}
			c := trainColor
			if strings.HasPrefix(name, "val_") {
				c = valColor
			}
			l.Color, pts.Color = c, c
			l.Width = vg.Points(1.5)
			pts.Shape = draw.CircleGlyph{}
			pts.Radius = vg.Points(2)
			p.Add(l, pts)
			p.Legend.Add(name, l, pts)
		}
		out = append(out, p)
		return nil
	}
	for _, k := range h.Keys {
		if strings.HasPrefix(k, "val_") {
			continue
		}
		series := [][2]any{{k, h.History[k]}}
		if v, ok := h.History["val_"+k]; ok {
			series = append(series, [2]any{"val_" + k, v})
		}
		if err := add(k, series); err != nil {
			return nil, err
		}
	}
	if len(h.LearningRate) > 0 {
		if err := add("learning_rate", [][2]any{{"learning_rate", h.LearningRate}}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Plot draws the training curves (History.Plot in the README): one panel per loss or metric
// with its validation curve, and the learning rate, side by side in rows of two; format is
// "png" or "svg".
func (h *History) Plot(w io.Writer, format string, opts ...PlotOptions) error {
	var o PlotOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.PanelWidth <= 0 {
		o.PanelWidth = 5 * vg.Inch
	}
	if o.PanelHeight <= 0 {
		o.PanelHeight = 3.2 * vg.Inch
	}
	if o.DPI <= 0 {
		o.DPI = 96
	}
	ps, err := h.panels()
	if err != nil {
		return err
	}
	cols := min(2, len(ps))
	rows := (len(ps) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range grid[r] {
			if i := r*cols + c; i < len(ps) {
				grid[r][c] = ps[i]
			}
		}
	}
	width, height := o.PanelWidth*vg.Length(cols), o.PanelHeight*vg.Length(rows)
	var canvas vg.CanvasWriterTo
	switch strings.ToLower(format) {
	case "png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(o.DPI), vgimg.UseBackgroundColor(color.White))}
	case "svg":
		canvas = vgsvg.New(width, height)
	default:
		return fmt.Errorf("%w: plot format %q (png or svg)", ErrUnsupported, format)
	}
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	cs := plot.Align(grid, tiles, dc)
	for r := range grid {
		for c, p := range grid[r] {
			if p != nil {
				p.Draw(cs[r][c])
			}
		}
	}
	_, err = canvas.WriteTo(w)
	return err
}

// SavePlot writes Plot's picture to path, PNG or SVG by the extension, replacing the file
// whole (written to a temporary name and renamed).
func (h *History) SavePlot(path string, opts ...PlotOptions) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	var buf bytes.Buffer
	if err := h.Plot(&buf, format, opts...); err != nil {
		return apiErr("save plot", fmt.Errorf("%s: %w", path, err))
	}
	if err := (atomicfile.Options{}).WriteBytes(path, buf.Bytes()); err != nil {
		return apiErr("save plot", err)
	}
	return nil
}
