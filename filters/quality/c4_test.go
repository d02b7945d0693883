package quality

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// good is five sentences on five lines that pass every C4 rule.
var good = []string{
	"The museum opens at nine in the morning.",
	"Tickets can be bought at the entrance or online.",
	"Children under twelve enter for free.",
	"The café on the top floor serves lunch until three.",
	"Guided tours start every hour from the main hall.",
}

func TestC4Lines(t *testing.T) {
	st := NewC4(DefaultC4())
	body := strings.Join(good, "\n")
	for _, tc := range []struct {
		name  string
		line  string
		kept  bool
		count string // signal counting the removal
	}{
		{"3 words: kept", "Open every day.", true, ""},
		{"2 words: removed", "Open daily.", false, "lines_few_words"},
		{"javascript: removed", "Please enable JavaScript to view the map.", false, "lines_javascript"},
		{"cookie notice: removed", "This site uses cookies to improve your experience.", false, "lines_policy"},
		{"privacy policy: removed", "Read our Privacy Policy before you sign up.", false, "lines_policy"},
		{"word of 1000 characters: kept", "A " + strings.Repeat("x", 1000) + " b.", true, ""},
		{"word of 1001 characters: removed", "A " + strings.Repeat("x", 1001) + " b.", false, "lines_long_word"},
		{"no terminal punctuation: kept by default", "Home About Contact Shop", true, ""},
		{"Chinese: 3 ideographs are 3 words", "博物馆", true, ""},
		{"Chinese: 2 ideographs are too few", "门票", false, "lines_few_words"},
		// English counts white-space fields, as datatrove's line.split():
		// "$", "ls", "-la" are three words (filters/text finds two).
		{"en: shell prompt of 3 fields: kept", "$ ls -la", true, ""},
		{"en: list item of 3 fields: kept", "- item one", true, ""},
		{"en: numbered heading of 2 fields: removed", "5.3. Testing", false, "lines_few_words"},
		{"en: path of 1001 characters: removed", "See /" + strings.Repeat("a/", 500) + " now.", false, "lines_long_word"},
		{"en: ideographs are one field: removed", "博物馆", false, "lines_few_words"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lang := "en"
			if strings.HasPrefix(tc.name, "Chinese") {
				lang = "zh"
			}
			reason, doc := run(t, st, lang, body+"\n"+tc.line)
			if reason != "" {
				t.Fatalf("dropped as %q", reason)
			}
			if got := strings.Contains(doc.Text, tc.line); got != tc.kept {
				t.Errorf("line kept %v, want %v; text %q", got, tc.kept, doc.Text)
			}
			if tc.count != "" && sig(t, doc, "c4."+tc.count) != 1 {
				t.Errorf("c4.%s = %v, want 1", tc.count, sig(t, doc, "c4."+tc.count))
			}
			if tc.kept && doc.Text != body+"\n"+tc.line {
				t.Errorf("text rewritten although every line is kept: %q", doc.Text)
			}
		})
	}
}

func TestC4Document(t *testing.T) {
	st := NewC4(DefaultC4())
	body := strings.Join(good, "\n")
	for _, tc := range []struct {
		name, text, want string
	}{
		{"5 sentences: kept", body, ""},
		{"4 sentences: too few", strings.Join(good[:4], "\n"), "too_few_sentences"},
		{"4 lines, 5 sentences: kept", strings.Join(good[:3], "\n") + "\n" + good[3] + " " + good[4], ""},
		{"removed lines do not count", strings.Join(good[:4], "\n") + "\nWe use cookies. Really we do.", "too_few_sentences"},
		{"lorem ipsum: dropped", body + "\nLorem ipsum dolor sit amet.", "lorem_ipsum"},
		{"curly bracket: dropped", body + "\nfunction f() { return 1; }", "curly_bracket"},
		{"curly bracket in a removed line: kept", body + "\n{x}", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, doc := run(t, st, "en", tc.text); got != tc.want {
				t.Errorf("reason %q, want %q; signals %v", got, tc.want, doc.Signals)
			}
		})
	}
}

func TestC4Rewrite(t *testing.T) {
	st := NewC4(DefaultC4())
	in := "Menu\r\n" + good[0] + "\r\n\r\nShare\r\n\r\n" + good[1] + "[1] " + good[2] + "[citation needed]\r\n" +
		good[3] + "[edit]\r\nEnable javascript please now.\r\n" + good[4] + "\r\n\r\n"
	want := good[0] + "\n\n" + good[1] + " " + good[2] + "\n" + good[3] + "\n" + good[4]
	reason, doc := run(t, st, "en", in)
	if reason != "" || doc.Text != want {
		t.Errorf("got %q %q\nwant %q", reason, doc.Text, want)
	}
	if v := sig(t, doc, "c4.citations"); v != 3 {
		t.Errorf("citations = %v, want 3", v)
	}
	// Menu, Share, the javascript line: 3 of 7 non-blank lines.
	if v := sig(t, doc, "c4.lines_removed_frac"); !near(v, 3.0/7) {
		t.Errorf("lines_removed_frac = %v, want 3/7", v)
	}
}

func TestC4TerminalPunct(t *testing.T) {
	c := DefaultC4()
	c.FilterNoTerminalPunct = true
	st := NewC4(c)
	body := strings.Join(good, "\n")
	for _, tc := range []struct {
		line string
		kept bool
	}{
		{"He said it was fine.", true},
		{"Is it open today?", true},
		{`She called it "the best".`, true},
		{"He said it was fine", false},
		{"And then there was more...", false},
		{"这是一个很好的博物馆。", true},
		{"क्या यह संग्रहालय खुला है।", true},
		{"A sentence with a citation.[2]", true},
	} {
		// Other scripts' lines in a document of their language: in
		// English one field of ideographs is too few words.
		lang := "en"
		if !text.IsASCII(tc.line) {
			lang = "xx"
		}
		_, doc := run(t, st, lang, body+"\n"+tc.line)
		if got := strings.Contains(doc.Text, strings.TrimSuffix(tc.line, "[2]")); got != tc.kept {
			t.Errorf("%q kept %v, want %v", tc.line, got, tc.kept)
		}
	}
}

// TestRewriteKeepsAnalysis checks that the analysis carried over a
// rewrite equals one made afresh from the new text.
func TestRewriteKeepsAnalysis(t *testing.T) {
	lr, _ := NewLineRepetition(DefaultLineRepetition())
	for _, st := range []interface {
		Process(*pipeline.Document) (string, error)
	}{NewC4(DefaultC4()), lr} {
		for _, in := range []string{
			"Menu\n" + strings.Join(good, "\n\n") + "\nShare it\n\n\n  \nEnable javascript please now.",
			"Über uns\r\n" + strings.Join(good, "\r\n") + "\r\nx y\r\n" + strings.Repeat("ab cd ", 10) + "\r\nfin",
			"这是 一个\n" + strings.Join(good, "\n") + "\n门票",
			"\n\nMenu\n\n\n" + good[1] + "\n \n\t\nShare\n\n" + strings.Join(good, "\n\n") + "\n\n",
		} {
			in += "\n" + strings.Repeat("ERROR disk full ", 6) + "\n" + good[0]
			doc := &pipeline.Document{Text: in, Lang: "en"}
			if r, err := st.Process(doc); r != "" || err != nil {
				t.Fatalf("%q: %q %v", in, r, err)
			}
			if doc.Text == in {
				t.Fatalf("%q: not rewritten", in)
			}
			got, want := analyse(doc), newAnalysis(doc.Text)
			if got.nfc != want.nfc || got.runes != want.runes || !slices.Equal(got.words, want.words) {
				t.Errorf("%q: carried analysis differs\n got %+v\nwant %+v", doc.Text, got, want)
			}
			if gl, wl := got.nfcLines(), want.nfcLines(); !slices.Equal(gl, wl) {
				t.Errorf("%q: carried lines differ\n got %+v\nwant %+v", doc.Text, gl, wl)
			}
		}
	}
}

// TestCountSentencesMatchesText checks the ASCII sentence counter against
// text.AppendSentences on random lines.
func TestCountSentencesMatchesText(t *testing.T) {
	const alphabet = "ab .!?\"')]}\t,x"
	rng := rand.New(rand.NewPCG(3, 4))
	sc := getScratch()
	defer putScratch(sc)
	for range 20000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		line := string(b)
		if got, want := countSentences(line, sc), len(text.AppendSentences(nil, line)); got != want {
			t.Fatalf("%q: %d sentences, want %d", line, got, want)
		}
	}
}

func TestLowerASCII(t *testing.T) {
	for _, s := range []string{"", "ABC", "Hello World, JavaScript!", "ÀÉÎ Ünïcode MIXED ascii ÅÄÖ 123 @[`{", strings.Repeat("AbC\xffé", 9)} {
		want := []byte(s)
		for i, c := range want {
			if 'A' <= c && c <= 'Z' {
				want[i] = c + 32
			}
		}
		if got := lowerASCII([]byte(s)); string(got) != string(want) {
			t.Errorf("%q: %q, want %q", s, got, want)
		}
	}
}

// TestFindPhrasesMatchesContains checks findPhrases, which reads words,
// against searches of the lower-cased text, on random texts built from
// pieces of the phrases, case variants, and what ends or joins words.
func TestFindPhrasesMatchesContains(t *testing.T) {
	pieces := []string{
		"lorem", "LOREM", "Lorem", "ipsum", "IPSUM", "lor", "em", " ", "  ", "\n", "\t",
		"cookie", "CooKie", "cook", "ie", "javascript", "JavaScript", "java", "script",
		"terms", "TERMS", "of", "use", "USE", "privacy", "Privacy", "policy", "POLICY",
		" ipsum", " Ipsum", " of use", " of", " OF USE", " policy", " Policy", "s of use", "y policy", "m ipsum",
		"x", "é", "カ", "_", ":", ".", "'", ",", "-", "\xff", "\u0301", "\u200d", "3",
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 30000 {
		var b strings.Builder
		for k := rng.IntN(12); k >= 0; k-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		low := lowerASCII([]byte(s))
		wantJS := bytes.Contains(low, []byte("javascript"))
		wantLorem := bytes.Contains(low, []byte("lorem ipsum"))
		wantPolicy := bytes.Contains(low, []byte("cookie")) || bytes.Contains(low, []byte("privacy policy")) || bytes.Contains(low, []byte("terms of use"))
		js, lorem, policy := findPhrases(newAnalysis(s))
		if js != wantJS || lorem != wantLorem || policy != wantPolicy {
			t.Fatalf("%q: javascript %v lorem %v policy %v, want %v %v %v", s, js, lorem, policy, wantJS, wantLorem, wantPolicy)
		}
	}
}

// TestLinesWhileSegmenting checks the lines split as the words go by
// against nfcLines' own split.
func TestLinesWhileSegmenting(t *testing.T) {
	texts := []string{"", "\n", "\n\n", "a", "a\n", "a\nb", "\nab cd\n\n  \nef\n", "x \xff\n\u0301y\n"}
	for _, d := range oddDocs(100, 13) {
		texts = append(texts, d.text, strings.ReplaceAll(d.text, "\r", ""))
	}
	for _, s := range texts {
		a := newAnalysis(s)
		got := a.nfcLines()
		a.lines, a.linesOnce = nil, false
		if want := a.nfcLines(); !slices.Equal(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", s, got, want)
		}
	}
}
