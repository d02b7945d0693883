// gopher_repetition: the repetition rules of Gopher's MassiveText quality
// filter (Rae et al. 2021, "Scaling Language Models: Methods, Analysis &
// Insights from Training Gopher", appendix A.1.1 and table A1), as in
// datatrove's pipeline/filters/gopher_repetition_filter.py, whose defaults
// these are:
//
//	duplicate line fraction                  0.30  (dup_line_frac)
//	duplicate paragraph fraction             0.30  (dup_para_frac)
//	duplicate line character fraction        0.20  (dup_line_char_frac)
//	duplicate paragraph character fraction   0.20  (dup_para_char_frac)
//	top 2-, 3-, 4-gram character fraction    0.20, 0.18, 0.16
//	duplicate 5- … 10-gram character fraction 0.15, 0.14, 0.13, 0.12, 0.11, 0.10
//
// Character fractions are characters (code points) over the characters of
// the whole text. An n-gram is n consecutive words (filters/text, so one
// word per ideograph in Chinese or Japanese) and counts as its words joined
// by single spaces. Differences from datatrove, each chosen so that a
// reader agrees with the rejects: blank lines are not lines (datatrove
// counts every blank line after the first as a duplicate line); the top
// n-gram counts only when it occurs at least twice (datatrove rejects any
// short document, whose single n-gram covers it); paragraphs are separated
// by blank lines, also when these hold spaces; n-grams are of words only,
// where datatrove's are of its English tokeniser's tokens, punctuation
// included ("end ." and ". The" are 2-grams there), which neither this
// stage nor its tests follow yet (gopher_quality and fineweb do, see
// reftokens.go).
package quality

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/winnow-data/winnow/pipeline"
)

// GopherRepetitionName is the gopher_repetition stage's canonical name.
const GopherRepetitionName = "gopher_repetition"

// NFrac is one n-gram rule: n words, a maximum character fraction.
type NFrac struct {
	N    int
	Frac float64
}

// GopherRepetitionConfig configures gopher_repetition. A threshold of 0
// disables its rule (its signal is still written).
type GopherRepetitionConfig struct {
	DupLineFrac     float64
	DupParaFrac     float64
	DupLineCharFrac float64
	DupParaCharFrac float64
	TopNGrams       []NFrac // most frequent n-gram's character fraction
	DupNGrams       []NFrac // duplicated n-grams' character fraction
}

// DefaultGopherRepetition returns the defaults of table A1.
func DefaultGopherRepetition() GopherRepetitionConfig {
	return GopherRepetitionConfig{
		DupLineFrac: 0.3, DupParaFrac: 0.3, DupLineCharFrac: 0.2, DupParaCharFrac: 0.2,
		TopNGrams: []NFrac{{2, 0.20}, {3, 0.18}, {4, 0.16}},
		DupNGrams: []NFrac{{5, 0.15}, {6, 0.14}, {7, 0.13}, {8, 0.12}, {9, 0.11}, {10, 0.10}},
	}
}

func init() {
	d := DefaultGopherRepetition()
	pipeline.Register(pipeline.Spec{
		Name:    GopherRepetitionName,
		Summary: "drop documents with repeated lines, paragraphs or n-grams (Gopher, Rae et al. 2021)",
		Order:   42,
		Default: true,
		Params: []pipeline.Param{
			{Name: "dup_line_frac", Default: d.DupLineFrac, Doc: "max fraction of non-blank lines that repeat an earlier line; 0 disables", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "dup_para_frac", Default: d.DupParaFrac, Doc: "max fraction of paragraphs that repeat an earlier paragraph; 0 disables", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "dup_line_char_frac", Default: d.DupLineCharFrac, Doc: "max fraction of characters in repeated lines; 0 disables", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "dup_para_char_frac", Default: d.DupParaCharFrac, Doc: "max fraction of characters in repeated paragraphs; 0 disables", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "top_n_grams", Default: formatNFracs(d.TopNGrams), Doc: "n:max — max character fraction of the most frequent n-gram"},
			{Name: "dup_n_grams", Default: formatNFracs(d.DupNGrams), Doc: "n:max — max character fraction of duplicated n-grams"},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			cfg := GopherRepetitionConfig{
				DupLineFrac:     p.Float("dup_line_frac"),
				DupParaFrac:     p.Float("dup_para_frac"),
				DupLineCharFrac: p.Float("dup_line_char_frac"),
				DupParaCharFrac: p.Float("dup_para_char_frac"),
			}
			var err error
			if cfg.TopNGrams, err = parseNFracs("top_n_grams", p.Strings("top_n_grams")); err != nil {
				return nil, err
			}
			if cfg.DupNGrams, err = parseNFracs("dup_n_grams", p.Strings("dup_n_grams")); err != nil {
				return nil, err
			}
			return NewGopherRepetition(cfg)
		},
	})
}

func formatNFracs(r []NFrac) []string {
	out := make([]string, len(r))
	for i, x := range r {
		out[i] = strconv.Itoa(x.N) + ":" + strconv.FormatFloat(x.Frac, 'f', -1, 64)
	}
	return out
}

// maxNGram bounds n: longer n-grams add cost and nothing the 10-gram rule
// does not catch.
const maxNGram = 32

func parseNFracs(param string, s []string) ([]NFrac, error) {
	out := make([]NFrac, 0, len(s))
	for _, e := range s {
		ns, fs, ok := strings.Cut(e, ":")
		n, err1 := strconv.Atoi(strings.TrimSpace(ns))
		f, err2 := strconv.ParseFloat(strings.TrimSpace(fs), 64)
		if !ok || err1 != nil || err2 != nil || n < 1 || n > maxNGram || f < 0 {
			return nil, fmt.Errorf("%s: %s: %q: want n:fraction with 1 ≤ n ≤ %d", GopherRepetitionName, param, e, maxNGram)
		}
		out = append(out, NFrac{n, f})
	}
	return out, nil
}

// GopherRepetition is the gopher_repetition stage.
type GopherRepetition struct {
	cfg GopherRepetitionConfig
	// Signal and reason names, built once.
	topSig, topReason, dupSig, dupReason []string
}

// NewGopherRepetition builds the stage.
func NewGopherRepetition(cfg GopherRepetitionConfig) (*GopherRepetition, error) {
	for _, r := range append(append([]NFrac(nil), cfg.TopNGrams...), cfg.DupNGrams...) {
		if r.N < 1 || r.N > maxNGram {
			return nil, fmt.Errorf("%s: n-gram size %d outside 1–%d", GopherRepetitionName, r.N, maxNGram)
		}
	}
	s := &GopherRepetition{cfg: cfg}
	for _, r := range cfg.TopNGrams {
		n := strconv.Itoa(r.N)
		s.topSig = append(s.topSig, GopherRepetitionName+".top_"+n+"_gram_char_frac")
		s.topReason = append(s.topReason, "top_"+n+"_gram")
	}
	for _, r := range cfg.DupNGrams {
		n := strconv.Itoa(r.N)
		s.dupSig = append(s.dupSig, GopherRepetitionName+".dup_"+n+"_gram_char_frac")
		s.dupReason = append(s.dupReason, "dup_"+n+"_gram")
	}
	return s, nil
}

// Name returns "gopher_repetition".
func (s *GopherRepetition) Name() string { return GopherRepetitionName }

// RepetitionSignals are the numbers gopher_repetition computes.
type RepetitionSignals struct {
	DupLineFrac, DupLineCharFrac float64
	DupParaFrac, DupParaCharFrac float64
	Top                          []float64 // per TopNGrams rule
	Dup                          []float64 // per DupNGrams rule
}

// Process computes every signal, then applies the rules in datatrove's
// order (paragraphs, lines, top n-grams, duplicated n-grams).
func (s *GopherRepetition) Process(doc *pipeline.Document) (string, error) {
	a := analyse(doc)
	sc := getScratch()
	defer putScratch(sc)
	sig := s.measure(a, sc)
	const p = GopherRepetitionName + "."
	doc.SetSignal(p+"dup_para_frac", sig.DupParaFrac)
	doc.SetSignal(p+"dup_para_char_frac", sig.DupParaCharFrac)
	doc.SetSignal(p+"dup_line_frac", sig.DupLineFrac)
	doc.SetSignal(p+"dup_line_char_frac", sig.DupLineCharFrac)
	for i, v := range sig.Top {
		doc.SetSignal(s.topSig[i], v)
	}
	for i, v := range sig.Dup {
		doc.SetSignal(s.dupSig[i], v)
	}
	c := s.cfg
	switch {
	case over(sig.DupParaFrac, c.DupParaFrac):
		return "dup_para_frac", nil
	case over(sig.DupParaCharFrac, c.DupParaCharFrac):
		return "dup_para_char_frac", nil
	case over(sig.DupLineFrac, c.DupLineFrac):
		return "dup_line_frac", nil
	case over(sig.DupLineCharFrac, c.DupLineCharFrac):
		return "dup_line_char_frac", nil
	}
	for i, r := range c.TopNGrams {
		if over(sig.Top[i], r.Frac) {
			return s.topReason[i], nil
		}
	}
	for i, r := range c.DupNGrams {
		if over(sig.Dup[i], r.Frac) {
			return s.dupReason[i], nil
		}
	}
	return "", nil
}

// over reports v > max for an enabled (non-zero) maximum.
func over(v, max float64) bool { return max > 0 && v > max }

// measure computes the signals of a.
func (s *GopherRepetition) measure(a *analysis, sc *scratch) RepetitionSignals {
	var sig RepetitionSignals
	total := a.runes

	// Lines: non-blank lines that repeat an earlier one.
	lines := a.nfcLines()
	sc.table.reset(len(lines))
	nonBlank, dupLines, dupLineChars := 0, 0, 0
	for i, l := range lines {
		line := a.nfc[l.start:l.end]
		if l.blank {
			continue
		}
		nonBlank++
		if sc.table.slots[sc.table.add(l.hash, i)].count > 1 {
			dupLines++
			dupLineChars += runeCount(line)
		}
	}
	sig.DupLineFrac = ratio(dupLines, nonBlank)
	sig.DupLineCharFrac = ratio(dupLineChars, total)

	// Paragraphs: maximal runs of non-blank lines, as
	// text.AppendParagraphs has them, taken from the lines at hand.
	sc.table.reset(nonBlank)
	paras, dupParas, dupParaChars := 0, 0, 0
	para := func(start, end int) {
		p := a.nfc[start:end]
		if sc.table.slots[sc.table.add(xxhash.Sum64String(p), paras)].count > 1 {
			dupParas++
			dupParaChars += runeCount(p)
		}
		paras++
	}
	pstart, pend := -1, 0
	for _, l := range lines {
		if l.blank {
			if pstart >= 0 {
				para(pstart, pend)
				pstart = -1
			}
			continue
		}
		if pstart < 0 {
			pstart = l.start
		}
		pend = l.end
	}
	if pstart >= 0 {
		para(pstart, pend)
	}
	sig.DupParaFrac = ratio(dupParas, paras)
	sig.DupParaCharFrac = ratio(dupParaChars, total)

	sig.Top = make([]float64, len(s.cfg.TopNGrams))
	sig.Dup = make([]float64, len(s.cfg.DupNGrams))
	s.ngrams(a, sc, &sig)
	return sig
}

// ngrams computes the n-gram signals without building any n-gram as a
// string: g[i] holds the hash of the n-gram starting at word i, extended
// by one word per step of n.
//
// Only n-grams that occur at least twice matter to either rule (the top
// n-gram counts when repeated; the duplicate walk only ever finds
// repeated ones), and an n-gram can occur twice only where the (n-1)-gram
// at the same word does. So each step looks only at the positions whose
// (n-1)-gram repeats: on prose these shrink fast, and the whole costs a
// few table operations per word rather than one per word and n.
func (s *GopherRepetition) ngrams(a *analysis, sc *scratch, sig *RepetitionSignals) {
	nw := a.numWords()
	minN, maxN := maxNGram+1, 0
	for _, r := range s.cfg.TopNGrams {
		minN, maxN = min(minN, r.N), max(maxN, r.N)
	}
	for _, r := range s.cfg.DupNGrams {
		minN, maxN = min(minN, r.N), max(maxN, r.N)
	}
	if nw < minN || a.runes == 0 {
		return
	}
	// Start with the smallest n a rule asks for: pruning below it would
	// cost a pass and save less. That first step sees every position —
	// on prose nearly all the work — so it hashes and counts each n-gram
	// in one loop; the later ones see only the candidates.
	t := &sc.table
	m := nw - minN + 1
	g := sc.grams[:0]
	// cand holds, in order, the positions whose n-gram may repeat; st
	// collects those whose n-gram does.
	cand := sc.cand[:0]
	st := ngramStep{rep: sc.slots[:0]}
	for n := minN; n <= maxN; n++ {
		st.reset()
		if n == minN {
			// Most n-grams occur once, and only repeated ones matter. A
			// first pass counts the hashes, up to two, in a table of
			// small counters indexed by their top bits, without a
			// branch; an n-gram whose counter stays at one occurs once.
			// The others — the repeated ones and the few that share a
			// counter with another — are counted exactly, in order.
			// Counting every n-gram in the hash table took a fifth of
			// the stage's time, most of it in mispredicted probes.
			fbits := min(max(10, bits.Len(uint(8*m))), 22)
			shift := 64 - fbits
			f := sc.filter[:0]
			if cap(f) < 1<<fbits {
				f = make([]uint8, 1<<fbits)
			} else {
				f = f[:1<<fbits]
				clear(f)
			}
			sc.filter = f
			// The hash rolls from one position to the next: drop the
			// first word's term (its hash times M^(n-1)), shift, add
			// the next word; the same value as summing afresh.
			words := a.words
			top := uint64(1) // M^(minN-1)
			h := uint64(0)
			for k := range minN - 1 {
				top *= ngramMul
				h = h*ngramMul + words[k].hash
			}
			for i := range m {
				if i > 0 {
					h -= words[i-1].hash * top
				}
				h = h*ngramMul + words[i+minN-1].hash
				g = append(g, h)
				c := &f[h>>shift]
				*c += *c>>1 ^ 1 // 0 → 1 → 2 → 2
			}
			for i, h := range g {
				if f[h>>shift] > 1 {
					cand = append(cand, int32(i))
				}
			}
			t.reset(len(cand))
			for _, i := range cand {
				if sl := &t.slots[t.add(g[i], int(i))]; sl.count > 1 {
					st.repeat(sl, int(i))
				}
			}
		} else {
			// Extend the candidates' hashes to n words and count them.
			k := 0
			for _, i := range cand {
				if int(i)+n > nw {
					break
				}
				g[i] = g[i]*ngramMul + a.words[int(i)+n-1].hash
				cand[k] = i
				k++
			}
			cand = cand[:k]
			t.reset(len(cand))
			for _, i := range cand {
				if sl := &t.slots[t.add(g[i], int(i))]; sl.count > 1 {
					st.repeat(sl, int(i))
				}
			}
		}
		for r, rule := range s.cfg.TopNGrams {
			if rule.N == n && st.best > 1 {
				sig.Top[r] = ratio(int(st.best)*a.gramRunes(st.bestFirst, st.bestFirst+n), a.runes)
			}
		}
		// Keep the positions whose n-gram repeats, in order.
		slices.Sort(st.rep)
		cand, st.rep = st.rep, cand
		for r, rule := range s.cfg.DupNGrams {
			if rule.N != n {
				continue
			}
			// Walk the n-grams; one seen before counts its characters
			// and the walk jumps past it, so overlapping repeats are not
			// counted twice, and jumped-over n-grams are not remembered.
			// N-grams occurring once never match and are left out.
			w := &sc.walk
			w.reset(len(cand))
			dup, next := 0, 0
			for _, i := range cand {
				if int(i) < next {
					continue
				}
				if w.slots[w.add(g[i], int(i))].count > 1 {
					dup += a.gramRunes(int(i), int(i)+n)
					next = int(i) + n
				}
			}
			sig.Dup[r] = ratio(dup, a.runes)
		}
		if len(cand) == 0 {
			break
		}
	}
	sc.grams, sc.cand, sc.slots = g, cand, st.rep
}

// ngramStep counts the n-grams of one size.
type ngramStep struct {
	// rep holds the positions of the n-grams seen more than once, in
	// the order found: a position joins when its n-gram's count reaches
	// two (with the first position of that n-gram) or beyond. Most
	// n-grams occur once, so this is cheaper than a pass over all
	// counts afterwards.
	rep []int32
	// best is the highest count so far, bestFirst the first position of
	// its n-gram, among equals the first to occur: the highest final
	// count is reached at some point, and ties are broken on first
	// positions.
	best      uint32
	bestFirst int
}

func (st *ngramStep) reset() {
	st.rep = st.rep[:0]
	st.best, st.bestFirst = 1, 0
}

// repeat notes that the n-gram of slot sl, just counted, occurs again
// at position i.
func (st *ngramStep) repeat(sl *slot, i int) {
	if sl.count == 2 {
		st.rep = append(st.rep, sl.first)
	}
	st.rep = append(st.rep, int32(i))
	if c, f := sl.count, int(sl.first); c > st.best || (c == st.best && f < st.bestFirst) {
		st.best, st.bestFirst = c, f
	}
}

// Columns implements pipeline.Declarer.
func (s *GopherRepetition) Columns() []pipeline.Column {
	const p = GopherRepetitionName + "."
	names := []string{p + "dup_para_frac", p + "dup_para_char_frac", p + "dup_line_frac", p + "dup_line_char_frac"}
	names = append(names, s.topSig...)
	names = append(names, s.dupSig...)
	return pipeline.SignalColumns(names...)
}
