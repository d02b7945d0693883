//go:build race

package fasttext

// raceEnabled: hogwild training races by design, and the race detector
// makes the large cross-checks too slow; those tests skip.
const raceEnabled = true
