//go:build race

package langid

// raceMode: under the race detector lingua's model loading is ten times
// slower, so the shared test detector holds fewer languages (see shared).
const raceMode = true
