//go:build ignore

// bench_h5 times package h5 on one file: "load SRC" reads a Keras .h5 model, "save SRC DST"
// reads SRC and writes it back to DST with SaveModel (only the save is timed; the file is
// synced to disk before its rename, as SaveModel always does), "save-nosync SRC DST" the same
// without the sync (h5.WriteOptions{NoSync: true}, as tf_keras writes). It prints one
// JSON line: {"op": ..., "seconds": ..., "cpu": ..., "params": ...} (wall and CPU seconds,
// user+system of all threads, of the timed phase). Run by scripts/bench_h5.sh and
// scripts/bench_files.py.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"syscall"
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

// cpuSeconds is the process's user+system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: bench_h5 load SRC | save SRC DST | save-nosync SRC DST")
		os.Exit(2)
	}
	t0, c0 := time.Now(), cpuSeconds()
	m, err := h5.Load(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dt, dc := time.Since(t0), cpuSeconds()-c0
	if os.Args[1] == "save" || os.Args[1] == "save-nosync" {
		t0, c0 = time.Now(), cpuSeconds()
		if err := (h5.WriteOptions{NoSync: os.Args[1] == "save-nosync"}).SaveModel(os.Args[3], m); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		dt, dc = time.Since(t0), cpuSeconds()-c0
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"op": os.Args[1], "seconds": dt.Seconds(), "cpu": dc, "params": params(m)})
}
