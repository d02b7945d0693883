package quality

import (
	"strings"
	"testing"
)

func onlyQual(set func(*GopherQualityConfig)) *GopherQuality {
	var c GopherQualityConfig
	set(&c)
	return NewGopherQuality(c)
}

// words returns n words cycling through a plain English sentence (mean
// length 4.4 characters, stop words "the", "of", "and").
func words(n int) []string {
	cycle := strings.Fields("the garden of the house and its trees")
	out := make([]string, n)
	for i := range out {
		out[i] = cycle[i%len(cycle)]
	}
	return out
}

func TestGopherQualityRules(t *testing.T) {
	def := NewGopherQuality(DefaultGopherQuality())
	w50 := strings.Join(words(50), " ")
	long17 := "abcdefghijklmnopq"
	tenLines := func(bullets, ellipses int) string {
		lines := make([]string, 10)
		for i := range lines {
			lines[i] = strings.Join(words(6), " ")
			if i < bullets {
				lines[i] = "• " + lines[i]
			}
			if i < ellipses {
				lines[i] += "..."
			}
		}
		return strings.Join(lines, "\n")
	}
	numbers := func(k int) string {
		w := words(50)
		for i := 0; i < k; i++ {
			w[i] = "1234"
		}
		return strings.Join(w, " ")
	}
	for _, tc := range []struct {
		name string
		lang string
		text string
		want string
	}{
		{"50 words: kept", "en", w50, ""},
		{"49 words: too few", "en", strings.Join(words(49), " "), "too_few_words"},
		{"mean word length 3.0: kept", "en", repeat("the", 50, " "), ""},
		{"mean word length 2.98: too short", "en", repeat("the", 49, " ") + " of", "short_mean_word_length"},
		{"mean word length 10.0: kept", "en", repeat("the "+long17, 25, " "), ""},
		{"mean word length 10.02: too long", "en", repeat("the "+long17, 24, " ") + " the " + long17 + "r", "long_mean_word_length"},
		{"5 hashes per 50 words (0.1): kept", "en", w50 + repeat("#", 5, " "), ""},
		{"6 hashes per 50 words: too many", "en", w50 + repeat("#", 6, " "), "too_many_hashes"},
		{"5 ellipses per 50 words: kept", "en", strings.Replace(w50, " ", " ... ", 5), ""},
		{"6 ellipses (… counts too): too many", "en", strings.Replace(w50, " ", " ... ", 5) + " …", "too_many_ellipses"},
		{"9 of 10 lines bulleted: kept", "en", tenLines(9, 0), ""},
		{"10 of 10 lines bulleted: too many", "en", tenLines(10, 0), "too_many_bullet_lines"},
		{"3 of 10 lines end in an ellipsis: kept", "en", tenLines(0, 3), ""},
		{"4 of 10 lines end in an ellipsis: too many", "en", tenLines(0, 4), "too_many_ellipsis_lines"},
		{"10 of 50 words without a letter (0.8 with): kept", "en", numbers(10), ""},
		{"11 of 50 words without a letter: too few alphabetic", "en", numbers(11), "too_few_alpha_words"},
		{"2 stop words: kept", "en", "the of " + repeat("garden", 48, " "), ""},
		{"1 stop word: too few", "en", "the " + repeat("garden", 49, " "), "too_few_stop_words"},
		{"stop words are matched in any case", "en", "The OF " + repeat("garden", 48, " "), ""},
		{"German uses German stop words", "de", "der und " + repeat("Garten", 48, " "), ""},
		{"German without them", "de", "the of " + repeat("Garten", 48, " "), "too_few_stop_words"},
		{"unknown language: English list", "", "the " + repeat("garden", 49, " "), "too_few_stop_words"},
		{"language without a list: rule skipped", "yo", repeat("garden", 50, " "), ""},
		// 60 ideographs are 60 words; mean length 1 is not judged.
		{"Chinese: 60 characters with 的 and 是", "zh", "这是我们的" + strings.Repeat("城市公园里", 11) + "树很多", ""},
		{"Chinese: 40 characters are too few", "zh", "这是我们的" + strings.Repeat("城市公园", 8) + "树很多", "too_few_words"},
		{"Japanese kana stop words", "ja", strings.Repeat("東京の公園は大きいです", 6), ""},
		{"Thai stop words as substrings", "th", strings.Repeat("ประเทศไทยและคนที่", 4), ""},
		{"Korean short words are not judged short", "ko", repeat("그리고 나는 학교에 있다", 13, " "), ""},
		{"Russian", "ru", repeat("и это был дом на берегу реки", 8, " "), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, doc := run(t, def, tc.lang, tc.text)
			if got != tc.want {
				t.Errorf("reason %q, want %q; signals %v", got, tc.want, doc.Signals)
			}
		})
	}
}

func TestGopherQualityMaxWords(t *testing.T) {
	st := onlyQual(func(c *GopherQualityConfig) { c.MaxWords = 100 })
	if got, _ := run(t, st, "en", strings.Join(words(100), " ")); got != "" {
		t.Errorf("100 words: %q", got)
	}
	if got, _ := run(t, st, "en", strings.Join(words(101), " ")); got != "too_many_words" {
		t.Errorf("101 words: %q", got)
	}
}

// TestGopherQualitySignals checks the signals of one text under the
// reference's English tokenisation and under winnow's multilingual words.
//
// English, derived from datatrove's gopher_quality_filter.py: the
// tokeniser gives The cat # sat ... • and the dog … 1999 2000 — 12
// tokens, 8 of them not punctuation (words); "#" 1/12; "..." and "…"
// 2/12; str.splitlines gives 4 lines, the blank one included: one starts
// with "•" (1/4), two end with an ellipsis (2/4); tokens with a letter:
// The cat sat and the dog, 6/12.
func TestGopherQualitySignals(t *testing.T) {
	const text = "The cat # sat...\n• and the dog…\n\n1999 2000"
	st := NewGopherQuality(DefaultGopherQuality())
	for _, tc := range []struct {
		lang string
		want map[string]float64
	}{
		{"en", map[string]float64{
			"words":               8,
			"hash_word_ratio":     1.0 / 12,
			"ellipsis_word_ratio": 2.0 / 12,
			"bullet_lines_frac":   1.0 / 4,
			"ellipsis_lines_frac": 2.0 / 4,
			"alpha_words_frac":    6.0 / 12,
			"stop_words":          3, // The, and, the
			"mean_word_length":    26.0 / 8,
		}},
		// Winnow's words: punctuation is no word, blank lines no line.
		{"fr", map[string]float64{
			"words":               8,
			"hash_word_ratio":     1.0 / 8,
			"ellipsis_word_ratio": 2.0 / 8,
			"bullet_lines_frac":   1.0 / 3,
			"ellipsis_lines_frac": 2.0 / 3,
			"alpha_words_frac":    6.0 / 8,
			"mean_word_length":    26.0 / 8,
		}},
	} {
		_, doc := run(t, st, tc.lang, text)
		for name, want := range tc.want {
			if got := sig(t, doc, "gopher_quality."+name); !near(got, want) {
				t.Errorf("%s: %s = %v, want %v", tc.lang, name, got, want)
			}
		}
	}
}
