package model

import (
	"fmt"
	"strings"

	"github.com/kerasgo/kerasgo/layers"
)

// label returns the DOT label of layer l of model m in the drawer's dialect.
func (d *dotDrawer) label(m *Model, l layers.Layer) (string, error) {
	var cfg map[string]any
	if _, ok := l.(*InputLayer); !ok {
		cfg = l.Config(d.opts.Dialect)
	}
	if d.k3 {
		return d.labelKeras3(m, l, cfg), nil
	}
	return d.labelKeras2(m, l, cfg), nil
}

// dotActivation returns the name of a layer's activation and whether it has one (layers whose
// config has an "activation", as Keras checks for an activation attribute).
func dotActivation(cfg map[string]any) (string, bool) {
	switch a := cfg["activation"].(type) {
	case nil:
		return "", false
	case string:
		return a, true
	case map[string]any:
		if c, ok := a["config"].(map[string]any); ok {
			if n, ok := c["name"].(string); ok {
				return n, true
			}
		}
		if n, ok := a["class_name"].(string); ok {
			return n, true
		}
	}
	return fmt.Sprint(cfg["activation"]), true
}

// dotTrainable reports a layer's trainable flag.
func dotTrainable(l layers.Layer, cfg map[string]any) bool {
	if t, ok := l.(interface{ Trainable() bool }); ok {
		return t.Trainable()
	}
	if t, ok := cfg["trainable"].(bool); ok {
		return t
	}
	return true
}

// dotDtype returns the dtype Keras shows: tf_keras the layer's (variable) dtype, Keras 3 the
// dtype of its output (the compute dtype of a mixed policy).
func dotDtype(cfg map[string]any, k3 bool) string {
	name := "float32"
	switch v := cfg["dtype"].(type) {
	case string:
		name = v
	case map[string]any:
		if c, ok := v["config"].(map[string]any); ok {
			if n, ok := c["name"].(string); ok {
				name = n
			}
		}
	}
	if k3 {
		if s, ok := strings.CutPrefix(name, "mixed_"); ok {
			name = s
		}
	} else if strings.HasPrefix(name, "mixed_") {
		name = "float32"
	}
	return name
}

// shapes returns the input and output shapes of layer l in model m as Python prints them
// ("(None, 4)", a list "[(None, 4), (None, 4)]" for a layer called on several tensors), and
// whether they are known. tf_keras's shapes hold for all of a layer's calls (unknown when
// they differ); Keras 3's are those of the first call. InputLayers: the input shape.
func (d *dotDrawer) shapes(m *Model, l layers.Layer) (in, out string, inOK, outOK bool) {
	if il, ok := l.(*InputLayer); ok {
		s := shapeString(il.batch, il.shape)
		return s, s, true, true
	}
	if !l.Built() {
		return "", "", false, false
	}
	if m.fn != nil {
		ns := m.fn.layerNodes[l]
		if len(ns) == 0 {
			return "", "", false, false
		}
		str := func(n *node) (string, string) {
			parts := make([]string, len(n.in))
			for i, x := range n.in {
				parts[i] = shapeString(x.batch, x.shape)
			}
			s := strings.Join(parts, ", ")
			if n.list || len(n.in) > 1 {
				s = "[" + s + "]"
			}
			return s, shapeString(n.out.batch, n.out.shape)
		}
		in, out = str(ns[0])
		inOK, outOK = true, true
		if !d.k3 {
			for _, n := range ns[1:] {
				i2, o2 := str(n)
				inOK = inOK && i2 == in
				outOK = outOK && o2 == out
			}
		}
		return in, out, inOK, outOK
	}
	ishape := l.InputShape()
	oshape, err := l.OutputShape(ishape)
	if err != nil {
		return shapeString(m.in.batch, ishape), "", true, false
	}
	return shapeString(m.in.batch, ishape), shapeString(m.in.batch, oshape), true, true
}

// labelKeras2 is tf_keras's record label: "name|Class", the activation in braces after the
// class, the dtype, the shapes as "{...}|{input:|output:}|{{in}|{out}}", "T|" or "NT|" first.
func (d *dotDrawer) labelKeras2(m *Model, l layers.Layer, cfg map[string]any) string {
	name, class := l.Name(), l.Class()
	if w, ok := cfg["layer"].(map[string]any); ok { // a Wrapper: Bidirectional(LSTM)
		wc, _ := w["class_name"].(string)
		wcfg, _ := w["config"].(map[string]any)
		wn, _ := wcfg["name"].(string)
		name = name + "(" + wn + ")"
		class = class + "(" + wc + ")"
	}
	label := class
	if d.opts.ShowLayerActivations {
		if a, ok := dotActivation(cfg); ok {
			label = "{" + label + "|" + a + "}"
		}
	}
	if d.opts.ShowLayerNames {
		label = name + "|" + label
	}
	if d.opts.ShowDtype {
		label += "|" + dotDtype(cfg, false)
	}
	if d.opts.ShowShapes {
		in, out, inOK, outOK := d.shapes(m, l)
		if _, ok := l.(*InputLayer); ok {
			in, out = "["+in+"]", "["+out+"]"
		}
		if !inOK {
			in = "?"
		}
		if !outOK {
			out = "?"
		}
		label = "{" + label + "}|{input:|output:}|{{" + dotRecordEscape(in) + "}|{" + dotRecordEscape(out) + "}}"
	}
	if d.opts.ShowTrainable {
		t := "T"
		if _, in := l.(*InputLayer); in && d.frozen || !in && !dotTrainable(l, cfg) {
			t = "NT"
		}
		label = t + "|" + label
	}
	return dotQuote(label)
}

func dotRecordEscape(s string) string {
	return strings.NewReplacer("{", `\{`, "}", `\}`).Replace(s)
}

// labelKeras3 is Keras 3's HTML-like table: a black title row ("<b>name</b> (Class)"), an
// activation row, and a row of shape, dtype and trainable cells.
func (d *dotDrawer) labelKeras3(m *Model, l layers.Layer, cfg map[string]any) string {
	o := d.opts
	colspan := 0
	if o.ShowDtype {
		colspan++
	}
	if o.ShowTrainable {
		colspan++
	}
	if o.ShowShapes {
		colspan += 2
	}
	colspan = max(colspan, 1)
	cs := fmt.Sprint(colspan)
	var b strings.Builder
	b.WriteString(`<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">`)
	b.WriteString(`<tr><td colspan="` + cs + `" bgcolor="black"><font point-size="16" color="white">`)
	if o.ShowLayerNames {
		b.WriteString("<b>" + l.Name() + "</b> (" + l.Class() + ")")
	} else {
		b.WriteString("<b>" + l.Class() + "</b>")
	}
	b.WriteString("</font></td></tr>")
	if o.ShowLayerActivations {
		if a, ok := dotActivation(cfg); ok {
			b.WriteString(`<tr><td bgcolor="white" colspan="` + cs + `"><font point-size="14">Activation: <b>` + a + "</b></font></td></tr>")
		}
	}
	var cols []string
	cell := func(s string) string {
		return `<td bgcolor="white"><font point-size="14">` + s + "</font></td>"
	}
	if o.ShowShapes {
		in, out, inOK, outOK := d.shapes(m, l)
		if !inOK {
			in = "?"
		}
		if !outOK {
			out = "?"
		}
		if _, ok := l.(*InputLayer); !ok {
			cols = append(cols, cell("Input shape: <b>"+in+"</b>"))
		}
		cols = append(cols, cell("Output shape: <b>"+out+"</b>"))
	}
	if o.ShowDtype {
		cols = append(cols, cell("Output dtype: <b>"+dotDtype(cfg, true)+"</b>"))
	}
	if o.ShowTrainable && len(l.Weights()) > 0 {
		if dotTrainable(l, cfg) {
			cols = append(cols, `<td bgcolor="forestgreen"><font point-size="14" color="white"><b>Trainable</b></font></td>`)
		} else {
			cols = append(cols, `<td bgcolor="firebrick"><font point-size="14" color="white"><b>Non-trainable</b></font></td>`)
		}
	}
	if len(cols) > 0 {
		b.WriteString("<tr>" + strings.Join(cols, "") + "</tr>")
	}
	b.WriteString("</table>>")
	return b.String()
}
