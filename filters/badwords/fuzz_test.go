package badwords

import (
	"testing"

	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// FuzzCount: no panic, deterministic, and never more matches than bytes.
func FuzzCount(f *testing.F) {
	f.Add("en", "what an ass, 2 girls 1 cup")
	f.Add("zh", "我他妈的很好 sm嗜好")
	f.Add("ja", "これはセックスフレンドです")
	f.Add("ru", "Ну ты и блядь")
	s, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, lang, txt string) {
		d := &pipeline.Document{Lang: lang, Text: txt}
		if _, err := s.Process(d); err != nil {
			t.Fatal(err)
		}
		m, _ := matcherFor(lang)
		if m == nil {
			return
		}
		words := text.AppendWords(nil, text.NFC(txt))
		n1, _ := m.Count(words, nil)
		n2, _ := m.Count(words, nil)
		if n1 != n2 || n1 > len(txt) {
			t.Fatalf("count %d then %d for %d bytes", n1, n2, len(txt))
		}
	})
}
