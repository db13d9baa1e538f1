//go:build unix

package demo

import (
	"syscall"
	"testing"
	"time"
)

// cpuClock measures the process's CPU time (user + system) over a benchmark loop.
type cpuClock struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{cpuNow()} }

// report adds the CPU seconds per operation (all threads) to the benchmark's results.
func (c cpuClock) report(b *testing.B) {
	b.ReportMetric((cpuNow()-c.start).Seconds()/float64(b.N), "cpu-s/op")
}
