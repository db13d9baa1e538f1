package main

import (
	"fmt"
	"strings"

	"github.com/kerasgo/kerasgo/model"
)

// pathList is a flag that may be repeated; each use appends one path.
type pathList []string

func (p *pathList) String() string { return strings.Join(*p, ",") }

func (p *pathList) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty path")
	}
	*p = append(*p, v)
	return nil
}

// ioNames returns a model's input and output names in its order; a Sequential model has one
// input (named after nothing: "input") and one output.
func ioNames(m *model.Model) (ins, outs []string) {
	if m.Functional() {
		return m.InputNames(), m.OutputNames()
	}
	return []string{"input"}, m.OutputNames()
}

// checkIOCount checks that predict got one --input per model input and one --output per model
// output (before anything is read or written), and names the model's inputs and outputs in
// order when it did not.
func checkIOCount(path string, m *model.Model, nIn, nOut int) error {
	ins, outs := ioNames(m)
	if len(outs) == 0 {
		outs = []string{"output"}
	}
	if nIn != len(ins) {
		return fmt.Errorf("%w: %s has %d input(s) %s, in this order; got %d --input", model.ErrShape, path, len(ins), quoted(ins), nIn)
	}
	if nOut != len(outs) {
		return fmt.Errorf("%w: %s has %d output(s) %s, in this order; got %d --output", model.ErrShape, path, len(outs), quoted(outs), nOut)
	}
	return nil
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return "(" + strings.Join(q, ", ") + ")"
}
