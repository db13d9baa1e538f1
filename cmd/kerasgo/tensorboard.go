package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kerasgo/kerasgo/internal/tfevents"
)

// cmdTensorBoardCheck validates every TensorBoard event file under LOGDIR (or one event
// file): every record's length and data CRC32C, every Event and Summary, scalar values.
func cmdTensorBoardCheck(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("tensorboard-check", flag.ContinueOnError)
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	var reps []*tfevents.FileReport
	if isDir(pos[0]) {
		reps, err = tfevents.CheckDir(pos[0])
	} else {
		var rep *tfevents.FileReport
		if rep, err = tfevents.CheckFile(pos[0]); err == nil {
			reps = append(reps, rep)
		}
	}
	if err != nil {
		return fmt.Errorf("tensorboard-check %w", err)
	}
	records, scalars := 0, 0
	for _, r := range reps {
		rel, rerr := filepath.Rel(pos[0], r.Path)
		if rerr != nil || rel == "." {
			rel = r.Path
		}
		fmt.Fprintf(w, "%s: %d records, %d scalars, tags %v\n", rel, r.Records, len(r.Scalars), r.Tags)
		records += r.Records
		scalars += len(r.Scalars)
	}
	fmt.Fprintf(w, "ok: %d event files, %d records (every CRC checked), %d scalars\n", len(reps), records, scalars)
	return nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
