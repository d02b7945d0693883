package quality

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
	"strings"
	"sync"
	"unsafe"
	"weak"

	"github.com/cespare/xxhash/v2"

	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// analysis is what this package's stages share about one text: its NFC
// form, its words with their hashes, computed once and memoised on the
// document.
type analysis struct {
	nfc   string
	words []wordInfo
	// runes is the number of characters of nfc, wordRunes those of its
	// words.
	runes, wordRunes int
	// ascii is set when nfc holds only ASCII bytes, so that every
	// span's characters are its bytes.
	ascii bool

	linesOnce bool
	lines     []lineSpan

	// symTokens is symbolTokens' count, once symOnce is set.
	symOnce   bool
	symTokens int

	// stats are counts over the words for gopher_quality and c4, made in
	// the segmentation pass.
	stats wordStats
}

// wordStats are what gopher_quality and c4 count over the words, gathered
// while the words are segmented, when each word's bytes are at hand,
// rather than in a pass of their own per stage: a pass over the words
// costs a mispredicted branch or two a word whatever it does.
type wordStats struct {
	ok    bool     // counted for the current words
	stop  *stopSet // the stop words counted, nil for none
	alpha int      // words holding a letter
	stops int      // stop words of stop
	// js, lorem and policy are findPhrases' results.
	js, lorem, policy bool
}

// wordStats returns the word statistics with the stop words of stop
// counted, from the segmentation pass when it counted them, else from a
// pass of their own (an analysis carried over a rewrite, another
// language), which is kept for the next caller. buf is scratch space for
// lower-casing words; nil takes pooled space.
func (a *analysis) wordStats(stop *stopSet, buf *[]byte) wordStats {
	if stop != nil && stop.substr != nil {
		stop = nil
	}
	if a.stats.ok && a.stats.stop == stop {
		return a.stats
	}
	if buf == nil {
		sc := getScratch()
		defer putScratch(sc)
		buf = &sc.buf
	}
	st := wordStats{ok: true, stop: stop}
	raw := unsafe.Slice(unsafe.StringData(a.nfc), len(a.nfc))
	for _, w := range a.words {
		n := int(w.end - w.start)
		if n <= 8 {
			if x := packWord(raw, int(w.start), n); x&0x8080808080808080 == 0 {
				st.shortASCII(x, n, a.nfc, int(w.end))
				continue
			}
		}
		st.word(a, raw, w, buf)
	}
	a.stats = st
	return st
}

// shortASCII counts the ASCII word text[end-n:end] of n ≤ 8 bytes,
// packed in x (see packWord).
func (st *wordStats) shortASCII(x uint64, n int, text string, end int) {
	if asciiLetter(x) != 0 {
		st.alpha++
	}
	if st.stop != nil && st.stop.hasShort(x) {
		st.stops++
	}
	if n >= 5 {
		st.shortPhrases(x, n, text, end)
	}
}

// shortPhrases is findPhrases for a short ASCII word: "cookie" inside it
// and the first word of a two-word phrase at its end, read off its
// packed, lower-cased bytes.
func (st *wordStats) shortPhrases(x uint64, n int, text string, end int) {
	low := x | asciiUpper(x)>>2
	switch low >> (8 * (n - 5)) {
	case packedLorem:
		st.lorem = st.lorem || hasPrefixFold(text[end:], " ipsum")
	case packedTerms:
		st.policy = st.policy || hasPrefixFold(text[end:], " of use")
	}
	if n >= 7 && low>>(8*(n-7)) == packedPrivacy {
		st.policy = st.policy || hasPrefixFold(text[end:], " policy")
	}
	for p := 0; p+6 <= n; p++ {
		if low>>(8*p)&(1<<48-1) == packedCookie {
			st.policy = true
		}
	}
}

// word counts a word that is longer than 8 bytes or not ASCII.
func (st *wordStats) word(a *analysis, raw []byte, w wordInfo, buf *[]byte) {
	word := a.nfc[w.start:w.end]
	if hasLetter(word) {
		st.alpha++
	}
	n := len(word)
	if st.stop != nil && n <= st.stop.maxLen+2 && st.stop.has(word, w.hash, buf) {
		st.stops++
	}
	if n < 5 {
		return
	}
	end := int(w.end)
	tail := foldTail(raw, end)
	switch {
	case tail>>24 == packedLorem:
		st.lorem = st.lorem || hasPrefixFold(a.nfc[end:], " ipsum")
	case tail>>24 == packedTerms:
		st.policy = st.policy || hasPrefixFold(a.nfc[end:], " of use")
	case tail>>8 == packedPrivacy:
		st.policy = st.policy || hasPrefixFold(a.nfc[end:], " policy")
	}
	if n >= 6 {
		st.policy = st.policy || containsFold(word, "cookie")
		st.js = st.js || n >= 10 && containsFold(word, "javascript")
	}
}

// wordInfo describes one word in 16 bytes: the words of a text take more
// memory than the text, and their allocation was a tenth of the stages'
// time at 24 bytes. A word's length and case are read from its bytes
// when needed (see packWord).
type wordInfo struct {
	hash       uint64 // wordHash of the word
	start, end int32  // byte offsets in the NFC text
}

// asciiLetter returns 0x80 in each byte of x (ASCII bytes only) that is a
// letter: setting bit 0x20 folds upper case onto lower case, and no other
// byte lands in 'a'..'z'.
func asciiLetter(x uint64) uint64 {
	y := x | 0x2020202020202020
	return (y + 0x1F1F1F1F1F1F1F1F) &^ (y + 0x0505050505050505) & 0x8080808080808080
}

// asciiUpper returns 0x80 in each byte of x (ASCII bytes only) that is an
// upper-case letter: x+0x3F sets a byte's high bit when it is at least
// 'A', x+0x25 when it is above 'Z', and no byte carries into the next.
func asciiUpper(x uint64) uint64 {
	return (x + 0x3F3F3F3F3F3F3F3F) &^ (x + 0x2525252525252525) & 0x8080808080808080
}

// lineSpan is one line of the NFC text: its byte span (without the line
// terminator) and the range of its words.
type lineSpan struct {
	start, end int
	w0, w1     int
	hash       uint64 // xxhash of the line
	maxWord    int32  // bytes of the line's longest word
	blank      bool   // white space only (text.IsBlank)
}

type memoKey int

const keyAnalysis memoKey = 0

// analyse returns the document's memoised analysis, its stop words
// counted for the document's language.
func analyse(doc *pipeline.Document) *analysis {
	return doc.Memo(keyAnalysis, func(d *pipeline.Document) any {
		a := spareFor(d)
		// ASCII text is its own NFC: one check serves both.
		if text.IsASCII(d.Text) {
			a.fill(d.Text, true, stopWordsFor(d.Lang))
		} else {
			a.fill(text.DocNFC(d), false, stopWordsFor(d.Lang))
		}
		return a
	}).(*analysis)
}

// spares holds, for each document, the analysis last made for it, whose
// memory the document's next analysis reuses: the words of a text take
// more memory than the text, and allocating them afresh for every
// document cost a fifth of the four quality families' time, in the
// allocator and the collector. The engine reuses its documents, so an
// analysis is made in place of the one before, which nothing can use any
// more: it was memoised for a text the document no longer has (the memo
// is cleared with the text), and stages see one document at a time.
// Keys are weak, so the map does not keep documents alive; an entry
// goes with its document (runtime.AddCleanup).
var spares sync.Map // weak.Pointer[pipeline.Document] → *analysis

// spareFor returns the analysis to fill for doc.
func spareFor(doc *pipeline.Document) *analysis {
	key := weak.Make(doc)
	if v, ok := spares.Load(key); ok {
		a := v.(*analysis)
		// Memory sized for an exceptional document is let go.
		if cap(a.words) > maxPooledSlots || cap(a.lines) > maxPooledSlots {
			a.words, a.lines = nil, nil
		}
		return a
	}
	a := new(analysis)
	spares.Store(key, a)
	runtime.AddCleanup(doc, func(k weak.Pointer[pipeline.Document]) { spares.Delete(k) }, key)
	return a
}

// maxAnalysedBytes bounds the text an analysis indexes with 32-bit
// offsets; longer texts (over 2 GiB, beyond any record limit) are cut.
const maxAnalysedBytes = 1<<31 - 2

// newAnalysis segments nfc with text.WordScanner — the segmentation of
// text.DocWords — hashing each word in the same pass. It does not go
// through the shared []string view: building that slice (16 bytes a
// word, grown as it fills) cost more than the scan itself in
// BenchmarkAnalysis, and these stages need offsets and hashes, not
// strings. A document's analysis reuses the memory of the one before
// (see spares).
func newAnalysis(nfc string) *analysis { return newAnalysisFor(nfc, nil) }

// newAnalysisFor is newAnalysis counting the stop words of stop as well
// (none for nil or a list matched as substrings).
func newAnalysisFor(nfc string, stop *stopSet) *analysis {
	return newASCIIAnalysis(nfc, text.IsASCII(nfc), stop)
}

// newASCIIAnalysis is newAnalysisFor for a text known to be ASCII or not.
func newASCIIAnalysis(nfc string, ascii bool, stop *stopSet) *analysis {
	a := new(analysis)
	a.fill(nfc, ascii, stop)
	return a
}

// fill makes a the analysis of nfc, which is ASCII or not as ascii
// says, reusing a's memory.
func (a *analysis) fill(nfc string, ascii bool, stop *stopSet) {
	if len(nfc) > maxAnalysedBytes {
		nfc = nfc[:maxAnalysedBytes]
	}
	words, lines := a.words[:0], a.lines[:0]
	if words == nil {
		words = make([]wordInfo, 0, len(nfc)/5+8)
	}
	*a = analysis{nfc: nfc, runes: len(nfc), ascii: ascii}
	if !a.ascii {
		a.runes = runeCount(nfc)
	}
	if stop != nil && stop.substr != nil {
		stop = nil
	}
	st := wordStats{ok: true, stop: stop}
	sc := getScratch()
	// raw views the text as bytes, without copying, for 8-byte loads.
	raw := unsafe.Slice(unsafe.StringData(nfc), len(nfc))
	// Lines ending at "\n" only — nearly all texts — are split here as
	// the words go by (nfcLines splits the others).
	var lb lineBuilder
	byLine := strings.IndexByte(nfc, '\r') < 0
	if byLine {
		lb.reset(nfc, lines)
	}
	var ws text.WordScanner
	ws.Reset(nfc)
	wordBytes := 0
	for ws.Next() {
		s, e := ws.Span()
		n := e - s
		if byLine {
			if s > lb.end {
				lb.closeBefore(s, len(words))
			}
			lb.maxWord = max(lb.maxWord, n)
		}
		wordBytes += n
		w := wordInfo{start: int32(s), end: int32(e)}
		var x uint64
		short := false
		if n <= 8 {
			x = packWord(raw, s, n)
			w.hash = mix64(x)
			short = x&0x8080808080808080 == 0
		} else {
			w.hash = xxhash.Sum64String(nfc[s:e])
		}
		words = append(words, w)
		if short {
			// st.shortASCII, written out: too big to inline, and this
			// is most words.
			if asciiLetter(x) != 0 {
				st.alpha++
			}
			if stop != nil && stop.hasShort(x) {
				st.stops++
			}
			if n >= 5 {
				st.shortPhrases(x, n, nfc, e)
			}
		} else {
			st.word(a, raw, w, &sc.buf)
		}
	}
	a.words, a.lines = words, lines
	if byLine {
		lb.closeBefore(len(nfc)+1, len(words))
		a.lines, a.linesOnce = lb.lines, true
	}
	putScratch(sc)
	a.stats = st
	a.wordRunes = wordBytes
	if !a.ascii {
		a.wordRunes = 0
		for i := range a.words {
			a.wordRunes += a.wordLen(i)
		}
	}
}

// packWord returns the n ≤ 8 bytes at raw[s:] packed little-endian into
// an integer, loaded at once where 8 bytes are there to read.
func packWord(raw []byte, s, n int) uint64 {
	if s+8 <= len(raw) {
		return binary.LittleEndian.Uint64(raw[s:]) & (1<<(8*n) - 1)
	}
	var x uint64
	for i := n - 1; i >= 0; i-- {
		x = x<<8 | uint64(raw[s+i])
	}
	return x
}

// numWords returns the number of words.
func (a *analysis) numWords() int { return len(a.words) }

// word returns word i.
func (a *analysis) word(i int) string { return a.nfc[a.words[i].start:a.words[i].end] }

// wordLen returns the characters of word i.
func (a *analysis) wordLen(i int) int {
	w := a.words[i]
	if a.ascii {
		return int(w.end - w.start)
	}
	return runeCount(a.nfc[w.start:w.end])
}

// chars returns the characters of words[i:j].
func (a *analysis) chars(i, j int) int {
	n := 0
	for k := i; k < j; k++ {
		n += a.wordLen(k)
	}
	return n
}

// wordHash hashes a word and counts its characters. Words of up to 8
// bytes — most words — are packed into a 64-bit integer and passed
// through a bijective mixer, so distinct short words never collide and
// hashing costs a few instructions; longer words use xxhash. The fast
// path is hand-written because xxhash on every word took a fifth of the
// stages' time.
func wordHash(w string) (hash uint64, runes int) {
	runes = len(w)
	if len(w) > 8 {
		for i := 0; i < len(w); i++ {
			if w[i]&0xC0 == 0x80 { // continuation byte
				runes--
			}
		}
		return xxhash.Sum64String(w), runes
	}
	var x uint64
	for i := 0; i < len(w); i++ {
		c := w[i]
		x |= uint64(c) << (8 * i)
		if c&0xC0 == 0x80 {
			runes--
		}
	}
	return mix64(x), runes
}

// mix64 is a bijective 64-bit mixer (MurmurHash3's finaliser). A word
// holds no zero byte, so its packed bytes differ from any other word's,
// and the mixer keeps them apart.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// gramRunes returns the number of characters of words[i:j] joined by
// single spaces, as the n-gram "w1 w2 … wn" is written.
func (a *analysis) gramRunes(i, j int) int {
	return a.chars(i, j) + (j - i - 1)
}

// lineBuilder splits a text into lines at "\n" as its words are
// segmented, giving each line the words that start in it: nfcLines'
// lines, without a pass of their own over the words.
type lineBuilder struct {
	s          string
	start, end int // the current line: start, and the offset of its "\n" or the text's end
	w0         int // the current line's first word
	maxWord    int // bytes of the current line's longest word so far
	done       bool
	lines      []lineSpan
}

func (lb *lineBuilder) reset(s string, lines []lineSpan) {
	*lb = lineBuilder{s: s, lines: lines, done: len(s) == 0}
	lb.findEnd()
}

func (lb *lineBuilder) findEnd() {
	lb.end = len(lb.s)
	if n := strings.IndexByte(lb.s[lb.start:], '\n'); n >= 0 {
		lb.end = lb.start + n
	}
}

// closeBefore adds the lines that end before offset s, word w being the
// first not in them.
func (lb *lineBuilder) closeBefore(s, w int) {
	for !lb.done && lb.end < s {
		line := lb.s[lb.start:lb.end]
		lb.lines = append(lb.lines, lineSpan{start: lb.start, end: lb.end, w0: lb.w0, w1: w, hash: xxhash.Sum64String(line), maxWord: int32(lb.maxWord), blank: lb.w0 == w && text.IsBlank(line)})
		lb.w0, lb.maxWord = w, 0
		lb.start = lb.end + 1
		if lb.start >= len(lb.s) {
			lb.done = true
			lb.end = len(lb.s) + 1 // past every word
			return
		}
		lb.findEnd()
	}
}

// nfcLines returns the lines of the NFC text with their word ranges.
// Normalisation never composes or moves a line break, so line k here is
// line k of Document.Text (text.DocLines) as well.
func (a *analysis) nfcLines() []lineSpan {
	if a.linesOnce {
		return a.lines
	}
	a.linesOnce = true
	w := 0
	add := func(s, e int) {
		w0, maxWord := w, int32(0)
		for w < a.numWords() && int(a.words[w].start) < e {
			maxWord = max(maxWord, a.words[w].end-a.words[w].start)
			w++
		}
		line := a.nfc[s:e]
		a.lines = append(a.lines, lineSpan{start: s, end: e, w0: w0, w1: w, hash: xxhash.Sum64String(line), maxWord: maxWord, blank: w0 == w && text.IsBlank(line)})
	}
	if strings.IndexByte(a.nfc, '\r') < 0 {
		// Lines end at "\n" only: IndexByte is vectorised, where
		// LineScanner's search for either break is not. Same lines.
		for s := 0; s < len(a.nfc); {
			n := strings.IndexByte(a.nfc[s:], '\n')
			if n < 0 {
				add(s, len(a.nfc))
				break
			}
			add(s, s+n)
			s += n + 1
		}
		return a.lines
	}
	var sc text.LineScanner
	sc.Reset(a.nfc)
	for sc.Next() {
		add(sc.Span())
	}
	return a.lines
}

// runeCount returns the number of characters of s as
// utf8.RuneCountInString does for valid UTF-8: the bytes that are not
// continuation bytes (10xxxxxx), counted eight at a time. Invalid bytes
// count one each there and may count differently here, which matters to
// no ratio. Hand-written because the library loop took a twentieth of
// the stages' time.
func runeCount(s string) int {
	n := len(s)
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if x&0x8080808080808080 == 0 {
			continue
		}
		n -= bits.OnesCount64(x &^ (x << 1) & 0x8080808080808080)
	}
	for ; i < len(b); i++ {
		if b[i]&0xC0 == 0x80 {
			n--
		}
	}
	return n
}

// hashTable is an open-addressing table of 64-bit hashes with a count and
// the first position of each, reused between documents. It is hand-written
// rather than a Go map because clearing a map costs its capacity, which a
// long document leaves large for all later ones, while this table clears
// only the slots sized for the current document; a slot's key, count and
// position share one 16-byte entry, so a probe touches one cache line.
type hashTable struct {
	slots []slot
	shift uint
}

type slot struct {
	key   uint64 // 0: empty
	count uint32
	first int32
}

// maxPooledSlots bounds the tables kept for reuse (16 MiB); larger ones,
// sized for an exceptional document, are left to the collector.
const maxPooledSlots = 1 << 20

// reset prepares the table for up to n keys, at most two thirds full:
// linear probing stays short at that load, and a smaller table is
// cheaper to clear and stays in the first-level cache with the words.
func (t *hashTable) reset(n int) {
	size := 16
	for size < n+n/2 {
		size <<= 1
	}
	if cap(t.slots) < size {
		t.slots = make([]slot, size)
	} else {
		t.slots = t.slots[:size]
		clear(t.slots)
	}
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
}

// add counts one occurrence of h at position pos and returns its slot's
// index.
func (t *hashTable) add(h uint64, pos int) int {
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}
	mask := len(t.slots) - 1
	i := int((h * 0x9E3779B97F4A7C15) >> t.shift)
	for {
		s := &t.slots[i]
		switch s.key {
		case h:
			s.count++
			return i
		case 0:
			*s = slot{key: h, count: 1, first: int32(pos)}
			return i
		}
		i = (i + 1) & mask
	}
}

// lookup returns the count of h.
func (t *hashTable) lookup(h uint64) uint32 {
	if h == 0 {
		h = 1
	}
	mask := len(t.slots) - 1
	i := int((h * 0x9E3779B97F4A7C15) >> t.shift)
	for {
		s := &t.slots[i]
		switch s.key {
		case h:
			return s.count
		case 0:
			return 0
		}
		i = (i + 1) & mask
	}
}

// scratch is per-call working memory, pooled.
type scratch struct {
	table  hashTable
	walk   hashTable
	grams  []uint64
	cand   []int32
	slots  []int32 // n-gram positions found repeated
	filter []uint8 // n-gram counters (see GopherRepetition.ngrams)
	strs   []string
	buf    []byte
	marks  []uint8
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(s *scratch) {
	if cap(s.table.slots) > maxPooledSlots {
		s.table = hashTable{}
	}
	if cap(s.walk.slots) > maxPooledSlots {
		s.walk = hashTable{}
	}
	if cap(s.cand) > maxPooledSlots {
		s.cand, s.slots = nil, nil
	}
	if cap(s.filter) > 8*maxPooledSlots {
		s.filter = nil
	}
	if cap(s.grams) > maxPooledSlots {
		s.grams = nil
	}
	if cap(s.strs) > maxPooledSlots {
		s.strs = nil
	}
	if cap(s.buf) > 8*maxPooledSlots {
		s.buf = nil
	}
	if cap(s.marks) > maxPooledSlots {
		s.marks = nil
	}
	clear(s.strs[:cap(s.strs)]) // do not keep documents alive
	scratchPool.Put(s)
}

// ngramMul combines word hashes into n-gram hashes: the hash of words
// i..i+n-1 is the polynomial Σ hash[i+k]·M^(n-1-k) mod 2^64, so the
// (n+1)-gram hash extends the n-gram hash with one multiply and add. The
// word hashes are random 64-bit values, so distinct n-grams collide with
// negligible probability.
const ngramMul = 0xff51afd7ed558ccd

// ratio returns a/b, or 0 when b is 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// errorf is fmt.Errorf, named so constructors read alike.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// rewrite sets the document's text to its kept lines (verdict lineKeep)
// joined by "\n", collapsing runs of blank lines to one and dropping
// leading and trailing ones, and reports whether any line is left. Lines
// are taken from Document.Text, so kept lines keep their bytes (citation
// markers cut when cite is set).
//
// When the text was in NFC and nothing inside a line changed, the
// analysis of the new text — words and lines — is made from the old one
// in place (words never cross a line break, and the new text is the old
// one with lines left out) and memoised, so later stages do not segment
// again. The old analysis is dropped with the old text.
func rewrite(doc *pipeline.Document, a *analysis, verdicts []uint8, cite bool) bool {
	lines := a.nfcLines()
	// orig holds the lines of Document.Text when it is not the NFC text
	// (whose lines are at hand, the same as text.DocLines would find).
	var orig []string
	if doc.Text != a.nfc {
		orig = text.DocLines(doc)
		if len(orig) != len(verdicts) {
			// Cannot happen (normalisation keeps line breaks); keep the
			// NFC lines rather than misalign.
			orig = text.AppendLines(nil, a.nfc)
		}
	}
	reuse := !cite && orig == nil
	var b strings.Builder
	b.Grow(len(doc.Text))
	// Kept words and lines move down to indices k and j: each is at or
	// before its old index, so the old entries are read before written.
	k, j := 0, 0
	keptBytes := 0 // of the kept words
	blank := false
	for i, v := range verdicts {
		switch v {
		case lineBlank:
			blank = b.Len() > 0
			continue
		case lineKeep:
		default:
			continue
		}
		l := lines[i]
		if b.Len() > 0 {
			b.WriteByte('\n')
			if blank {
				if reuse {
					p := b.Len()
					lines[j] = lineSpan{start: p, end: p, w0: k, w1: k, hash: emptyLineHash, blank: true}
					j++
				}
				b.WriteByte('\n')
			}
		}
		blank = false
		line := a.nfc[l.start:l.end]
		if orig != nil {
			line = orig[i]
		}
		if cite {
			line = removeCitations(line)
		}
		if reuse {
			shift := int32(b.Len() - l.start)
			k0 := k
			for w := l.w0; w < l.w1; w++ {
				wi := a.words[w]
				wi.start += shift
				wi.end += shift
				a.words[k] = wi
				k++
				keptBytes += int(wi.end - wi.start)
			}
			lines[j] = lineSpan{start: b.Len(), end: b.Len() + len(line), w0: k0, w1: k, hash: l.hash, maxWord: l.maxWord}
			j++
		}
		b.WriteString(line)
	}
	out := b.String()
	if text.IsBlank(out) {
		return false
	}
	doc.SetText(out)
	if reuse {
		// The same analysis, now of the new text.
		a.nfc, a.words, a.lines, a.linesOnce = out, a.words[:k], lines[:j], true
		// The kept lines are the old text's: ASCII stays ASCII.
		a.runes = len(out)
		if !a.ascii {
			a.runes = runeCount(out)
		}
		a.wordRunes = keptBytes
		if !a.ascii {
			a.wordRunes = a.chars(0, k)
		}
		a.stats = wordStats{}
		a.symOnce = false
		doc.Memo(keyAnalysis, func(*pipeline.Document) any { return a })
	}
	return true
}

// emptyLineHash is the hash of an empty line.
var emptyLineHash = xxhash.Sum64String("")
