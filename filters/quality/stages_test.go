package quality

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// stagesFor builds the five stages from the registry with their defaults.
func stagesFor(t testing.TB) []pipeline.Stage {
	t.Helper()
	var out []pipeline.Stage
	for _, name := range []string{LineRepetitionName, GopherRepetitionName, GopherQualityName, C4Name, FineWebName} {
		spec, ok := pipeline.Lookup(name)
		if !ok {
			t.Fatalf("%s not registered", name)
		}
		p, err := spec.NewParams(nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := spec.New(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, st)
	}
	return out
}

// samples are documents that fail or pass various rules.
var samples = []struct{ lang, text string }{
	{"en", prose},
	{"en", strings.Repeat("Buy cheap watches online now.\n", 30)},
	{"en", "Home\nAbout\nContact"},
	{"en", strings.Join(good, "\n") + "\nPlease enable JavaScript.\nLorem ipsum dolor sit amet, consectetur."},
	{"en", strings.Join(good, "\n") + "\n" + strings.Repeat("ERROR connection refused ", 6)},
	{"zh", strings.Repeat("这是一个很好的博物馆，门票很便宜。", 8)},
	{"de", "Der Garten und das Haus sind alt. " + strings.Repeat("Die Bäume im Garten sind hoch und grün. ", 10)},
	{"", ""},
}

// TestDeterministic checks that a document gives the same verdict,
// signals and text however often and in whichever order it is seen,
// with scratch space reused between documents.
func TestDeterministic(t *testing.T) {
	stages := stagesFor(t)
	type result struct {
		reason, text string
		signals      []pipeline.Signal
	}
	process := func(i int) result {
		doc := &pipeline.Document{Text: samples[i].text, Lang: samples[i].lang}
		for _, st := range stages {
			r, err := st.Process(doc)
			if err != nil {
				t.Fatal(err)
			}
			if r != "" {
				return result{st.Name() + "." + r, doc.Text, doc.Signals}
			}
		}
		return result{"", doc.Text, doc.Signals}
	}
	want := make([]result, len(samples))
	for i := range samples {
		want[i] = process(i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		i := rng.IntN(len(samples))
		if got := process(i); got.reason != want[i].reason || got.text != want[i].text || !slices.Equal(got.signals, want[i].signals) {
			t.Fatalf("sample %d: %+v, first %+v", i, got, want[i])
		}
	}
}

func TestRegistered(t *testing.T) {
	for name, order := range map[string]int{LineRepetitionName: 40, GopherRepetitionName: 42, GopherQualityName: 44, C4Name: 46, FineWebName: 48} {
		spec, ok := pipeline.Lookup(name)
		if !ok || spec.Order != order {
			t.Errorf("%s: registered %v, order %d, want %d", name, ok, spec.Order, order)
		}
	}
	spec, _ := pipeline.Lookup(GopherRepetitionName)
	p, err := spec.NewParams(map[string]any{"top_n_grams": "2:0.5,x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spec.New(p); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("bad top_n_grams: %v", err)
	}
}

// TestPathological runs every stage over inputs built to be slow and
// checks they finish within a bound far above linear time (quadratic
// work on these sizes would take minutes).
func TestPathological(t *testing.T) {
	emoji := strings.Repeat("😀🎉👍", 1<<20/12)
	lines := strings.Repeat("the same line again and again\n", 100_000)
	noSpace := strings.Repeat("abcdefghij", 1_000_000)
	cjk := strings.Repeat("这是一个很好的博物馆", 1<<20/30)
	stages := stagesFor(t)
	for _, tc := range []struct{ name, text string }{
		{"1 MB line of emoji", emoji},
		{"100,000 repeated lines", lines},
		{"10 MB without spaces", noSpace},
		{"1 MB of ideographs", cjk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			for _, set := range [][]pipeline.Stage{stages} {
				// One document through the stages, as in a run, so the
				// analysis is shared until a stage rewrites the text.
				doc := &pipeline.Document{Text: tc.text, Lang: "en"}
				for _, st := range set {
					r, err := st.Process(doc)
					if err != nil {
						t.Fatal(err)
					}
					if r != "" {
						break
					}
				}
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// FuzzStages feeds arbitrary text through every stage: no panic, valid
// UTF-8 in stays valid UTF-8 out, and a rewrite only removes.
func FuzzStages(f *testing.F) {
	for _, s := range samples {
		f.Add(s.lang, s.text)
	}
	f.Add("th", "ประเทศไทย\r\n\r\n[1][edit]{")
	f.Add("ja", "東京の公園…\n• a\n# b ...")
	f.Add("en", "a\xffb [citation needed]\rjavascript\n\n\n")
	f.Add("", "$ ls -la /usr/bin\n5.3. Testing...\n(see https://x.org/a?b=1).\n👍🏽 \u0301==> |")
	filter := stagesFor(f)
	f.Fuzz(func(t *testing.T, lang, s string) {
		for k := range filter {
			doc := &pipeline.Document{Text: s, Lang: lang}
			if _, err := filter[k].Process(doc); err != nil {
				t.Fatal(err)
			}
			if utf8.ValidString(s) && !utf8.ValidString(doc.Text) {
				t.Fatalf("%s made invalid UTF-8", filter[k].Name())
			}
			if got, want := analyse(doc), newAnalysis(text.NFC(doc.Text)); got.runes != want.runes ||
				!slices.Equal(got.words, want.words) || !slices.Equal(got.nfcLines(), want.nfcLines()) ||
				got.symbolTokens() != want.symbolTokens() {
				t.Fatalf("%s: analysis carried over the rewrite differs from a fresh one", filter[k].Name())
			}
			if len(doc.Text) > len(s) {
				t.Fatalf("%s grew the text: %q → %q", filter[k].Name(), s, doc.Text)
			}
			for _, sg := range doc.Signals {
				if sg.Value != sg.Value {
					t.Fatalf("%s: signal %s is NaN", filter[k].Name(), sg.Name)
				}
			}
		}
	})
}

// TestConcurrentReuse runs the stages on several goroutines at once, with
// documents reused and collections forced, as the engine runs them: the
// word slices recycled from dropped analyses must never be shared by two
// live ones, so every result equals the one computed alone.
func TestConcurrentReuse(t *testing.T) {
	var texts []string
	for _, d := range oddDocs(60, 21) {
		texts = append(texts, d.text)
	}
	texts = append(texts, webDocs(60, 21)...)
	stages := stagesFor(t)
	type result struct {
		reason, text string
		signals      []pipeline.Signal
	}
	process := func(doc *pipeline.Document, s string) result {
		doc.Reset()
		doc.Text, doc.Lang = s, "en"
		for _, st := range stages {
			r, err := st.Process(doc)
			if err != nil {
				t.Error(err)
			}
			if r != "" {
				return result{st.Name() + "." + r, doc.Text, slices.Clone(doc.Signals)}
			}
		}
		return result{"", doc.Text, slices.Clone(doc.Signals)}
	}
	want := make([]result, len(texts))
	for i, s := range texts {
		want[i] = process(&pipeline.Document{}, s)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			doc := &pipeline.Document{}
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for k := range 3 * len(texts) {
				i := rng.IntN(len(texts))
				if got := process(doc, texts[i]); got.reason != want[i].reason || got.text != want[i].text || !slices.Equal(got.signals, want[i].signals) {
					t.Errorf("text %d: %+v, alone %+v", i, got, want[i])
					return
				}
				if k%50 == 0 {
					runtime.GC()
				}
			}
		})
	}
	wg.Wait()
}
