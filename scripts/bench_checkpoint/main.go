// Command bench_checkpoint writes or reads the benchmark checkpoint of
// scripts/bench_checkpoint.sh: 100 float32 tensors of 1M values each (400 MB), with package
// checkpoint. It prints the timed phase's wall seconds ("write_s" or "read_s") and CPU seconds
// ("cpu", user+system of all threads) as JSON.
//
//	go run ./scripts/bench_checkpoint write PREFIX          (files synced before their rename)
//	go run ./scripts/bench_checkpoint write-nosync PREFIX   (WriterOptions{NoSync: true}, as TF writes)
//	go run ./scripts/bench_checkpoint read PREFIX
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/tensor"
)

const (
	numTensors = 100
	perTensor  = 1 << 20 // float32 values: 1024 x 1024
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: bench_checkpoint write|write-nosync|read PREFIX")
		os.Exit(2)
	}
	prefix := os.Args[2]
	var res map[string]any
	var err error
	switch os.Args[1] {
	case "write", "write-nosync":
		res, err = write(prefix, os.Args[1] == "write-nosync")
	case "read":
		res, err = read(prefix)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench_checkpoint:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

// cpuSeconds is the process's user+system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func write(prefix string, noSync bool) (map[string]any, error) {
	ts := make([]*tensor.Tensor, numTensors)
	for i := range ts {
		d := make([]float32, perTensor)
		for j := range d {
			d[j] = float32(i) + float32(j)*1e-7
		}
		ts[i] = tensor.MustFromFloat32([]int{1024, 1024}, d)
	}
	start, c0 := time.Now(), cpuSeconds()
	w, err := checkpoint.NewWriter(prefix, checkpoint.WriterOptions{NoSync: noSync})
	if err != nil {
		return nil, err
	}
	for i, t := range ts {
		if err := w.Add(fmt.Sprintf("v%03d/.ATTRIBUTES/VARIABLE_VALUE", i), t); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return map[string]any{"write_s": time.Since(start).Seconds(), "cpu": cpuSeconds() - c0, "bytes": numTensors * perTensor * 4}, nil
}

func read(prefix string) (map[string]any, error) {
	start, c0 := time.Now(), cpuSeconds()
	r, err := checkpoint.Open(prefix)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var all []*tensor.Tensor // keep every tensor, as a model load does
	n := int64(0)
	for _, e := range r.Entries() {
		t, err := r.Read(e.Key)
		if err != nil {
			return nil, err
		}
		all = append(all, t)
		n += e.Size
	}
	el, cpu := time.Since(start).Seconds(), cpuSeconds()-c0
	return map[string]any{"read_s": el, "cpu": cpu, "bytes": n, "tensors": len(all)}, nil
}
