package pyfmt

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format fills a template the way Python's str.format does (Keras fills ModelCheckpoint's file
// paths with filepath.format(epoch=..., **logs)): "{name}" and "{name:spec}" fields, where
// spec is Python's format-spec mini-language ([[fill]align][sign][#][0][width][,|_][.prec]
// [type]); "{{" and "}}" are literal braces. ints holds integer fields (epoch, batch), floats
// the logs.
func Format(tmpl string, ints map[string]int, floats map[string]float64) (string, error) {
	var b strings.Builder
	for i := 0; i < len(tmpl); {
		c := tmpl[i]
		switch {
		case c == '{' && strings.HasPrefix(tmpl[i:], "{{"):
			b.WriteByte('{')
			i += 2
		case c == '}' && strings.HasPrefix(tmpl[i:], "}}"):
			b.WriteByte('}')
			i += 2
		case c == '}':
			return "", fmt.Errorf("single '}' in %q", tmpl)
		case c == '{':
			end := strings.IndexByte(tmpl[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unclosed '{' in %q", tmpl)
			}
			field := tmpl[i+1 : i+end]
			i += end + 1
			name, spec, _ := strings.Cut(field, ":")
			if j := strings.IndexAny(name, "!"); j >= 0 {
				return "", fmt.Errorf("conversion %q not supported in %q", name[j:], tmpl)
			}
			var s string
			var err error
			if v, ok := ints[name]; ok {
				s, err = formatValue(float64(v), true, spec)
			} else if v, ok := floats[name]; ok {
				s, err = formatValue(v, false, spec)
			} else {
				return "", fmt.Errorf("no value for {%s} in %q (have epoch, batch and the logs)", name, tmpl)
			}
			if err != nil {
				return "", fmt.Errorf("{%s}: %w", field, err)
			}
			b.WriteString(s)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// formatValue applies a Python format spec to an int (isInt) or float value.
func formatValue(v float64, isInt bool, spec string) (string, error) {
	// Parse [[fill]align][sign][#][0][width][grouping][.precision][type].
	fill, align := " ", byte(0)
	if len(spec) >= 2 {
		r, n := utf8.DecodeRuneInString(spec)
		if n < len(spec) && strings.IndexByte("<>^=", spec[n]) >= 0 {
			fill, align, spec = string(r), spec[n], spec[n+1:]
		}
	}
	if align == 0 && len(spec) >= 1 && strings.IndexByte("<>^=", spec[0]) >= 0 {
		align, spec = spec[0], spec[1:]
	}
	sign := byte('-')
	if len(spec) > 0 && strings.IndexByte("+- ", spec[0]) >= 0 {
		sign, spec = spec[0], spec[1:]
	}
	alt := false
	if strings.HasPrefix(spec, "#") {
		alt, spec = true, spec[1:]
	}
	if strings.HasPrefix(spec, "0") {
		if align == 0 {
			fill, align = "0", '='
		}
		spec = spec[1:]
	}
	width := 0
	for len(spec) > 0 && spec[0] >= '0' && spec[0] <= '9' {
		width = width*10 + int(spec[0]-'0')
		spec = spec[1:]
	}
	group := byte(0)
	if len(spec) > 0 && (spec[0] == ',' || spec[0] == '_') {
		group, spec = spec[0], spec[1:]
	}
	prec := -1
	if strings.HasPrefix(spec, ".") {
		spec = spec[1:]
		prec = 0
		n := 0
		for len(spec) > 0 && spec[0] >= '0' && spec[0] <= '9' {
			prec = prec*10 + int(spec[0]-'0')
			spec = spec[1:]
			n++
		}
		if n == 0 {
			return "", fmt.Errorf("format specifier missing precision")
		}
	}
	typ := byte(0)
	if len(spec) == 1 {
		typ = spec[0]
	} else if len(spec) > 1 {
		return "", fmt.Errorf("invalid format specifier")
	}

	neg := math.Signbit(v) && !(isInt && v == 0)
	a := math.Abs(v)
	var body string
	switch typ {
	case 'd', 'x', 'X', 'o', 'b', 'n':
		if !isInt {
			return "", fmt.Errorf("unknown format code '%c' for object of type 'float'", typ)
		}
		if prec >= 0 {
			return "", fmt.Errorf("precision not allowed in integer format specifier")
		}
		n := int64(a)
		switch typ {
		case 'x':
			body = strconv.FormatInt(n, 16)
		case 'X':
			body = strings.ToUpper(strconv.FormatInt(n, 16))
		case 'o':
			body = strconv.FormatInt(n, 8)
		case 'b':
			body = strconv.FormatInt(n, 2)
		default:
			body = strconv.FormatInt(n, 10)
		}
		if alt && typ != 'd' && typ != 'n' {
			body = "0" + string(typ) + body
		}
	case 'f', 'F', 'e', 'E', 'g', 'G', '%':
		if prec < 0 {
			prec = 6
		}
		switch typ {
		case 'f', 'F':
			body = strconv.FormatFloat(a, 'f', prec, 64)
		case 'e', 'E':
			body = strconv.FormatFloat(a, 'e', prec, 64)
		case '%':
			body = strconv.FormatFloat(a*100, 'f', prec, 64) + "%"
		default:
			body = pyGeneral(a, prec, alt)
		}
		if typ == 'E' || typ == 'G' || typ == 'F' {
			body = strings.ToUpper(body)
		}
	case 0, 's':
		if typ == 's' {
			return "", fmt.Errorf("unknown format code 's' for a number")
		}
		switch {
		case isInt:
			body = strconv.FormatInt(int64(a), 10)
		case prec >= 0:
			body = pyGeneral(a, max(prec, 1), alt)
		default:
			body = Float(a)
		}
	default:
		return "", fmt.Errorf("unknown format code '%c'", typ)
	}
	if math.IsInf(a, 0) {
		body = "inf"
	} else if math.IsNaN(a) {
		body = "nan"
		neg = false
	}
	if group != 0 {
		body = groupDigits(body, group)
	}
	signStr := ""
	switch {
	case neg:
		signStr = "-"
	case sign == '+':
		signStr = "+"
	case sign == ' ':
		signStr = " "
	}
	n := utf8.RuneCountInString(signStr + body)
	if width <= n {
		return signStr + body, nil
	}
	pad := width - n
	if align == 0 {
		align = '>'
	}
	switch align {
	case '<':
		return signStr + body + strings.Repeat(fill, pad), nil
	case '^':
		return strings.Repeat(fill, pad/2) + signStr + body + strings.Repeat(fill, pad-pad/2), nil
	case '=':
		return signStr + strings.Repeat(fill, pad) + body, nil
	}
	return strings.Repeat(fill, pad) + signStr + body, nil
}

// pyGeneral is Python's 'g' presentation for a non-negative value.
func pyGeneral(a float64, prec int, alt bool) string {
	if prec == 0 {
		prec = 1
	}
	if a == 0 {
		if alt {
			return "0." + strings.Repeat("0", prec-1)
		}
		return "0"
	}
	e := strconv.FormatFloat(a, 'e', prec-1, 64)
	_, expS, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expS)
	var s string
	if exp >= -4 && exp < prec {
		s = strconv.FormatFloat(a, 'f', prec-1-exp, 64)
	} else {
		s = e
	}
	if !alt {
		mant, ex, hasE := strings.Cut(s, "e")
		if strings.Contains(mant, ".") {
			mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		}
		s = mant
		if hasE {
			s += "e" + ex
		}
	}
	return s
}

// groupDigits inserts sep every three digits in the integer part of a formatted number.
func groupDigits(s string, sep byte) string {
	end := len(s)
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			end = i
			break
		}
	}
	intPart, rest := s[:end], s[end:]
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(sep)
		}
		b.WriteRune(c)
	}
	return b.String() + rest
}
