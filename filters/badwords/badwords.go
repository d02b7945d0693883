// Package badwords counts "dirty words" per language, the Llama 3 rule
// (The Llama 3 Herd of Models, section 3.1.1: "dirty word counting to
// filter out adult websites that are not covered by domain block lists").
//
// Source of the lists: LDNOOBW, the List of Dirty, Naughty, Obscene, and
// Otherwise Bad Words (28 languages), as packaged by the npm package
// naughty-words 1.2.0, CC-BY-4.0; see data/NOTICE.md.
//
// Unlike C4, which drops a page on any single match, a document is dropped
// only when it has at least min_count matches (default 3) and they make
// more than max_fraction of its words (default 0.01, one word in a
// hundred): medical, legal and news texts mention such words now and then,
// adult pages are made of them.
//
// Matching is word-boundary aware: the document's words (filters/text,
// NFC, lower-cased) are joined with single spaces and an entry matches a
// whole run of words. Scripts written without spaces (Han, kana, Thai, …)
// are joined without spaces, so there an entry matches as a substring; a
// Korean entry matches at the start of a word, before particles and
// endings.
// All entries of a language are matched in one linear pass (Aho–Corasick).
package badwords

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/winnow-data/winnow/filters/text"
)

//go:embed data/*.json
var data embed.FS

// listLangs maps a list file to the document languages (ISO 639-1, else
// 639-3, as langid sets them) it applies to.
var listLangs = map[string][]string{
	"fr-CA-u-sd-caqc": {"fr"},
	"fil":             {"fil", "tl"},
	"no":              {"no", "nb", "nn"},
}

// Lists returns the words of the embedded list for each language, as
// given in the source (not normalised).
func Lists() (map[string][]string, error) {
	files, err := data.ReadDir("data")
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, f := range files {
		name := f.Name()
		if path.Ext(name) != ".json" {
			continue
		}
		b, err := data.ReadFile("data/" + name)
		if err != nil {
			return nil, err
		}
		var words []string
		if err := json.Unmarshal(b, &words); err != nil {
			return nil, fmt.Errorf("badwords: data/%s: %w", name, err)
		}
		base := strings.TrimSuffix(name, ".json")
		langs, ok := listLangs[base]
		if !ok {
			langs = []string{base}
		}
		for _, l := range langs {
			out[l] = append(out[l], words...)
		}
	}
	return out, nil
}

// noSpace reports runes of scripts written without spaces between words,
// where an entry matches as a substring.
func noSpace(r rune) bool {
	if r < 0x0E00 { // below Thai: Latin, Cyrillic, Arabic, Devanagari, …
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan)
}

// appendJoined appends words lower-cased, separated by a space except
// between two words of scripts without spaces, with a space before the
// first and after the last word when they are of spaced scripts. The
// result of a document and of a list entry are comparable byte for byte.
func appendJoined(dst []byte, words []string) []byte {
	prevSpaced := false
	for _, w := range words {
		if w == "" {
			continue
		}
		first, _ := utf8.DecodeRuneInString(w)
		if prevSpaced || !noSpace(first) {
			dst = append(dst, ' ')
		}
		dst = text.AppendLower(dst, w)
		last, _ := utf8.DecodeLastRuneInString(w)
		prevSpaced = !noSpace(last)
	}
	if prevSpaced {
		dst = append(dst, ' ')
	}
	return dst
}

// Matcher counts the entries of one language's list in texts.
type Matcher struct {
	a       *automaton
	entries int
}

// NewMatcher compiles entries (words or phrases). Left out: entries
// without a letter ("13." in the Chinese list), which as whole words
// would match every such number, and single characters of scripts without
// spaces (奶, 性, 幹 in the Chinese list), which as substrings would match
// ordinary words (奶奶 "grandmother", 可能性 "possibility").
func NewMatcher(entries []string) *Matcher {
	var pats []string
	var buf []byte
	var words []string
	for _, e := range entries {
		words = text.AppendWords(words[:0], text.NFC(e))
		if !slices.ContainsFunc(words, hasLetter) {
			continue
		}
		buf = appendJoined(buf[:0], words)
		if r, n := utf8.DecodeRune(buf); n == len(buf) && noSpace(r) {
			continue
		}
		// Korean attaches particles and endings to the word (개새끼야,
		// 개새끼가): a Hangul entry matches at the start of a word.
		if r, n := utf8.DecodeLastRune(buf[:len(buf)-1]); n > 0 && buf[len(buf)-1] == ' ' && unicode.Is(unicode.Hangul, r) {
			buf = buf[:len(buf)-1]
		}
		pats = append(pats, string(buf))
	}
	slices.Sort(pats)
	pats = slices.Compact(pats)
	return &Matcher{a: compile(pats), entries: len(pats)}
}

func hasLetter(w string) bool {
	return strings.IndexFunc(w, unicode.IsLetter) >= 0
}

// Count returns the number of entry occurrences in words (a document's
// words, as text.AppendWords gives them), using buf as scratch space; it
// returns buf for reuse.
func (m *Matcher) Count(words []string, buf []byte) (int, []byte) {
	buf = appendJoined(buf[:0], words)
	return m.a.count(buf), buf
}

var (
	listsOnce sync.Once
	listsErr  error
	matchers  map[string]*Matcher
)

// matcherFor returns the matcher of the built-in list for lang, or nil.
// The automata are built once per process, on first use.
func matcherFor(lang string) (*Matcher, error) {
	listsOnce.Do(func() {
		lists, err := Lists()
		if err != nil {
			listsErr = err
			return
		}
		matchers = make(map[string]*Matcher, len(lists))
		for l, words := range lists {
			matchers[l] = NewMatcher(words)
		}
	})
	return matchers[lang], listsErr
}
