// Command kerasgo-plot renders a Graphviz DOT graph (as `kerasgo plot` and model.Dot write
// them) to PNG or SVG with Graphviz's own layout engine run in pure Go (modelplot). kerasgo
// plot runs it for PNG and SVG output; it lives apart so that other kerasgo commands do not
// start Graphviz.
//
//	kerasgo-plot [-T png|svg] [-o OUT] [IN.dot]
//
// The DOT text is read from IN.dot, or stdin; the image is written to OUT, or stdout.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kerasgo/kerasgo/modelplot"
)

// maxDOT bounds the DOT text read.
const maxDOT = 64 << 20

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kerasgo-plot:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("kerasgo-plot", flag.ContinueOnError)
	format := fs.String("T", "png", "output format: png or svg")
	out := fs.String("o", "", "output file (default stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "png" && *format != "svg" {
		return fmt.Errorf("-T %q: want png or svg", *format)
	}
	in, name := stdin, "stdin"
	if fs.NArg() > 1 {
		return fmt.Errorf("want at most one input file, got %d", fs.NArg())
	}
	if fs.NArg() == 1 {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, fs.Arg(0)
	}
	dot, err := io.ReadAll(io.LimitReader(in, maxDOT+1))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(dot) > maxDOT {
		return fmt.Errorf("%s: DOT text over %d bytes refused", name, maxDOT)
	}
	var buf bytes.Buffer
	if err := modelplot.Render(context.Background(), dot, modelplot.Format(*format), &buf); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if *out == "" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	return os.WriteFile(*out, buf.Bytes(), 0o644)
}
