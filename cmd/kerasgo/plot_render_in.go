//go:build kerasgo_plotin

package main

import (
	"context"
	"io"

	"github.com/kerasgo/kerasgo/modelplot"
)

// plotInProcess reports whether this build renders in its own process: with the tag
// kerasgo_plotin, kerasgo links modelplot (and so starts go-graphviz's WebAssembly at every
// start of every command) instead of running kerasgo-plot.
const plotInProcess = true

// renderPlot lays out and renders DOT text as PNG or SVG with modelplot, in this process.
func renderPlot(dot []byte, format string, w io.Writer) error {
	return modelplot.Render(context.Background(), dot, modelplot.Format(format), w)
}
