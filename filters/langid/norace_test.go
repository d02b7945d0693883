//go:build !race

package langid

const raceMode = false
