package quality

import (
	"bytes"
	"slices"
	"testing"

	"github.com/winnow-data/winnow/filters/text"
)

// FuzzAnalysis checks, on arbitrary text, that what the analysis counts
// while segmenting equals what a pass of its own finds: the lines (as
// nfcLines splits them), the word statistics for a language, and the
// phrases (as searches of the lower-cased text find them).
func FuzzAnalysis(f *testing.F) {
	for _, s := range samples {
		f.Add(s.lang, s.text)
	}
	f.Add("en", "Lorem IPSUM\nterms of use\r\nPrivacy policy. cookies javascript")
	f.Add("de", "Für die Straße\n\n  \nund DAS\xff")
	f.Add("tr", "İSTANBUL ve bir\u0301 x_y 3.14 don't")
	f.Fuzz(func(t *testing.T, lang, s string) {
		nfc := text.NFC(s)
		set := stopWordsFor(lang)
		a := newAnalysisFor(nfc, set)
		got := a.nfcLines()
		b := newAnalysis(nfc)
		b.lines, b.linesOnce = nil, false
		if want := b.nfcLines(); !slices.Equal(got, want) {
			t.Fatalf("lines %+v, want %+v", got, want)
		}
		fused := a.stats
		pass := b.wordStats(set, nil)
		fused.stop, pass.stop = nil, nil
		if fused != pass {
			t.Fatalf("fused %+v, pass %+v", fused, pass)
		}
		low := lowerASCII([]byte(nfc))
		js := bytes.Contains(low, []byte("javascript"))
		lorem := bytes.Contains(low, []byte("lorem ipsum"))
		policy := bytes.Contains(low, []byte("cookie")) || bytes.Contains(low, []byte("privacy policy")) || bytes.Contains(low, []byte("terms of use"))
		if pass.js != js || pass.lorem != lorem || pass.policy != policy {
			t.Fatalf("phrases %v %v %v, want %v %v %v", pass.js, pass.lorem, pass.policy, js, lorem, policy)
		}
		if a.ascii && a.runes != len(nfc) || !a.ascii && a.runes != runeCount(nfc) {
			t.Fatalf("runes %d", a.runes)
		}
	})
}
