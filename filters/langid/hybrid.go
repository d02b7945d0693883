package langid

import (
	"slices"
	"sync"

	"github.com/pemistahl/lingua-go"
)

// HybridOptions tune when the hybrid backend trusts fastText. The zero
// value of a field means its default; the defaults were calibrated on
// translations that packages ship (internal/calibrate), not on the
// labelled set the tests and benchmarks report on.
type HybridOptions struct {
	// MinProb is the fastText probability from which its answer is taken
	// (default DefaultMinProb).
	MinProb float64
	// MinLetters is the number of letters below which lingua decides
	// (default 40): on a few words fastText guesses.
	MinLetters int
	// MinShare is the dominant script's least share of the letters for
	// fastText to decide (default 0.9): mixed-script text goes to lingua,
	// whose cascade weighs the scripts.
	MinShare float64
	// Window caps the bytes fastText reads (default DefaultWindow).
	Window int
}

// DefaultMinProb is the default HybridOptions.MinProb.
const DefaultMinProb = 0.8

func (o *HybridOptions) defaults() {
	if o.MinProb <= 0 {
		o.MinProb = DefaultMinProb
	}
	if o.MinLetters <= 0 {
		o.MinLetters = 40
	}
	if o.MinShare <= 0 {
		o.MinShare = 0.9
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
}

// confusable are languages fastText tells apart less well than lingua:
// when fastText names one of a group, lingua chooses within the group.
// Norwegian is one: lid.176 labels Bokmål "no" and knows Nynorsk, lingua
// has both, and both mix with Danish.
var confusable = [][]lingua.Language{
	{lingua.Bosnian, lingua.Croatian, lingua.Serbian},
	{lingua.Malay, lingua.Indonesian},
	{lingua.Bokmal, lingua.Nynorsk, lingua.Danish},
}

// Hybrid identifies languages with a fastText model where it is reliable
// and the lingua cascade where it is not: text with fewer than
// MinLetters letters, mixed scripts, a fastText probability below
// MinProb, a language lingua has and fastText lacks, and the confusable
// groups (bs/hr/sr, id/ms, nb/nn/da), where lingua chooses within the
// group. A script written in one candidate language only (Greek, Hangul,
// ...) decides before either model runs. Lingua's models load only when
// lingua is first asked.
type Hybrid struct {
	d     *Detector
	m     Model
	opts  HybridOptions
	langs map[string]lingua.Language // candidate code -> language
	group map[lingua.Language][]lingua.Language
	preds sync.Pool // *[]Prediction
}

// NewHybrid builds the hybrid backend over the lingua detector d (whose
// candidate languages it answers; build it with Options.Lazy so that
// lingua's models load on demand) and the fastText model m.
func NewHybrid(d *Detector, m Model, opts HybridOptions) *Hybrid {
	opts.defaults()
	h := &Hybrid{d: d, m: m, opts: opts, langs: map[string]lingua.Language{}, group: map[lingua.Language][]lingua.Language{}}
	for _, l := range d.opts.Languages {
		h.langs[Code(l)] = l
	}
	for _, g := range confusable {
		var in []lingua.Language
		for _, l := range g {
			if _, ok := h.langs[Code(l)]; ok {
				in = append(in, l)
			}
		}
		if len(in) < 2 {
			continue
		}
		for _, l := range in {
			h.group[l] = in
		}
	}
	h.preds.New = func() any { b := make([]Prediction, 0, 8); return &b }
	return h
}

// Codes lists the candidate languages (lingua's).
func (h *Hybrid) Codes() []string { return codesOf(h.d.opts.Languages) }

// Identify returns the language of s.
func (h *Hybrid) Identify(s string) Ident {
	id, _ := h.identify(s)
	return id
}

// identify also returns the fastText predictions it looked at (nil when
// it did not ask fastText), for calibration.
func (h *Hybrid) identify(s string) (Ident, []Prediction) {
	r, g, total, share, done := h.d.byScript(s)
	if done {
		return fromResult(r), nil
	}
	if total < h.opts.MinLetters || share < h.opts.MinShare {
		return fromResult(h.d.Detect(s)), nil
	}
	buf := h.preds.Get().(*[]Prediction)
	defer h.preds.Put(buf)
	ps := h.m.PredictAppend((*buf)[:0], window(s, h.opts.Window), 3, 0)
	*buf = ps
	id, ok := h.decide(s, ps, total)
	if !ok {
		id = h.unsure(s, g, ps, total)
	}
	return id, ps
}

// weak are lingua languages fastText lacks (Ganda, Maori, Shona, Sotho,
// Tsonga, Tswana, Xhosa, Zulu) or often misses outside its best three
// (Somali, Yoruba).
var weak = []lingua.Language{
	lingua.Ganda, lingua.Maori, lingua.Shona, lingua.Sotho, lingua.Tsonga, lingua.Tswana,
	lingua.Xhosa, lingua.Zulu, lingua.Somali, lingua.Yoruba,
}

// unsure decides where fastText is unsure. On a text of 120 letters or
// more lingua chooses among fastText's best three, their confusable
// groups and the weak languages of the text's script — on the
// calibration set the right language was among them whenever fastText
// was unsure — ranked by unigrams, screened on a sample and, when the
// screen is not certain, decided by the full detector among the screen's
// best, as in Detect. Shorter texts go through the whole cascade.
func (h *Hybrid) unsure(s string, g *group, ps []Prediction, total int) Ident {
	if total < 120 {
		return fromResult(h.d.Detect(s))
	}
	var cands []lingua.Language
	add := func(l lingua.Language) {
		if !slices.Contains(cands, l) {
			cands = append(cands, l)
		}
	}
	for _, p := range ps {
		if l, ok := h.langs[LabelCode(p.Label)]; ok {
			add(l)
			for _, m := range h.group[l] {
				add(m)
			}
		}
	}
	for _, l := range weak {
		if slices.Contains(g.langs, l) {
			add(l)
		}
	}
	if len(cands) < 2 {
		return fromResult(h.d.Detect(s))
	}
	cands = h.d.shortlist(s, &group{langs: cands})
	cv := h.d.detector(cands, true).ComputeLanguageConfidenceValues(compact(window(s, h.d.opts.SampleBytes), 0))
	if len(cv) > 0 && cv[0].Value() > 0 && (len(s) <= h.d.opts.SampleBytes || certain(cv, h.d.opts.Margin)) {
		return fromResult(result(cv, StepScreen))
	}
	return fromResult(h.d.full(s, top(nil, cv, h.d.opts.TopK), cv, false))
}

// decide applies the rule to fastText's predictions; ok is false when
// lingua must decide.
func (h *Hybrid) decide(s string, ps []Prediction, total int) (Ident, bool) {
	if len(ps) == 0 {
		return Ident{}, false
	}
	code := LabelCode(ps[0].Label)
	lang, known := h.langs[code]
	if !known {
		return Ident{}, false
	}
	if g := h.group[lang]; g != nil {
		// Lingua chooses within the group when fastText is sure of the
		// group.
		var p float32
		for _, q := range ps {
			if l, ok := h.langs[LabelCode(q.Label)]; ok && slices.Contains(g, l) {
				p += q.Prob
			}
		}
		if float64(p) < h.opts.MinProb {
			return Ident{}, false
		}
		return fromResult(h.d.full(s, g, nil, total < 120)), true
	}
	if float64(ps[0].Prob) < h.opts.MinProb {
		return Ident{}, false
	}
	return h.fastIdent(code, ps), true
}

// fastIdent is fastText's answer code with its candidates among ps.
func (h *Hybrid) fastIdent(code string, ps []Prediction) Ident {
	id := Ident{Code: code, Score: probScore(ps[0].Prob), By: SourceFastText}
	for _, q := range ps {
		c := LabelCode(q.Label)
		if _, ok := h.langs[c]; !ok || id.N == len(id.Top) {
			continue
		}
		if v := probScore(q.Prob); v > 0 || id.N == 0 {
			id.Top[id.N] = Label{c, v}
			id.N++
		}
	}
	return id
}

// IdentifyLine returns the language of a line of a document in code.
// When fastText names the document's language (or one of its confusable
// group) the line is the document's; when it names another language
// reliably, that language; otherwise lingua's DetectLine decides, with
// the document's language among its candidates.
func (h *Hybrid) IdentifyLine(s, code string) Ident {
	doc, known := h.langs[code]
	r, _, total, share, done := h.d.byScript(s)
	if done {
		return fromResult(r)
	}
	if !known {
		return h.Identify(s)
	}
	if total >= h.opts.MinLetters && share >= h.opts.MinShare {
		buf := h.preds.Get().(*[]Prediction)
		defer h.preds.Put(buf)
		ps := h.m.PredictAppend((*buf)[:0], window(s, h.opts.Window), 3, 0)
		*buf = ps
		if len(ps) > 0 {
			c := LabelCode(ps[0].Label)
			if l, ok := h.langs[c]; ok && (l == doc || slices.Contains(h.group[doc], l)) {
				v := probScore(ps[0].Prob)
				return Ident{Code: code, Score: v, Top: [3]Label{{code, v}}, N: 1, By: SourceFastText}
			}
			// Another language: fastText's word only outside the
			// confusable groups; lingua, with the document's language
			// among its candidates, decides the rest.
			if l, ok := h.langs[c]; ok && h.group[l] == nil && float64(ps[0].Prob) >= h.opts.MinProb {
				return h.fastIdent(c, ps)
			}
		}
	}
	return fromResult(h.d.DetectLine(s, doc))
}
