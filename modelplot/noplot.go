//go:build kerasgo_noplot

// Package modelplot is left out of this build (the kerasgo_noplot tag): Render fails.
package modelplot

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/model"
)

// Format is an output format: SVG, PNG or DOT.
type Format string

const (
	SVG Format = "svg"
	PNG Format = "png"
	DOT Format = "dot"
)

// ErrNoPlot is Render's error in builds with the kerasgo_noplot tag.
var ErrNoPlot = errors.New("modelplot: not in this build (kerasgo_noplot tag)")

// Render writes DOT as given and fails for other formats.
func Render(_ context.Context, dot []byte, f Format, w io.Writer) error {
	if f == DOT {
		_, err := w.Write(dot)
		return err
	}
	return ErrNoPlot
}

// PlotModel writes m.Dot(opts) to a .dot path and fails for other formats.
func PlotModel(_ context.Context, m *model.Model, path string, opts model.DotOptions) error {
	if strings.ToLower(filepath.Ext(path)) != ".dot" {
		return ErrNoPlot
	}
	dot, err := m.Dot(opts)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(dot), 0o644)
}
