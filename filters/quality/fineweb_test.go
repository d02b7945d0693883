package quality

import (
	"strings"
	"testing"
)

func onlyFW(set func(*FineWebConfig)) *FineWeb {
	c := FineWebConfig{ShortLineLength: 30}
	set(&c)
	return NewFineWeb(c)
}

// longLines returns n distinct lines of 8 words (over 30 characters),
// the first punct of them ending in a full stop.
func longLines(n, punct int) []string {
	w := numbered("word", 8*n)
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Join(w[8*i:8*i+8], " ")
		if i < punct {
			out[i] += "."
		}
	}
	return out
}

func TestFineWebRules(t *testing.T) {
	short := func(n int) []string {
		out := make([]string, n)
		for i, w := range numbered("ab", n) {
			out[i] = w + " " + w
		}
		return out
	}
	for _, tc := range []struct {
		name string
		st   *FineWeb
		text string
		want string
	}{
		{"4 of 25 lines punctuated (0.16): kept", onlyFW(func(c *FineWebConfig) { c.LinePunctThr = 0.12 }),
			strings.Join(longLines(25, 4), "\n"), ""},
		{"3 of 25 lines punctuated (0.12): dropped", onlyFW(func(c *FineWebConfig) { c.LinePunctThr = 0.12 }),
			strings.Join(longLines(25, 3), "\n"), "line_punct_ratio"},
		{"no punctuated line, exclude_zero: kept", onlyFW(func(c *FineWebConfig) { c.LinePunctThr = 0.12; c.LinePunctExcludeZero = true }),
			strings.Join(longLines(25, 0), "\n"), ""},
		{"Thai is not judged by punctuation", onlyFW(func(c *FineWebConfig) { c.LinePunctThr = 0.12 }),
			"", ""},
		{"66 of 100 lines short: kept", onlyFW(func(c *FineWebConfig) { c.ShortLineThr = 0.67 }),
			strings.Join(append(short(66), longLines(34, 34)...), "\n"), ""},
		{"67 of 100 lines short: dropped", onlyFW(func(c *FineWebConfig) { c.ShortLineThr = 0.67 }),
			strings.Join(append(short(67), longLines(33, 33)...), "\n"), "short_line_ratio"},
		{"blank lines are not short lines", onlyFW(func(c *FineWebConfig) { c.ShortLineThr = 0.67 }),
			strings.Join(longLines(10, 10), "\n\n\n"), ""},
		{"15 ideographs are as long as 30 letters", onlyFW(func(c *FineWebConfig) { c.ShortLineThr = 0.5 }),
			"这是一个很好的博物馆门票很便宜\n" + strings.Repeat("这是一个很好的博物馆门票很便宜啊", 1), "short_line_ratio"},
		{"16 ideographs are long", onlyFW(func(c *FineWebConfig) { c.ShortLineThr = 0.5 }),
			"这是一个很好的博物馆门票很便宜啊\n这是一个很好的博物馆门票很便宜吧", ""},
		{"lines of 4 words (0.25 newlines per word): kept", onlyFW(func(c *FineWebConfig) { c.NewLineRatio = 0.3 }),
			repeat("one two three four", 5, "\n") + "\n", ""},
		{"lines of 3 words (0.33 newlines per word): list", onlyFW(func(c *FineWebConfig) { c.NewLineRatio = 0.3 }),
			repeat("one two three", 5, "\n") + "\n", "list_ratio"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lang := "en"
			if strings.HasPrefix(tc.name, "Thai") {
				lang = "th"
				tc.text = strings.Repeat("ประเทศไทยและคนที่อยู่ในเมืองใหญ่มีความสุขมาก\n", 5)
			}
			got, doc := run(t, tc.st, lang, tc.text)
			if got != tc.want {
				t.Errorf("reason %q, want %q; signals %v", got, tc.want, doc.Signals)
			}
		})
	}
}

func TestFineWebCharDup(t *testing.T) {
	st := onlyFW(func(c *FineWebConfig) { c.CharDuplicatesRatio = 0.01 })
	lines := longLines(30, 30) // 30 distinct lines of about 70 characters
	dup := "Share."            // 6 characters repeated once
	text := strings.Join(append(lines, dup, dup), "\n")
	nonNL := len(text) - strings.Count(text, "\n")
	_, doc := run(t, st, "en", text)
	if v := sig(t, doc, "fineweb.char_dup_ratio"); !near(v, 6.0/float64(nonNL)) {
		t.Errorf("char_dup_ratio = %v, want 6/%d", v, nonNL)
	}
	if got, _ := run(t, st, "en", text); got != "" {
		t.Errorf("6 of %d characters repeated: %q", nonNL, got)
	}
	text = strings.Join(append(lines, lines[0]), "\n")
	if got, _ := run(t, st, "en", text); got != "char_dup_ratio" {
		t.Errorf("a whole line repeated: %q", got)
	}
}

func TestFineWebDefaultsKeepProse(t *testing.T) {
	st := NewFineWeb(DefaultFineWeb())
	if got, doc := run(t, st, "en", prose); got != "" {
		t.Errorf("prose dropped as %q: %v", got, doc.Signals)
	}
	nav := "Home\nAbout us\nProducts\nContact\nLogin\nSearch\nCart\nHelp"
	if got, _ := run(t, st, "en", nav); got == "" {
		t.Error("navigation menu kept")
	}
}

// TestFineWebReference checks the English semantics against values
// derived by hand from datatrove's fineweb_quality_filter.py: a line is
// punctuated when line.endswith((".", "'", '"', "!", "?")), and newlines
// per word divide text.count("\n") by the tokenizer's tokens, punctuation
// included. Other languages keep winnow's wider punctuation set and its
// words.
func TestFineWebReference(t *testing.T) {
	st := NewFineWeb(FineWebConfig{ShortLineLength: 30})
	for _, tc := range []struct {
		name, lang, text string
		signal           string
		want             float64
	}{
		// "..." ends in "."; "…", "”" and ":" end in no stop character.
		{"en stop characters", "en", "It went on...\nIt went on…\nHe said “yes”\nSee below:", "line_punct_ratio", 1.0 / 4},
		{"fr: wider set", "fr", "It went on...\nIt went on…\nHe said “yes”\nSee below:", "line_punct_ratio", 3.0 / 4},
		// "1. Intro" + "\n" + "2. Scope" + "\n": tokens 1 . Intro 2 . Scope
		// — 6 (NLTK and spaCy alike), 2 newlines: 2/6. winnow's words
		// alone (1 Intro 2 Scope) gave 2/4, over 0.3.
		{"en newlines per token", "en", "1. Intro\n2. Scope\n", "new_line_ratio", 2.0 / 6},
		{"de newlines per word", "de", "1. Intro\n2. Scope\n", "new_line_ratio", 2.0 / 4},
	} {
		_, doc := run(t, st, tc.lang, tc.text)
		if got := sig(t, doc, "fineweb."+tc.signal); !near(got, tc.want) {
			t.Errorf("%s: %s = %v, want %v", tc.name, tc.signal, got, tc.want)
		}
	}
}
