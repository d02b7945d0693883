// Package keep decides which document of a group of duplicates survives:
// a deterministic priority shared by the dedup stages.
package keep

import (
	"fmt"
	"math"
	"strings"

	"github.com/winnow-data/winnow/pipeline"
)

// Policy maps a document to a priority key; the document with the
// smallest (key, Order) pair of a group is kept, so ties always fall to
// input order and the choice never depends on the worker count.
type Policy struct {
	kind   int
	signal string
}

const (
	first = iota
	highestSignal
	mostRecent
)

// Doc is the one-line documentation of the keep parameter.
const Doc = `which document of a duplicate group is kept: "first" (input order), "most_recent" (latest date) or "signal:NAME" (highest value of that signal); ties fall to input order`

// Parse reads a keep parameter value.
func Parse(s string) (Policy, error) {
	switch {
	case s == "" || s == "first":
		return Policy{kind: first}, nil
	case s == "most_recent":
		return Policy{kind: mostRecent}, nil
	case strings.HasPrefix(s, "signal:") && len(s) > len("signal:"):
		return Policy{kind: highestSignal, signal: s[len("signal:"):]}, nil
	}
	return Policy{}, fmt.Errorf("keep %q: want first, most_recent or signal:NAME", s)
}

// Key returns the document's priority key: smaller is preferred.
// Documents without the signal or without a date rank last.
func (p Policy) Key(doc *pipeline.Document) int64 {
	switch p.kind {
	case highestSignal:
		v, ok := doc.Signal(p.signal)
		if !ok || math.IsNaN(v) {
			return math.MaxInt64
		}
		return -sortable(v)
	case mostRecent:
		if doc.Date.IsZero() {
			return math.MaxInt64
		}
		return -doc.Date.UnixNano()
	}
	return 0
}

// sortable maps a float64 to an int64 with the same order, so that keys
// of every policy compare as integers.
func sortable(v float64) int64 {
	b := int64(math.Float64bits(v))
	if b < 0 {
		b ^= math.MaxInt64
	}
	// Keep clear of MinInt64 so that negating cannot overflow.
	if b == math.MinInt64 {
		b++
	}
	return b
}

// Less reports whether (ka, oa) is preferred to (kb, ob).
func Less(ka int64, oa uint64, kb int64, ob uint64) bool {
	if ka != kb {
		return ka < kb
	}
	return oa < ob
}

// String returns the policy as the keep parameter writes it.
func (p Policy) String() string {
	switch p.kind {
	case highestSignal:
		return "signal:" + p.signal
	case mostRecent:
		return "most_recent"
	}
	return "first"
}
