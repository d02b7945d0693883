package extract

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The evaluation follows trafilatura's: each page comes with snippets
// that must be in the extracted text ("+" lines of its .labels file) and
// snippets of boilerplate that must not (" -" lines). A kept snippet found
// is a true positive, one missing a false negative; a boilerplate snippet
// found is a false positive, one missing a true negative. Snippets and
// text are compared with white space collapsed.
//
// testdata/eval/fixtures holds small pages written for this test, with
// their labels. testdata/eval/debian holds labels for real pages of
// Debian's HTML documentation, which testdata/fetch-eval-pages.sh
// installs and copies to testdata/eval/pages (not in git); those pages
// are evaluated when present.

type labels struct {
	name       string
	page       string
	keep, drop []string
}

func readLabels(t *testing.T, path string) labels {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := labels{name: strings.TrimSuffix(filepath.Base(path), ".labels")}
	l.page = strings.TrimSuffix(path, ".labels") + ".html"
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# page: "):
			l.page = filepath.Join("testdata/eval/pages", strings.TrimPrefix(line, "# page: "))
		case strings.HasPrefix(line, "#"), strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "+ "):
			l.keep = append(l.keep, norm(line[2:]))
		case strings.HasPrefix(line, "- "):
			l.drop = append(l.drop, norm(line[2:]))
		default:
			t.Fatalf("%s:%d: a label line starts with \"+ \" or \"- \"", path, n)
		}
	}
	return l
}

func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

type score struct{ tp, fn, fp, tn int }

func (s *score) add(o score) { s.tp += o.tp; s.fn += o.fn; s.fp += o.fp; s.tn += o.tn }

func (s score) precision() float64 { return float64(s.tp) / float64(max(1, s.tp+s.fp)) }
func (s score) recall() float64    { return float64(s.tp) / float64(max(1, s.tp+s.fn)) }
func (s score) f1() float64 {
	p, r := s.precision(), s.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func (s score) String() string {
	return fmt.Sprintf("P %.3f  R %.3f  F1 %.3f  (tp %d fn %d fp %d tn %d)", s.precision(), s.recall(), s.f1(), s.tp, s.fn, s.fp, s.tn)
}

// evaluate scores the extractor on every labelled page in dir; pages
// missing on disk are skipped and counted.
func evaluate(t *testing.T, dir string) (total score, pages, missing int) {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.labels"))
	sort.Strings(paths)
	x := New(DefaultOptions())
	for _, path := range paths {
		l := readLabels(t, path)
		src, err := os.ReadFile(l.page)
		if err != nil {
			missing++
			continue
		}
		pages++
		text := norm(x.Extract(src).Text)
		var s score
		for _, k := range l.keep {
			if strings.Contains(text, k) {
				s.tp++
			} else {
				s.fn++
				t.Logf("%s: missing %q", l.name, k)
			}
		}
		for _, d := range l.drop {
			if strings.Contains(text, d) {
				s.fp++
				t.Logf("%s: boilerplate kept %q", l.name, d)
			} else {
				s.tn++
			}
		}
		t.Logf("%-28s %v", l.name, s)
		total.add(s)
	}
	return total, pages, missing
}

func TestEvaluationFixtures(t *testing.T) {
	s, pages, _ := evaluate(t, "testdata/eval/fixtures")
	t.Logf("fixtures (%d pages): %v", pages, s)
	if pages == 0 || s.f1() < 0.9 {
		t.Errorf("F1 %.3f on %d fixture pages, want >= 0.9", s.f1(), pages)
	}
}

func TestEvaluationDebian(t *testing.T) {
	var s score
	pages, missing := 0, 0
	for _, dir := range []string{"testdata/eval/debian", "testdata/eval/heldout"} {
		ds, p, m := evaluate(t, dir)
		t.Logf("%s (%d pages, %d missing): %v", dir, p, m, ds)
		s.add(ds)
		pages += p
		missing += m
	}
	if pages == 0 {
		t.Skipf("no Debian pages (%d labelled): run testdata/fetch-eval-pages.sh", missing)
	}
	t.Logf("debian (%d pages, %d missing): %v", pages, missing, s)
	if s.f1() < 0.9 {
		t.Errorf("F1 %.3f on %d Debian pages, want >= 0.9", s.f1(), pages)
	}
}
