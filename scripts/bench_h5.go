//go:build ignore

// bench_h5 times package h5 on one file: "load SRC" reads a Keras .h5 model, "save SRC DST"
// reads SRC and writes it back to DST with SaveModel (only the save is timed; the file is
// synced to disk before its rename, as SaveModel always does), "save-nosync SRC DST" the same
// without the sync (h5.WriteOptions{NoSync: true}, as tf_keras writes). It prints one
// JSON line: {"op": ..., "seconds": ..., "params": ...}. Run by scripts/bench_h5.sh.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/saved"
)

func params(m *saved.Model) int {
	n := 0
	for _, l := range m.Layers {
		for _, w := range l.Weights {
			n += w.Value.Len()
		}
	}
	return n
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: bench_h5 load SRC | save SRC DST | save-nosync SRC DST")
		os.Exit(2)
	}
	t0 := time.Now()
	m, err := h5.Load(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dt := time.Since(t0)
	if os.Args[1] == "save" || os.Args[1] == "save-nosync" {
		t0 = time.Now()
		if err := (h5.WriteOptions{NoSync: os.Args[1] == "save-nosync"}).SaveModel(os.Args[3], m); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		dt = time.Since(t0)
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"op": os.Args[1], "seconds": dt.Seconds(), "params": params(m)})
}
