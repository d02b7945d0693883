package text

import (
	"strings"
	"testing"
)

// sampleLatin is English-like prose with the punctuation, numbers and
// occasional accents of web text.
var sampleLatin = strings.Repeat("The committee's report, published on 12 March 2024, found that 3.5% of the café owners in São Paulo didn't renew their licences; \"it's the rent,\" one said. Prices rose—again—by 1,250 reais a month.\n", 500)

var sampleMixed = strings.Repeat("Привет, мир! 東京タワーへ行く。 ภาษาไทย สวัสดี. مرحبا بالعالم. नमस्ते दुनिया। Ελληνικά κείμενα 2024.\n", 200)

func BenchmarkWords(b *testing.B) {
	for _, bc := range []struct{ name, s string }{{"latin", sampleLatin}, {"mixed", sampleMixed}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.s)))
			b.ReportAllocs()
			var sc WordScanner
			for b.Loop() {
				sc.Reset(bc.s)
				for sc.Next() {
				}
			}
		})
	}
}

func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct{ name, s string }{{"latin", sampleLatin}, {"mixed", sampleMixed}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.s)))
			b.ReportAllocs()
			buf := make([]byte, 0, len(bc.s))
			for b.Loop() {
				buf = AppendNormalized(buf[:0], bc.s)
			}
		})
	}
}

func BenchmarkNFC(b *testing.B) {
	b.SetBytes(int64(len(sampleLatin)))
	for b.Loop() {
		NFC(sampleLatin)
	}
}

func BenchmarkLinesSentences(b *testing.B) {
	b.SetBytes(int64(len(sampleLatin)))
	b.ReportAllocs()
	var lines, sents []string
	for b.Loop() {
		lines = AppendLines(lines[:0], sampleLatin)
		sents = AppendSentences(sents[:0], sampleLatin)
	}
}
