//go:build !kerasgo_noplot

// Package modelplot renders the DOT text of model.Dot to SVG or PNG with Graphviz's own
// layout engine, compiled to WebAssembly and run in pure Go (github.com/goccy/go-graphviz):
// no system Graphviz is needed at run time.
//
// go-graphviz compiles its WebAssembly module when its packages initialise, so a program that
// imports modelplot pays for it at every start (about 1 to 3 s and 6 MB of cache in
// $TMPDIR/go-graphviz the first time on a machine, some 0.1 s and 18 MB of memory after), used
// or not. That is why the kerasgo command leaves rendering to the kerasgo-plot program. Build
// with the kerasgo_noplot tag to leave Graphviz out: Render and PlotModel then write DOT only.
package modelplot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/goccy/go-graphviz"
)

// Format is an output format: SVG, PNG or DOT.
type Format string

const (
	SVG Format = "svg"
	PNG Format = "png"
	DOT Format = "dot"
)

var (
	gvMu   sync.Mutex
	gvOnce sync.Once
	gv     *graphviz.Graphviz
	gvErr  error
)

// engine returns the Graphviz instance, created on first use.
func engine(ctx context.Context) (*graphviz.Graphviz, error) {
	gvOnce.Do(func() { gv, gvErr = graphviz.New(ctx) })
	return gv, gvErr
}

// layoutSVG lays out the DOT graph with Graphviz's dot engine and returns its SVG.
func layoutSVG(ctx context.Context, dot []byte) (_ []byte, err error) {
	gvMu.Lock()
	defer gvMu.Unlock()
	defer func() {
		if r := recover(); r != nil { // go-graphviz panics on some failures of its wasm calls
			err = fmt.Errorf("modelplot: graphviz failed: %v", r)
		}
	}()
	g, err := engine(ctx)
	if err != nil {
		return nil, fmt.Errorf("modelplot: graphviz: %w", err)
	}
	graph, err := graphviz.ParseBytes(dot)
	if err != nil {
		return nil, fmt.Errorf("modelplot: parse DOT: %w", err)
	}
	defer graph.Close()
	var buf bytes.Buffer
	if err := g.Render(ctx, graph, graphviz.SVG, &buf); err != nil {
		return nil, fmt.Errorf("modelplot: render: %w", err)
	}
	return buf.Bytes(), nil
}

// Render writes the DOT graph in a format: DOT as given, SVG from Graphviz, PNG painted from
// Graphviz's SVG drawing.
func Render(ctx context.Context, dot []byte, f Format, w io.Writer) error {
	switch f {
	case DOT:
		_, err := w.Write(dot)
		return err
	case SVG:
		svg, err := layoutSVG(ctx, dot)
		if err != nil {
			return err
		}
		_, err = w.Write(svg)
		return err
	case PNG:
		svg, err := layoutSVG(ctx, dot)
		if err != nil {
			return err
		}
		return paintPNG(svg, w)
	}
	return fmt.Errorf("modelplot: unknown format %q (want svg, png or dot)", f)
}
