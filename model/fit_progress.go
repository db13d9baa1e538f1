package model

import (
	"io"

	"github.com/kerasgo/kerasgo/internal/progbar"
)

// Verbosity levels of Fit and Evaluate, numbered as Keras's verbose argument.
const (
	// VerboseSilent prints nothing (the zero value).
	VerboseSilent = 0
	// VerboseProgressBar redraws a progress bar after each batch (Keras's verbose=1).
	VerboseProgressBar = 1
	// VerboseLine prints one line per epoch (Keras's verbose=2).
	VerboseLine = 2
	// VerboseAuto is VerboseProgressBar when the output is a terminal, else VerboseLine.
	VerboseAuto = -1
)

// resolveVerbose turns VerboseAuto into 1 or 2 for w.
func resolveVerbose(v int, w io.Writer) int {
	if v != VerboseAuto {
		return v
	}
	if progbar.IsTerminal(w) {
		return VerboseProgressBar
	}
	return VerboseLine
}
