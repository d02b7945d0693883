package langid

import (
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/pemistahl/lingua-go"
)

// Options tune the detection cascade. The zero value of a field means its
// default; the defaults were chosen on the labelled set in testdata (see
// the package documentation).
type Options struct {
	// Languages is the candidate set; empty means all of lingua's 75.
	Languages []lingua.Language
	// SampleBytes is the length of the sample, in pieces spread over the
	// text, that the screen looks at (default 200).
	SampleBytes int
	// WindowBytes caps the text the shortlist and the full detector look
	// at, in pieces spread over the text (default 1600).
	WindowBytes int
	// Margin is the log-odds between the screen's two best candidates
	// above which the screen decides alone (default 12).
	Margin float64
	// Shortlist is how many of a script's languages, ranked by character
	// unigrams, lingua considers at all (default 6).
	Shortlist int
	// TopK is how many of the screen's best candidates the full detector
	// chooses between (default 3).
	TopK int
	// Lazy skips preloading the screen's trigram models at construction:
	// models then load on first use.
	Lazy bool
}

func (o *Options) defaults() {
	if o.SampleBytes <= 0 {
		o.SampleBytes = 200
	}
	if o.WindowBytes <= 0 {
		o.WindowBytes = 1600
	}
	if o.Margin <= 0 {
		o.Margin = 12
	}
	if o.Shortlist < 2 {
		o.Shortlist = 6
	}
	if o.TopK < 2 {
		o.TopK = 3
	}
}

// Step tells which step of the cascade decided.
type Step uint8

const (
	StepNone   Step = iota // no letters or no known n-gram: undetermined
	StepScript             // the script names a single candidate language
	StepScreen             // the screen on a sample was near-certain
	StepFull               // the full detector chose among the screen's best
)

func (s Step) String() string {
	return [...]string{"none", "script", "screen", "full"}[s]
}

// Candidate is one language with its confidence, 0–1.
type Candidate struct {
	Lang  lingua.Language
	Score float64
}

// Result is the outcome of one detection.
type Result struct {
	// Lang is the most likely language, lingua.Unknown when undetermined.
	Lang lingua.Language
	// Score is the confidence of Lang, 0–1, rounded to 4 decimals.
	Score float64
	// Top holds the best candidates, best first; N of them are set.
	Top [3]Candidate
	N   int
	// Step tells which step of the cascade decided.
	Step Step
}

// Code returns the partition code of the result's language (see Code).
func (r Result) Code() string { return Code(r.Lang) }

// group holds the candidates written in one script.
type group struct {
	langs []lingua.Language
}

// Detector identifies languages with a cascade over lingua-go that gives
// the answers of lingua's full detector at a fraction of its cost (the
// package documentation has the figures):
//
//  1. Script: letters are counted by script; a script written in only one
//     candidate language (Greek, Hangul, Thai, kana, ...) decides, with
//     the script's share of the letters as the score.
//  2. Shortlist: the script's candidates are ranked by character
//     unigrams (lingua's own unigram models) on a window of the text;
//     the best Options.Shortlist go on.
//  3. Screen: lingua in low-accuracy mode (trigrams) scores a sample
//     spread over the text against the shortlist. When the log-odds
//     between its two best candidates reach Options.Margin, it decides.
//  4. Full: lingua in high-accuracy mode chooses between the screen's
//     TopK candidates on a window of the text.
//
// For texts of 120 letters and more lingua scores with trigrams only, so
// the screen is the same model as the full detector on less text; the
// few candidates save lingua's per-language map look-ups and arithmetic,
// and the sample and window bound its per-character rules. Detector is
// safe for concurrent use.
type Detector struct {
	opts   Options
	all    group
	groups [numScripts]group

	// full caches lingua detectors restricted to candidate sets. Their
	// models are lingua's global ones, so a detector costs little; the
	// cache is bounded all the same.
	dets  sync.Map // detectorKey -> lingua.LanguageDetector
	ndets atomic.Int64

	uni     *unigrams
	scratch sync.Pool // *[]float64 for unigrams.rank

	// preload loads the screen's models before the first detection, not
	// at construction: a process that builds the stage but never runs it
	// (a later step of a cluster job, which replays the first pass) pays
	// neither the seconds nor the memory.
	preload sync.Once
}

const maxCachedDetectors = 4096

// NewDetector builds a detector. Unless opts.Lazy is set, its first
// detection loads the trigram models of all candidates (about 4 s and
// 150 MB for lingua's 75 languages).
func NewDetector(opts Options) *Detector {
	opts.defaults()
	if len(opts.Languages) == 0 {
		opts.Languages = lingua.AllLanguages()
	}
	d := &Detector{opts: opts, uni: newUnigrams(opts.Languages)}
	d.scratch.New = func() any { b := make([]float64, 0, len(opts.Languages)); return &b }
	var set langSet
	for _, l := range opts.Languages {
		set.add(l)
	}
	d.all = group{langs: opts.Languages}
	for sc, langs := range scriptLanguages {
		var in []lingua.Language
		for _, l := range langs {
			if set.has(l) {
				in = append(in, l)
			}
		}
		d.groups[sc] = group{langs: in}
	}
	return d
}

// loadModels preloads, once, the trigram models every screen uses.
func (d *Detector) loadModels() {
	d.preload.Do(func() {
		if !d.opts.Lazy && len(d.opts.Languages) >= 2 {
			// Lingua keeps models in package-level maps shared by all its
			// detectors: building one preloaded detector loads them.
			lingua.NewLanguageDetectorBuilder().FromLanguages(d.opts.Languages...).WithLowAccuracyMode().WithPreloadedLanguageModels().Build()
		}
	})
}

// detectorKey names a cached lingua detector: its languages and mode.
type detectorKey struct {
	set langSet
	low bool
}

// detector returns a lingua detector for langs, in low-accuracy mode
// (trigrams only) when low is set.
func (d *Detector) detector(langs []lingua.Language, low bool) lingua.LanguageDetector {
	key := detectorKey{low: low}
	for _, l := range langs {
		key.set.add(l)
	}
	if v, ok := d.dets.Load(key); ok {
		return v.(lingua.LanguageDetector)
	}
	b := lingua.NewLanguageDetectorBuilder().FromLanguages(langs...)
	if low {
		b = b.WithLowAccuracyMode()
	}
	det := b.Build()
	if d.ndets.Load() < maxCachedDetectors {
		if _, loaded := d.dets.LoadOrStore(key, det); !loaded {
			d.ndets.Add(1)
		}
	}
	return det
}

// Detect identifies the language of s, which should be in NFC (see
// text.NFC): decomposed text splits lingua's words at every accent.
func (d *Detector) Detect(s string) Result {
	d.loadModels()
	r, g, total, _, done := d.byScript(s)
	if done {
		return r
	}
	short := total < 120
	// Rank the script's candidates by character unigrams and keep the
	// best few for lingua.
	cands := d.shortlist(s, g)
	if short {
		return d.full(s, cands, nil, true)
	}
	whole := len(s) <= d.opts.SampleBytes
	screen := d.detector(cands, true)
	cv := screen.ComputeLanguageConfidenceValues(compact(window(s, d.opts.SampleBytes), 0))
	if len(cv) == 0 || cv[0].Value() == 0 {
		// No known n-gram in the sample: let the full detector try on
		// more text.
		return d.full(s, cands, nil, false)
	}
	if whole || certain(cv, d.opts.Margin) {
		return result(cv, StepScreen)
	}
	next := top(nil, cv, d.opts.TopK)
	if degenerate(cv) {
		// One candidate took all the probability: either the sample is
		// decisive or lingua's character rules fired on a few of its
		// words. A second sample from elsewhere tells the two apart.
		cv2 := screen.ComputeLanguageConfidenceValues(compact(window(s[:len(s)/2], d.opts.SampleBytes), 0))
		if len(cv2) > 0 && cv2[0].Language() == cv[0].Language() && (degenerate(cv2) || certain(cv2, d.opts.Margin)) {
			return result(cv, StepScreen)
		}
		next = top(next, cv2, d.opts.TopK)
		next = top(next, asConfidences(cands), d.opts.TopK)
	}
	return d.full(s, next, cv, false)
}

// cjkWeight is how many letters of an alphabet one character of a
// logographic or syllabic script counts for when choosing the dominant
// script.
const cjkWeight = 4

// byScript counts the letters of s by script. It returns the result
// when that decides (no letters, or a script of a single candidate), else
// the candidates' group, the number of letters (weighted) and the
// dominant script's share of them.
func (d *Detector) byScript(s string) (r Result, g *group, total int, share float64, done bool) {
	var counts [numScripts]int
	for _, r := range s {
		if sc := scriptOf(r); sc != scNone {
			counts[sc]++
			total++
		}
	}
	if total == 0 {
		return Result{Lang: lingua.Unknown}, nil, 0, 0, true
	}
	// Japanese mixes kana with Han; Chinese text has (almost) no kana.
	if cjk := counts[scHan] + counts[scKana]; counts[scKana] > 0 && counts[scKana]*10 >= cjk {
		counts[scKana], counts[scHan] = cjk, 0
	} else {
		counts[scHan], counts[scKana] = cjk, 0
	}
	// A Han, kana or Hangul character carries about as much as a Latin
	// word of several letters: weigh them so, or technical Chinese full
	// of paths and commands is outvoted by its Latin letters (lingua's
	// own call gets those right).
	for _, sc := range [...]script{scHan, scKana, scHangul} {
		total += (cjkWeight - 1) * counts[sc]
		counts[sc] *= cjkWeight
	}
	dom := scNone
	for sc := scLatin; sc < numScripts; sc++ {
		if counts[sc] > counts[dom] {
			dom = sc
		}
	}
	g = &d.groups[dom]
	if len(g.langs) == 0 {
		g = &d.all
	}
	share = round4(float64(counts[dom]) / float64(total))
	if len(g.langs) == 1 {
		r := Result{Lang: g.langs[0], Score: share, Step: StepScript, N: 1}
		r.Top[0] = Candidate{g.langs[0], share}
		return r, g, total, share, true
	}
	return Result{}, g, total, share, false
}

// shortlist ranks g's languages by character unigrams on a window of s
// and returns the best Options.Shortlist.
func (d *Detector) shortlist(s string, g *group) []lingua.Language {
	if len(g.langs) <= d.opts.Shortlist {
		return g.langs
	}
	buf := d.scratch.Get().(*[]float64)
	defer d.scratch.Put(buf)
	return d.uni.rank(window(s, d.opts.WindowBytes), g.langs, d.opts.Shortlist, *buf)
}

// DetectLine identifies the language of one line of a document written
// in lang. It is Detect with lang always among the languages lingua
// weighs, so that a line counts as another language only when lingua
// prefers that language to the document's, and without the screen:
// lines are short, so lingua's full detector runs on the shortlist.
func (d *Detector) DetectLine(s string, lang lingua.Language) Result {
	d.loadModels()
	r, g, total, _, done := d.byScript(s)
	if done {
		return r
	}
	cands := d.shortlist(s, g)
	if !slices.Contains(cands, lang) && d.uni.index(lang) >= 0 {
		cands = append(slices.Clone(cands), lang)
	}
	return d.full(s, cands, nil, total < 120)
}

// asConfidences lists langs as confidence values of 1, for top.
func asConfidences(langs []lingua.Language) []lingua.ConfidenceValue {
	out := make([]lingua.ConfidenceValue, len(langs))
	for i, l := range langs {
		out[i] = constConfidence{l}
	}
	return out
}

type constConfidence struct{ l lingua.Language }

func (c constConfidence) Language() lingua.Language { return c.l }
func (c constConfidence) Value() float64            { return 1 }

// full runs lingua's high-accuracy detector restricted to cands on a
// window of s (compacted unless the text is short); screen is the
// screen's answer to fall back on.
func (d *Detector) full(s string, cands []lingua.Language, screen []lingua.ConfidenceValue, short bool) Result {
	if len(cands) < 2 {
		if len(screen) > 0 && screen[0].Value() > 0 {
			return result(screen, StepScreen)
		}
		return Result{Lang: lingua.Unknown}
	}
	w := window(s, d.opts.WindowBytes)
	if !short {
		// Lingua switches to its 1–5-gram models below 120 letters: keep
		// long texts long.
		w = compact(w, 120)
	}
	cv := d.detector(cands, false).ComputeLanguageConfidenceValues(w)
	if len(cv) == 0 || cv[0].Value() == 0 {
		if len(screen) > 0 && screen[0].Value() > 0 {
			return result(screen, StepScreen)
		}
		return Result{Lang: lingua.Unknown}
	}
	return result(cv, StepFull)
}

// top appends to dst the up to k best languages of cv with a non-zero
// confidence that dst does not hold yet.
func top(dst []lingua.Language, cv []lingua.ConfidenceValue, k int) []lingua.Language {
	for i, c := range cv {
		if i == k || c.Value() <= 0 {
			break
		}
		if !slices.Contains(dst, c.Language()) {
			dst = append(dst, c.Language())
		}
	}
	return dst
}

// degenerate reports a screen that gave all probability to one language.
func degenerate(cv []lingua.ConfidenceValue) bool {
	return len(cv) > 1 && cv[0].Value() > 0 && cv[1].Value() == 0
}

// certain reports a screen whose two best candidates differ by at least
// margin in log-odds (a degenerate screen is not certain: see Detect).
func certain(cv []lingua.ConfidenceValue, margin float64) bool {
	if len(cv) < 2 {
		return len(cv) == 1
	}
	if cv[1].Value() == 0 {
		return false
	}
	return math.Log(cv[0].Value())-math.Log(cv[1].Value()) >= margin
}

func result(cv []lingua.ConfidenceValue, step Step) Result {
	r := Result{Lang: cv[0].Language(), Score: round4(cv[0].Value()), Step: step}
	for _, c := range cv {
		v := round4(c.Value())
		if r.N == len(r.Top) || v <= 0 && r.N > 0 {
			break
		}
		r.Top[r.N] = Candidate{c.Language(), v}
		r.N++
	}
	return r
}

// round4 rounds to 4 decimals: lingua sums log-probabilities in map order,
// so the last bits of its scores vary from run to run; rounded scores keep
// the output byte-identical.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// window returns about n bytes of s: the whole of s when it is short,
// else pieces spread evenly over it, joined by newlines and cut at white
// space. Spreading keeps a document's language dominant in the window
// even when a fifth of its lines are in another language, and reaches
// past a page's head and tail.
func window(s string, n int) string {
	if len(s) <= n {
		return s
	}
	pieces := min(4, max(1, n/48))
	size := n / pieces
	var b strings.Builder
	b.Grow(n + 2*pieces)
	for k := range pieces {
		// Piece k is centred at (2k+1)/(2*pieces) of the text.
		mid := int(int64(len(s)) * int64(2*k+1) / int64(2*pieces))
		start := cutForward(s, max(0, mid-size/2), 24)
		end := cutForward(s, min(len(s), start+size), 24)
		if end <= start {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s[start:end])
	}
	return b.String()
}

// cutForward moves i forward to just after the next space within limit
// bytes, else to the next character boundary.
func cutForward(s string, i, limit int) int {
	for j := i; j < len(s) && j < i+limit; j++ {
		if s[j] == ' ' || s[j] == '\n' {
			return j + 1
		}
	}
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return i
}
