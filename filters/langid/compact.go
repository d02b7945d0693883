package langid

import (
	"sync"
	"unicode/utf8"

	"github.com/winnow-data/winnow/filters/text"
)

// compactor builds the text handed to lingua for long inputs: the
// distinct words of three letters or more, in order of first occurrence.
//
// Above 120 letters lingua scores the set of distinct trigrams, which
// this text has in full (shorter words have no trigram), while its
// per-word character rules — a regular expression per script and word,
// about 40% of the stage's time — run once per distinct word instead of
// once per token. Texts that would fall below lingua's 120 letters are
// not compacted (see compact).
type compactor struct {
	seen map[string]struct{}
	buf  []byte
}

var compactors = sync.Pool{New: func() any {
	return &compactor{seen: make(map[string]struct{}, 256), buf: make([]byte, 0, 2048)}
}}

// compact returns the compacted form of s, or s itself when the compacted
// form would hold fewer than minLetters letters.
func compact(s string, minLetters int) string {
	c := compactors.Get().(*compactor)
	defer compactors.Put(c)
	clear(c.seen)
	c.buf = c.buf[:0]
	letters := 0
	var sc text.WordScanner
	sc.Reset(s)
	for sc.Next() {
		w := sc.Word()
		n := utf8.RuneCountInString(w)
		if n < 3 {
			continue
		}
		if _, dup := c.seen[w]; dup {
			continue
		}
		c.seen[w] = struct{}{}
		if len(c.buf) > 0 {
			c.buf = append(c.buf, ' ')
		}
		c.buf = append(c.buf, w...)
		letters += n
	}
	if letters < minLetters {
		return s
	}
	return string(c.buf)
}
