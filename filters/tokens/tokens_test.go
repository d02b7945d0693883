package tokens

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func mustBuiltin(t testing.TB, name string) *Encoding {
	t.Helper()
	e, err := Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The pieces below follow from the patterns alternative by alternative
// (see pretok.go); each was also checked against js-tiktoken.
func TestPieces(t *testing.T) {
	tests := []struct {
		name    string
		pattern Pattern
		in      string
		want    []string
	}{
		{"words take the space before them", PatternCL100K, "hello big world", []string{"hello", " big", " world"}},
		{"contractions split off", PatternCL100K, "I'm we'LL they've", []string{"I", "'m", " we", "'LL", " they", "'ve"}},
		{"apostrophe not a contraction", PatternCL100K, "'x", []string{"'x"}},
		{"digits in threes", PatternCL100K, "1234567", []string{"123", "456", "7"}},
		{"space before digits stands alone", PatternCL100K, "a 12", []string{"a", " ", "12"}},
		{"punctuation run with its newline", PatternCL100K, "end.\r\nNext", []string{"end", ".\r\n", "Next"}},
		{"space then punctuation", PatternCL100K, "a !?x", []string{"a", " !?", "x"}},
		{"symbol prefix joins a word", PatternCL100K, "$hello", []string{"$hello"}},
		{"white space up to the last newline", PatternCL100K, "a  \n\n  b", []string{"a", "  \n\n", " ", " b"}},
		{"spaces before a word leave one for it", PatternCL100K, "a    b", []string{"a", "   ", " b"}},
		{"trailing spaces are one piece", PatternCL100K, "a   ", []string{"a", "   "}},
		{"one tab before a word", PatternCL100K, "a\tb", []string{"a", "\tb"}},
		{"newline never prefixes a word", PatternCL100K, "a\nb", []string{"a", "\n", "b"}},
		{"long s folds to s", PatternCL100K, "Iſ 'ſ", []string{"Iſ", " '", "ſ"}},
		{"long s after apostrophe", PatternCL100K, "x'ſ", []string{"x", "'ſ"}},
		{"CJK is letters", PatternCL100K, "東京は", []string{"東京は"}},
		{"combining mark is punctuation in cl100k", PatternCL100K, "e\u0301te", []string{"e", "\u0301te"}},
		{"emoji", PatternCL100K, "hi 👋🏽!", []string{"hi", " 👋🏽!"}},
		{"o200k: camel case splits", PatternO200K, "HelloWorld", []string{"Hello", "World"}},
		{"o200k: all caps stay whole", PatternO200K, "NASA rocks", []string{"NASA", " rocks"}},
		{"o200k: caps then word", PatternO200K, "HTTPServer", []string{"HTTPServer"}},
		{"o200k: contraction stays on the word", PatternO200K, "I'm they'LL", []string{"I'm", " they'LL"}},
		{"o200k: marks join letters", PatternO200K, "e\u0301te", []string{"e\u0301te"}},
		{"o200k: slash after punctuation", PatternO200K, "a.//b", []string{"a", ".//", "b"}},
		{"o200k: digits in threes", PatternO200K, "x 2024", []string{"x", " ", "202", "4"}},
		{"o200k: Lo runs", PatternO200K, " 東京は", []string{" 東京は"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := slices.Collect(tc.pattern.Pieces(tc.in))
			if !slices.Equal(got, tc.want) {
				t.Errorf("Pieces(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// Token ids from tiktoken's documentation and js-tiktoken.
func TestEncodeKnown(t *testing.T) {
	tests := []struct {
		enc, in string
		want    []int
	}{
		{"cl100k_base", "hello world", []int{15339, 1917}},
		{"cl100k_base", "Hello, I'm here!!  \n\n  x", []int{9906, 11, 358, 2846, 1618, 3001, 19124, 220, 865}},
		{"cl100k_base", "12345 ÄÖÜ 東京", []int{4513, 1774, 49786, 64461, 53591, 61696, 109, 47653}},
		{"o200k_base", "hello world", []int{24912, 2375}},
		{"o200k_base", "Hello, I'm here!!  \n\n  x", []int{13225, 11, 5477, 2105, 2618, 11691, 220, 1215}},
		{"cl100k_base", "<|endoftext|>", []int{27, 91, 8862, 728, 428, 91, 29}},
	}
	for _, tc := range tests {
		e := mustBuiltin(t, tc.enc)
		if got := e.Encode(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("%s Encode(%q) = %v, want %v", tc.enc, tc.in, got, tc.want)
		}
		if got := e.Count(tc.in); got != len(tc.want) {
			t.Errorf("%s Count(%q) = %d, want %d", tc.enc, tc.in, got, len(tc.want))
		}
	}
}

// The heap merge of long pieces must give exactly the rescan's tokens.
func TestMergeLargeEqualsSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabets := []string{"ab", "abc ", "aaaaab", "xyz012", "日本語", "ééàç", "!?.."}
	for _, name := range []string{"cl100k_base", "o200k_base"} {
		e := mustBuiltin(t, name)
		var m merger
		for trial := 0; trial < 400; trial++ {
			alpha := []rune(alphabets[trial%len(alphabets)])
			var b strings.Builder
			n := 2 + rng.IntN(300)
			for b.Len() < n {
				b.WriteRune(alpha[rng.IntN(len(alpha))])
			}
			piece := b.String()
			small := m.mergeSmall(e, piece)
			var smallRanges [][2]int
			for i, p := range small {
				end := len(piece)
				if i+1 < len(small) {
					end = small[i+1].start
				}
				smallRanges = append(smallRanges, [2]int{p.start, end})
			}
			var largeRanges [][2]int
			count := m.mergeLarge(e, piece, func(s, e int) { largeRanges = append(largeRanges, [2]int{s, e}) })
			if count != len(largeRanges) || !slices.Equal(smallRanges, largeRanges) {
				t.Fatalf("%s %q: heap merge %v (count %d), rescan %v", name, piece, largeRanges, count, smallRanges)
			}
		}
	}
}

// Pieces cover the text exactly; Count agrees with Encode; decoding the
// ids gives the text back.
func TestRoundTrip(t *testing.T) {
	texts := []string{"", "a", " ", "\r\n", strings.Repeat("x", 5000), strings.Repeat(" ", 3000) + "y",
		strings.Repeat("9", 1000), strings.Repeat("!@", 700), "mixed 日本語 text\twith\r\ntabs 'S and ſ",
		"\xff\xfe broken \xc3 utf8"}
	for _, name := range []string{"cl100k_base", "o200k_base"} {
		e := mustBuiltin(t, name)
		dec := make(map[uint32]string, len(e.ranks))
		for k, v := range e.ranks {
			dec[v] = k
		}
		for _, text := range texts {
			if joined := strings.Join(slices.Collect(e.pattern.Pieces(text)), ""); joined != text {
				t.Errorf("%s: pieces of %q join to %q", name, text, joined)
			}
			ids := e.Encode(text)
			if c := e.Count(text); c != len(ids) {
				t.Errorf("%s: Count(%.20q) = %d, Encode gives %d ids", name, text, c, len(ids))
			}
			var b strings.Builder
			for _, id := range ids {
				b.WriteString(dec[uint32(id)])
			}
			if b.String() != text {
				t.Errorf("%s: decode(encode(%.20q)) = %.20q", name, text, b.String())
			}
		}
	}
}

func TestReadRejects(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"no rank", "IQ==\n", "want"},
		{"bad rank", "IQ== x\n", "bad rank"},
		{"bad base64", "!!! 1\n", "bad base64"},
		{"missing bytes", "IQ== 0\n", "has no rank"},
	} {
		_, err := Read("test", strings.NewReader(tc.in), PatternCL100K)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	if _, err := Builtin("p50k"); err == nil {
		t.Error("unknown builtin accepted")
	}
}
