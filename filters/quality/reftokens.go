package quality

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The reference's English word tokeniser. datatrove's Gopher and FineWeb
// filters count the tokens of an English word tokeniser — spaCy's blank
// "en" tokeniser today (assets/tokenizer_assignment.csv), NLTK's
// word_tokenize when FineWeb was built — in which punctuation split off
// a word is a token of its own: "5.3." is "5.3" and ".", "(see)" is "(",
// "see" and ")". Gopher's "80% of words hold a letter" and FineWeb's
// newlines per word divide by all the tokens, so a shell session or a
// table of contents scores low; winnow's words (filters/text, UAX #29)
// leave punctuation out, and the same text scored 100%.
//
// Rather than a second segmentation, the punctuation tokens are counted
// in the gaps between winnow's words, which hold exactly the characters
// that are in no word, after spaCy's rules (spacy/lang/punctuation.py):
//
//   - white space separates tokens;
//   - before a word, prefix characters split off one by one (the
//     punctuation list , : ; ! ? ¿ ¡ ( ) [ ] { } < > _ # * & and the CJK
//     marks, quotes, currency signs, § % = — – +, symbols such as emoji);
//     what remains ("-" of "-la", "/" of "/usr") belongs to the word;
//   - after a word, suffix characters split off one by one from the end
//     (the same punctuation, quotes, symbols, ".", "%", "—", "–", and
//     currency signs); "..." and "…" are one token, and so is a run of
//     one ASCII mark ("=====", "!!!", "))": NLTK keeps such runs whole,
//     where spaCy splits some of them mark by mark);
//   - a run of symbols standing alone ("$", "|", "---", "==>") loses its
//     prefixes and suffixes, and what remains is one token;
//   - between two words with no space, a hyphen, dash, "~", ":", "<",
//     ">", "=" or "/" before a letter is a token ("well-known",
//     "usr/bin"), as is "," between letters; anything else joins the
//     words ("user@host" is one token);
//   - an emoji with its modifiers (skin tone, ZWJ, variation selector)
//     is one character;
//   - a URL ("scheme://…" up to the next white space) is one token: its
//     punctuation makes none (its words are still counted as words).
//
// Left out: tokeniser exceptions ("Dr.", "e.g." keep their dot), "'s"
// and "n't" split off a word (winnow keeps "don't" whole), a run of
// ideographs being one spaCy token (each ideograph is a word here).

// symbolTokens returns the number of punctuation and symbol tokens of a
// (see above), memoised.
func (a *analysis) symbolTokens() int {
	if a.symOnce {
		return a.symTokens
	}
	n, prev := 0, 0
	inURL := false
	for i, w := range a.words {
		gap := a.nfc[prev:w.start]
		prev = int(w.end)
		// Most gaps are a space: no token, and the end of any URL.
		if len(gap) == 1 && (gap[0] == ' ' || gap[0] == '\n') || allASCIISpace(gap) {
			inURL = false
			continue
		}
		// Then a mark and white space (", ", ".\n\n"): a token if a
		// suffix.
		if len(gap) >= 2 && i > 0 && gap[0] < utf8.RuneSelf && !isASCIISpace(gap[0]) && allASCIISpace(gap[1:]) {
			if !inURL && asciiAffix[gap[0]]&affixBit(false) != 0 {
				n++
			}
			inURL = false
			continue
		}
		n += gapTokens(gap, i > 0, true, a.nfc[:w.start-int32(len(gap))], a.nfc[w.start:], &inURL)
	}
	n += gapTokens(a.nfc[prev:], len(a.words) > 0, false, a.nfc[:prev], "", &inURL)
	a.symTokens, a.symOnce = n, true
	return n
}

// allASCIISpace reports whether s is ASCII white space only.
func allASCIISpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIISpace(s[i]) {
			return false
		}
	}
	return true
}

// gapTokens counts the tokens of gap, the text between two words: after
// says a word ends where gap starts (before is the text up to there),
// ahead that one starts where it ends (next is the text from there).
// *inURL says whether gap continues a URL; it is updated for the next
// gap.
func gapTokens(gap string, after, ahead bool, before, next string, inURL *bool) int {
	if strings.HasPrefix(gap, "://") {
		*inURL = true
	}
	n := 0
	for i := 0; i <= len(gap); {
		// The segment gap[i:j] runs to the next white space.
		j := i
		for j < len(gap) {
			if c := gap[j]; c < utf8.RuneSelf {
				if isASCIISpace(c) {
					break
				}
				j++
				continue
			}
			r, size := utf8.DecodeRuneInString(gap[j:])
			if unicode.IsSpace(r) {
				break
			}
			j += size
		}
		seg := gap[i:j]
		left, right := after && i == 0, ahead && j == len(gap)
		if seg != "" && !*inURL {
			n += segmentTokens(seg, left, right, before, next)
		}
		if j == len(gap) {
			break
		}
		*inURL = false
		_, size := utf8.DecodeRuneInString(gap[j:])
		i = j + size
	}
	return n
}

// segmentTokens counts the tokens of seg, a run of characters in no word
// and without white space, which touches a word on its left, on its
// right, both or neither.
func segmentTokens(seg string, left, right bool, before, next string) int {
	if left && right {
		return infixTokens(seg, before, next)
	}
	n := 0
	if !left {
		// Prefixes split off from the start.
		for seg != "" {
			k := affixLen(seg, false)
			if k == 0 {
				break
			}
			n++
			seg = seg[k:]
		}
	}
	if !right {
		// Suffixes split off from the end.
		for seg != "" {
			k := affixLen(seg, true)
			if k == 0 {
				break
			}
			n++
			seg = seg[:len(seg)-k]
		}
	}
	if seg != "" && !left && !right {
		n++ // what remains of a run standing alone
	}
	return n
}

// infixTokens counts the tokens of seg between two words with no space.
func infixTokens(seg, before, next string) int {
	r, _ := utf8.DecodeRuneInString(next)
	p, _ := utf8.DecodeLastRuneInString(before)
	switch seg {
	case "-", "–", "—", "~", "--", "---", "——", ":", "<", ">", "=", "/":
		if unicode.IsLetter(r) {
			return 1
		}
	case ",":
		if unicode.IsLetter(r) && unicode.IsLetter(p) {
			return 1
		}
	}
	return 0
}

// affixLen returns the length in bytes of the prefix (fromEnd false) or
// suffix (fromEnd true) of seg that splits off as one token, 0 for none:
// an ellipsis, a run of one ASCII mark of the lists above ("!!!", "=====",
// as NLTK keeps them), or another mark or symbol of the lists with the
// marks and modifiers that follow it.
func affixLen(seg string, fromEnd bool) int {
	if fromEnd {
		if k := len(seg) - len(strings.TrimRight(seg, ".")); k >= 2 {
			return k // "..", "..."
		}
		if c := seg[len(seg)-1]; c < utf8.RuneSelf {
			if !isAffix(rune(c), false) {
				return 0
			}
			return len(seg) - len(strings.TrimRight(seg, seg[len(seg)-1:]))
		}
		// The last character, with the modifiers before it.
		end := len(seg)
		for end > 0 {
			r, size := utf8.DecodeLastRuneInString(seg[:end])
			if !joinsPrevious(r) {
				if !isAffix(r, false) {
					return 0
				}
				return len(seg) - end + size
			}
			end -= size
		}
		return 0
	}
	if k := len(seg) - len(strings.TrimLeft(seg, ".")); k >= 2 {
		return k
	}
	if c := seg[0]; c < utf8.RuneSelf {
		if !isAffix(rune(c), true) {
			return 0
		}
		return len(seg) - len(strings.TrimLeft(seg, seg[:1]))
	}
	r, size := utf8.DecodeRuneInString(seg)
	if !isAffix(r, true) {
		return 0
	}
	for size < len(seg) {
		q, s := utf8.DecodeRuneInString(seg[size:])
		if !joinsPrevious(q) {
			break
		}
		size += s
	}
	return size
}

// isAffix reports characters that split off a word as prefixes (prefix)
// or suffixes.
func isAffix(r rune, prefix bool) bool {
	if r < utf8.RuneSelf {
		return asciiAffix[r]&affixBit(prefix) != 0
	}
	return isAffixSlow(r, prefix)
}

// affixBit is asciiAffix's bit for prefixes (1) or suffixes (2).
func affixBit(prefix bool) uint8 {
	if prefix {
		return 1
	}
	return 2
}

// asciiAffix is isAffixSlow for ASCII characters, as bits (affixBit).
var asciiAffix = func() (t [utf8.RuneSelf]uint8) {
	for r := range rune(utf8.RuneSelf) {
		for _, prefix := range []bool{true, false} {
			if isAffixSlow(r, prefix) {
				t[r] |= affixBit(prefix)
			}
		}
	}
	return t
}()

// isAffixSlow is isAffix.
func isAffixSlow(r rune, prefix bool) bool {
	switch r {
	case '…', ',', ':', ';', '!', '?', '¿', '؟', '¡', '(', ')', '[', ']', '{', '}', '<', '>', '_', '#', '*', '&',
		'。', '？', '！', '，', '、', '；', '：', '～', '·', '।', '،', '۔', '؛', '٪',
		'\'', '"', '`', '‘', '’', '“', '”', '´', '‚', '„', '«', '»', '‹', '›',
		'「', '」', '『', '』', '（', '）', '〔', '〕', '【', '】', '《', '》', '〈', '〉',
		'%', '—', '–':
		return true
	case '§', '=', '+':
		return prefix
	case '.':
		return !prefix
	case '°':
		return false
	}
	return unicode.Is(unicode.Sc, r) || unicode.Is(unicode.So, r) || 0x1F000 <= r && r <= 0x1FAFF
}

// joinsPrevious reports characters that belong to the character before
// them: combining marks, format characters (ZWJ, variation selectors)
// and the emoji skin-tone modifiers.
func joinsPrevious(r rune) bool {
	return r >= 0x300 && (0x1F3FB <= r && r <= 0x1F3FF || unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf))
}

// referenceTokens reports whether lang is judged with the reference's
// English tokenisation: English and an unknown language (which takes
// English's stop words too). Other languages keep winnow's words, the
// reference having no single tokeniser for them.
func referenceTokens(lang string) bool { return lang == "en" || lang == "" }
