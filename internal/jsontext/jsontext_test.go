package jsontext

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"q\"b\\n\nt\t\x00", `"q\"b\\n\nt\t\u0000"`},
		{"é <b>&", `"é <b>&"`},
		{"bad \xff", "\"bad \uFFFD\""},
	} {
		if got := string(AppendString(nil, tc.in)); got != tc.want {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzAppendString checks the JSON string encoder: the output is
// valid JSON decoding to the input with each invalid byte as U+FFFD.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote \" back \\ nl \n tab \t nul \x00 del \x7f", "é 😀 \u2028", "bad \xff\xfe utf8", "<html>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("AppendString(%q) = %s: %v", s, out, err)
		}
		var want []byte
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				want = append(want, "\uFFFD"...)
			} else {
				want = append(want, s[i:i+n]...)
			}
			i += n
		}
		if got != string(want) {
			t.Fatalf("AppendString(%q) decodes to %q, want %q", s, got, want)
		}
	})
}
