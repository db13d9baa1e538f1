//go:build race

package layers

// raceEnabled: the race detector makes sync.Pool drop some of what is put in it, so
// allocation counts do not hold.
const raceEnabled = true
