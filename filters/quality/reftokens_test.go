package quality

import (
	"fmt"
	"strings"
	"testing"
)

// TestSymbolTokens checks the punctuation tokens counted beside winnow's
// words against the tokens of datatrove's English tokeniser, derived by
// hand from spaCy's English prefix, suffix and infix rules
// (spacy/lang/punctuation.py, the tokeniser of spacy.blank("en") that
// datatrove's word_tokenizers.py loads for English). Each case lists the
// reference's tokens, "|" between them; want counts those without a
// letter or digit.
func TestSymbolTokens(t *testing.T) {
	for _, tc := range []struct {
		text string
		ref  string // the reference's tokens
		want int
	}{
		// "." after a digit is a suffix.
		{"5.3. Testing the package", "5.3 | . | Testing | the | package", 1},
		{"1. Introduction\n1.1. Scope", "1 | . | Introduction | 1.1 | . | Scope", 2},
		// "$" is a prefix (currency); "-" and a leading "/" are not, so
		// they stay on their word; "/" between letters is an infix.
		{"$ ls -la /usr/bin", "$ | ls | -la | /usr | / | bin", 2},
		// An ellipsis is one suffix; "?" and "!" split one by one.
		{"Wait... what?!", "Wait | ... | what | ? | !", 3},
		// Quotes and commas split off both ends.
		{`"Hello," she said.`, `" | Hello | , | " | she | said | .`, 4},
		{"(see below)", "( | see | below | )", 2},
		// A URL is one token.
		{"see https://example.com/a/b?x=1 now.", "see | https://example.com/a/b?x=1 | now | .", 1},
		// An emoji with its skin tone is one symbol token.
		{"great 👍🏽 thanks 🙂", "great | 👍🏽 | thanks | 🙂", 2},
		// A hyphen between letters is an infix, "@" is not.
		{"well-known, user@host", "well | - | known | , | user@host", 2},
		// A run of one mark is one token: prefixes "==" and ">" split
		// off; "|" and "---" are not affixes and stay whole.
		{"==> | ---", "== | > | | | ---", 4},
		{"Title\n=====\nText!!!", "Title | ===== | Text | !!!", 2},
		// CJK full stop: a suffix.
		{"日本語の文章です。", "日本語の文章です | 。", 1},
		{"# heading", "# | heading", 1},
		{"", "", 0},
	} {
		a := newAnalysis(tc.text)
		if got := a.symbolTokens(); got != tc.want {
			t.Errorf("%q: %d punctuation tokens, want %d (reference: %s)", tc.text, got, tc.want, tc.ref)
		}
	}
}

// TestGopherAlphaWordsReference is the regression test of the alpha-word
// rule on a table of contents: each line "N.M. Testing the new package"
// is, for the reference, "N.M" "." "Testing" "the" "new" "package" — six
// tokens, four with a letter — so the document scores 4/6 < 0.8 and is
// dropped. Counting winnow's words alone (4 of 5) kept it.
func TestGopherAlphaWordsReference(t *testing.T) {
	var b strings.Builder
	for n := 1; n <= 4; n++ {
		for m := 1; m <= 5; m++ {
			fmt.Fprintf(&b, "%d.%d. Testing the new package\n", n, m)
		}
	}
	st := NewGopherQuality(DefaultGopherQuality())
	got, doc := run(t, st, "en", b.String())
	if got != "too_few_alpha_words" {
		t.Errorf("en: reason %q, want too_few_alpha_words", got)
	}
	if f := sig(t, doc, "gopher_quality.alpha_words_frac"); !near(f, 4.0/6) {
		t.Errorf("en: alpha_words_frac = %v, want 4/6", f)
	}
	// Other languages keep winnow's words: 4 of 5 hold a letter.
	_, doc = run(t, st, "de", b.String())
	if f := sig(t, doc, "gopher_quality.alpha_words_frac"); !near(f, 4.0/5) {
		t.Errorf("de: alpha_words_frac = %v, want 4/5", f)
	}
}
