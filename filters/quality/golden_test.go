package quality

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	pq "github.com/parquet-go/parquet-go"

	"github.com/winnow-data/winnow/pipeline"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden.txt from the current stages")

// goldenDoc is one input of the golden test.
type goldenDoc struct{ name, lang, text string }

// TestGolden runs the stages — each alone, the four families in sequence on one document (sharing the analysis, as the
// engine runs them) and all five in sequence — over the benchmark corpus,
// a corpus of web-like text with every odd thing the rules look at, the
// repository's sample data and the fuzz seed corpus, and compares a
// digest of every reason, signal (bit for bit) and rewritten text with
// testdata/golden.txt. It guards rewrites made for speed: the outputs
// must not change. Run with -update to record a deliberate change.
func TestGolden(t *testing.T) {
	docs := goldenCorpus(t)
	filter := stagesFor(t)
	// stagesFor's order: line_repetition, gopher_repetition,
	// gopher_quality, c4, fineweb.
	var runs [][]pipeline.Stage
	for k := range filter {
		runs = append(runs, filter[k:k+1])
	}
	runs = append(runs, filter[1:], filter)

	var got bytes.Buffer
	for _, d := range docs {
		h := sha256.New()
		for _, run := range runs {
			doc := &pipeline.Document{Text: d.text, Lang: d.lang}
			reason := ""
			for _, st := range run {
				r, err := st.Process(doc)
				if err != nil {
					t.Fatalf("%s: %s: %v", d.name, st.Name(), err)
				}
				if r != "" {
					reason = st.Name() + "." + r
					break
				}
			}
			fmt.Fprintf(h, "%q %q %d\n", reason, doc.Text, len(doc.Signals))
			for _, s := range doc.Signals {
				var b [8]byte
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(s.Value))
				fmt.Fprintf(h, "%s=%x\n", s.Name, b)
			}
		}
		in := sha256.Sum256([]byte(d.lang + "\x00" + d.text))
		fmt.Fprintf(&got, "%s %s %s\n", d.name, hex.EncodeToString(in[:6]), hex.EncodeToString(h.Sum(nil)[:12]))
	}

	path := filepath.Join("testdata", "golden.txt")
	if *updateGolden {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	// name → input digest, output digest.
	want := map[string][2]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			want[f[0]] = [2]string{f[1], f[2]}
		}
	}
	bad, changed := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(got.String()), "\n") {
		f := strings.Fields(line)
		w, ok := want[f[0]]
		if !ok || w[0] != f[1] {
			// The input itself changed (sample data regenerated): its
			// golden value says nothing about the stages.
			changed++
			continue
		}
		if w[1] != f[2] {
			if bad++; bad <= 10 {
				t.Errorf("%s: outputs differ from %s", f[0], path)
			}
		}
	}
	if bad > 10 {
		t.Errorf("%d documents differ in all", bad)
	}
	if changed > 0 {
		t.Logf("%d inputs are not in %s (run with -update after checking the outputs)", changed, path)
	}
	if changed > len(docs)/2 {
		t.Errorf("most inputs changed: %d of %d", changed, len(docs))
	}
}

// goldenCorpus gathers the golden test's documents in a fixed order.
func goldenCorpus(t *testing.T) []goldenDoc {
	var docs []goldenDoc
	for i, s := range webDocs(150, 1) {
		docs = append(docs, goldenDoc{fmt.Sprintf("web#%d", i), "en", s})
	}
	for i, d := range oddDocs(250, 3) {
		d.name = fmt.Sprintf("odd#%d", i)
		docs = append(docs, d)
	}
	for i, s := range samples {
		docs = append(docs, goldenDoc{fmt.Sprintf("samples#%d", i), s.lang, s.text})
	}

	root := filepath.Join("..", "..", "testdata")
	files, _ := filepath.Glob(filepath.Join(root, "sample", "*.*"))
	pages, _ := filepath.Glob(filepath.Join(root, "sample", "pages", "*.txt"))
	sft, _ := filepath.Glob(filepath.Join(root, "sft", "*"))
	files = append(append(files, pages...), sft...)
	slices.Sort(files)
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		for i, s := range sampleTexts(t, f) {
			docs = append(docs, goldenDoc{fmt.Sprintf("%s#%d", rel, i), "", s})
		}
	}

	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzStages", "*"))
	slices.Sort(seeds)
	for _, f := range seeds {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// go test fuzz v1, then string("lang") and string("text").
		var vals []string
		for _, line := range strings.Split(string(b), "\n")[1:] {
			if q, ok := strings.CutPrefix(line, "string("); ok {
				if v, err := strconv.Unquote(strings.TrimSuffix(q, ")")); err == nil {
					vals = append(vals, v)
				}
			}
		}
		if len(vals) == 2 {
			docs = append(docs, goldenDoc{"fuzz/" + filepath.Base(f), vals[0], vals[1]})
		}
	}
	return docs
}

// sampleTexts returns the texts of a sample file: the "text", "instruction"
// and "response" strings of JSON lines (plain, gzip or zstd), the text
// column of Parquet, a whole .txt file.
func sampleTexts(t *testing.T, path string) []string {
	t.Helper()
	switch {
	case strings.HasSuffix(path, ".txt"):
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return []string{string(b)}
	case strings.HasSuffix(path, ".parquet"):
		rows, err := pq.ReadFile[any](path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var out []string
		for _, r := range rows {
			if m, ok := r.(map[string]any); ok {
				if s, ok := m["text"].(string); ok {
					out = append(out, s)
				}
			}
		}
		return out
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	switch {
	case strings.HasSuffix(path, ".gz"):
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = zr
	case strings.HasSuffix(path, ".zst"):
		zr, err := zstd.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer zr.Close()
		r = zr
	}
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		for _, k := range []string{"text", "instruction", "response"} {
			if s, ok := rec[k].(string); ok {
				out = append(out, s)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// oddDocs returns n web-like documents salted with what the rules look
// for and what takes the slow paths: non-ASCII and decomposed letters,
// ideographs, CRLF and lone CR breaks, invalid UTF-8, citation markers,
// braces, javascript, cookie phrases, lorem ipsum, bullets, hashes,
// ellipses, long words, repeated lines, paragraphs and n-grams, short
// lines and blank lines holding spaces; in several languages.
func oddDocs(n int, seed uint64) []goldenDoc {
	rng := rand.New(rand.NewPCG(seed, 11))
	base := webDocs(n, seed)
	salts := []string{
		"café", "naïve", "Ölçü", "e\u0301te\u0301", "Straße", "ΑΘΗΝΑ", "Москва", "東京の公園", "这是一个很好的博物馆。",
		"…", "...", "[1]", "[edit]", "[citation needed]", "[x]", "{", "}", "javascript", "JavaScript",
		"cookie policy", "Privacy Policy", "terms of use", "uses cookies", "lorem ipsum", "Lorem Ipsum",
		"#", "##tag", "\xff", "\xe2\x80", "don't", "3.14", "snake_case", "__", "U.S.A.", "a.b", "x:y",
		"!", "?", "!?", "\"", "'", ")", "»", "。", "।", "😀", "\u200d", "\u00a0", "\t",
		strings.Repeat("abcdefghij", 110), "ＡＢＣ", "한국어 문장입니다",
	}
	bullets := []string{"- ", "* ", "• ", "● ", "  - "}
	langs := []string{"en", "en", "en", "", "de", "fr", "zh", "ja", "ko", "th", "xx"}
	out := make([]goldenDoc, n)
	for d := range out {
		lines := strings.Split(base[d], "\n")
		var b strings.Builder
		for i, l := range lines {
			words := strings.Split(l, " ")
			for k := rng.IntN(4); k > 0 && len(l) > 0; k-- {
				p := rng.IntN(len(words))
				words[p] = salts[rng.IntN(len(salts))]
			}
			l = strings.Join(words, " ")
			switch rng.IntN(14) {
			case 0:
				l = bullets[rng.IntN(len(bullets))] + l
			case 1:
				l += "..."
			case 2:
				l = "Menu"
			case 3:
				l = "   "
			case 4:
				if i > 0 {
					l = lines[rng.IntN(i)] // a repeated line
				}
			case 5:
				l += " " + l // a repeated n-gram run
			}
			b.WriteString(l)
			switch rng.IntN(20) {
			case 0:
				b.WriteString("\r\n")
			case 1:
				b.WriteString("\r")
			default:
				b.WriteString("\n")
			}
		}
		if rng.IntN(5) == 0 {
			b.WriteString(b.String()) // a repeated document half
		}
		out[d] = goldenDoc{lang: langs[rng.IntN(len(langs))], text: b.String()}
	}
	return out
}
