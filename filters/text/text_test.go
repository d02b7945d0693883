package text

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/winnow-data/winnow/pipeline"
)

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ,.; ", nil},
		{"Hello, world!", []string{"Hello", "world"}},
		{"The quick (\"brown\") fox.", []string{"The", "quick", "brown", "fox"}},
		// WB6/7: letters joined by apostrophes, periods and colons.
		{"don't l'homme l’été", []string{"don't", "l'homme", "l’été"}},
		{"e.g. S:t Göran", []string{"e.g", "S:t", "Göran"}},
		{"trailing' 'leading", []string{"trailing", "leading"}},
		// WB11/12: numbers keep their separators, WB8–10 letters+digits.
		{"3.14 1,000,000 10:30 A4 4x4", []string{"3.14", "1,000,000", "10", "30", "A4", "4x4"}},
		{"end. Next", []string{"end", "Next"}},
		// WB13a/b: connectors.
		{"snake_case _lead __ x_1", []string{"snake_case", "_lead", "x_1"}},
		// Hyphens and slashes split words (UAX #29).
		{"state-of-the-art and/or", []string{"state", "of", "the", "art", "and", "or"}},
		// Decomposed accents stay inside the word (WB4).
		{"cafe\u0301 nai\u0308ve", []string{"cafe\u0301", "nai\u0308ve"}},
		{"Привет, мир! Ελληνικά κείμενα", []string{"Привет", "мир", "Ελληνικά", "κείμενα"}},
		{"مرحبا بالعالم", []string{"مرحبا", "بالعالم"}},
		{"नमस्ते दुनिया", []string{"नमस्ते", "दुनिया"}},
		{"안녕하세요 세계", []string{"안녕하세요", "세계"}},
		// One word per ideograph and per Hiragana; Katakana runs join.
		{"我爱北京。", []string{"我", "爱", "北", "京"}},
		{"東京タワーへ行く", []string{"東", "京", "タワー", "へ", "行", "く"}},
		// Thai: one word per letter, combining vowels and tones kept.
		{"ภาษาไทย", []string{"ภ", "า", "ษ", "า", "ไ", "ท", "ย"}},
		{"น้ำ", []string{"น้", "ำ"}},
		// Emoji, symbols and invalid UTF-8 are not words.
		{"ok 👍 $5 \xff\xfebad", []string{"ok", "5", "bad"}},
		{"a\u200bb", []string{"a", "b"}},
	}
	for _, tt := range tests {
		got := AppendWords(nil, tt.in)
		if !slices.Equal(got, tt.want) {
			t.Errorf("AppendWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if n := CountWords(tt.in); n != len(tt.want) {
			t.Errorf("CountWords(%q) = %d, want %d", tt.in, n, len(tt.want))
		}
	}
}

// checkWords asserts the scanner's invariants on any input: words are
// non-empty, in order, non-overlapping, hold a letter or digit, and
// nothing that is a letter or digit is left outside a word.
func checkWords(t *testing.T, s string) {
	t.Helper()
	var sc WordScanner
	sc.Reset(s)
	covered := 0
	prev := 0
	for sc.Next() {
		a, b := sc.Span()
		if a < prev || b <= a || b > len(s) {
			t.Fatalf("%q: bad span [%d,%d) after %d", s, a, b, prev)
		}
		gap := s[prev:a]
		for _, r := range gap {
			if r != utf8.RuneError && (unicode.IsLetter(r) || unicode.Is(unicode.Nd, r)) && classOf(r) != clsOther {
				t.Fatalf("%q: letter %q left between words in %q", s, r, gap)
			}
		}
		if !strings.ContainsFunc(s[a:b], func(r rune) bool {
			switch classOf(r) {
			case clsLetter, clsNumeric, clsKatakana, clsIdeo, clsComplex:
				return true
			}
			return false
		}) {
			t.Fatalf("%q: word %q has no letter, digit or ideograph", s, s[a:b])
		}
		covered += b - a
		prev = b
	}
	if covered > len(s) {
		t.Fatalf("%q: words cover %d bytes", s, covered)
	}
}

func TestWordsProperties(t *testing.T) {
	for _, s := range []string{
		sampleLatin[:2000], sampleMixed, "a'b'c", "1.2.3.", "__a__", "x\u0301\u0301", "'", "日本語のテキスト、ですね",
	} {
		checkWords(t, s)
	}
}

func FuzzWords(f *testing.F) {
	for _, s := range []string{"Hello, world", "don't 3.14", "東京タワー", "ภาษาไทย", "_a_", "\xff", "a\u0301'b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkWords(t, s)
		if n := CountWords(s); n != len(AppendWords(nil, s)) {
			t.Fatalf("CountWords and AppendWords disagree on %q", s)
		}
	})
}

func TestLines(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"one", []string{"one"}},
		{"one\n", []string{"one"}},
		{"one\ntwo", []string{"one", "two"}},
		{"one\r\ntwo\rthree\n\nfive", []string{"one", "two", "three", "", "five"}},
		{"\n\n", []string{"", ""}},
	}
	for _, tt := range tests {
		if got := AppendLines(nil, tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("AppendLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParagraphs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  \n\t\n", nil},
		{"one line", []string{"one line"}},
		{"a\nb\n\nc\n \n\n d\r\ne\n", []string{"a\nb", "c", " d\r\ne"}},
		{"\u00a0\nx", []string{"x"}},
	}
	for _, tt := range tests {
		if got := AppendParagraphs(nil, tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("AppendParagraphs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSentences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"No terminator", []string{"No terminator"}},
		{"One. Two! Three? Four", []string{"One.", "Two!", "Three?", "Four"}},
		{"Pi is 3.14 exactly. Yes.", []string{"Pi is 3.14 exactly.", "Yes."}},
		{`He said "stop!" Then left...  Gone`, []string{`He said "stop!"`, "Then left...", "Gone"}},
		{"Heading\n\nBody text here.", []string{"Heading", "Body text here."}},
		{"line one\nline two.", []string{"line one\nline two."}},
		{"我来了。你好！好吗？", []string{"我来了。", "你好！", "好吗？"}},
		{"क्या हाल है। ठीक है।", []string{"क्या हाल है।", "ठीक है।"}},
		{"هل أنت بخير؟ نعم", []string{"هل أنت بخير؟", "نعم"}},
	}
	for _, tt := range tests {
		if got := AppendSentences(nil, tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("AppendSentences(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSentences(f *testing.F) {
	for _, s := range []string{"One. Two!", "我来了。你好", "a\n\nb", "\xff.\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendSentences(nil, s)
		// Sentences are trimmed, non-empty and appear in order.
		pos := 0
		for _, g := range got {
			if g == "" || strings.TrimSpace(g) != g {
				t.Fatalf("%q: untrimmed or empty sentence %q", s, g)
			}
			i := strings.Index(s[pos:], g)
			if i < 0 {
				t.Fatalf("%q: sentence %q not found in order", s, g)
			}
			pos += i + len(g)
		}
		for _, p := range AppendParagraphs(nil, s) {
			if IsBlank(p) {
				t.Fatalf("%q: blank paragraph", s)
			}
		}
	})
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"  Hello,   World!  ", "hello world"},
		{"Call 555-1234 now", "call 0 0 now"},
		{"v2.0 (2024)", "v0 0 0"},
		{"Café naïve CAFÉ", "cafe naive cafe"},
		{"cafe\u0301", "cafe"},
		{"Straße ÆØÅ", "straße æøa"},
		{"İstanbul", "istanbul"},
		{"Привет, МИР!", "привет мир"},
		{"Ελληνικά", "ελληνικα"},
		{"٣٤٥ رقم", "0 رقم"},
		{"东京\t\n大学", "东京 大学"},
		{"tab\there\u00a0nbsp\u2003em", "tab here nbsp em"},
		{"emoji 👍 ok", "emoji ok"},
		{"bad\xffutf8", "bad utf0"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := string(AppendNormalized([]byte("x:"), " A ")); got != "x:a" {
		t.Errorf("AppendNormalized onto a prefix = %q, want %q", got, "x:a")
	}
}

// referenceNormalized is the definition AppendNormalized implements,
// written plainly: each code point is decomposed by the norm package (NFD
// of the code point alone; the order of the marks it drops does not
// matter), then classified by the unicode package's tables.
func referenceNormalized(s string) string {
	var out []string // tokens
	var tok []rune
	inDigits := false
	flush := func() {
		if len(tok) > 0 {
			out = append(out, string(tok))
			tok = tok[:0]
		}
		inDigits = false
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError && n <= 1 {
			flush()
			continue
		}
		for _, d := range norm.NFD.String(string(r)) {
			switch {
			case unicode.In(d, unicode.Mn, unicode.Me), d == '\u200C', d == '\u200D':
			case unicode.IsDigit(d):
				if !inDigits {
					tok = append(tok, '0')
					inDigits = true
				}
			case unicode.IsLetter(d), unicode.In(d, unicode.Mc, unicode.Nl, unicode.No):
				tok = append(tok, unicode.ToLower(d))
				inDigits = false
			default:
				flush()
			}
		}
	}
	flush()
	return strings.Join(out, " ")
}

// TestNormalizeEveryCodePoint checks the lookup tables against the
// definition for every BMP code point and a sample of the others, alone
// and between letters, digits and spaces.
func TestNormalizeEveryCodePoint(t *testing.T) {
	bad := 0
	check := func(r rune) {
		c := string(r)
		for _, s := range []string{c, "a" + c + "b", "1" + c + "2", " " + c + " ", c + c, "x" + c + "1"} {
			if got, want := Normalize(s), referenceNormalized(s); got != want {
				if bad++; bad <= 20 {
					t.Errorf("Normalize(%q) = %q, want %q (U+%04X)", s, got, want, r)
				}
			}
		}
	}
	for r := rune(0); r < 0x10000; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		check(r)
	}
	for r := rune(0x10000); r <= unicode.MaxRune; r += 97 {
		check(r)
	}
	for _, r := range []rune{0x1D7CE, 0x1F44D, 0x20000, 0x1D15E, 0x1F100, 0xE0001} {
		check(r)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Hello, World", "Café 123", "\xff\xfe", "한국어", "e\u0301\u0327"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Normalize(s)
		if want := referenceNormalized(s); got != want {
			t.Fatalf("Normalize(%q) = %q, want %q", s, got, want)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, got)
		}
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("Normalize(%q) = %q: white space not collapsed", s, got)
		}
		if again := Normalize(got); again != got {
			t.Fatalf("Normalize is not idempotent: %q -> %q -> %q", s, got, again)
		}
	})
}

func TestNFC(t *testing.T) {
	if got := NFC("cafe\u0301"); got != "café" {
		t.Errorf("NFC = %q", got)
	}
	s := "already NFC é"
	if got := NFC(s); got != s {
		t.Errorf("NFC changed %q", s)
	}
}

func TestDocViews(t *testing.T) {
	doc := &pipeline.Document{Text: "Cafe\u0301 one.\nSecond line!\n\nNew para 42."}
	if got := DocNFC(doc); got != "Café one.\nSecond line!\n\nNew para 42." {
		t.Errorf("DocNFC = %q", got)
	}
	if got := DocWords(doc); !slices.Equal(got, []string{"Café", "one", "Second", "line", "New", "para", "42"}) {
		t.Errorf("DocWords = %q", got)
	}
	if got := DocLines(doc); !slices.Equal(got, []string{"Cafe\u0301 one.", "Second line!", "", "New para 42."}) {
		t.Errorf("DocLines = %q", got)
	}
	if got := DocParagraphs(doc); len(got) != 2 {
		t.Errorf("DocParagraphs = %q", got)
	}
	if got := DocSentences(doc); !slices.Equal(got, []string{"Café one.", "Second line!", "New para 42."}) {
		t.Errorf("DocSentences = %q", got)
	}
	if got := DocNormalized(doc); got != "cafe one second line new para 0" {
		t.Errorf("DocNormalized = %q", got)
	}
	// Memoised: the same slice comes back; SetText forgets it.
	w1 := DocWords(doc)
	if w2 := DocWords(doc); &w1[0] != &w2[0] {
		t.Error("DocWords recomputed instead of memoised")
	}
	doc.SetText("other text")
	if got := DocWords(doc); !slices.Equal(got, []string{"other", "text"}) {
		t.Errorf("after SetText DocWords = %q", got)
	}
}

func ExampleAppendWords() {
	fmt.Printf("%q\n", AppendWords(nil, "Don't panic: 42 東京タワー!"))
	// Output: ["Don't" "panic" "42" "東" "京" "タワー"]
}

func ExampleNormalize() {
	fmt.Println(Normalize("  Crème Brûlée — 2 for $9.99!  "))
	// Output: creme brulee 0 for 0 0
}

func ExampleDocWords() {
	doc := &pipeline.Document{Text: "Cafe\u0301 au lait, s'il vous plaît."}
	fmt.Println(len(DocWords(doc)), DocWords(doc)[0])
	// Output: 6 Café
}

func TestIsASCII(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"", true},
		{"abc", true},
		{"exactly8", true},
		{"sixteen bytes ok", true},
		{"sixteen bytes o\x80", false},
		{"\xffabcdefgh", false},
		{"abcdefgh\u00e9", false},
		{"caf\u00e9", false},
		{"\x7f\x00\x01 control bytes are ASCII", true},
	} {
		if got := IsASCII(tc.s); got != tc.want {
			t.Errorf("IsASCII(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// TestNonAlnum checks the eight-byte letter-and-digit test against the
// byte table for every byte value in every position.
func TestNonAlnum(t *testing.T) {
	for c := range 256 {
		for p := range 8 {
			x := uint64(0x6161616161616161) &^ (0xFF << (8 * p)) // "aaaaaaaa" with byte p cleared
			x |= uint64(c) << (8 * p)
			want := uint64(0)
			if byteKind[c] != kAlnum {
				want = 0x80 << (8 * p)
			}
			if got := nonAlnum(x); got != want {
				t.Fatalf("byte %#x at %d: %#x, want %#x", c, p, got, want)
			}
		}
	}
}

// TestNormalizeBrokenUTF8 compares the normalisation's inline decoding
// with the definition on invalid and truncated sequences after a letter.
func TestNormalizeBrokenUTF8(t *testing.T) {
	for c0 := 0x80; c0 < 0x100; c0++ {
		for c1 := 0; c1 < 0x100; c1++ {
			for _, s := range []string{
				string([]byte{'a', byte(c0)}),
				string([]byte{'a', byte(c0), byte(c1)}),
				string([]byte{'a', byte(c0), byte(c1), 0x80}),
				string([]byte{'a', byte(c0), byte(c1), 0xBF, 'b'}),
				string([]byte{'a', byte(c0), byte(c1), 'b'}),
			} {
				if got, want := Normalize(s), referenceNormalized(s); got != want {
					t.Fatalf("Normalize(%q) = %q, want %q", s, got, want)
				}
			}
		}
	}
}

// TestScannerNext compares the scanner's inline decoding and lookup with
// decoding by the utf8 package and classOf, on every BMP code point and
// on invalid and truncated sequences.
func TestScannerNext(t *testing.T) {
	check := func(s string) {
		var sc WordScanner
		sc.Reset(s)
		c, n := sc.next(0)
		wr, wn := utf8.DecodeRuneInString(s)
		want := uint8(clsOther)
		if wr != utf8.RuneError || wn > 1 {
			want = classifySlow(wr)
		}
		if c != want || n != wn {
			t.Fatalf("next(%q) = class %d, %d bytes; want class %d, %d bytes", s, c, n, want, wn)
		}
	}
	for r := rune(0x80); r < 0x10000; r++ {
		if utf8.ValidRune(r) {
			check(string(r) + "a")
			check(string(r))
		}
	}
	for c0 := 0x80; c0 < 0x100; c0++ {
		for c1 := 0; c1 < 0x100; c1++ {
			check(string([]byte{byte(c0)}))
			check(string([]byte{byte(c0), byte(c1)}))
			for _, c2 := range []byte{0x00, 0x41, 0x80, 0xBF, 0xC0, 0xFF} {
				check(string([]byte{byte(c0), byte(c1), c2}))
			}
		}
	}
}
