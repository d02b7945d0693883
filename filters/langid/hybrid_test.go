package langid

import (
	"slices"
	"sync"
	"testing"

	"github.com/pemistahl/lingua-go"
)

// fakeModel answers fixed predictions and counts its calls: the hybrid
// rule is tested on its own, whatever a real model says.
type fakeModel struct {
	preds []Prediction
	calls int
}

func (f *fakeModel) PredictAppend(dst []Prediction, _ string, k int, _ float32) []Prediction {
	f.calls++
	return append(dst, f.preds[:min(k, len(f.preds))]...)
}

func (f *fakeModel) Labels() []string {
	return []string{"__label__en", "__label__de", "__label__hr", "__label__no", "__label__nn", "__label__ceb", "__label__sh", "__label__als", "__label__id"}
}

var (
	ruleDetOnce sync.Once
	ruleDet     *Detector
)

// ruleDetector is a lingua detector over a few languages, confusable
// groups included, for the hybrid rule's tests (the same in race mode).
func ruleDetector() *Detector {
	ruleDetOnce.Do(func() {
		ruleDet = NewDetector(Options{Lazy: true, Languages: []lingua.Language{
			lingua.English, lingua.German, lingua.Croatian, lingua.Bosnian, lingua.Serbian,
			lingua.Bokmal, lingua.Nynorsk, lingua.Danish, lingua.Greek, lingua.Russian,
			lingua.Indonesian, lingua.Malay,
		}})
	})
	return ruleDet
}

func TestHybridRule(t *testing.T) {
	const (
		german   = "Der Zug nach Hamburg fährt heute später ab, weil ein Signal auf der Strecke gestört ist und repariert werden muss."
		croatian = "Hrvatska je država u srednjoj i jugoistočnoj Europi, a glavni grad i najveći grad je Zagreb, smješten na rijeci Savi."
		bokmal   = "Jeg har ikke noe imot at du kommer hjem til oss i kveld, men vi må spise middag først, og så kan vi gå en tur sammen."
	)
	p := func(label string, prob float32) Prediction { return Prediction{Label: "__label__" + label, Prob: prob} }
	tests := []struct {
		name   string
		text   string
		preds  []Prediction
		code   string
		by     Source
		called bool
	}{
		{"confident", german, []Prediction{p("de", 0.99), p("en", 0.005)}, "de", SourceFastText, true},
		{"confident, even when wrong", german, []Prediction{p("en", 0.95)}, "en", SourceFastText, true},
		{"unsure: lingua", german, []Prediction{p("de", 0.6), p("en", 0.3)}, "de", SourceLingua, true},
		{"unsure and wrong: lingua", german, []Prediction{p("en", 0.5), p("de", 0.4)}, "de", SourceLingua, true},
		{"unsure on a long text: lingua among fastText's best", german + " " + german, []Prediction{p("en", 0.5), p("de", 0.3), p("hr", 0.1)}, "de", SourceLingua, true},
		{"not a candidate: lingua", german, []Prediction{p("ceb", 0.99)}, "de", SourceLingua, true},
		{"confusable group: lingua chooses", croatian, []Prediction{p("sh", 0.5), p("hr", 0.45)}, "hr", SourceLingua, true},
		{"confusable group, sure of the group", croatian, []Prediction{p("bs", 0.6), p("hr", 0.3)}, "hr", SourceLingua, true},
		{"Norwegian: lingua chooses Bokmål", bokmal, []Prediction{p("no", 0.97)}, "nb", SourceLingua, true},
		{"Norwegian labelled Nynorsk", bokmal, []Prediction{p("nn", 0.9)}, "nb", SourceLingua, true},
		{"short: lingua, no fastText", "Guten Morgen, Hamburg!", []Prediction{p("en", 0.99)}, "de", SourceLingua, false},
		{"one-language script: no model", "Καλημέρα σας, τι κάνετε σήμερα; Ο καιρός είναι ωραίος και ζεστός.", []Prediction{p("en", 0.99)}, "el", SourceScript, false},
		{"mixed scripts: lingua", "Der Zug nach Hamburg fährt heute später ab, weil ein Signal auf der Strecke gestört ist und repariert werden muss (Поезд опаздывает).", []Prediction{p("en", 0.99)}, "de", SourceLingua, false},
		{"no letters", "1234 5678 -- ## 3.14", []Prediction{p("en", 0.99)}, "und", SourceNone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &fakeModel{preds: tt.preds}
			h := NewHybrid(ruleDetector(), m, HybridOptions{})
			id := h.Identify(tt.text)
			if id.Code != tt.code || id.By != tt.by {
				t.Errorf("got %s by %v, want %s by %v (%+v)", id.Code, id.By, tt.code, tt.by, id)
			}
			if (m.calls > 0) != tt.called {
				t.Errorf("fastText called %d times, want called: %v", m.calls, tt.called)
			}
			if id.Score < 0 || id.Score > 1 || id.Code != "und" && (id.N == 0 || id.Top[0].Code != id.Code || id.Top[0].Score != id.Score) {
				t.Errorf("inconsistent answer %+v", id)
			}
			if id.By == SourceFastText && id.Score < DefaultMinProb {
				t.Errorf("fastText decided with score %v below %v", id.Score, DefaultMinProb)
			}
		})
	}
}

func TestHybridLine(t *testing.T) {
	const line = "Der Zug nach Hamburg fährt heute später ab, weil ein Signal gestört ist."
	p := func(label string, prob float32) Prediction { return Prediction{Label: "__label__" + label, Prob: prob} }
	for _, tt := range []struct {
		name  string
		doc   string
		preds []Prediction
		code  string
		by    Source
	}{
		{"the document's language", "de", []Prediction{p("de", 0.7)}, "de", SourceFastText},
		{"another language, sure", "en", []Prediction{p("de", 0.99)}, "de", SourceFastText},
		{"another language, unsure: lingua with the document's", "en", []Prediction{p("de", 0.6)}, "de", SourceLingua},
		{"the document's group", "bs", []Prediction{p("hr", 0.99)}, "bs", SourceFastText},
		{"a confusable group: lingua with the document's", "en", []Prediction{p("hr", 0.99)}, "de", SourceLingua},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHybrid(ruleDetector(), &fakeModel{preds: tt.preds}, HybridOptions{})
			id := h.IdentifyLine(line, tt.doc)
			if id.Code != tt.code || id.By != tt.by {
				t.Errorf("got %s by %v, want %s by %v", id.Code, id.By, tt.code, tt.by)
			}
		})
	}
}

func TestLabelCode(t *testing.T) {
	for in, want := range map[string]string{
		"__label__en": "en", "de": "de", "__label__no": "nb", "__label__nn": "nn",
		"__label__sh": "hbs", "__label__als": "gsw", "__label__ceb": "ceb", "__label__eml": "eml",
	} {
		if got := LabelCode(in); got != want {
			t.Errorf("LabelCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFastTextBackend(t *testing.T) {
	m := &fakeModel{preds: []Prediction{{Label: "__label__ceb", Prob: 0.7}, {Label: "__label__no", Prob: 0.2}, {Label: "__label__en", Prob: 0.1}}}
	all, err := NewFastText(m, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(all.Codes(), "ceb") || !slices.Contains(all.Codes(), "nb") || slices.Contains(all.Codes(), "no") {
		t.Errorf("codes %v: want the model's labels mapped (ceb, nb for no)", all.Codes())
	}
	if id := all.Identify("Maayong buntag kaninyong tanan."); id.Code != "ceb" || id.Score != 0.7 || id.N != 3 || id.Top[1].Code != "nb" {
		t.Errorf("Identify = %+v", id)
	}
	if id := all.Identify("1234"); id.Code != "und" || m.calls != 1 {
		t.Errorf("no letters: %+v after %d calls, want und without asking the model", id, m.calls)
	}
	// Restricted to some languages: the best of them.
	some, err := NewFastText(m, []string{"nb", "en"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if id := some.Identify("Maayong buntag kaninyong tanan."); id.Code != "nb" || id.N != 2 {
		t.Errorf("restricted Identify = %+v", id)
	}
	if _, err := NewFastText(m, []string{"tlh"}, 0); err == nil {
		t.Error("a language the model lacks was accepted")
	}
	for in, want := range map[string]string{"ceb": "ceb", "no": "nb", "Norwegian": "", "nb": "nb", "deu": "de", "German": "de", " SH ": "hbs", "xx": ""} {
		got, err := parseCode(in, all.Codes())
		if (err != nil) != (want == "") || got != want {
			t.Errorf("parseCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestFastTextInput(t *testing.T) {
	long := ""
	for len(long) < 10000 {
		long += "word and more words\n"
	}
	if got := FastTextInput(long, 1024); len(got) > 1024+100 || len(got) < 900 {
		t.Errorf("window of %d bytes, want about 1024", len(got))
	}
}
