package tokens

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// referenceDir is a directory holding node_modules/js-tiktoken (the
// reference the counts are compared with); .ci/run installs it from npm and
// sets WINNOW_JS_TIKTOKEN.
func referenceDir(t *testing.T) string {
	dir := os.Getenv("WINNOW_JS_TIKTOKEN")
	if dir == "" {
		t.Skip("WINNOW_JS_TIKTOKEN is not set: no js-tiktoken to compare with (.ci/run installs it from npm)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "js-tiktoken")); err != nil {
		t.Skipf("no js-tiktoken under %s: %v", dir, err)
	}
	return dir
}

const referenceScript = `
import { getEncoding } from 'js-tiktoken';
import fs from 'node:fs';
const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = {};
for (const name of ['cl100k_base', 'o200k_base']) {
  const enc = getEncoding(name);
  out[name] = texts.map((t) => enc.encode(t, [], []));
}
process.stdout.write(JSON.stringify(out));
`

// referenceCorpus is multilingual prose (the langid accuracy texts and the
// sample data), code, CRLF text, emoji, long digit and letter runs, and
// random strings over character pools that exercise every alternative of
// both patterns. Two characters are left out on purpose: JavaScript's \s
// lacks U+0085 and has U+FEFF, the opposite of Unicode's White_Space that
// tiktoken (Rust) uses and winnow follows; and JavaScript's case folding
// lacks ſ ~ s (TestPieces covers both the tiktoken way).
func referenceCorpus(t *testing.T) []string {
	var texts []string
	files, _ := filepath.Glob("../langid/testdata/accuracy/*.txt")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, para := range strings.Split(string(b), "\n\n") {
			if len(texts) < 4000 {
				texts = append(texts, para)
			}
		}
	}
	if len(files) < 30 {
		t.Fatalf("found %d langid texts, want the 38 of filters/langid/testdata/accuracy", len(files))
	}
	texts = append(texts,
		"func main() {\r\n\tfmt.Println(\"héllo\")  // comment\r\n}\r\n",
		"if (x != y) { return a[i]->b; }\n\n\n    indented\tcode\n",
		"Emoji: 👋🏽 👨‍👩‍👧‍👦 🇩🇪 ❤️‍🔥 and text",
		"Phone +49 30 1234567890123456789 and pi 3.14159265358979323846264338327950288",
		strings.Repeat("1234567890", 50),
		strings.Repeat("abcdefghij", 60),
		strings.Repeat("Ab", 200)+" "+strings.Repeat("日本", 100),
		"HTTPServer XMLHttpRequest iPhone McDonald's DON'T I'LL we've",
		"  leading and trailing  \n  \r\n\r\n  ",
		"<|endoftext|> <|fim_prefix|> special tokens are text",
		"https://example.com/a/b?c=d&e=f#g ../../etc/passwd C:\\Windows\\",
	)
	pools := []string{
		"abcXYZ", "0123456789", " \t", "\r\n", ".,;:!?'\"()[]{}/\\-_",
		"éèçÀÖßñ", "\u0301\u0308\u0327", "日本語中文한국어", "абвГДЕ", "عربي", "हिन्दी", "ภาษาไทย",
		"😀👋🏽\u200d", "ǅᾈ", "ʰʲˀ", "²³¼Ⅻ", "\u00a0\u2003\u3000",
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 3000; i++ {
		var b strings.Builder
		n := 1 + rng.IntN(60)
		for k := 0; k < n; k++ {
			pool := []rune(pools[rng.IntN(len(pools))])
			for m := 1 + rng.IntN(4); m > 0; m-- {
				b.WriteRune(pool[rng.IntN(len(pool))])
			}
			if rng.IntN(5) == 0 {
				b.WriteString([]string{"'s", "'T", "'re", "'VE", "'ll", "'d", "'m", " "}[rng.IntN(8)])
			}
		}
		texts = append(texts, b.String())
	}
	return texts
}

// TestMatchesReference compares every token id with js-tiktoken on the
// reference corpus, for both built-in encodings.
func TestMatchesReference(t *testing.T) {
	dir := referenceDir(t)
	texts := referenceCorpus(t)
	in, err := json.Marshal(texts)
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "winnow-tokens-ref.mjs")
	if err := os.WriteFile(script, []byte(referenceScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", script)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var ref map[string][][]int
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cl100k_base", "o200k_base"} {
		e := mustBuiltin(t, name)
		tokens, bad := 0, 0
		for i, text := range texts {
			want := ref[name][i]
			tokens += len(want)
			if got := e.Encode(text); !slices.Equal(got, want) {
				if bad++; bad <= 5 {
					t.Errorf("%s %q:\n got  %v\n want %v\n pieces %q", name, text, got, want, slices.Collect(e.pattern.Pieces(text)))
				}
			}
			if c := e.Count(text); c != len(want) {
				t.Errorf("%s Count(%.30q) = %d, want %d", name, text, c, len(want))
			}
		}
		t.Logf("%s: %d texts, %d tokens, %d differ", name, len(texts), tokens, bad)
	}
}
