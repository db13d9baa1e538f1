package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/kerasgo/kerasgo/model"
)

// cmdLs lists every variable of a file. Formats without a format-specific lister are listed
// through the neutral saved form.
func cmdLs(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	sm, err := model.LoadSaved(pos[0])
	if err != nil {
		return err
	}
	for _, l := range sm.Layers {
		for _, v := range l.Weights {
			fmt.Fprintf(w, "%s/%s\t%s\t%s\n", l.Name, v.Name, v.Value.DType, shapeString(v.Value.Shape))
		}
	}
	if o := sm.Optimizer; o != nil {
		fmt.Fprintf(w, "optimizer/iterations\tint64\t()\n")
		for _, s := range o.Slots {
			fmt.Fprintf(w, "optimizer/%s/%s/%s\t%s\t%s\n", s.Layer, s.Weight, s.Name, s.Value.DType, shapeString(s.Value.Shape))
		}
	}
	return nil
}

// cmdVerify reads everything in a file and reports the first problem.
func cmdVerify(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	f, _, err := model.Detect(pos[0])
	if err != nil {
		return err
	}
	sm, err := model.LoadSaved(pos[0])
	if err != nil {
		return err
	}
	n := 0
	for _, l := range sm.Layers {
		n += len(l.Weights)
	}
	fmt.Fprintf(w, "ok: %s, %d layers, %d weights\n", f, len(sm.Layers), n)
	return nil
}

func cmdDemo(args []string, w io.Writer) error {
	return fmt.Errorf("demo: not available yet")
}
