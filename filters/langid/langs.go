package langid

import (
	"fmt"
	"strings"

	"github.com/pemistahl/lingua-go"
)

// Code returns the partition code of a language: ISO 639-1 in lower case
// where one exists, else ISO 639-3, and "und" for lingua.Unknown.
func Code(l lingua.Language) string {
	if l == lingua.Unknown {
		return "und"
	}
	if c := l.IsoCode639_1(); c != lingua.UnknownIsoCode639_1 {
		return strings.ToLower(c.String())
	}
	return strings.ToLower(l.IsoCode639_3().String())
}

// ParseLanguage resolves an ISO 639-1 or 639-3 code or an English
// language name ("de", "deu", "German", case-insensitive) to a lingua
// language.
func ParseLanguage(s string) (lingua.Language, error) {
	s = strings.TrimSpace(s)
	if l := lingua.GetLanguageFromIsoCode639_1(lingua.GetIsoCode639_1FromValue(s)); l != lingua.Unknown {
		return l, nil
	}
	if l := lingua.GetLanguageFromIsoCode639_3(lingua.GetIsoCode639_3FromValue(s)); l != lingua.Unknown {
		return l, nil
	}
	for _, l := range lingua.AllLanguages() {
		if strings.EqualFold(l.String(), s) {
			return l, nil
		}
	}
	return lingua.Unknown, fmt.Errorf("unknown language %q (want an ISO 639-1/639-3 code or an English name of one of lingua's %d languages)", s, len(lingua.AllLanguages()))
}

// ParseLanguages resolves a list of codes or names (see ParseLanguage);
// an empty list means all languages lingua knows.
func ParseLanguages(list []string) ([]lingua.Language, error) {
	if len(list) == 0 {
		return lingua.AllLanguages(), nil
	}
	var seen langSet
	out := make([]lingua.Language, 0, len(list))
	for _, s := range list {
		l, err := ParseLanguage(s)
		if err != nil {
			return nil, err
		}
		if !seen.has(l) {
			seen.add(l)
			out = append(out, l)
		}
	}
	return out, nil
}

// langSet is a set of lingua languages as a bit mask (lingua has 75).
type langSet [2]uint64

func (s *langSet) add(l lingua.Language)     { s[l>>6] |= 1 << (l & 63) }
func (s langSet) has(l lingua.Language) bool { return l >= 0 && l < 128 && s[l>>6]&(1<<(l&63)) != 0 }

// script is a writing system as far as it narrows the language choice.
type script uint8

const (
	scNone script = iota
	scLatin
	scCyrillic
	scGreek
	scArmenian
	scHebrew
	scArabic
	scDevanagari
	scBengali
	scGurmukhi
	scGujarati
	scTamil
	scTelugu
	scThai
	scGeorgian
	scHangul
	scHan
	scKana
	numScripts
)

// scriptOf classifies a letter by Unicode block. Blocks are enough here:
// the counts only need to tell which script dominates a text.
func scriptOf(r rune) script {
	switch {
	case r < 0x80:
		if 'a' <= r|0x20 && r|0x20 <= 'z' {
			return scLatin
		}
		return scNone
	case r < 0x250:
		if r >= 0xC0 && r != 0xD7 && r != 0xF7 {
			return scLatin
		}
		return scNone
	case r < 0x370:
		return scNone
	case r < 0x400:
		return scGreek
	case r < 0x530:
		return scCyrillic
	case r < 0x590:
		return scArmenian
	case r < 0x600:
		return scHebrew
	case r < 0x700:
		if r >= 0x660 && r <= 0x669 || r >= 0x6F0 && r <= 0x6F9 || r == 0x60C || r == 0x61F || r == 0x6D4 {
			return scNone // digits and punctuation
		}
		return scArabic
	case r >= 0x750 && r < 0x780:
		return scArabic
	case r >= 0x900 && r < 0x980:
		if r == 0x964 || r == 0x965 || r >= 0x966 && r <= 0x96F {
			return scNone
		}
		return scDevanagari
	case r >= 0x980 && r < 0xA00:
		return scBengali
	case r >= 0xA00 && r < 0xA80:
		return scGurmukhi
	case r >= 0xA80 && r < 0xB00:
		return scGujarati
	case r >= 0xB80 && r < 0xC00:
		return scTamil
	case r >= 0xC00 && r < 0xC80:
		return scTelugu
	case r >= 0xE00 && r < 0xE80:
		return scThai
	case r >= 0x10A0 && r < 0x1100, r >= 0x1C90 && r < 0x1CC0:
		return scGeorgian
	case r >= 0x1100 && r < 0x1200, r >= 0x3130 && r < 0x3190, r >= 0xAC00 && r < 0xD7B0:
		return scHangul
	case r >= 0x1E00 && r < 0x1F00:
		return scLatin
	case r >= 0x1F00 && r < 0x2000:
		return scGreek
	case r >= 0x3040 && r < 0x3100, r >= 0x31F0 && r < 0x3200, r >= 0xFF66 && r < 0xFF9E:
		if r == 0x30FB {
			return scNone // katakana middle dot: punctuation
		}
		return scKana
	case r >= 0x3400 && r < 0x4DC0, r >= 0x4E00 && r < 0xA000, r >= 0xF900 && r < 0xFB00, r >= 0x20000 && r < 0x32000:
		return scHan
	case r >= 0xFB50 && r < 0xFE00, r >= 0xFE70 && r < 0xFF00:
		return scArabic
	}
	return scNone
}

// scriptLanguages lists, per script, the lingua languages written in it.
var scriptLanguages = map[script][]lingua.Language{
	scLatin:      lingua.AllLanguagesWithLatinScript(),
	scCyrillic:   lingua.AllLanguagesWithCyrillicScript(),
	scArabic:     lingua.AllLanguagesWithArabicScript(),
	scDevanagari: lingua.AllLanguagesWithDevanagariScript(),
	scGreek:      {lingua.Greek},
	scArmenian:   {lingua.Armenian},
	scHebrew:     {lingua.Hebrew},
	scBengali:    {lingua.Bengali},
	scGurmukhi:   {lingua.Punjabi},
	scGujarati:   {lingua.Gujarati},
	scTamil:      {lingua.Tamil},
	scTelugu:     {lingua.Telugu},
	scThai:       {lingua.Thai},
	scGeorgian:   {lingua.Georgian},
	scHangul:     {lingua.Korean},
	scHan:        {lingua.Chinese},
	scKana:       {lingua.Japanese},
}
