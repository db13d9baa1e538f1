package model

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Summary returns the text tf_keras 2.21's model.summary() prints for the model, byte for
// byte, each line ending in "\n": a 65-column table (layer name and class, output shape,
// parameter count), then the total, trainable and non-trainable parameter counts with their
// sizes in memory.
//
// tf_keras refuses to summarise a model that is not built; for one, kerasgo prints "?" as
// the output shape and "0 (unused)" as the count of each layer not built.
func (m *Model) Summary() string {
	lineLength := 65
	pos := []int{29, 55, 65} // int(65 * [0.45, 0.85, 1.0])
	header := []string{"Layer (type)", "Output Shape", "Param #"}
	connected := m.fn != nil && !m.fn.sequentialLike()
	if connected {
		lineLength = 98
		pos = []int{29, 58, 68, 98} // int(98 * [0.3, 0.6, 0.7, 1.0])
		header = append(header, "Connected to")
	}
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }

	line(`Model: "` + m.name + `"`)
	line(strings.Repeat("_", lineLength))
	k2Row(&b, pos, header)
	line(strings.Repeat("=", lineLength))
	for _, l := range m.layers {
		shape, params := m.layerColumns(l, false)
		fields := []string{l.Name() + " (" + layers.ClassIn(l, saved.Keras2) + ")", shape, params}
		if connected {
			fields = append(fields, m.connections(l, false))
		}
		k2Row(&b, pos, fields)
		line(strings.Repeat(" ", lineLength))
	}
	line(strings.Repeat("=", lineLength))
	tr, trBytes, ntr, ntrBytes := m.paramCounts()
	line("Total params: " + strconv.FormatInt(tr+ntr, 10) + " (" + readableSize(trBytes+ntrBytes, "Byte") + ")")
	line("Trainable params: " + strconv.FormatInt(tr, 10) + " (" + readableSize(trBytes, "Byte") + ")")
	line("Non-trainable params: " + strconv.FormatInt(ntr, 10) + " (" + readableSize(ntrBytes, "Byte") + ")")
	line(strings.Repeat("_", lineLength))
	return b.String()
}

// layerColumns returns a layer's output shape and parameter count as the summaries print
// them.
func (m *Model) layerColumns(l layers.Layer, keras3 bool) (shape, params string) {
	if !l.Built() {
		if keras3 {
			return "?", "0 (unbuilt)"
		}
		return "?", "0 (unused)"
	}
	shape = "?"
	if m.fn != nil && len(m.fn.layerNodes[l]) > 0 {
		// tf_keras prints an InputLayer's shape as a list and "multiple" for a layer
		// called with several output shapes; Keras 3 prints its last call's shape.
		ns := m.fn.layerNodes[l]
		last := ns[len(ns)-1].out
		shape = shapeString(last.batch, m.dynMasked(l.Name(), last.shape))
		if outs := ns[len(ns)-1].outs; len(outs) > 1 {
			// Several outputs: a list of their shapes, as both libraries print it.
			parts := make([]string, len(outs))
			for i, t := range outs {
				key := l.Name()
				if i > 0 {
					key = outKey(key, i)
				}
				parts[i] = shapeString(t.batch, m.dynMasked(key, t.shape))
			}
			shape = "[" + strings.Join(parts, ", ") + "]"
			if _, tuple := l.(layers.ScoresReturner); tuple && !keras3 {
				// tf_keras prints the tuple an attention layer returns with its scores
				shape = "(" + strings.Join(parts, ", ") + ")"
			}
		}
		if !keras3 {
			for _, n := range ns {
				if !slices.Equal(n.out.shape, last.shape) || len(n.outs) != len(ns[len(ns)-1].outs) {
					shape = "multiple"
				}
			}
			if _, ok := l.(*InputLayer); ok {
				shape = "[" + shape + "]"
			}
		}
	} else if out, err := l.OutputShape(l.InputShape()); err == nil {
		shape = shapeString(m.in.batch, m.dynMasked(l.Name(), out))
	}
	n := countParams(l.Weights())
	if keras3 {
		return shape, groupThousands(n)
	}
	return shape, strconv.FormatInt(n, 10)
}

// connections is the "Connected to" cell of a Functional model's layer: the tensors of each
// of its calls as "layer[node][tensor]", as a Python list for tf_keras, comma-separated ("-"
// for none) for Keras 3.
func (m *Model) connections(l layers.Layer, keras3 bool) string {
	var parts []string
	for _, n := range m.fn.layerNodes[l] {
		for _, x := range n.in {
			ref := x.node.layer.Name() + "[" + strconv.Itoa(m.fn.nodeIndex(x.node)) + "][" + strconv.Itoa(x.index) + "]"
			if !keras3 {
				ref = "'" + ref + "'"
			}
			parts = append(parts, ref)
		}
	}
	if keras3 {
		if len(parts) == 0 {
			return "-"
		}
		return strings.Join(parts, ", ")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// paramCounts returns the trainable and non-trainable parameter counts of the model and
// their sizes in bytes.
func (m *Model) paramCounts() (tr, trBytes, ntr, ntrBytes int64) {
	for _, l := range m.layers {
		for _, w := range l.Weights() {
			if w.Value == nil {
				continue
			}
			n, _ := tensor.NumElements(w.Value.Shape)
			size := weightBytes(l, w)
			if w.Trainable {
				tr += n
				trBytes += n * size
			} else {
				ntr += n
				ntrBytes += n * size
			}
		}
	}
	return
}

// k2Row writes one table row as tf_keras's summary does: each field is cut to its column
// (less two separating spaces, less one more except in the last column, which makes the
// first column start with a space), preferring to cut after "),", "},", "]," or "',", and
// the rest continues on further lines.
func k2Row(b *strings.Builder, pos []int, fields []string) {
	left := make([][]rune, len(fields))
	for i, f := range fields {
		left[i] = []rune(f)
	}
	pending := func() bool {
		for _, f := range left {
			if len(f) > 0 {
				return true
			}
		}
		return false
	}
	for pending() {
		var line []rune
		for col := range left {
			start := 0
			if col > 0 {
				start = pos[col-1]
			}
			last := col == len(pos)-1
			space := 2
			if last {
				space = 0
			}
			cutoff := pos[col] - start - space
			if !last {
				cutoff--
			}
			fit := left[col][:min(cutoff, len(left[col]))]
			if c := breakAfter(fit); c > 0 {
				cutoff = c
				fit = fit[:c]
			}
			if col == 0 {
				line = append(line, ' ')
			}
			line = append(line, fit...)
			for range space {
				line = append(line, ' ')
			}
			left[col] = left[col][min(cutoff, len(left[col])):]
			for len(line) < pos[col] {
				line = append(line, ' ')
			}
		}
		b.WriteString(string(line))
		b.WriteByte('\n')
	}
}

// breakAfter returns the smallest position just after one of "),", "},", "],", "'," in s
// (tf_keras's preferred line breaks), or 0.
func breakAfter(s []rune) int {
	best := 0
	for _, pat := range []string{"),", "},", "],", "',"} {
		p := []rune(pat)
		for i := 0; i+1 < len(s); i++ {
			if s[i] == p[0] && s[i+1] == p[1] {
				if best == 0 || i+2 < best {
					best = i + 2
				}
				break
			}
		}
	}
	return best
}

// readableSize formats a size in bytes as Keras does: "{:.2f} {unit}" with the first unit
// (smallest unit name byteUnit, KB, MB, ...) that keeps the value below 1024.
func readableSize(bytes int64, byteUnit string) string {
	units := []string{byteUnit, "KB", "MB", "GB", "TB", "PB"}
	v := float64(bytes)
	for _, u := range units {
		if v/1024 < 1 {
			return strconv.FormatFloat(v, 'f', 2, 64) + " " + u
		}
		v /= 1024
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + " " + units[len(units)-1]
}

// groupThousands formats n with "," between groups of three digits, as Python's "{:,}".
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// SummaryKeras3 returns the text Keras 3.15's model.summary() prints for the model on a
// non-interactive output 80 columns wide (the table is then 76 columns), byte for byte: a
// table drawn with box characters, then the parameter counts. When the model's optimizer
// holds state (it was compiled and trained, or loaded with its optimizer), a last line counts
// the optimizer's variables, and the total includes them, as in Keras 3.
func (m *Model) SummaryKeras3() string {
	return m.SummaryKeras3Columns(80)
}

// SummaryKeras3Columns returns Keras 3's summary as it prints on a terminal of the given
// width: the table is min(88, columns-4) columns wide. columns <= 0 means 80. Widths too
// small for Keras (which then refuses to print) are raised to the smallest it accepts.
func (m *Model) SummaryKeras3Columns(columns int) string {
	if columns <= 0 {
		columns = 80
	}
	width := 88
	if m.fn != nil && !m.fn.sequentialLike() {
		width = 108
	} else if m.fn != nil {
		if _, _, ops := m.keras3Rows(); ops {
			width = 108
		}
	}
	return m.summaryKeras3(max(min(width, columns-4), 20))
}

func (m *Model) summaryKeras3(lineLength int) string {
	positions := []float64{0.45, 0.80, 1.0}
	header := []string{"Layer (type)", "Output Shape", "Param #"}
	right := []bool{false, false, true}
	connected := m.fn != nil && !m.fn.sequentialLike()
	var rows []k3Row
	var maskArg map[*node]*maskOp
	if m.fn != nil {
		var ops bool
		if rows, maskArg, ops = m.keras3Rows(); ops {
			connected = true // the mask arguments make calls on several tensors
		}
	}
	if rows == nil {
		for _, l := range m.layers {
			rows = append(rows, k3Row{layer: l})
		}
	}
	if connected {
		positions = []float64{0.3, 0.56, 0.74, 1.0}
		header = append(header, "Connected to")
		right = append(right, false)
	}

	// Column widths as Keras asks for them, then as rich fits them (with one space of
	// padding on each side) into the table width less the four border characters.
	widths := make([]int, len(positions))
	cur := 0
	for i, p := range positions {
		widths[i] = int(p*float64(lineLength)) - cur
		cur += widths[i]
	}
	total := 0
	for i := range widths {
		widths[i] += 2
		total += widths[i]
	}
	if excess := total - (lineLength - len(widths) - 1); excess > 0 {
		widths = ratioReduce(excess, widths)
	}

	var b strings.Builder
	b.WriteString(`Model: "` + m.name + "\"\n")
	rule := func(l, fill, mid, r string) {
		b.WriteString(l)
		for i, w := range widths {
			if i > 0 {
				b.WriteString(mid)
			}
			b.WriteString(strings.Repeat(fill, w))
		}
		b.WriteString(r + "\n")
	}
	row := func(sep string, cells []string) {
		wrapped := make([][]string, len(cells))
		height := 0
		for i, c := range cells {
			wrapped[i] = wrapCell(c, widths[i]-2)
			height = max(height, len(wrapped[i]))
		}
		for k := range height {
			b.WriteString(sep)
			for i := range cells {
				text := ""
				if k < len(wrapped[i]) {
					text = wrapped[i][k]
				}
				pad := strings.Repeat(" ", max(widths[i]-2-utf8.RuneCountInString(text), 0))
				b.WriteByte(' ')
				if right[i] {
					b.WriteString(pad + text)
				} else {
					b.WriteString(text + pad)
				}
				b.WriteString(" " + sep)
			}
			b.WriteByte('\n')
		}
	}

	rule("┏", "━", "┳", "┓")
	row("┃", header)
	rule("┡", "━", "╇", "┩")
	for i, r := range rows {
		if i > 0 {
			rule("├", "─", "┼", "┤")
		}
		if r.op != nil {
			row("│", []string{r.op.name + " (" + r.op.class + ")", shapeString(r.op.batch, r.op.shape), "0", m.maskOpConnections(r.op)})
			continue
		}
		l := r.layer
		shape, params := m.layerColumns(l, true)
		cells := []string{l.Name() + " (" + layers.ClassIn(l, saved.Keras3) + ")", shape, params}
		if connected {
			if maskArg != nil {
				cells = append(cells, m.connectionsWithMasks(l, maskArg))
			} else {
				cells = append(cells, m.connections(l, true))
			}
		}
		row("│", cells)
	}
	rule("└", "─", "┴", "┘")

	tr, trBytes, ntr, ntrBytes := m.paramCounts()
	optN, optBytes, optBuilt := m.optimizerParams()
	b.WriteString(" Total params: " + groupThousands(tr+ntr+optN) + " (" + readableSize(trBytes+ntrBytes+optBytes, "B") + ")\n")
	b.WriteString(" Trainable params: " + groupThousands(tr) + " (" + readableSize(trBytes, "B") + ")\n")
	b.WriteString(" Non-trainable params: " + groupThousands(ntr) + " (" + readableSize(ntrBytes, "B") + ")\n")
	if optBuilt {
		b.WriteString(" Optimizer params: " + groupThousands(optN) + " (" + readableSize(optBytes, "B") + ")\n")
	}
	return b.String()
}

// optimizerParams counts the Keras 3 optimizer variables: iteration (int64 on the TensorFlow
// backend), learning_rate (float32) and the slots. built is false when the model has no
// optimizer state.
func (m *Model) optimizerParams() (n, bytes int64, built bool) {
	if m.train == nil {
		return 0, 0, false
	}
	_, opt, err := m.trainingToSaved(saved.Keras3)
	if err != nil || opt == nil || (len(opt.Slots) == 0 && opt.Iterations == 0) {
		return 0, 0, false
	}
	n, bytes = 2, 8+4
	for _, s := range opt.Slots {
		if s.Value == nil {
			continue
		}
		k, _ := tensor.NumElements(s.Value.Shape)
		n += k
		bytes += k * int64(s.Value.DType.Size())
	}
	return n, bytes, true
}

// ratioReduce takes total away from values in equal shares (rich's ratio_reduce with equal
// ratios), rounding each share half to even as Python's round does.
func ratioReduce(total int, values []int) []int {
	out := make([]int, len(values))
	remaining := total
	ratios := len(values)
	for i, v := range values {
		d := min(v, int(math.RoundToEven(float64(remaining)/float64(ratios))))
		out[i] = v - d
		remaining -= d
		ratios--
	}
	return out
}

// wrapCell splits text into lines of at most width characters as rich wraps a table cell
// (overflow "ellipsis"): at spaces, keeping each word whole when it fits a line; a word
// longer than a line gets a line of its own, cut to width-1 characters and "…".
func wrapCell(text string, width int) []string {
	if width < 1 {
		return []string{text}
	}
	var lines []string
	var cur []rune
	curLen := 0 // cells used on the current line, including trailing spaces
	flush := func() {
		r := []rune(strings.TrimRight(string(cur), " "))
		if len(r) > width {
			r = append(r[:width-1], '…')
		}
		lines = append(lines, string(r))
		cur, curLen = nil, 0
	}
	for _, w := range splitWords(text) {
		wl := len([]rune(strings.TrimRight(w, " ")))
		switch {
		case width-curLen >= wl:
			cur = append(cur, []rune(w)...)
			curLen += len([]rune(w))
		default:
			if curLen > 0 {
				flush()
			}
			cur = []rune(w)
			curLen = len(cur)
		}
	}
	flush()
	return lines
}

// splitWords splits s into words each carrying its trailing spaces (and the first its
// leading ones).
func splitWords(s string) []string {
	var out []string
	start := 0
	r := []rune(s)
	i := 0
	for i < len(r) && r[i] == ' ' {
		i++
	}
	for i < len(r) {
		for i < len(r) && r[i] != ' ' {
			i++
		}
		for i < len(r) && r[i] == ' ' {
			i++
		}
		out = append(out, string(r[start:i]))
		start = i
	}
	return out
}
