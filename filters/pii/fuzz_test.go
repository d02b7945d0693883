package pii

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFind: matches are in order, inside the text, non-overlapping and on
// rune boundaries; redaction of valid UTF-8 stays valid.
func FuzzFind(f *testing.F) {
	for _, s := range []string{
		"mail a@example.com, call +44 20 7946 0958, card 4111 1111 1111 1111",
		"8.8.8.8 2606:4700:4700::1111 ::ffff:8.8.8.8 192.168.0.1",
		"(415) 555-2671 030 12345678 06 12 34 56 78 01.02.2023",
		"müller@beispiel.de 联系：service@example.cn。",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms := Find(nil, s, Options{})
		end := 0
		for _, m := range ms {
			if m.Start < end || m.End <= m.Start || m.End > len(s) {
				t.Fatalf("bad match %+v after %d in %q", m, end, s)
			}
			end = m.End
		}
		r := Redact(s, ms)
		if utf8.ValidString(s) && !utf8.ValidString(r) {
			t.Fatalf("invalid UTF-8 out of %q: %q", s, r)
		}
		if len(ms) == 0 && r != s {
			t.Fatal("text changed without a match")
		}
		if again := Redact(s, Find(nil, s, Options{})); again != r {
			t.Fatal("not deterministic")
		}
		_ = strings.Count(r, "<")
	})
}
