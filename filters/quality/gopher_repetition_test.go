package quality

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/winnow-data/winnow/filters/text"
)

// only returns a gopher_repetition config with every rule off but the
// one that set sets.
func onlyRep(set func(*GopherRepetitionConfig)) *GopherRepetition {
	var c GopherRepetitionConfig
	set(&c)
	s, err := NewGopherRepetition(c)
	if err != nil {
		panic(err)
	}
	return s
}

// distinctLines returns n lines of distinct words, each line unique.
func distinctLines(n int) []string {
	w := numbered("word", 4*n)
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Join(w[4*i:4*i+4], " ") + "."
	}
	return out
}

func TestGopherRepetitionLines(t *testing.T) {
	st := onlyRep(func(c *GopherRepetitionConfig) { c.DupLineFrac = 0.3 })
	for _, tc := range []struct {
		name   string
		unique int
		dups   int
		want   string
	}{
		{"3 of 10 lines repeat (0.30): kept", 7, 3, ""},
		{"4 of 10 lines repeat (0.40): dropped", 6, 4, "dup_line_frac"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := distinctLines(tc.unique)
			for i := 0; i < tc.dups; i++ {
				lines = append(lines, lines[0])
			}
			// Blank lines between them are not lines that repeat.
			got, doc := run(t, st, "en", strings.Join(lines, "\n\n"))
			if got != tc.want {
				t.Errorf("reason %q, want %q (dup_line_frac %v)", got, tc.want, sig(t, doc, "gopher_repetition.dup_line_frac"))
			}
		})
	}
}

func TestGopherRepetitionLineChars(t *testing.T) {
	// Four lines of 9 characters ("aaaaaaaa." etc.) and 3 newlines: 39
	// characters. One repeat of 9 characters is 9/39 = 0.23 > 0.2.
	st := onlyRep(func(c *GopherRepetitionConfig) { c.DupLineCharFrac = 0.2 })
	got, doc := run(t, st, "en", "aaaaaaaa.\nbbbbbbbb.\ncccccccc.\naaaaaaaa.")
	if v := sig(t, doc, "gopher_repetition.dup_line_char_frac"); !near(v, 9.0/39) || got != "dup_line_char_frac" {
		t.Errorf("got %q with %v, want dup_line_char_frac with 9/39", got, v)
	}
	// Five distinct lines plus the repeat: 9/49 = 0.18 ≤ 0.2.
	got, doc = run(t, st, "en", "aaaaaaaa.\nbbbbbbbb.\ncccccccc.\ndddddddd.\naaaaaaaa.")
	if v := sig(t, doc, "gopher_repetition.dup_line_char_frac"); !near(v, 9.0/49) || got != "" {
		t.Errorf("got %q with %v, want kept with 9/49", got, v)
	}
}

func TestGopherRepetitionParagraphs(t *testing.T) {
	st := onlyRep(func(c *GopherRepetitionConfig) { c.DupParaFrac = 0.3 })
	p := distinctLines(10)
	// Paragraphs of two lines; the repeat shares its first line only
	// with another paragraph, which is no repeat.
	paras := []string{p[0] + "\n" + p[1], p[2] + "\n" + p[3], p[4], p[0] + "\n" + p[5]}
	if got, _ := run(t, st, "en", strings.Join(paras, "\n\n")); got != "" {
		t.Errorf("no repeated paragraph: got %q", got)
	}
	// 2 of 5 paragraphs repeat: 0.4 > 0.3.
	paras = append(paras[:3], paras[0], paras[1])
	got, doc := run(t, st, "en", strings.Join(paras, "\n\n"))
	if v := sig(t, doc, "gopher_repetition.dup_para_frac"); got != "dup_para_frac" || !near(v, 0.4) {
		t.Errorf("got %q with %v, want dup_para_frac with 0.4", got, v)
	}
}

// TestGopherRepetitionNGramsByHand checks the n-gram fractions against
// values worked out on paper.
func TestGopherRepetitionNGramsByHand(t *testing.T) {
	st := onlyRep(func(c *GopherRepetitionConfig) {
		c.TopNGrams = []NFrac{{2, 1}, {3, 1}, {4, 1}}
		c.DupNGrams = []NFrac{{2, 1}, {5, 1}}
	})
	for _, tc := range []struct {
		text string
		sig  string
		want float64
		why  string
	}{
		// "a b a b a b": 11 characters.
		{"a b a b a b", "top_2_gram_char_frac", 9.0 / 11, `"a b" (3 chars) occurs 3 times`},
		{"a b a b a b", "top_3_gram_char_frac", 10.0 / 11, `"a b a" and "b a b" occur twice; the first wins: 5 chars × 2`},
		{"a b a b a b", "top_4_gram_char_frac", 14.0 / 11, `"a b a b" (7 chars) occurs twice, overlapping`},
		{"a b a b a b", "dup_2_gram_char_frac", 6.0 / 11, `walk: "a b" new, "b a" new, "a b" seen (+3, jump 2), "a b" seen (+3)`},
		{"a b a b a b", "dup_5_gram_char_frac", 0, "the two 5-grams differ"},
		// Unique n-grams are no repetition.
		{"one two three four", "top_2_gram_char_frac", 0, "every 2-gram occurs once"},
		// Words, not punctuation: "x, y. x; y" has the 2-gram "x y" twice.
		{"x, y. x; y", "top_2_gram_char_frac", 6.0 / 10, `"x y" (3 chars) twice over 10 characters`},
	} {
		_, doc := run(t, st, "en", tc.text)
		if got := sig(t, doc, "gopher_repetition."+tc.sig); !near(got, tc.want) {
			t.Errorf("%q %s = %v, want %v: %s", tc.text, tc.sig, got, tc.want, tc.why)
		}
	}
}

func TestGopherRepetitionTopNGramThreshold(t *testing.T) {
	st := onlyRep(func(c *GopherRepetitionConfig) { c.TopNGrams = []NFrac{{2, 0.2}} })
	// 40 distinct 5-letter words (240 chars with spaces) plus "ab cd"
	// twice: the top 2-gram covers 10 of the characters.
	base := strings.Join(numbered("xy", 40), " ")
	below := base + " ab cd ab cd"
	_, doc := run(t, st, "en", below)
	v := sig(t, doc, "gopher_repetition.top_2_gram_char_frac")
	if !near(v, 10.0/float64(len(below))) {
		t.Fatalf("top_2_gram_char_frac = %v, want %v", v, 10.0/float64(len(below)))
	}
	// Enough repeats to exceed 0.2.
	above := base + strings.Repeat(" ab cd", 14)
	if got, doc := run(t, st, "en", above); got != "top_2_gram" {
		t.Errorf("above: got %q (%v)", got, sig(t, doc, "gopher_repetition.top_2_gram_char_frac"))
	}
	if got, _ := run(t, st, "en", below); got != "" {
		t.Errorf("below: got %q", got)
	}
}

func TestGopherRepetitionDupNGramThreshold(t *testing.T) {
	st := onlyRep(func(c *GopherRepetitionConfig) { c.DupNGrams = []NFrac{{5, 0.15}} })
	sentence := strings.Join(numbered("q", 5), " ") // 5 words of 4 letters: 24 characters
	base := strings.Join(numbered("zz", 30), " ")   // 30 words of 5 letters: 179 characters
	// sentence twice: the second copy is a duplicated 5-gram, 24 of
	// 179+1+24+1+24 = 229 characters: 0.105.
	below := base + " " + sentence + " " + sentence
	if got, doc := run(t, st, "en", below); got != "" {
		t.Errorf("below: got %q (%v)", got, sig(t, doc, "gopher_repetition.dup_5_gram_char_frac"))
	} else if v := sig(t, doc, "gopher_repetition.dup_5_gram_char_frac"); !near(v, 24.0/229) {
		t.Errorf("dup_5_gram_char_frac = %v, want 24/229", v)
	}
	// Three copies: 48 of 254 characters: 0.19.
	if got, _ := run(t, st, "en", below+" "+sentence); got != "dup_5_gram" {
		t.Errorf("above: got %q", got)
	}
}

func TestGopherRepetitionDefaultsKeepProse(t *testing.T) {
	st, _ := NewGopherRepetition(DefaultGopherRepetition())
	if got, doc := run(t, st, "en", prose); got != "" {
		t.Errorf("prose dropped as %q: %v", got, doc.Signals)
	}
	spam := strings.Repeat("Buy cheap watches online now. ", 40)
	if got, _ := run(t, st, "en", spam); got == "" {
		t.Error("spam kept")
	}
}

// prose is an ordinary English web page text.
const prose = `The history of the town goes back to the twelfth century, when a small group of farmers settled on the banks of the river.
Over the following centuries the settlement grew into a busy market town, known for its wool trade and its annual autumn fair.
In 1850 the railway arrived, and with it new industries: a brewery, two textile mills and a foundry that employed several hundred workers.
Today the old town centre is a conservation area. Visitors can walk along the medieval walls, visit the museum in the former corn exchange, or take a boat trip on the river.
The local council has recently approved plans for a new library and community centre, which should open in the spring of next year.
Residents say that the character of the town has changed, but most of them welcome the investment and the jobs it brings.`

// TestParagraphsMatchText checks the paragraphs taken from the lines
// against text.AppendParagraphs on random texts.
func TestParagraphsMatchText(t *testing.T) {
	st := onlyRep(func(c *GopherRepetitionConfig) { c.DupParaFrac = 1 })
	pieces := []string{"a b", "c d", "a b", " ", "\t", "", "x"}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			b.WriteString([]string{"\n", "\r\n", "\n\n"}[rng.IntN(3)])
		}
		s := b.String()
		paras := text.AppendParagraphs(nil, s)
		seen, dups := map[string]bool{}, 0
		for _, p := range paras {
			if seen[p] {
				dups++
			}
			seen[p] = true
		}
		want := 0.0
		if len(paras) > 0 {
			want = float64(dups) / float64(len(paras))
		}
		_, doc := run(t, st, "en", s)
		if got := sig(t, doc, "gopher_repetition.dup_para_frac"); !near(got, want) {
			t.Fatalf("%q: dup_para_frac %v, want %v", s, got, want)
		}
	}
}

// TestNGramsMatchNaive compares the n-gram signals, for rules whose
// smallest n differs, with a plain computation on word strings.
func TestNGramsMatchNaive(t *testing.T) {
	var texts []string
	for _, d := range oddDocs(40, 17) {
		texts = append(texts, d.text)
	}
	texts = append(texts, webDocs(20, 17)...)
	texts = append(texts, "a a a a a a a", "x y x y x y x y z", "")
	for _, cfg := range [][2][]NFrac{
		{{{1, 1}, {2, 1}}, {{3, 1}, {5, 1}}},
		{{{3, 1}}, {{4, 1}, {6, 1}}},
		{nil, {{5, 1}, {6, 1}, {7, 1}}},
	} {
		st, err := NewGopherRepetition(GopherRepetitionConfig{TopNGrams: cfg[0], DupNGrams: cfg[1]})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range texts {
			a := newAnalysis(text.NFC(s))
			words := make([]string, a.numWords())
			for i := range words {
				words[i] = a.word(i)
			}
			gram := func(i, n int) string { return strings.Join(words[i:i+n], " ") }
			sc := getScratch()
			sig := st.measure(a, sc)
			putScratch(sc)
			for r, rule := range cfg[0] {
				count, first := map[string]int{}, map[string]int{}
				best, bestGram := 1, ""
				for i := 0; i+rule.N <= len(words); i++ {
					g := gram(i, rule.N)
					if _, ok := first[g]; !ok {
						first[g] = i
					}
					count[g]++
					if c := count[g]; c > best || c == best && first[g] < first[bestGram] {
						best, bestGram = c, g
					}
				}
				want := 0.0
				if best > 1 {
					want = ratio(best*utf8.RuneCountInString(bestGram), a.runes)
				}
				if !near(sig.Top[r], want) {
					t.Fatalf("%.40q top %d-gram: %v, want %v", s, rule.N, sig.Top[r], want)
				}
			}
			for r, rule := range cfg[1] {
				seen := map[string]bool{}
				dup := 0
				for i := 0; i+rule.N <= len(words); {
					g := gram(i, rule.N)
					if seen[g] {
						dup += utf8.RuneCountInString(g)
						i += rule.N
						continue
					}
					seen[g] = true
					i++
				}
				if want := ratio(dup, a.runes); !near(sig.Dup[r], want) {
					t.Fatalf("%.40q dup %d-gram: %v, want %v", s, rule.N, sig.Dup[r], want)
				}
			}
		}
	}
}
