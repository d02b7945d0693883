package langid

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/winnow-data/winnow/filters/langid/internal/evalset"
	"github.com/winnow-data/winnow/filters/langid/lid176"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/storage"
)

// Accuracy of lingua's naive call (DetectLanguageOf, all 75 languages,
// high accuracy) on the labelled set, measured once: recomputing it
// would cost a minute of every test run.
const (
	naiveDocs       = 225.0 / 225
	naiveParagraphs = 361.0 / 364
)

var (
	hybridOnce sync.Once
	hybridID   *Hybrid
	fastTextID *FastText
	modelErr   error
)

// sharedBackends returns the hybrid backend over the shared detector and
// the fastText backend, both on the embedded lid.176.
func sharedBackends(t testing.TB) (*Hybrid, *FastText) {
	t.Helper()
	d, _ := shared(t)
	hybridOnce.Do(func() {
		var m Model
		if m, modelErr = LoadModel(t.Context(), ""); modelErr != nil {
			return
		}
		hybridID = NewHybrid(d, m, HybridOptions{})
		fastTextID, modelErr = NewFastText(m, nil, 0)
	})
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return hybridID, fastTextID
}

func accuracy(t *testing.T, name string, id Identifier, samples []evalset.Sample) float64 {
	ok := 0
	for _, s := range samples {
		if got := id.Identify(text.NFC(s.Text)); got.Code == s.Lang {
			ok++
		} else {
			t.Logf("%s: want %s, got %s (%s, %.3f): %.50q", name, s.Lang, got.Code, got.By, got.Score, s.Text)
		}
	}
	return float64(ok) / float64(len(samples))
}

// TestAccuracyHybrid checks the hybrid backend against lingua's naive
// call on all 75 languages: at least its accuracy minus half a point, on
// documents and on paragraphs.
func TestAccuracyHybrid(t *testing.T) {
	h, _ := sharedBackends(t)
	_, es := shared(t)
	if !raceMode && len(es.Langs) != 75 {
		t.Errorf("labelled set has %d languages, want lingua's 75", len(es.Langs))
	}
	for _, tc := range []struct {
		name    string
		samples []evalset.Sample
		min     float64
	}{
		{"docs", es.Docs, naiveDocs},
		{"paragraphs", es.Paragraphs, naiveParagraphs},
	} {
		acc := accuracy(t, tc.name, h, tc.samples)
		if raceMode {
			tc.min = 0.95 // fewer candidates, another set: a sanity check
		}
		if acc < tc.min-0.005 {
			t.Errorf("hybrid %s: accuracy %.4f, want at least %.4f (naive lingua) - 0.005", tc.name, acc, tc.min)
		}
	}
}

// TestAccuracyFastText checks the fastText backend alone on the
// languages of the labelled set that lid.176 knows (67 of the 75), with
// every one of its 176 languages a candidate.
func TestAccuracyFastText(t *testing.T) {
	_, ft := sharedBackends(t)
	_, es := shared(t)
	known := func(in []evalset.Sample) []evalset.Sample {
		var out []evalset.Sample
		for _, s := range in {
			if slices.Contains(ft.Codes(), s.Lang) {
				out = append(out, s)
			}
		}
		return out
	}
	docs, paras := known(es.Docs), known(es.Paragraphs)
	if !raceMode && len(docs) != 67*3 {
		t.Errorf("%d documents in languages lid.176 knows, want 201", len(docs))
	}
	// Measured: 94.03% of documents, 93.37% of paragraphs; its misses
	// are Bosnian (as hr or hbs), Malay (as id), Yoruba (as ga), Somali
	// (as en or fi) and Nynorsk (as nb) — what the hybrid hands lingua.
	for _, tc := range []struct {
		name    string
		samples []evalset.Sample
		min     float64
	}{
		{"docs", docs, 0.9403 - 0.005},
		{"paragraphs", paras, 0.9337 - 0.005},
	} {
		if raceMode {
			tc.min = 0.85 // another set: a sanity check
		}
		if acc := accuracy(t, tc.name, ft, tc.samples); acc < tc.min {
			t.Errorf("fasttext %s: accuracy %.4f, want at least %.2f", tc.name, acc, tc.min)
		}
	}
}

// TestFastText176 checks that the fastText backend answers every one of
// lid.176's languages and that --langs (keep) accepts each.
func TestFastText176(t *testing.T) {
	_, ft := sharedBackends(t)
	codes := ft.Codes()
	if len(codes) != 176 {
		t.Fatalf("fasttext backend has %d languages, want 176", len(codes))
	}
	for _, c := range []string{"en", "nb", "nn", "hbs", "gsw", "ceb", "yue", "wuu", "eml"} {
		if !slices.Contains(codes, c) {
			t.Errorf("%s missing from the fastText codes", c)
		}
	}
	for _, c := range []string{"no", "sh", "als"} {
		if slices.Contains(codes, c) {
			t.Errorf("fastText label %s left unmapped", c)
		}
	}
	s, err := New(Config{Identifier: ft, Keep: append(slices.Clone(codes), "no", "German", "deu")})
	if err != nil {
		t.Fatalf("keep with all 176 languages: %v", err)
	}
	if len(s.keep) != 176 {
		t.Errorf("keep holds %d languages, want 176", len(s.keep))
	}
	if _, err := New(Config{Identifier: ft, Keep: []string{"tlh"}}); err == nil {
		t.Error("keep accepted a language lid.176 lacks")
	}
	// The registered stage resolves its parameters the same way.
	spec, _ := pipeline.Lookup(Name)
	build := func(settings map[string]any) error {
		p, err := spec.NewParams(settings)
		if err != nil {
			return err
		}
		_, err = spec.New(p)
		return err
	}
	if err := build(map[string]any{"backend": "fasttext", "keep": "ceb,war,no", "languages": "ceb,war,no,en"}); err != nil {
		t.Errorf("fasttext backend with lid.176-only languages: %v", err)
	}
	if err := build(map[string]any{"backend": "hybrid", "keep": "ceb"}); err == nil {
		t.Error("hybrid backend accepted a language lingua lacks")
	}
}

// TestStartup checks that the hybrid backend reaches its first detection
// within 0.3 CPU-seconds: fastText's model loads in milliseconds and
// lingua's only when it is asked.
func TestStartup(t *testing.T) {
	if raceMode {
		t.Skip("the race detector slows loading tenfold")
	}
	const german = "Die alte Bahnstation am Rand der Stadt ist heute eine kleine Bibliothek mit Café, in der Studenten lernen."
	c0 := cpuSeconds()
	m, err := loadFastText(strings.NewReader(string(lid176.Model)))
	if err != nil {
		t.Fatal(err)
	}
	h := NewHybrid(NewDetector(Options{Lazy: true}), m, HybridOptions{})
	id := h.Identify(german)
	cpu := cpuSeconds() - c0
	if id.Code != "de" || id.By != SourceFastText {
		t.Errorf("first detection: %+v, want de by fastText", id)
	}
	t.Logf("first detection after %.3f CPU-s", cpu)
	if cpu > 0.3 {
		t.Errorf("first detection after %.2f CPU-s, want at most 0.3", cpu)
	}
}

func TestModelErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.ftz")
	if err := os.WriteFile(junk, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Model: filepath.Join(dir, "missing.ftz")}, "missing.ftz"},
		{Config{Model: junk}, "junk.ftz"},
		{Config{Backend: BackendFastText, Model: "../fasttext/testdata/tiny.ftz"}, "not language codes"},
		{Config{Backend: BackendLingua, Model: junk}, "uses no fastText model"},
		{Config{Backend: "cld3"}, "want hybrid, fasttext or lingua"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error mentioning %q", tc.cfg, err, tc.want)
		}
	}
	// A model given by path loads and identifies.
	path := filepath.Join(dir, "lid.176.ftz")
	if err := os.WriteFile(path, lid176.Model, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Backend: BackendFastText, Model: path, Languages: []string{"en", "de"}})
	if err != nil {
		t.Fatal(err)
	}
	d := &pipeline.Document{Text: "Die alte Bahnstation am Rand der Stadt ist heute eine kleine Bibliothek."}
	if _, err := s.Process(d); err != nil || d.Lang != "de" {
		t.Errorf("model from a path: lang %q, %v", d.Lang, err)
	}
	// And by storage URL.
	b, err := storage.Open(t.Context(), "mem://langid-models/lid")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteFile(t.Context(), "lid.176.ftz", lid176.Model); err != nil {
		t.Fatal(err)
	}
	for _, loc := range []string{"mem://langid-models/lid/lid.176.ftz", "file://" + filepath.ToSlash(path)} {
		if _, err := New(Config{Backend: BackendFastText, Model: loc}); err != nil {
			t.Errorf("model at %s: %v", loc, err)
		}
	}
	if _, err := New(Config{Backend: BackendFastText, Model: "mem://langid-models/lid/missing.ftz"}); err == nil || !strings.Contains(err.Error(), "missing.ftz") {
		t.Errorf("missing model by URL: %v", err)
	}
}
