//go:build race

package validate

// The race detector makes sync.Pool drop what it is given at random.
func init() { raceEnabled = true }
