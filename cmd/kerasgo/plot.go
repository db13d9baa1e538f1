package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/saved"
)

// cmdPlot draws the model as keras.utils.plot_model does: the DOT text of model.Dot, laid out
// and rendered to PNG or SVG by renderPlot (Graphviz in WebAssembly), or written as is for a
// .dot output.
func cmdPlot(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	out := fs.String("o", "model.png", "output file: .png, .svg or .dot")
	keras3 := fs.Bool("keras3", false, "draw as Keras 3 does (HTML-like tables, dpi 200) instead of tf_keras (records, dpi 96)")
	shapes := fs.Bool("show-shapes", false, "show each layer's input and output shapes")
	dtype := fs.Bool("show-dtype", false, "show each layer's dtype")
	names := fs.Bool("show-layer-names", true, "show each layer's name")
	rankdir := fs.String("rankdir", "TB", "layout direction: TB (top to bottom) or LR (left to right)")
	expand := fs.Bool("expand-nested", false, "draw the layers of nested models in clusters")
	acts := fs.Bool("show-layer-activations", false, "show the activation of layers that have one")
	trainable := fs.Bool("show-trainable", false, "show whether each layer is trainable")
	dpi := fs.Int("dpi", 0, "image resolution (0: Keras's default, 96 for tf_keras, 200 for Keras 3)")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
	if format != "png" && format != "svg" && format != "dot" {
		return fmt.Errorf("%w: plot: -o %q: want a .png, .svg or .dot file", errUsage, *out)
	}
	if *dpi < 0 || *dpi > 1200 {
		return fmt.Errorf("%w: plot: -dpi %d: want 1 to 1200 (0 for the default)", errUsage, *dpi)
	}
	m, err := loadModel(pos[0])
	if err != nil {
		return err
	}
	d := saved.Keras2
	if *keras3 {
		d = saved.Keras3
	}
	text, err := m.Dot(model.DotOptions{Dialect: d, ShowShapes: *shapes, ShowDtype: *dtype,
		ShowLayerNames: *names, RankDir: strings.ToUpper(*rankdir), ExpandNested: *expand,
		ShowLayerActivations: *acts, ShowTrainable: *trainable, DPI: *dpi})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if format == "dot" {
		buf.WriteString(text)
	} else if err := renderPlot([]byte(text), format, &buf); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (%d bytes)\n", *out, buf.Len())
	return nil
}
