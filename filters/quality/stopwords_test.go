package quality

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/winnow-data/winnow/filters/text"
)

// TestStopWordCountMatchesNaive compares the packed-word fast path with
// a plain lower-case-and-compare count.
func TestStopWordCountMatchesNaive(t *testing.T) {
	texts := []struct{ lang, text string }{
		{"en", "The THE tHe the, To of OF Of and AND That have HAVE With WITH within theory Theodor"},
		{"en", prose},
		{"de", "Der DER die Die DAS und UND ist Ist NICHT nicht Straße für FÜR Für"},
		{"tr", "VE ve Bir BİR bir bu BU için İÇİN"},
		{"ru", "И и В в НЕ не Это ЭТО это Москва"},
		{"zh", "这是我们的城市公园的树"},
		{"ko", "그리고 그 이 것 하지만 있다"},
	}
	for _, tc := range texts {
		set := stopWordsFor(tc.lang)
		list := map[string]bool{}
		for _, w := range strings.Fields(stopWordLists[tc.lang]) {
			list[w] = true
		}
		a := newAnalysisOf(tc.text)
		want := 0
		for i := range a.numWords() {
			if list[strings.ToLower(a.word(i))] {
				want++
			}
		}
		var buf []byte
		if got := set.count(a, &buf); got != want {
			t.Errorf("%s %q: %d stop words, want %d", tc.lang, tc.text, got, want)
		}
	}
}

func TestAsciiUpper(t *testing.T) {
	for _, w := range []string{"a", "Z", "AZaz@[`{", "Hello", "ABCDEFGH", "x9_Q", "1234", "3.14", "_", "\x7f~ "} {
		var x, want, wantLetter uint64
		for i := 0; i < len(w); i++ {
			x |= uint64(w[i]) << (8 * i)
			if 'A' <= w[i] && w[i] <= 'Z' {
				want |= 0x80 << (8 * i)
			}
			if 'A' <= w[i] && w[i] <= 'Z' || 'a' <= w[i] && w[i] <= 'z' {
				wantLetter |= 0x80 << (8 * i)
			}
		}
		if got := asciiUpper(x); got != want {
			t.Errorf("%q: upper %x, want %x", w, got, want)
		}
		if got := asciiLetter(x); got != wantLetter {
			t.Errorf("%q: letter %x, want %x", w, got, wantLetter)
		}
	}
}

func TestRuneCount(t *testing.T) {
	for _, s := range []string{"", "a", "héllo wörld", "这是一个很好的博物馆", "😀🎉👍 mixed ascii and emoji 😀", strings.Repeat("é", 17), "abcdefgh\u00e9ijklmnop"} {
		if got, want := runeCount(s), utf8.RuneCountInString(s); got != want {
			t.Errorf("%q: %d, want %d", s, got, want)
		}
	}
}

// TestWordStatsFusedMatchesPass checks the word statistics made while
// segmenting against a pass of their own and against plain reference
// counts: words with a letter (hasLetter), stop words (stopSet.count),
// phrases (searches of the lower-cased text).
func TestWordStatsFusedMatchesPass(t *testing.T) {
	var texts []string
	for _, d := range oddDocs(150, 9) {
		texts = append(texts, d.text)
	}
	texts = append(texts, webDocs(20, 9)...)
	texts = append(texts, "Für die Straße und für DIE Stadt", "İSTANBUL ve Bir BU", "THE Cookies TERMS of USE", "")
	var buf []byte
	for _, s := range texts {
		nfc := text.NFC(s)
		for _, lang := range []string{"en", "de", "tr", "ru", "zh", "th", "xx"} {
			set := stopWordsFor(lang)
			fused := newAnalysisFor(nfc, set).stats
			b := newAnalysis(nfc)
			pass := b.wordStats(set, &buf)
			fused.stop, pass.stop = nil, nil
			if fused != pass {
				t.Fatalf("%s %.60q: fused %+v, pass %+v", lang, s, fused, pass)
			}
			alpha := 0
			for i := range b.numWords() {
				if hasLetter(b.word(i)) {
					alpha++
				}
			}
			if pass.alpha != alpha {
				t.Fatalf("%.60q: %d words with a letter, want %d", s, pass.alpha, alpha)
			}
			if set != nil && set.substr == nil {
				if want := set.count(b, &buf); pass.stops != want {
					t.Fatalf("%s %.60q: %d stop words, want %d", lang, s, pass.stops, want)
				}
			}
			low := lowerASCII([]byte(nfc))
			if pass.js != bytes.Contains(low, []byte("javascript")) || pass.lorem != bytes.Contains(low, []byte("lorem ipsum")) {
				t.Fatalf("%.60q: phrases %+v", s, pass)
			}
		}
	}
}

// TestShortStopWordSlots checks that every list's short ASCII words have
// slots of their own and that other short words miss.
func TestShortStopWordSlots(t *testing.T) {
	for lang, set := range stopSets {
		if set.substr != nil {
			continue
		}
		for _, w := range strings.Fields(stopWordLists[lang]) {
			if len(w) > 8 || !isASCII(w) {
				continue
			}
			for _, form := range []string{w, strings.ToUpper(w), strings.ToUpper(w[:1]) + w[1:]} {
				if !set.hasShort(packString(form)) {
					t.Errorf("%s: %q not found", lang, form)
				}
			}
			if set.hasShort(packString(w + "x")) {
				t.Errorf("%s: %q found", lang, w+"x")
			}
		}
	}
}
