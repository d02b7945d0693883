package tokens

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchText is the langid accuracy texts of 38 languages (multilingual
// prose, 150 KB).
func benchText(b *testing.B) string {
	files, _ := filepath.Glob("../langid/testdata/accuracy/*.txt")
	var sb strings.Builder
	for _, f := range files {
		t, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		sb.Write(t)
	}
	if sb.Len() == 0 {
		b.Fatal("no text")
	}
	return sb.String()
}

func BenchmarkCount(b *testing.B) {
	text := benchText(b)
	english, _ := os.ReadFile("../langid/testdata/accuracy/en.txt")
	for _, tc := range []struct{ name, enc, text string }{
		{"cl100k/multilingual", "cl100k_base", text},
		{"o200k/multilingual", "o200k_base", text},
		{"cl100k/english", "cl100k_base", strings.Repeat(string(english), 4)},
		{"cl100k/code", "cl100k_base", strings.Repeat("func (s *Stage) Process(doc *pipeline.Document) (string, error) {\n\tn := s.enc.Count(doc.Text) // 42\n\treturn \"\", nil\n}\n", 400)},
	} {
		e := mustBuiltin(b, tc.enc)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.text)))
			for b.Loop() {
				e.Count(tc.text)
			}
		})
	}
}
