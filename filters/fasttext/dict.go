package fasttext

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

const eos = "</s>" // Dictionary::EOS: the token a newline becomes

// entry is one dictionary word or label (Dictionary::entry).
type entry struct {
	word  string
	count int64
	label bool
}

// dictionary holds the vocabulary and the hashing parameters: the part of
// the reference's Dictionary that turns a line into input-matrix rows.
type dictionary struct {
	words           []entry // nwords words, then nlabels labels
	nwords, nlabels int32
	ntokens         int64
	pruneSize       int64           // -1: not pruned; else len(prune)
	prune           map[int32]int32 // bucket -> row after nwords, in pruned (.ftz) models
	ids             map[string]int32

	// subs[subStart[i]:subStart[i+1]] are word i's rows: itself, then its
	// character n-grams (Dictionary::initNgrams).
	subStart []int32
	subs     []int32

	minn, maxn, bucket, wordNgrams int32
	label                          string // the label prefix (args.label)
}

// Bounds on what a model file may declare, so a small hostile file cannot
// make the loader allocate much more than its own size: one dictionary
// entry, and the preallocation of tables before their entries are read.
const (
	maxWordLen = 1 << 16
	prealloc   = 1 << 14
)

// readDictionary reads Dictionary::save's layout and builds the lookup
// tables; every count and index is checked so predict cannot go out of
// range whatever the file says.
func readDictionary(r *binReader, a *args) (*dictionary, error) {
	d := &dictionary{minn: a.minn, maxn: a.maxn, bucket: a.bucket, wordNgrams: a.wordNgrams, label: labelPrefix}
	size := r.i32()
	d.nwords = r.i32()
	d.nlabels = r.i32()
	d.ntokens = r.i64()
	d.pruneSize = r.i64()
	if r.err != nil {
		return nil, r.err
	}
	if size < 0 || d.nwords < 0 || d.nlabels < 0 || int64(d.nwords)+int64(d.nlabels) != int64(size) {
		return nil, fmt.Errorf("offset %d: dictionary sizes do not add up (size %d, words %d, labels %d)", r.off, size, d.nwords, d.nlabels)
	}
	if d.pruneSize < -1 || d.pruneSize > 1<<31 {
		return nil, fmt.Errorf("offset %d: bad pruned-index size %d", r.off, d.pruneSize)
	}
	d.words = make([]entry, 0, min(int(size), prealloc))
	for i := int32(0); i < size; i++ {
		var e entry
		e.word = r.cstring(maxWordLen)
		e.count = r.i64()
		t := r.u8()
		if r.err != nil {
			return nil, r.err
		}
		if t > 1 {
			return nil, fmt.Errorf("offset %d: entry %d has unknown type %d", r.off, i, t)
		}
		e.label = t == 1
		if e.label != (i >= d.nwords) {
			return nil, fmt.Errorf("offset %d: entry %d (%q) is out of order: words come before labels", r.off, i, e.word)
		}
		d.words = append(d.words, e)
	}
	if d.pruneSize > 0 {
		d.prune = make(map[int32]int32, min(d.pruneSize, prealloc))
		for i := int64(0); i < d.pruneSize; i++ {
			from, to := r.i32(), r.i32()
			if r.err != nil {
				return nil, r.err
			}
			if from < 0 || to < 0 {
				return nil, fmt.Errorf("offset %d: negative pruned index %d -> %d", r.off, from, to)
			}
			d.prune[from] = to
		}
	}
	d.ids = make(map[string]int32, len(d.words))
	for i, e := range d.words {
		// A repeated word maps to its last entry, as Dictionary::load's
		// find/assign loop leaves it.
		d.ids[e.word] = int32(i)
	}
	d.initSubwords()
	return d, nil
}

// initSubwords precomputes every word's rows (Dictionary::initNgrams).
func (d *dictionary) initSubwords() {
	d.subStart = make([]int32, d.nwords+1)
	d.subs = d.subs[:0]
	var buf []byte
	acc := lineState{ids: d.subs}
	for i := int32(0); i < d.nwords; i++ {
		d.subStart[i] = int32(len(acc.ids))
		acc.ids = append(acc.ids, i)
		if w := d.words[i].word; w != eos {
			buf = append(append(append(buf[:0], '<'), w...), '>')
			d.appendSubwords(&acc, buf)
		}
	}
	d.subs = acc.ids
	d.subStart[d.nwords] = int32(len(d.subs))
}

// hash is Dictionary::hash: 32-bit FNV-1a over the bytes taken as signed
// chars, the quirk every published model was trained with.
func hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(int32(int8(s[i])))) * 16777619
	}
	return h
}

// pushHash is Dictionary::pushHash: a bucket id becomes an input row,
// through the pruned index in quantized models.
func (d *dictionary) pushHash(s *lineState, id int32) {
	if d.pruneSize == 0 || id < 0 {
		return
	}
	if d.pruneSize > 0 {
		to, ok := d.prune[id]
		if !ok {
			return
		}
		id = to
	}
	s.ids = append(s.ids, d.nwords+id)
	if s.sum != nil && len(s.ids) >= flushRows {
		s.flush()
	}
}

// appendSubwords is Dictionary::computeSubwords over word (already wrapped
// in '<' '>'): the character n-grams of minn..maxn code points, hashed
// into buckets; a lone '<' or '>' is not an n-gram.
func (d *dictionary) appendSubwords(s *lineState, word []byte) {
	if d.bucket <= 0 {
		return
	}
	maxn, minn := int(d.maxn), int(d.minn)
	for i := 0; i < len(word); i++ {
		if word[i]&0xC0 == 0x80 {
			continue
		}
		h := uint32(2166136261)
		j := i
		for n := 1; j < len(word) && n <= maxn; n++ {
			h = (h ^ uint32(int32(int8(word[j])))) * 16777619
			j++
			for j < len(word) && word[j]&0xC0 == 0x80 {
				h = (h ^ uint32(int32(int8(word[j])))) * 16777619
				j++
			}
			if n >= minn && !(n == 1 && (i == 0 || j == len(word))) {
				d.pushHash(s, int32(h%uint32(d.bucket)))
			}
		}
	}
}

// appendWordNgrams is Dictionary::addWordNgrams: the token hashes are
// sign-extended to 64 bits and combined n at a time.
func (d *dictionary) appendWordNgrams(s *lineState, hashes []int32) {
	n := int(d.wordNgrams)
	if n <= 1 || d.bucket <= 0 {
		return
	}
	for i := range hashes {
		h := uint64(int64(hashes[i]))
		for j := i + 1; j < len(hashes) && j < i+n; j++ {
			h = h*116049371 + uint64(int64(hashes[j]))
			d.pushHash(s, int32(h%uint64(d.bucket)))
		}
	}
}

// isSpace is the separator set of Dictionary::readWord.
func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == 0
}

// lineState is the per-call scratch of turning a line into rows.
type lineState struct {
	ids     []int32
	hashes  []int32
	word    []byte
	labels  []int32
	ntokens int // tokens read, as getLine counts them

	// With sum set (prediction), rows are added to sum from in as they
	// are found, in the order ids would list them, so memory does not
	// grow with a document's n-grams; nids counts them. Training leaves
	// sum nil and keeps every id in ids.
	in   matrix
	sum  []float32
	nids int
}

// flushRows is how many rows prediction collects before adding them up.
const flushRows = 1024

// flush adds the collected rows to sum.
func (s *lineState) flush() {
	if s.sum == nil {
		return
	}
	for _, id := range s.ids {
		s.in.addRow(s.sum, int(id))
	}
	s.nids += len(s.ids)
	s.ids = s.ids[:0]
}

// addToken is one iteration of Dictionary::getLine's loop.
func (d *dictionary) addToken(s *lineState, tok string) {
	h := hash(tok)
	wid, ok := d.ids[tok]
	s.ntokens++
	switch {
	case !ok:
		if strings.HasPrefix(tok, d.label) {
			return // an unknown label: ignored
		}
		if tok != eos {
			s.word = append(append(append(s.word[:0], '<'), tok...), '>')
			d.appendSubwords(s, s.word)
		}
		s.hashes = append(s.hashes, int32(h))
	case wid < d.nwords:
		if d.maxn <= 0 {
			s.ids = append(s.ids, wid)
		} else {
			s.ids = append(s.ids, d.subs[d.subStart[wid]:d.subStart[wid+1]]...)
		}
		if s.sum != nil && len(s.ids) >= flushRows {
			s.flush()
		}
		s.hashes = append(s.hashes, int32(h))
	default:
		s.labels = append(s.labels, wid-d.nwords)
	}
}

// line finds the input rows (and s.labels) of one line of text, as
// getLine does for the bytes up to a newline; withEOS adds the "</s>"
// token the newline itself becomes. Newlines inside text only separate
// words. The rows end in s.ids, or summed into s.sum (see lineState).
func (d *dictionary) line(s *lineState, text string, withEOS bool) {
	s.ids, s.hashes, s.labels, s.ntokens, s.nids = s.ids[:0], s.hashes[:0], s.labels[:0], 0, 0
	if s.sum != nil {
		clear(s.sum)
	}
	start := -1
	for i := 0; i < len(text); i++ {
		if isSpace(text[i]) {
			if start >= 0 {
				d.addToken(s, text[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		d.addToken(s, text[start:])
	}
	if withEOS {
		d.addToken(s, eos)
	}
	d.appendWordNgrams(s, s.hashes)
	s.flush()
}

// write is Dictionary::save.
func (d *dictionary) write(w *binWriter) {
	w.i32(int32(len(d.words)))
	w.i32(d.nwords)
	w.i32(d.nlabels)
	w.i64(d.ntokens)
	w.i64(d.pruneSize)
	for _, e := range d.words {
		w.write([]byte(e.word))
		w.u8(0)
		w.i64(e.count)
		if e.label {
			w.u8(1)
		} else {
			w.u8(0)
		}
	}
	// The reference writes its hash map's order; any order loads the same.
	keys := make([]int32, 0, len(d.prune))
	for k := range d.prune {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w.i32(k)
		w.i32(d.prune[k])
	}
}

// maxVocabSize is Dictionary::MAX_VOCAB_SIZE: past 75% of it, reading
// drops rare words to make room.
const maxVocabSize = 30000000

// buildDictionary is Dictionary::readFromFile: count every token of the
// training file (words, labels and the "</s>" of each newline), then keep
// words seen minCount times and labels seen minCountLabel times, sorted
// (std::sort, not stable) labels after words and by decreasing count.
func buildDictionary(r io.Reader, a *args, label string, minCountLabel int64) (*dictionary, error) {
	d := &dictionary{minn: a.minn, maxn: a.maxn, bucket: a.bucket, wordNgrams: a.wordNgrams, label: label, pruneSize: -1}
	d.ids = make(map[string]int32)
	minThreshold := int64(1)
	add := func(tok string) {
		d.ntokens++
		if i, ok := d.ids[tok]; ok {
			d.words[i].count++
			return
		}
		d.ids[strings.Clone(tok)] = int32(len(d.words))
		d.words = append(d.words, entry{word: strings.Clone(tok), count: 1, label: strings.HasPrefix(tok, label)})
		if float64(len(d.words)) > 0.75*maxVocabSize {
			minThreshold++
			d.threshold(minThreshold, minThreshold)
		}
	}
	err := eachLine(r, func(line string, withEOS bool) error {
		start := -1
		for i := 0; i < len(line); i++ {
			if isSpace(line[i]) {
				if start >= 0 {
					add(line[start:i])
					start = -1
				}
			} else if start < 0 {
				start = i
			}
		}
		if start >= 0 {
			add(line[start:])
		}
		if withEOS {
			add(eos)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.threshold(int64(a.minCount), minCountLabel)
	if len(d.words) == 0 {
		return nil, errors.New("empty vocabulary: try a smaller minimum count")
	}
	d.initSubwords()
	return d, nil
}

// threshold is Dictionary::threshold.
func (d *dictionary) threshold(t, tl int64) {
	stdSort(d.words, func(a, b *entry) bool {
		if a.label != b.label {
			return !a.label
		}
		return a.count > b.count
	})
	d.words = slices.DeleteFunc(d.words, func(e entry) bool {
		return (!e.label && e.count < t) || (e.label && e.count < tl)
	})
	clear(d.ids)
	d.nwords, d.nlabels = 0, 0
	for i, e := range d.words {
		d.ids[e.word] = int32(i)
		if e.label {
			d.nlabels++
		} else {
			d.nwords++
		}
	}
}
