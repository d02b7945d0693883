// Command calibrate builds the calibration set of the hybrid backend from
// translations that packages ship (gettext catalogues under
// /usr/share/locale and, for languages few programs are translated into,
// LibreOffice's), and evaluates decision rules on it. The set is not the
// labelled set of testdata/accuracy that the accuracy tests and
// benchmarks report on.
//
//	go run ./filters/langid/internal/calibrate -gen -out /tmp/calib.jsonl
//	go run ./filters/langid/internal/calibrate -eval /tmp/calib.jsonl -model lid.176.ftz
//
// Texts are made of a language's translated messages (format directives
// and accelerators removed, untranslated ones skipped), shuffled and
// joined into short texts (20–150 bytes), paragraphs (150–600) and
// documents (1–5 KB).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/pemistahl/lingua-go"

	"github.com/winnow-data/winnow/filters/langid"
)

// sample is one labelled text of the calibration set.
type sample struct {
	Lang string `json:"lang"`
	Kind string `json:"kind"` // short, paragraph or doc
	Text string `json:"text"`
}

func main() {
	gen := flag.Bool("gen", false, "build the set from installed translations")
	out := flag.String("out", "calib.jsonl", "with -gen: where to write the set")
	extra := flag.String("extra", "", "with -gen: more locale roots, colon-separated (e.g. an unpacked LibreOffice language pack's resource directory)")
	eval := flag.String("eval", "", "evaluate rules on this set")
	model := flag.String("model", "lid.176.ftz", "with -eval: the fastText model, run with the reference CLI (fasttext on PATH)")
	flag.Parse()
	switch {
	case *gen:
		roots := []string{"/usr/share/locale"}
		if *extra != "" {
			roots = append(roots, strings.Split(*extra, ":")...)
		}
		if err := generate(roots, *out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case *eval != "":
		if err := evaluate(*eval, *model); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
}

// localeDirs lists the locale directory names holding a language.
func localeDirs(code string) []string {
	switch code {
	case "nb":
		return []string{"nb", "nb_NO", "no"}
	case "zh":
		return []string{"zh_CN", "zh_TW", "zh_Hans", "zh_Hant"}
	case "pt":
		return []string{"pt", "pt_BR", "pt_PT"}
	case "en":
		// English is the original of every catalogue: take the
		// originals of the German ones.
		return []string{"de"}
	}
	return []string{code}
}

var (
	directive = regexp.MustCompile(`%(\d+\$)?[-+ #0']*(\d+|\*)?(\.(\d+|\*))?[hlLqjzt]*[a-zA-Z%]|\{[^}]*\}|\$\{[^}]*\}|<[^>]*>|\\[nt]|&[a-z]+;`)
	accel     = regexp.MustCompile(`[_&~](\pL)`)
	spaces    = regexp.MustCompile(`\s+`)
)

// clean turns a translated message into a sentence-like string, or ""
// when too little of it is words.
func clean(s string) string {
	s = directive.ReplaceAllString(s, " ")
	s = accel.ReplaceAllString(s, "$1")
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	words, letters, other := 0, 0, 0
	for _, w := range strings.Fields(s) {
		lw := 0
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) {
				lw++
			}
		}
		if lw >= 2 {
			words++
		}
		letters += lw
		other += len([]rune(w)) - lw
	}
	if words < 3 || letters < 3*other {
		return ""
	}
	return s
}

func generate(roots []string, out string) error {
	var all []sample
	for _, l := range lingua.AllLanguages() {
		code := langid.Code(l)
		seen := map[string]bool{}
		var msgs []string
		for _, root := range roots {
			for _, dir := range localeDirs(code) {
				files, _ := filepath.Glob(filepath.Join(root, dir, "LC_MESSAGES", "*.mo"))
				sort.Strings(files)
				for _, f := range files {
					strs, err := readMO(f, code == "en")
					if err != nil {
						continue
					}
					for _, s := range strs {
						if s = clean(s); s != "" && !seen[s] {
							seen[s] = true
							msgs = append(msgs, s)
						}
					}
				}
			}
		}
		rng := rand.New(rand.NewPCG(uint64(l), 7))
		rng.Shuffle(len(msgs), func(i, j int) { msgs[i], msgs[j] = msgs[j], msgs[i] })
		n := 0
		take := func(kind string, lo, hi, count int, sep string) {
			for range count {
				target := lo + rng.IntN(hi-lo)
				var b strings.Builder
				for n < len(msgs) && b.Len() < target {
					m := msgs[n]
					n++
					if b.Len()+len(m) > hi && b.Len() >= lo {
						break
					}
					if b.Len() > 0 {
						b.WriteString(sep)
					}
					b.WriteString(m)
				}
				if b.Len() < lo || b.Len() > hi*2 {
					return
				}
				all = append(all, sample{code, kind, b.String()})
			}
		}
		take("short", 20, 150, 20, " ")
		take("paragraph", 150, 600, 40, " ")
		take("doc", 1000, 5000, 10, "\n")
		fmt.Fprintf(os.Stderr, "%s: %d messages, %d used\n", code, len(msgs), n)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, s := range all {
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	// The same texts, one per line, for the fastText CLI.
	g, err := os.Create(strings.TrimSuffix(out, filepath.Ext(out)) + ".txt")
	if err != nil {
		return err
	}
	w = bufio.NewWriter(g)
	for _, s := range all {
		fmt.Fprintln(w, strings.ReplaceAll(s.Text, "\n", " "))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := g.Close(); err != nil {
		return err
	}
	return f.Close()
}
