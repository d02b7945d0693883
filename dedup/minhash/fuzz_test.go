package minhash

import (
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
