//go:build race

package model

// raceEnabled: under the race detector sync.Pool drops some of what is put in it, so the
// GEMM's packing buffers are allocated again now and then (TestPredictAllocations).
const raceEnabled = true
