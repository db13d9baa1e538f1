//go:build kerasgo_noplot

// Package modelplot is left out of this build (the kerasgo_noplot tag): Render fails.
package modelplot

import (
	"context"
	"errors"
	"io"
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
