//go:build !kerasgo_plotin

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// plotHelper is the program that renders DOT to PNG or SVG (cmd/kerasgo-plot). Graphviz in
// WebAssembly (go-graphviz) compiles its module when its packages initialise, at every start
// of a program that links it; keeping it in its own program spares every other kerasgo
// command that start-up cost.
const plotHelper = "kerasgo-plot"

// findPlotHelper returns the path of kerasgo-plot: $KERASGO_PLOT, else the one beside this
// executable, else the one on $PATH.
func findPlotHelper() (string, error) {
	if p := os.Getenv("KERASGO_PLOT"); p != "" {
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), plotHelper)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(plotHelper); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("plot: PNG and SVG are rendered by the %s program, which is not beside kerasgo nor on $PATH "+
		"(go install github.com/kerasgo/kerasgo/cmd/%s, or set KERASGO_PLOT); -o FILE.dot needs none", plotHelper, plotHelper)
}

// plotInProcess reports whether this build renders in its own process (tag kerasgo_plotin).
const plotInProcess = false

// renderPlot lays out and renders DOT text as PNG or SVG with kerasgo-plot.
func renderPlot(dot []byte, format string, w io.Writer) error {
	helper, err := findPlotHelper()
	if err != nil {
		return err
	}
	cmd := exec.Command(helper, "-T", format)
	cmd.Stdin = bytes.NewReader(dot)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		var ee *exec.ExitError
		if msg != "" && errors.As(err, &ee) {
			return fmt.Errorf("plot: %s: %s", helper, msg)
		}
		return fmt.Errorf("plot: %s: %w", helper, err)
	}
	return nil
}
