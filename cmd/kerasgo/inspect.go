package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/internal/blobpath"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/savedmodel"
	"github.com/kerasgo/kerasgo/tensor"
)

// cmdLs lists every variable of a file, whether or not kerasgo supports the model's layers:
// every dataset of an HDF5 file (or of the weights inside a .keras archive), every tensor of a
// checkpoint, and the signatures and variables of a SavedModel.
func cmdLs(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if blobpath.IsURL(pos[0]) {
		// A remote checkpoint is listed from its index alone; the rest is fetched once.
		if f, prefix, err := model.Detect(pos[0]); err != nil {
			return err
		} else if f == model.FormatCheckpoint {
			return lsPath(prefix, w)
		}
	}
	return withLocalInput(pos[0], w, lsPath)
}

// lsPath is ls of a local path, or of a remote checkpoint prefix.
func lsPath(path string, w io.Writer) error {
	f, p, err := model.Detect(path)
	if err != nil {
		return err
	}
	switch f {
	case model.FormatHDF5, model.FormatKeras:
		vars, err := h5.List(p)
		if err != nil {
			return err
		}
		for _, v := range vars {
			fmt.Fprintf(w, "%s\t%s\t%s\n", v.Path, v.Type, tensor.ShapeString(v.Shape))
		}
	case model.FormatCheckpoint:
		r, _, err := openCheckpoint(p)
		if err != nil {
			return err
		}
		defer r.Close()
		for _, e := range r.Entries() {
			fmt.Fprintf(w, "%s\t%s\t%s\n", e.Key, e.DType, tensor.ShapeString(e.Shape))
		}
	case model.FormatSavedModel:
		info, err := savedmodel.Inspect(p)
		if err != nil {
			return err
		}
		for _, s := range info.Signatures {
			for _, in := range s.Inputs {
				fmt.Fprintf(w, "signature %s input %s\t%s\t%s\n", s.Key, in.Key, in.DType, tensorShape(in.Shape, in.Rank))
			}
			for _, out := range s.Outputs {
				fmt.Fprintf(w, "signature %s output %s\t%s\t%s\n", s.Key, out.Key, out.DType, tensorShape(out.Shape, out.Rank))
			}
		}
		for _, v := range info.Variables {
			fmt.Fprintf(w, "%s\t%s\t%s\n", v.Key, v.DType, tensor.ShapeString(v.Shape))
		}
	default:
		return fmt.Errorf("ls %s: unknown format", path)
	}
	return nil
}

// tensorShape prints a signature shape with None for unknown dims.
func tensorShape(s []int, rank int) string {
	if rank < 0 {
		return "<unknown rank>"
	}
	return tensor.ShapeString(s)
}
