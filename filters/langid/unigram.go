package langid

import (
	"math"
	"slices"
	"sync"
	"unicode"

	"github.com/pemistahl/lingua-go"
)

// unigrams is a character-unigram pre-screen built from lingua's own
// unigram models. Lingua's n-gram lookups cost a map access per n-gram
// and language, which for 45 Latin-script candidates is most of the
// naive call's time; ranking the candidates by character frequencies
// first (a table lookup per character) lets the screen and the full
// detector consider a handful of languages instead.
//
// Lingua exposes its models only through detection, so each row is
// obtained by asking lingua's high-accuracy detector about the single
// character: for a one-letter text its confidence for language l is
// p_l(c) / Σ p(c), whose logarithm differs from log p_l(c) by a term
// that is the same for every language and so drops out of the ranking.
// Rows are computed on first sight of a character and kept (bounded by
// maxRows).
type unigrams struct {
	langs []lingua.Language
	idx   [128]int16 // language -> index in langs, -1 when absent
	det   lingua.LanguageDetector

	mu   sync.RWMutex
	rows map[rune][]float32
}

const (
	maxRows = 1 << 14
	// floorLog is the log-confidence of a language that does not know a
	// character (lingua gives it 0): a strong but finite penalty, so that
	// one stray letter does not rule a language out.
	floorLog = -12
)

func newUnigrams(langs []lingua.Language) *unigrams {
	u := &unigrams{langs: langs, rows: map[rune][]float32{}}
	for i := range u.idx {
		u.idx[i] = -1
	}
	for i, l := range langs {
		u.idx[l] = int16(i)
	}
	if len(langs) >= 2 {
		u.det = lingua.NewLanguageDetectorBuilder().FromLanguages(langs...).Build()
	}
	return u
}

func (u *unigrams) row(r rune) []float32 {
	u.mu.RLock()
	row, ok := u.rows[r]
	u.mu.RUnlock()
	if ok {
		return row
	}
	row = make([]float32, len(u.langs))
	for i := range row {
		row[i] = floorLog
	}
	for _, c := range u.det.ComputeLanguageConfidenceValues(string(r)) {
		if v := c.Value(); v > 0 {
			if i := u.index(c.Language()); i >= 0 {
				row[i] = float32(max(math.Log(v), floorLog))
			}
		}
	}
	u.mu.Lock()
	if len(u.rows) < maxRows {
		u.rows[r] = row
	}
	u.mu.Unlock()
	return row
}

func (u *unigrams) index(l lingua.Language) int {
	if l < 0 || int(l) >= len(u.idx) {
		return -1
	}
	return int(u.idx[l])
}

// rank returns the n languages of among with the highest unigram
// log-likelihood for the letters of s, best first.
func (u *unigrams) rank(s string, among []lingua.Language, n int, scratch []float64) []lingua.Language {
	if len(among) < n || u.det == nil {
		return among
	}
	// Count letters first: a text has few distinct ones.
	var latin [0x250]int32
	other := map[rune]int32{}
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		r = unicode.ToLower(r)
		if r < rune(len(latin)) {
			latin[r]++
		} else if len(other) < 512 {
			other[r]++
		}
	}
	sum := scratch[:0]
	for range u.langs {
		sum = append(sum, 0)
	}
	add := func(r rune, k int32) {
		row := u.row(r)
		for i, v := range row {
			sum[i] += float64(k) * float64(v)
		}
	}
	for r, k := range latin {
		if k > 0 {
			add(rune(r), k)
		}
	}
	// Other letters in code point order, so the float sums are the same
	// on every run.
	keys := make([]rune, 0, len(other))
	for r := range other {
		keys = append(keys, r)
	}
	slices.Sort(keys)
	for _, r := range keys {
		add(r, other[r])
	}
	out := make([]lingua.Language, 0, n)
	taken := make([]bool, len(among))
	for len(out) < n {
		best := -1
		for j, l := range among {
			if taken[j] {
				continue
			}
			if best < 0 || sum[u.index(l)] > sum[u.index(among[best])] {
				best = j
			}
		}
		taken[best] = true
		out = append(out, among[best])
	}
	return out
}
