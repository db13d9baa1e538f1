//go:build !unix

package demo

import "testing"

type cpuClock struct{}

func startCPU() cpuClock { return cpuClock{} }

// report does nothing where the process's CPU time is not available.
func (cpuClock) report(*testing.B) {}
