package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/filters/tokens"
)

// The tokens stage writes each kept document's count, and stats.json sums
// them, in total and per language.
func TestTokensCounted(t *testing.T) {
	enc, err := tokens.Builtin("cl100k_base")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	docs := []struct{ lang, text string }{
		{"en", "Hello, I'm here!"},
		{"en", "The quick brown fox jumps over the lazy dog."},
		{"de", "Der schnelle braune Fuchs springt über den faulen Hund."},
		{"ja", "東京は日本の首都です。"},
	}
	want := map[string]int64{}
	var total int64
	var b strings.Builder
	for i, d := range docs {
		n := int64(enc.Count(d.text))
		want[d.lang] += n
		total += n
		fmt.Fprintf(&b, "{\"id\":\"d%d\",\"lang\":%q,\"text\":%q}\n", i, d.lang, d.text)
	}
	in := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if code, _, stderr := winnowCLI(t, "run", in, "-o", out, "--only", "tokens"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	s := readStats(t, filepath.Join(out, "stats.json"))
	if s.TokensOut != total {
		t.Errorf("tokens_out %d, want %d", s.TokensOut, total)
	}
	for lang, n := range want {
		if s.TokensByLang[lang] != n {
			t.Errorf("tokens_by_language[%s] = %d, want %d (all: %v)", lang, s.TokensByLang[lang], n, s.TokensByLang)
		}
	}
}
