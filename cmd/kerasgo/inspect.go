package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/savedmodel"
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
	f, p, err := model.Detect(pos[0])
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
			fmt.Fprintf(w, "%s\t%s\t%s\n", v.Path, v.Type, shapeString(v.Shape))
		}
	case model.FormatCheckpoint:
		r, err := checkpoint.Open(p)
		if err != nil {
			return err
		}
		defer r.Close()
		for _, e := range r.Entries() {
			fmt.Fprintf(w, "%s\t%s\t%s\n", e.Key, e.DType, shapeString(e.Shape))
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
			fmt.Fprintf(w, "%s\t%s\t%s\n", v.Key, v.DType, shapeString(v.Shape))
		}
	default:
		return fmt.Errorf("ls %s: unknown format", pos[0])
	}
	return nil
}

// tensorShape prints a signature shape with None for unknown dims.
func tensorShape(s []int, rank int) string {
	if rank < 0 {
		return "<unknown rank>"
	}
	out := "("
	for i, d := range s {
		if i > 0 {
			out += ", "
		}
		if d < 0 {
			out += "None"
		} else {
			out += fmt.Sprint(d)
		}
	}
	if len(s) == 1 {
		out += ","
	}
	return out + ")"
}

// cmdVerify reads everything in a file (every tensor, with its checksum where the format has
// one, and the model config and weights where there is a Keras model) and reports the first
// problem.
func cmdVerify(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	f, p, err := model.Detect(pos[0])
	if err != nil {
		return err
	}
	switch f {
	case model.FormatHDF5, model.FormatKeras:
		vars, err := h5.List(p)
		if err != nil {
			return err
		}
		sm, err := model.LoadSaved(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "ok: %s %s: %d datasets, %d layers, %d weights%s\n", f, p, len(vars), len(sm.Layers), countWeights(sm.Layers), optimizerNote(sm.Optimizer != nil))
		noteModel(w, sm.Config)
	case model.FormatCheckpoint:
		n, err := readBundle(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "ok: %s %s: %d tensors, every crc32c verified\n", f, p, n)
	case model.FormatSavedModel:
		info, err := savedmodel.Inspect(p)
		if err != nil {
			return err
		}
		n := 0
		if len(info.Variables) > 0 {
			if n, err = readBundle(filepath.Join(p, "variables", "variables")); err != nil {
				return err
			}
		}
		keras := ""
		if info.Keras != nil {
			sm, err := savedmodel.Load(p)
			if err != nil {
				return err
			}
			keras = fmt.Sprintf(", Keras %s model with %d layers", info.Keras.Class, len(sm.Layers))
			defer noteModel(w, sm.Config)
		}
		fmt.Fprintf(w, "ok: %s %s: %d signatures, %d variables (every crc32c verified)%s\n", f, p, len(info.Signatures), n, keras)
	}
	return nil
}

// noteModel rebuilds a Keras config when there is one and says whether kerasgo can run the
// architecture. An architecture kerasgo does not support is not a defect of the file, so it
// is a note, not an error.
func noteModel(w io.Writer, config []byte) {
	if len(config) == 0 {
		return
	}
	if _, err := model.FromConfig(config); err != nil {
		fmt.Fprintf(w, "note: the file is sound, but kerasgo cannot run its model: %v\n", err)
	}
}

// readBundle reads every tensor of a checkpoint, verifying each crc32c, and parses its
// object graph (checkpoint.Verify).
func readBundle(prefix string) (int, error) {
	return checkpoint.Verify(prefix)
}

func countWeights(ls []saved.Layer) int {
	n := 0
	for _, l := range ls {
		n += len(l.Weights)
	}
	return n
}

func optimizerNote(has bool) string {
	if has {
		return ", optimizer state"
	}
	return ""
}
