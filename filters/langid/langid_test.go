package langid

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pemistahl/lingua-go"

	"github.com/winnow-data/winnow/filters/langid/internal/evalset"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// The detector and the labelled set are shared by all tests: models
// load once per test binary.
var (
	sharedOnce sync.Once
	sharedDet  *Detector
	sharedSet  *evalset.Set
	sharedErr  error
)

// raceLangs are the candidates under the race detector: close pairs and
// a few scripts. The full set runs in the ordinary (non-race) test run,
// which CI runs too; the race run checks concurrency, not accuracy.
var raceLangs = []string{"en", "de", "es", "pt", "da", "nb", "hr", "sl", "cs", "sk", "ru", "uk", "el", "ja", "zh", "ko"}

func shared(t testing.TB) (*Detector, *evalset.Set) {
	t.Helper()
	sharedOnce.Do(func() {
		sharedSet, sharedErr = evalset.Load("testdata/accuracy")
		if sharedErr != nil {
			return
		}
		if !raceMode {
			sharedDet = NewDetector(Options{Lazy: true})
			return
		}
		langs, err := ParseLanguages(raceLangs)
		if err != nil {
			sharedErr = err
			return
		}
		sharedDet = NewDetector(Options{Lazy: true, Languages: langs})
		keep := func(s []evalset.Sample) []evalset.Sample {
			var out []evalset.Sample
			for _, x := range s {
				if slices.Contains(raceLangs, x.Lang) {
					out = append(out, x)
				}
			}
			return out
		}
		sharedSet.Docs, sharedSet.Paragraphs, sharedSet.Langs = keep(sharedSet.Docs), keep(sharedSet.Paragraphs), raceLangs
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedDet, sharedSet
}

// sharedResults detects every document and paragraph of the shared set
// once for the tests that look at them.
var (
	resultsOnce           sync.Once
	docResults, parResult []Result
)

func sharedResults(t testing.TB) (docs, paras []Result) {
	d, es := shared(t)
	resultsOnce.Do(func() {
		for _, s := range es.Docs {
			docResults = append(docResults, d.Detect(text.NFC(s.Text)))
		}
		for _, s := range es.Paragraphs {
			parResult = append(parResult, d.Detect(text.NFC(s.Text)))
		}
	})
	return docResults, parResult
}

func TestAccuracy(t *testing.T) {
	_, es := shared(t)
	docs, paras := sharedResults(t)
	for _, tc := range []struct {
		name    string
		samples []evalset.Sample
		results []Result
		min     float64 // the naive lingua call's accuracy on the set
	}{
		{"docs", es.Docs, docs, naiveDocs},
		{"paragraphs", es.Paragraphs, paras, naiveParagraphs},
	} {
		ok := 0
		for i, s := range tc.samples {
			if got := tc.results[i].Code(); got == s.Lang {
				ok++
			} else {
				t.Logf("%s: want %s, got %s: %.50q", tc.name, s.Lang, got, s.Text)
			}
		}
		acc := float64(ok) / float64(len(tc.samples))
		if raceMode {
			tc.min = 0.95 // fewer candidates, another set: a sanity check
		}
		if acc < tc.min-0.005 {
			t.Errorf("%s: accuracy %.4f, want at least %.4f (naive lingua) - 0.005", tc.name, acc, tc.min)
		}
	}
	if len(es.Langs) != 75 && !raceMode {
		t.Errorf("labelled set has %d languages, want lingua's 75", len(es.Langs))
	}
}

func TestDecomposedText(t *testing.T) {
	d, es := shared(t)
	// NFC restores what decomposition breaks (lingua splits words at
	// combining marks).
	for _, lang := range []string{"vi", "pl", "cs"} {
		for _, s := range es.Docs {
			if s.Lang != lang {
				continue
			}
			nfd := decompose(s.Text)
			if got := d.Detect(text.NFC(nfd)).Code(); got != lang {
				t.Errorf("NFD %s document detected as %s", lang, got)
			}
			break
		}
	}
}

func TestScript(t *testing.T) {
	// Script decisions load no model: all languages cost nothing here.
	d := NewDetector(Options{Lazy: true})
	tests := []struct {
		in   string
		want string
		step Step
	}{
		{"", "und", StepNone},
		{"12345 !!! 3.14 ++ --", "und", StepNone},
		{"Καλημέρα σας, τι κάνετε σήμερα;", "el", StepScript},
		{"안녕하세요, 오늘 날씨가 좋네요.", "ko", StepScript},
		{"今日はとても良い天気ですね。", "ja", StepScript},
		{"今天天气很好，我们去公园散步吧。", "zh", StepScript},
		{"สวัสดีครับ วันนี้อากาศดีมาก", "th", StepScript},
		{"שלום, מה שלומך היום?", "he", StepScript},
	}
	for _, tt := range tests {
		r := d.Detect(tt.in)
		if r.Code() != tt.want || r.Step != tt.step {
			t.Errorf("Detect(%q) = %s by %v, want %s by %v", tt.in, r.Code(), r.Step, tt.want, tt.step)
		}
		if r.Score < 0 || r.Score > 1 {
			t.Errorf("Detect(%q) score %v outside 0–1", tt.in, r.Score)
		}
	}
}

func TestParseLanguage(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
		err  bool
	}{
		{"de", "de", false}, {"DE", "de", false}, {"deu", "de", false}, {"German", "de", false},
		{" nb ", "nb", false}, {"bokmal", "nb", false}, {"zh", "zh", false},
		{"xx", "", true}, {"", "", true}, {"klingon", "", true},
	} {
		l, err := ParseLanguage(tt.in)
		if (err != nil) != tt.err || err == nil && Code(l) != tt.want {
			t.Errorf("ParseLanguage(%q) = %s, %v; want %s, error %v", tt.in, Code(l), err, tt.want, tt.err)
		}
	}
	if got := Code(lingua.Unknown); got != "und" {
		t.Errorf("Code(Unknown) = %q", got)
	}
}

func TestDeterministicAndConcurrent(t *testing.T) {
	d, es := shared(t)
	samples := es.Paragraphs[:min(60, len(es.Paragraphs))]
	want := make([]Result, len(samples))
	for i, s := range samples {
		want[i] = d.Detect(text.NFC(s.Text))
	}
	var wg sync.WaitGroup
	errs := make(chan string, len(samples)*2)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := len(samples) - 1; i >= 0; i-- {
				if got := d.Detect(text.NFC(samples[i].Text)); got != want[i] {
					errs <- fmt.Sprintf("sample %d: %+v then %+v", i, want[i], got)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func newStage(t *testing.T, cfg Config) *Stage {
	t.Helper()
	cfg.Detector, _ = shared(t)
	if cfg.Backend == "" {
		cfg.Backend = BackendLingua
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStage(t *testing.T) {
	_, es := shared(t)
	doc := func(lang string) string {
		for _, s := range es.Docs {
			if s.Lang == lang {
				return s.Text
			}
		}
		t.Fatalf("no %s document", lang)
		return ""
	}
	tests := []struct {
		name   string
		cfg    Config
		text   string
		lang   string
		reason string
	}{
		{"kept", Config{MinScore: DefaultMinScore}, doc("de"), "de", ""},
		{"kept language", Config{MinScore: DefaultMinScore, Keep: []string{"en", "de"}}, doc("de"), "de", ""},
		{"other language", Config{MinScore: DefaultMinScore, Keep: []string{"en", "es"}}, doc("de"), "de", ReasonNotKept},
		{"no letters", Config{MinScore: DefaultMinScore, Keep: []string{"en"}}, "1234 5678 -- ##", "und", ReasonLowScore},
		{"no letters, no threshold", Config{}, "1234", "und", ReasonLowScore},
		{"script", Config{MinScore: DefaultMinScore}, doc("ko"), "ko", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStage(t, tt.cfg)
			d := &pipeline.Document{Text: tt.text}
			reason, err := s.Process(d)
			if err != nil {
				t.Fatal(err)
			}
			if d.Lang != tt.lang || reason != tt.reason {
				t.Errorf("lang %q reason %q, want %q %q", d.Lang, reason, tt.lang, tt.reason)
			}
			var top []struct {
				Lang  string  `json:"lang"`
				Score float64 `json:"score"`
			}
			if err := json.Unmarshal(d.Field("lang_top3"), &top); err != nil {
				t.Fatalf("lang_top3 %s: %v", d.Field("lang_top3"), err)
			}
			if tt.lang != "und" && (len(top) == 0 || top[0].Lang != tt.lang || top[0].Score != d.LangScore) {
				t.Errorf("lang_top3 %s does not start with %s %v", d.Field("lang_top3"), d.Lang, d.LangScore)
			}
		})
	}
}

func TestStageConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Languages: []string{"en", "xx"}},
		{Keep: []string{"tlh"}},
		{Languages: []string{"en", "de"}, Keep: []string{"fr"}},
		{MinScore: 1.5},
		{Granularity: "word"},
		{LineAction: "delete"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
	spec, ok := pipeline.Lookup(Name)
	if !ok || spec.Order != 20 || !spec.Default {
		t.Fatalf("langid not registered as a default stage of order 20: %+v", spec)
	}
	if _, err := spec.NewParams(map[string]any{"keep": "en,de", "min_score": 0.3, "granularity": "line"}); err != nil {
		t.Errorf("NewParams: %v", err)
	}
}

// TestMixed checks documents with every fifth line in another language:
// the document's language stays right, and at line granularity the
// foreign lines go (or are tagged) while the document's own stay.
func TestMixed(t *testing.T) {
	h, _ := sharedBackends(t)
	for _, b := range []struct {
		name string
		id   Identifier
	}{{"lingua", nil}, {"hybrid", h}} {
		t.Run(b.name, func(t *testing.T) {
			remove := newStage(t, Config{Granularity: "line", Identifier: b.id})
			tag := newStage(t, Config{Granularity: "line", LineAction: "tag", Identifier: b.id})
			testMixed(t, remove, tag)
		})
	}
}

func testMixed(t *testing.T, remove, tag *Stage) {
	_, es := shared(t)
	pairs := [][2]string{
		{"en", "de"}, {"de", "en"}, {"fr", "ru"}, {"es", "fi"}, {"pl", "tr"}, {"ru", "uk"},
		{"nl", "it"}, {"sv", "hu"}, {"ar", "fa"}, {"ja", "en"},
		// Close pairs: the document's language must still be right.
		{"da", "nb"}, {"es", "pt"}, {"hr", "sl"}, {"cs", "sk"}, {"nb", "sv"},
	}
	for _, p := range pairs {
		if !slices.Contains(es.Langs, p[0]) || !slices.Contains(es.Langs, p[1]) {
			continue // race mode: fewer languages
		}
		mixed, otherLines := es.Mixed(p[0], p[1])
		d := &pipeline.Document{Text: mixed}
		if _, err := remove.Process(d); err != nil {
			t.Fatal(err)
		}
		if d.Lang != p[0] {
			t.Errorf("%s document with 20%% %s lines detected as %s", p[0], p[1], d.Lang)
			continue
		}
		orig := text.AppendLines(nil, mixed)
		kept := text.AppendLines(nil, d.Text)
		var want []string
		for i, l := range orig {
			if !slices.Contains(otherLines, i) {
				want = append(want, l)
			}
		}
		close := p[1] == "nb" || p[1] == "pt" || p[1] == "sl" || p[1] == "sk" || p[1] == "sv" || p[1] == "uk" || p[1] == "fa"
		// Every line of the document's own language must stay; foreign
		// lines must go, except that close languages may stay.
		for _, l := range want {
			if !slices.Contains(kept, l) {
				t.Errorf("%s+%s: own line removed: %.60q", p[0], p[1], l)
			}
		}
		if !close && len(kept) != len(want) {
			t.Errorf("%s+%s: kept %d lines, want %d", p[0], p[1], len(kept), len(want))
		}

		d = &pipeline.Document{Text: mixed}
		if _, err := tag.Process(d); err != nil {
			t.Fatal(err)
		}
		if d.Text != mixed {
			t.Errorf("%s+%s: tagging changed the text", p[0], p[1])
		}
		var tags []struct {
			Line int    `json:"line"`
			Lang string `json:"lang"`
		}
		if err := json.Unmarshal(d.Field("lang_lines"), &tags); err != nil {
			t.Fatalf("lang_lines %s: %v", d.Field("lang_lines"), err)
		}
		for _, tg := range tags {
			if !slices.Contains(otherLines, tg.Line) {
				t.Errorf("%s+%s: own line %d tagged as %s", p[0], p[1], tg.Line, tg.Lang)
			}
		}
		if !close && len(tags) != len(otherLines) {
			t.Errorf("%s+%s: %d lines tagged, want %d", p[0], p[1], len(tags), len(otherLines))
		}
	}
}

// mixedNaiveAccuracy is the naive lingua call's accuracy on the mixed
// documents of TestMixedAll (908 of 962), measured once; recomputing it
// would cost a minute of every test run.
const mixedNaiveAccuracy = 908.0 / 962

// TestMixedAll runs every language of the set with a fifth of its lines
// in each of 13 others, close pairs included: the document's language
// must be right at least as often as with the naive call.
func TestMixedAll(t *testing.T) {
	d, es := shared(t)
	h, _ := sharedBackends(t)
	for _, b := range []struct {
		name string
		id   Identifier
	}{{"lingua", Lingua{D: d}}, {"hybrid", h}} {
		t.Run(b.name, func(t *testing.T) {
			ok, n := 0, 0
			for _, a := range es.Langs {
				for _, o := range []string{"en", "da", "nb", "hr", "bs", "id", "ms", "es", "pt", "cs", "sk", "ru", "uk"} {
					if a == o {
						continue
					}
					m, _ := es.Mixed(a, o)
					n++
					if got := b.id.Identify(text.NFC(m)); got.Code == a {
						ok++
					} else {
						t.Logf("%s with 20%% %s: detected %s (%s)", a, o, got.Code, got.By)
					}
				}
			}
			if raceMode {
				return // fewer candidates: the check belongs to the ordinary run
			}
			if acc := float64(ok) / float64(n); n != 962 || acc < mixedNaiveAccuracy-0.005 {
				t.Errorf("mixed documents: %d of %d right (%.4f), want at least the naive %.4f - 0.005", ok, n, acc, mixedNaiveAccuracy)
			}
		})
	}
}

func TestRemoveKeepsBytes(t *testing.T) {
	_, es := shared(t)
	mixed, _ := es.Mixed("en", "de")
	crlf := strings.ReplaceAll(mixed, "\n", "\r\n") + "\r\n"
	d := &pipeline.Document{Text: crlf}
	s := newStage(t, Config{Granularity: "line"})
	if _, err := s.Process(d); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(d.Text, "\r\n\r\n") || !strings.HasSuffix(d.Text, "\r\n") || strings.Count(d.Text, "\r\n") != 8 {
		t.Errorf("line removal broke line endings: %q", d.Text)
	}
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{"Hello world, this is a test.", "Привет мир", "東京タワー", "1234", "\xff\xfe", "a\u0301b", "'-'", "Das ist gut. Isso é bom. Это хорошо."} {
		f.Add(s)
	}
	d := NewDetector(Options{Lazy: true, Languages: []lingua.Language{
		lingua.English, lingua.German, lingua.Spanish, lingua.Portuguese, lingua.Russian, lingua.Ukrainian,
		lingua.Japanese, lingua.Chinese, lingua.Greek,
	}})
	m, err := LoadModel(f.Context(), "")
	if err != nil {
		f.Fatal(err)
	}
	h := NewHybrid(d, m, HybridOptions{})
	ft, err := NewFastText(m, nil, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, id := range []Identifier{h, ft} {
			r := id.Identify(text.NFC(s))
			if r.Score < 0 || r.Score > 1 || r.Code == "" || r.N > len(r.Top) || r.Code == "und" && r.Score != 0 ||
				r.Code != "und" && (r.N == 0 || r.Top[0].Code != r.Code) {
				t.Fatalf("%T.Identify(%q) = %+v", id, s, r)
			}
			id.IdentifyLine(text.NFC(s), "en")
		}
		r := d.Detect(text.NFC(s))
		if r.Score < 0 || r.Score > 1 || r.Code() == "" || r.N > len(r.Top) {
			t.Fatalf("Detect(%q) = %+v", s, r)
		}
		if r.Lang == lingua.Unknown && r.Score != 0 {
			t.Fatalf("Detect(%q): undetermined with score %v", s, r.Score)
		}
		d.DetectLine(text.NFC(s), lingua.English)
	})
}

func ExampleDetector() {
	d := NewDetector(Options{Lazy: true, Languages: []lingua.Language{lingua.English, lingua.German, lingua.Spanish}})
	r := d.Detect("El gato duerme en la alfombra y mira los pájaros del jardín.")
	fmt.Println(r.Code())
	// Output: es
}

func ExampleNew() {
	stage, err := New(Config{Languages: []string{"en", "de", "fr"}, Keep: []string{"de"}, MinScore: DefaultMinScore})
	if err != nil {
		panic(err)
	}
	for _, t := range []string{
		"Der Zug nach Hamburg fährt heute später ab, weil ein Signal gestört ist.",
		"The train to Hamburg leaves later today because a signal has failed.",
	} {
		doc := &pipeline.Document{Text: t}
		reason, _ := stage.Process(doc)
		fmt.Printf("%s %q %s\n", doc.Lang, reason, doc.Field("lang_top3"))
	}
	// Output:
	// de "" [{"lang":"de","score":0.9987}]
	// en "language_not_kept" [{"lang":"en","score":0.9972},{"lang":"de","score":0.0002}]
}
