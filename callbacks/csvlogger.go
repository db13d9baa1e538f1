package callbacks

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/internal/pyfmt"
)

// CSVLogger writes one row per epoch to a CSV file, byte for byte as Keras's CSVLogger
// (tf_keras 2.21 and Keras 3.15 write the same bytes): a header "epoch" plus the log keys of
// the first epoch sorted (when those include no "val_" key, a "val_<key>" column is added for
// each, in the same order), then the epoch (from 0) and each value, "NA" for a missing key;
// numbers as Python's str(float); rows ended by "\r\n" and fields quoted as Python's csv module
// does (excel dialect: quotes around a field holding the separator, a quote or a line break,
// quotes doubled).
type CSVLogger[M any] struct {
	Base[M]
	Filename string
	// Separator is the one-character field separator (default ",").
	Separator string
	// Append adds rows to an existing file (the header only when the file is new or empty),
	// as Keras's append=True; otherwise the file is replaced.
	Append bool

	f      *os.File
	w      *bufio.Writer
	sep    rune
	keys   []string
	header bool
}

// NewCSVLogger returns a CSVLogger writing to filename with Keras's defaults.
func NewCSVLogger[M any](filename string) *CSVLogger[M] {
	return &CSVLogger[M]{Filename: filename}
}

// OnTrainBegin opens the file (appending or truncating).
func (c *CSVLogger[M]) OnTrainBegin(M, Logs) error {
	sep := c.Separator
	if sep == "" {
		sep = ","
	}
	r, n := utf8.DecodeRuneInString(sep)
	if n != len(sep) || r == '"' || r == '\r' || r == '\n' || r == utf8.RuneError {
		return fmt.Errorf("%w: CSVLogger: separator %q must be one character other than a quote or a line break", errcat.ErrFormat, sep)
	}
	c.sep = r
	c.close()
	c.header = true
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if c.Append {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		if st, err := os.Stat(c.Filename); err == nil {
			// Keras reads the first line; it is empty only in an empty file.
			c.header = st.Size() == 0
		}
	}
	f, err := os.OpenFile(c.Filename, flag, 0o644)
	if err != nil {
		return within("CSVLogger", err)
	}
	c.f, c.w, c.keys = f, bufio.NewWriter(f), nil
	return nil
}

// OnEpochEnd writes the epoch's row (and the header before the first).
func (c *CSVLogger[M]) OnEpochEnd(_ M, epoch int, logs Logs) error {
	if c.f == nil {
		return fmt.Errorf("%w: CSVLogger: OnEpochEnd before OnTrainBegin", errcat.ErrFormat)
	}
	if c.keys == nil {
		c.keys = make([]string, 0, 2*len(logs))
		for k := range logs {
			c.keys = append(c.keys, k)
		}
		sort.Strings(c.keys)
		val := false
		for _, k := range c.keys {
			val = val || strings.HasPrefix(k, "val_")
		}
		if !val {
			for _, k := range c.keys[:len(c.keys):len(c.keys)] {
				c.keys = append(c.keys, "val_"+k)
			}
		}
		if c.header {
			c.writeRow(append([]string{"epoch"}, c.keys...))
		}
	}
	row := []string{strconv.Itoa(epoch)}
	for _, k := range c.keys {
		v, ok := logs[k]
		if !ok {
			row = append(row, "NA")
			continue
		}
		row = append(row, PyStrFloat(v))
	}
	c.writeRow(row)
	if err := c.w.Flush(); err != nil {
		return within("CSVLogger", err)
	}
	return nil
}

// OnTrainEnd closes the file.
func (c *CSVLogger[M]) OnTrainEnd(M, Logs) error {
	return c.close()
}

// Abort closes the file after a failed Fit.
func (c *CSVLogger[M]) Abort() error { return c.close() }

func (c *CSVLogger[M]) close() error {
	if c.f == nil {
		return nil
	}
	err := c.w.Flush()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	c.f, c.w = nil, nil
	if err != nil {
		return within("CSVLogger", err)
	}
	return nil
}

func (c *CSVLogger[M]) writeRow(fields []string) {
	for i, s := range fields {
		if i > 0 {
			c.w.WriteRune(c.sep)
		}
		c.w.WriteString(csvQuote(s, c.sep, len(fields)))
	}
	c.w.WriteString("\r\n")
}

// csvQuote quotes a field as Python's csv module (excel dialect, QUOTE_MINIMAL) does.
func csvQuote(s string, sep rune, nfields int) string {
	if s == "" && nfields == 1 || strings.ContainsRune(s, sep) || strings.ContainsAny(s, "\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// PyStrFloat formats v as Python's str(float): repr digits, "nan", "inf", "-inf".
func PyStrFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return pyfmt.Float(v)
}
