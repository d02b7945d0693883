package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"

	"github.com/winnow-data/winnow/filters/langid"
	"github.com/winnow-data/winnow/filters/text"
)

// oracle answers predictions computed beforehand by the reference CLI.
type oracle struct {
	preds  map[string][]langid.Prediction
	labels []string
}

func (o *oracle) PredictAppend(dst []langid.Prediction, s string, k int, _ float32) []langid.Prediction {
	p, ok := o.preds[oneLine.Replace(s)]
	if !ok {
		panic(fmt.Sprintf("no prediction for %.60q", s))
	}
	return append(dst, p[:min(k, len(p))]...)
}

func (o *oracle) Labels() []string { return o.labels }

// cliOracle runs `fasttext predict-prob` over texts (one line each).
func cliOracle(bin, model string, texts []string) (*oracle, error) {
	in, err := os.CreateTemp("", "calib-*.txt")
	if err != nil {
		return nil, err
	}
	defer os.Remove(in.Name())
	w := bufio.NewWriter(in)
	for _, t := range texts {
		fmt.Fprintln(w, t)
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	in.Close()
	out, err := exec.Command(bin, "predict-prob", model, in.Name(), "5").Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(texts) {
		return nil, fmt.Errorf("%d predictions for %d texts", len(lines), len(texts))
	}
	o := &oracle{preds: map[string][]langid.Prediction{}}
	for i, l := range lines {
		f := strings.Fields(l)
		var ps []langid.Prediction
		for j := 0; j+1 < len(f); j += 2 {
			p, _ := strconv.ParseFloat(f[j+1], 32)
			ps = append(ps, langid.Prediction{Label: f[j], Prob: float32(p)})
		}
		o.preds[texts[i]] = ps
	}
	dict, err := exec.Command(bin, "dump", model, "dict").Output()
	if err != nil {
		return nil, fmt.Errorf("%s dump: %w", bin, err)
	}
	for _, l := range strings.Split(string(dict), "\n") {
		if strings.HasPrefix(l, "__label__") {
			o.labels = append(o.labels, strings.Fields(l)[0])
		}
	}
	return o, nil
}

func loadSet(path string) ([]sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []sample
	dec := json.NewDecoder(f)
	for dec.More() {
		var s sample
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		s.Text = text.NFC(s.Text)
		out = append(out, s)
	}
	return out, nil
}

// prepared is the text the backends hand fastText, on one line for the
// CLI (the engine reads newlines as spaces).
func prepared(s string, window int) string {
	return oneLine.Replace(langid.FastTextInput(s, window))
}

var oneLine = strings.NewReplacer("\n", " ", "\r", " ")

func evaluate(set, model string) error {
	samples, err := loadSet(set)
	if err != nil {
		return err
	}
	var texts []string
	seen := map[string]bool{}
	for _, s := range samples {
		if p := prepared(s.Text, langid.DefaultWindow); !seen[p] {
			seen[p] = true
			texts = append(texts, p)
		}
	}
	o, err := cliOracle("fasttext", model, texts)
	if err != nil {
		return err
	}
	kinds := []string{"short", "paragraph", "doc"}

	// fastText alone, and lingua's cascade alone.
	ft, err := langid.NewFastText(o, nil, 0)
	if err != nil {
		return err
	}
	det := langid.NewDetector(langid.Options{Lazy: true})
	ling := langid.Lingua{D: det}
	linguaOK := make([]bool, len(samples))
	report := func(name string, f func(i int, s sample) langid.Ident) {
		ok, n := map[string]int{}, map[string]int{}
		by := map[langid.Source]int{}
		for i, s := range samples {
			id := f(i, s)
			n[s.Kind]++
			by[id.By]++
			if id.Code == s.Lang {
				ok[s.Kind]++
			}
		}
		fmt.Printf("%-40s", name)
		for _, k := range kinds {
			fmt.Printf(" %s %.2f%% (%d)", k, 100*float64(ok[k])/float64(n[k]), n[k])
		}
		fmt.Printf("  fasttext %d lingua %d script %d\n", by[langid.SourceFastText], by[langid.SourceLingua], by[langid.SourceScript])
	}
	report("fasttext", func(_ int, s sample) langid.Ident { return ft.Identify(s.Text) })
	report("lingua cascade", func(i int, s sample) langid.Ident {
		id := ling.Identify(s.Text)
		linguaOK[i] = id.Code == s.Lang
		return id
	})

	// Where fastText is confident and wrong: by label, and the labels it
	// gives to the languages it lacks.
	type stat struct{ ok, bad int }
	byLabel := map[string]*stat{}
	bins := map[int]*stat{}
	for _, s := range samples {
		ps := o.preds[prepared(s.Text, langid.DefaultWindow)]
		if len(ps) == 0 {
			continue
		}
		c := langid.LabelCode(ps[0].Label)
		b := int(ps[0].Prob * 20)
		if bins[b] == nil {
			bins[b] = &stat{}
		}
		if byLabel[c] == nil {
			byLabel[c] = &stat{}
		}
		if c == s.Lang {
			bins[b].ok++
		} else {
			bins[b].bad++
		}
		if ps[0].Prob >= 0.8 {
			if c == s.Lang {
				byLabel[c].ok++
			} else {
				byLabel[c].bad++
				if s.Kind != "short" {
					fmt.Printf("  confident miss: %s -> %s %.3f (%s)\n", s.Lang, c, ps[0].Prob, s.Kind)
				}
			}
		}
	}
	var labels []string
	for c, st := range byLabel {
		if st.bad > 0 {
			labels = append(labels, c)
		}
	}
	sort.Strings(labels)
	for _, c := range labels {
		fmt.Printf("label %s at p>=0.8: %d right, %d wrong\n", c, byLabel[c].ok, byLabel[c].bad)
	}
	var bs []int
	for b := range bins {
		bs = append(bs, b)
	}
	sort.Ints(bs)
	for _, b := range bs {
		fmt.Printf("fastText top prob %.2f–%.2f: precision %.3f of %d\n", float64(b)/20, float64(b+1)/20, float64(bins[b].ok)/float64(bins[b].ok+bins[b].bad), bins[b].ok+bins[b].bad)
	}

	for _, minProb := range []float64{0.5, 0.7, 0.8, 0.9, 0.95} {
		for _, minLetters := range []int{20, 40, 80} {
			h := langid.NewHybrid(det, o, langid.HybridOptions{MinProb: minProb, MinLetters: minLetters})
			report(fmt.Sprintf("hybrid p>=%.2f letters>=%d", minProb, minLetters), func(_ int, s sample) langid.Ident { return h.Identify(s.Text) })
		}
	}
	return nil
}
