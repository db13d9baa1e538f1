package model

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
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
	if isTerminal(w) {
		return VerboseProgressBar
	}
	return VerboseLine
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progbar prints Keras's progress output (tf_keras utils.Progbar) for one epoch or one
// evaluation: a redrawn bar (verbose 1) or a single line when finished (verbose 2).
type progbar struct {
	w       io.Writer
	target  int
	verbose int
	dynamic bool

	start, lastUpdate, afterFirst time.Time
	epochEnd                      time.Time
	totalWidth                    int
	now                           func() time.Time
}

func newProgbar(w io.Writer, target, verbose int) *progbar {
	p := &progbar{w: w, target: target, verbose: verbose, dynamic: isTerminal(w), now: time.Now}
	p.start = p.now()
	return p
}

// kv pairs of logs in display order.
type logItem struct {
	k string
	v float64
}

// update shows progress after current steps; finalize marks the last update of the bar.
func (p *progbar) update(current int, values []logItem, finalize bool) {
	now := p.now()
	elapsed := now.Sub(p.start).Seconds()
	info := fmt.Sprintf(" - %.0fs", elapsed)
	if current == p.target {
		p.epochEnd = now
	}
	switch p.verbose {
	case VerboseProgressBar:
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
			info += " - " + it.k + ":"
			if math.Abs(it.v) > 1e-3 {
				info += " " + pyFixed4(it.v)
			} else {
				info += " " + pyExp4(it.v)
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
	case VerboseLine:
		if !finalize {
			break
		}
		nd := int(math.Log10(float64(p.target))) + 1
		line := fmt.Sprintf("%*d/%d", nd, current, p.target) + info
		for _, it := range values {
			line += " - " + it.k + ":"
			if it.v > 1e-3 {
				line += " " + pyFixed4(it.v)
			} else {
				line += " " + pyExp4(it.v)
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

func (p *progbar) stepDuration(current int, now time.Time) float64 {
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

// pyExp4 formats v as Python's f"{v:.4e}".
func pyExp4(v float64) string {
	if math.IsNaN(v) {
		return "nan"
	}
	if math.IsInf(v, 1) {
		return "inf"
	}
	if math.IsInf(v, -1) {
		return "-inf"
	}
	return fmt.Sprintf("%.4e", v)
}

// pyFixed4 formats v as Python's f"{v:.4f}".
func pyFixed4(v float64) string {
	if math.IsInf(v, 1) {
		return "inf"
	}
	if math.IsInf(v, -1) {
		return "-inf"
	}
	return fmt.Sprintf("%.4f", v)
}
