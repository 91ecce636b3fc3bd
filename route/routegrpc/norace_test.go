//go:build !race

package routegrpc

// raceEnabled is true under the race detector, whose sync.Pool drops
// pooled objects at random, so allocation counts are not meaningful.
const raceEnabled = false
