// Package pyfmt writes and reads text as Python writes it, where Keras files and Keras's
// output keep Python's formatting: JSON as json.dumps writes it (ordered keys, repr floats,
// \uXXXX escapes), str.format templates (ModelCheckpoint's file paths), and the numbers of
// Keras's progress bar.
package pyfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// KV is one key of an ordered JSON object: Object{{"name", "adam"}, {"beta_1", 0.9}}. It is
// an alias of an unnamed struct type so that such literals need no field names.
type KV = struct {
	K string
	V any
}

// Object is a JSON object whose keys are written in order, as Python's json.dumps writes a
// dict. Values: nil, bool, string, float64/float32 (written as Python's repr writes floats),
// int, int64, Object, []any, json.RawMessage, map[string]any (keys sorted).
type Object []KV

// Lookup returns the value of key k and whether o has it.
func (o Object) Lookup(k string) (any, bool) {
	for _, e := range o {
		if e.K == k {
			return e.V, true
		}
	}
	return nil, false
}

// Get returns the value of key k, or nil when o lacks it.
func (o Object) Get(k string) any {
	v, _ := o.Lookup(k)
	return v
}

// JSON encodes v as Python's json.dumps does with its default separators (", ", ": ").
func JSON(v any) []byte {
	var b bytes.Buffer
	writePy(&b, v)
	return b.Bytes()
}

func writePy(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		s, _ := json.Marshal(x)
		b.Write(pyEscape(s))
	case float64:
		b.WriteString(Float(x))
	case float32:
		b.WriteString(Float(float64(x)))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case Object:
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePy(b, e.K)
			b.WriteString(": ")
			writePy(b, e.V)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePy(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := make(Object, 0, len(keys))
		for _, k := range keys {
			o = append(o, KV{k, x[k]})
		}
		writePy(b, o)
	case json.RawMessage:
		dv, err := Decode(x)
		if err != nil {
			b.WriteString("null")
			return
		}
		writePy(b, dv)
	case json.Number:
		if f, err := x.Float64(); err == nil && strings.ContainsAny(string(x), ".eE") {
			b.WriteString(Float(f))
		} else {
			b.WriteString(string(x))
		}
	default:
		s, err := json.Marshal(x)
		if err != nil {
			b.WriteString("null")
			return
		}
		b.Write(s)
	}
}

// pyEscape turns Go's JSON string escapes into Python's (\u003c etc. stay valid JSON either
// way; Python writes non-ASCII as \uXXXX).
func pyEscape(s []byte) []byte {
	if bytes.IndexByte(s, '\\') < 0 && isASCII(s) {
		return s
	}
	var out bytes.Buffer
	var u string
	_ = json.Unmarshal(s, &u)
	out.WriteByte('"')
	for _, r := range u {
		switch {
		case r == '"':
			out.WriteString(`\"`)
		case r == '\\':
			out.WriteString(`\\`)
		case r == '\n':
			out.WriteString(`\n`)
		case r == '\r':
			out.WriteString(`\r`)
		case r == '\t':
			out.WriteString(`\t`)
		case r < 0x20 || r > 0x7e:
			if r > 0xffff {
				r -= 0x10000
				fmt.Fprintf(&out, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			} else {
				fmt.Fprintf(&out, `\u%04x`, r)
			}
		default:
			out.WriteRune(r)
		}
	}
	out.WriteByte('"')
	return out.Bytes()
}

func isASCII(s []byte) bool {
	for _, c := range s {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// Float formats f as Python's repr(float): the shortest round-tripping digits, in fixed
// notation with at least one decimal when the exponent is in [-4, 16), else d.ddde±XX.
func Float(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // e.g. "-1.2345e-07"
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, expS, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expS)
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp < -4 || exp >= 16 {
		out = digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		out += fmt.Sprintf("e%s%02d", sign, exp)
	} else if exp < 0 {
		out = "0." + strings.Repeat("0", -exp-1) + digits
	} else if exp+1 >= len(digits) {
		out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	} else {
		out = digits[:exp+1] + "." + digits[exp+1:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

// Decode parses JSON keeping object key order (as Object) and numbers as json.Number.
func Decode(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			o := Object{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				o = append(o, KV{k, v})
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			a := []any{}
			for d.More() {
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %v", x)
	default:
		return x, nil
	}
}

// FromDecoded converts encoding/json's map form into Object with sorted keys (used only for
// raw messages, whose order is then not Keras's; callers keep raw JSON verbatim otherwise).
func FromDecoded(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := make(Object, 0, len(x))
		for _, k := range keys {
			o = append(o, KV{k, FromDecoded(x[k])})
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = FromDecoded(e)
		}
		return out
	}
	return v
}

// Accessors on decoded JSON values: the value as the type, and whether it is one.

// Str returns v as a string.
func Str(v any) (string, bool) { s, ok := v.(string); return s, ok }

// Num returns v (a json.Number or a float64) as a float64.
func Num(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

// Bool returns v as a bool.
func Bool(v any) (bool, bool) { b, ok := v.(bool); return b, ok }

// Obj returns v as an Object.
func Obj(v any) (Object, bool) { o, ok := v.(Object); return o, ok }
