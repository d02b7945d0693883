package minhash

import (
	"fmt"
	"math"
)

// LSH banding. A signature of K = bands × rows entries is cut into bands;
// two documents become candidates when all rows of at least one band are
// equal. Each entry of two documents with Jaccard similarity s is equal
// with probability s, so
//
//	P(candidate | s) = 1 − (1 − s^rows)^bands
//
// With the defaults (K = 112, 14 bands × 8 rows, as datatrove):
//
//	s     0.3      0.5     0.7    0.8    0.9     0.95
//	P     0.0009   0.053   0.56   0.924  0.9996  1.0000
//
// so pairs at s ≥ 0.9 are found with recall ≥ 0.999, and a pair at
// s = 0.5 becomes a candidate 5 % of the time. Candidates are then
// verified (unless verify is off): linked only when the signature's
// estimate of s is at least the threshold (0.8). The estimate is a mean
// of K Bernoulli(s) draws, standard deviation √(s(1−s)/K): 0.028 at
// s = 0.9, so a true 0.9 pair fails verification with probability about
// 2·10⁻⁴, while a 0.5 pair passes with probability below 10⁻¹⁰. Pairs
// near the threshold itself are kept or removed about half the time each.

// Candidate returns P(candidate | s) for the given banding.
func Candidate(s float64, bands, rows int) float64 {
	return 1 - math.Pow(1-math.Pow(s, float64(rows)), float64(bands))
}

// Banding chooses bands × rows ≤ k for a Jaccard threshold: the most rows
// (fewest false candidates) whose P(candidate | threshold) is still at
// least 0.9. For threshold 0.8 and k = 112 that is 14 × 8.
func Banding(threshold float64, k int) (bands, rows int, err error) {
	if !(threshold > 0 && threshold < 1) {
		return 0, 0, fmt.Errorf("threshold %v outside (0, 1)", threshold)
	}
	if k < 1 {
		return 0, 0, fmt.Errorf("num_perm %d must be positive", k)
	}
	bands, rows = k, 1
	for r := 2; r <= k; r++ {
		b := k / r
		if Candidate(threshold, b, r) < 0.9 {
			break
		}
		bands, rows = b, r
	}
	return bands, rows, nil
}
