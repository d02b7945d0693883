package minhash

import (
	"slices"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/filters/text"
)

// FuzzSignature: any text gives a signature exactly when its
// normalisation has a word, equal to itself, and never panics.
func FuzzSignature(f *testing.F) {
	for _, s := range []string{"", " ", "a", "the quick brown fox jumps over", "東京タワーへ行く", "ภาษาไทย สวัสดี", "\xff\xfe a b", "a\u0301 b\u0308 c d e f g"} {
		f.Add(s)
	}
	h := NewHasher(112, 5)
	a, b := make([]uint32, 112), make([]uint32, 112)
	f.Fuzz(func(t *testing.T, s string) {
		norm := text.Normalize(s)
		for _, in := range []string{s, norm} {
			if got, want := h.appendWords(nil, in), referenceWords(in); !slices.Equal(got, want) {
				t.Fatalf("word hashes of %q: %x, want %x", in, got, want)
			}
		}
		ok := h.Signature(a, norm)
		if ok != (text.CountWords(norm) > 0) {
			t.Fatalf("signature %v for %q (normalised %q)", ok, s, norm)
		}
		if ok {
			h.Signature(b, norm)
			if Similarity(a, b) != 1 {
				t.Fatalf("signature of %q is not deterministic", s)
			}
		}
	})
}

// referenceWords is what Hasher.appendWords computes, written plainly:
// the hash of every space-separated word, words with non-ASCII bytes
// split by the word scanner.
func referenceWords(s string) []uint64 {
	var out []uint64
	for _, w := range strings.Split(s, " ") {
		if text.IsASCII(w) {
			if w != "" {
				out = append(out, wordHash(w))
			}
			continue
		}
		var sc text.WordScanner
		sc.Reset(w)
		for sc.Next() {
			out = append(out, wordHash(sc.Word()))
		}
	}
	return out
}

// TestAppendWords checks the eight-bytes-at-a-time scan against
// referenceWords around its edges: words of 1 to 20 bytes, at every
// offset from the end, after repeated spaces, with non-ASCII bytes.
func TestAppendWords(t *testing.T) {
	h := NewHasher(112, 5)
	var inputs []string
	for n := 1; n <= 20; n++ {
		w := strings.Repeat("abcdefghij", 2)[:n]
		for _, s := range []string{w, w + " x", "x " + w, w + " " + w + " " + w, "  " + w + "   ", w + " é" + w, w[:n/2] + "ü" + w[n/2:] + " end"} {
			inputs = append(inputs, s)
			for pad := 1; pad < 9; pad++ {
				inputs = append(inputs, strings.Repeat("y ", pad)+s)
			}
		}
	}
	for n := 6; n <= 30; n++ {
		long := strings.Repeat("abcdefghij", 3)[:n]
		for p := 0; p <= n; p++ {
			for _, c := range []string{"ü", "東"} { // the word scanner splits at 東 only
				inputs = append(inputs, long[:p]+c+long[p:], "x "+long[:p]+c+long[p:]+" y z")
			}
		}
	}
	inputs = append(inputs, "", " ", "        ", "東京タワーへ行く ok", "привет мир 0 a")
	for _, s := range inputs {
		if got, want := h.appendWords(nil, s), referenceWords(s); !slices.Equal(got, want) {
			t.Errorf("word hashes of %q: %x, want %x", s, got, want)
		}
	}
}
