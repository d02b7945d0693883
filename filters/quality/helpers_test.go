package quality

import (
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// run passes a document with text s in language lang through st and
// returns the reason and the document.
func run(t testing.TB, st pipeline.Stage, lang, s string) (string, *pipeline.Document) {
	t.Helper()
	doc := &pipeline.Document{Text: s, Lang: lang}
	reason, err := st.Process(doc)
	if err != nil {
		t.Fatalf("%s: %v", st.Name(), err)
	}
	return reason, doc
}

// sig returns signal name of doc, failing when it is missing.
func sig(t testing.TB, doc *pipeline.Document, name string) float64 {
	t.Helper()
	v, ok := doc.Signal(name)
	if !ok {
		t.Fatalf("signal %s missing (have %v)", name, doc.Signals)
	}
	return v
}

// repeat returns n copies of s joined by sep.
func repeat(s string, n int, sep string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = s
	}
	return strings.Join(parts, sep)
}

// numbered returns n distinct words "w0 w1 …" of the form prefix+letters,
// each len(prefix)+3 characters long, no digits.
func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + string(rune('a'+i/676%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i%26))
	}
	return out
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// newAnalysisOf analyses s as the stages do.
func newAnalysisOf(s string) *analysis {
	doc := &pipeline.Document{Text: s}
	return analyse(doc)
}
