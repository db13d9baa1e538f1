// Package progbar prints Keras's progress output during fit and evaluate (tf_keras's
// utils.Progbar): a bar redrawn after each batch, or one line when finished.
package progbar

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/kerasgo/kerasgo/internal/pyfmt"
)

// The verbosity levels a Bar prints at, numbered as Keras's verbose argument.
const (
	ProgressBar = 1 // a bar redrawn after each batch
	Line        = 2 // one line when finished
)

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Bar prints Keras's progress output (tf_keras utils.Progbar) for one epoch or one
// evaluation: a redrawn bar (verbose 1) or a single line when finished (verbose 2).
type Bar struct {
	w       io.Writer
	target  int
	verbose int
	dynamic bool

	start, lastUpdate, afterFirst time.Time
	epochEnd                      time.Time
	totalWidth                    int
	now                           func() time.Time
}

// New returns a bar for target steps; verbose is ProgressBar or Line.
func New(w io.Writer, target, verbose int) *Bar {
	p := &Bar{w: w, target: target, verbose: verbose, dynamic: IsTerminal(w), now: time.Now}
	p.start = p.now()
	return p
}

// Item is one log value shown after the bar, in display order.
type Item struct {
	K string
	V float64
}

// Update shows progress after current steps; finalize marks the last update of the bar.
func (p *Bar) Update(current int, values []Item, finalize bool) {
	now := p.now()
	elapsed := now.Sub(p.start).Seconds()
	info := fmt.Sprintf(" - %.0fs", elapsed)
	if current == p.target {
		p.epochEnd = now
	}
	switch p.verbose {
	case ProgressBar:
		if now.Sub(p.lastUpdate) < 50*time.Millisecond && !finalize {
			return
		}
		var msg strings.Builder
		prev := p.totalWidth
		if p.dynamic {
			msg.WriteString(strings.Repeat("\b", prev))
			msg.WriteString("\r")
		} else {
			msg.WriteString("\n")
		}
		nd := int(math.Log10(float64(p.target))) + 1
		bar := fmt.Sprintf("%*d/%d [", nd, current, p.target)
		width := 30
		progW := int(float64(width) * float64(current) / float64(p.target))
		if progW > 0 {
			bar += strings.Repeat("=", progW-1)
			if current < p.target {
				bar += ">"
			} else {
				bar += "="
			}
		}
		bar += strings.Repeat(".", width-progW) + "]"
		p.totalWidth = len(bar)
		msg.WriteString(bar)
		perUnit := p.stepDuration(current, now)
		if finalize {
			info += formatDuration(perUnit, "step")
		} else {
			eta := perUnit * float64(p.target-current)
			var etaS string
			switch {
			case eta > 3600:
				etaS = fmt.Sprintf("%d:%02d:%02d", int(eta)/3600, (int(eta)%3600)/60, int(eta)%60)
			case eta > 60:
				etaS = fmt.Sprintf("%d:%02d", int(eta)/60, int(eta)%60)
			default:
				etaS = fmt.Sprintf("%ds", int(eta))
			}
			info = " - ETA: " + etaS
		}
		for _, it := range values {
			info += " - " + it.K + ":"
			if math.Abs(it.V) > 1e-3 {
				info += " " + pyfmt.Fixed4(it.V)
			} else {
				info += " " + pyfmt.Exp4(it.V)
			}
		}
		p.totalWidth += len(info)
		if prev > p.totalWidth {
			info += strings.Repeat(" ", prev-p.totalWidth)
		}
		if finalize {
			info += "\n"
		}
		msg.WriteString(info)
		io.WriteString(p.w, msg.String())
	case Line:
		if !finalize {
			break
		}
		nd := int(math.Log10(float64(p.target))) + 1
		line := fmt.Sprintf("%*d/%d", nd, current, p.target) + info
		for _, it := range values {
			line += " - " + it.K + ":"
			if it.V > 1e-3 {
				line += " " + pyfmt.Fixed4(it.V)
			} else {
				line += " " + pyfmt.Exp4(it.V)
			}
		}
		if !p.epochEnd.IsZero() {
			perEpoch := p.epochEnd.Sub(p.start).Seconds()
			line += " -" + formatDuration(perEpoch, "epoch")
			line += " -" + formatDuration(perEpoch/float64(p.target), "step")
			line += "\n"
		}
		io.WriteString(p.w, line)
	}
	p.lastUpdate = now
}

func (p *Bar) stepDuration(current int, now time.Time) float64 {
	if current == 0 {
		return 0
	}
	var d float64
	if !p.afterFirst.IsZero() && current > 1 {
		d = now.Sub(p.afterFirst).Seconds() / float64(current-1)
	} else {
		d = now.Sub(p.start).Seconds() / float64(current)
	}
	if current == 1 {
		p.afterFirst = now
	}
	return d
}

// formatDuration is tf_keras's Progbar._format_time: " 3s/epoch", " 31ms/step", " 5us/step".
func formatDuration(t float64, unit string) string {
	switch {
	case t >= 1 || t == 0:
		return fmt.Sprintf(" %.0fs/%s", t, unit)
	case t >= 1e-3:
		return fmt.Sprintf(" %.0fms/%s", t*1e3, unit)
	}
	return fmt.Sprintf(" %.0fus/%s", t*1e6, unit)
}
