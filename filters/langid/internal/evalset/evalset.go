// Package evalset loads the labelled language-identification set of
// filters/langid/testdata/accuracy: one file per language (named by its
// code), paragraphs separated by blank lines, written for this project.
// It shapes them into documents of 1–5 KB, short paragraphs, and
// mixed-language documents.
package evalset

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/winnow-data/winnow/filters/text"
)

// Sample is one labelled text.
type Sample struct {
	Lang string
	Text string
}

// Set is the loaded evaluation set.
type Set struct {
	// Paragraphs holds every paragraph of every language, in file order.
	Paragraphs []Sample
	// Docs holds three documents per language: the first half of its
	// paragraphs, the second half, and all of them, padded with the
	// following paragraphs (cyclically) to at least 1, 2.5 and 4 KB. A
	// repeated paragraph adds no new n-gram, so the naive detector's cost
	// grows less than on real text of that size: speed-ups measured on
	// them are on the low side.
	Docs []Sample
	// Langs lists the language codes, sorted.
	Langs []string

	byLang map[string][]string
}

// docBytes are the sizes the three documents of a language are padded
// to, spreading them over the 1–5 KB of typical web documents.
var docBytes = [3]int{1024, 2500, 4000}

// Load reads the set from dir.
func Load(dir string) (*Set, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.txt files", dir)
	}
	sort.Strings(files)
	s := &Set{byLang: map[string][]string{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		lang := strings.TrimSuffix(filepath.Base(f), ".txt")
		paras := text.AppendParagraphs(nil, string(b))
		if len(paras) < 2 {
			return nil, fmt.Errorf("%s: want at least 2 paragraphs, have %d", f, len(paras))
		}
		s.Langs = append(s.Langs, lang)
		s.byLang[lang] = paras
		for _, p := range paras {
			s.Paragraphs = append(s.Paragraphs, Sample{lang, p})
		}
		half := len(paras) / 2
		for i, r := range [][2]int{{0, half}, {half, len(paras)}, {0, len(paras)}} {
			s.Docs = append(s.Docs, Sample{lang, doc(paras, r[0], r[1], docBytes[i])})
		}
	}
	return s, nil
}

// doc joins paras[from:to] with blank lines, continuing cyclically until
// the text has size bytes.
func doc(paras []string, from, to, size int) string {
	var b strings.Builder
	for i := from; i < to || b.Len() < size; i++ {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(paras[i%len(paras)])
		if i-from >= 8*len(paras) {
			break
		}
	}
	return b.String()
}

// Mixed returns a document in lang with every fifth line taken from
// other: its paragraphs, one per line, the other language's paragraphs
// taking the place of every fifth.
func (s *Set) Mixed(lang, other string) (doc string, otherLines []int) {
	main, second := s.byLang[lang], s.byLang[other]
	var lines []string
	mi, oi := 0, 0
	for n := 0; n < 10; n++ {
		if n%5 == 4 {
			lines = append(lines, second[oi%len(second)])
			otherLines = append(otherLines, n)
			oi++
		} else {
			lines = append(lines, main[mi%len(main)])
			mi++
		}
	}
	return strings.Join(lines, "\n"), otherLines
}

// Bytes returns the total size of the samples' texts.
func Bytes(samples []Sample) int {
	n := 0
	for _, s := range samples {
		n += len(s.Text)
	}
	return n
}
