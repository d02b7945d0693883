package classifier

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/filters/fasttext"
	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/job"
)

// tinyModel was trained by the reference CLI on three classes c0, c1, c2
// (see ../fasttext/testdata/README.md).
const tinyModel = "../fasttext/testdata/tiny.bin"

func newStage(t *testing.T, settings map[string]any) *Stage {
	t.Helper()
	spec, ok := pipeline.Lookup(Name)
	if !ok {
		t.Fatal("classifier is not registered")
	}
	if spec.Default {
		t.Error("classifier must not be in the default pipeline: it needs a model")
	}
	if settings["model"] == nil {
		settings["model"] = tinyModel
	}
	p, err := spec.NewParams(settings)
	if err != nil {
		t.Fatal(err)
	}
	st, err := spec.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.(*Stage)
}

var texts = []string{"kato rimé", "lusa zöni бора", "日de ka", "", "ünknown wörds only", "rika tomé ni sa lu"}

// The score is the label's probability as predict-prob reports it, and
// the top label the first prediction, whether the label is given bare or
// prefixed.
func TestScoreIsThePrediction(t *testing.T) {
	m, err := fasttext.LoadFile(tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"c1", "__label__c1"} {
		s := newStage(t, map[string]any{"label": label})
		for _, text := range texts {
			preds := m.Predict(text, -1, 0)
			var want float64
			for _, p := range preds {
				if p.Label == "__label__c1" {
					want = float64(p.Prob)
				}
			}
			score, top := s.Score(text)
			if math.Abs(score-want) > 1e-7 || top != preds[0].Label {
				t.Errorf("label %s, %q: score %v top %q, want %v %q", label, text, score, top, want, preds[0].Label)
			}
		}
	}
	s := newStage(t, map[string]any{})
	for _, text := range texts {
		score, top := s.Score(text)
		p := m.Predict(text, 1, 0)[0]
		if float32(score) != p.Prob || top != p.Label {
			t.Errorf("no label, %q: %v %q, want the top label's %v %q", text, score, top, p.Prob, p.Label)
		}
	}
}

func TestProcessFilterAndTag(t *testing.T) {
	probe := newStage(t, map[string]any{"label": "c0"})
	scores := map[string]float64{}
	for _, text := range texts {
		scores[text], _ = probe.Score(text)
	}
	// A threshold equal to one document's score keeps that document.
	min := scores["kato rimé"]
	for _, mode := range []string{"filter", "tag"} {
		s := newStage(t, map[string]any{"label": "c0", "min_score": min, "mode": mode})
		for _, text := range texts {
			doc := &pipeline.Document{Text: text}
			reason, err := s.Process(doc)
			if err != nil {
				t.Fatal(err)
			}
			wantDrop := mode == "filter" && scores[text] < min
			if (reason == ReasonBelowMinScore) != wantDrop || (reason != "" && reason != ReasonBelowMinScore) {
				t.Errorf("%s %q (score %v, min %v): reason %q", mode, text, scores[text], min, reason)
			}
			if v, ok := doc.Signal("classifier.score"); !ok || v != scores[text] {
				t.Errorf("%q: signal %v %v, want %v", text, v, ok, scores[text])
			}
			var label string
			if err := json.Unmarshal(doc.Field("classifier.label"), &label); err != nil || !strings.HasPrefix(label, "c") {
				t.Errorf("%q: label field %s (%v)", text, doc.Field("classifier.label"), err)
			}
		}
	}
}

func TestMaxCharsTruncatesByCodePoint(t *testing.T) {
	for _, c := range []struct {
		text string
		n    int
		want string
	}{
		{"kato rimé", 0, "kato rimé"},
		{"kato rimé", 8, "kato rim"},
		{"kato rimé", 9, "kato rimé"},
		{"日本語", 2, "日本"},
		{"日本語", 100, "日本語"},
		{"", 3, ""},
	} {
		if got := truncate(c.text, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.text, c.n, got, c.want)
		}
	}
	// The stage classifies only the prefix.
	s := newStage(t, map[string]any{"label": "c0", "max_chars": 9})
	full := newStage(t, map[string]any{"label": "c0"})
	a, _ := s.Score("kato rimé lusa zöni бора 日de")
	b, _ := full.Score("kato rimé")
	if a != b {
		t.Errorf("max_chars 9 scored %v, the 9-character prefix %v", a, b)
	}
}

func TestConfigErrors(t *testing.T) {
	spec, _ := pipeline.Lookup(Name)
	for _, c := range []struct {
		settings map[string]any
		want     string
	}{
		{map[string]any{}, "no model"},
		{map[string]any{"model": "missing.bin"}, "missing.bin"},
		{map[string]any{"model": tinyModel, "label": "nope"}, `label "nope" is not one of the model's`},
		{map[string]any{"model": tinyModel, "min_score": 1.5}, "min_score"},
		{map[string]any{"model": tinyModel, "max_chars": -1}, "max_chars"},
		{map[string]any{"model": tinyModel, "mode": "drop"}, "mode"},
		{map[string]any{"model": "../fasttext/testdata/tiny-test.txt"}, "not a valid fastText model"},
	} {
		p, err := spec.NewParams(c.settings)
		if err == nil {
			_, err = spec.New(p)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.settings, err, c.want)
		}
	}
}

// Several classifiers run in one pipeline as named instances, each with
// its own parameters over the kind's shared ones, and name their signals,
// fields and reasons after themselves.
func TestNamedInstances(t *testing.T) {
	c := job.Defaults()
	c.Only = []string{"classifier:first", "classifier:second"}
	c.Stages = map[string]map[string]any{
		"classifier":        {"model": tinyModel, "mode": "tag"},
		"classifier:first":  {"label": "c0"},
		"classifier:second": {"label": "c2", "mode": "filter", "min_score": 0.99},
	}
	stages, err := c.BuildStages()
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2 || stages[0].Name() != "classifier:first" || stages[1].Name() != "classifier:second" {
		t.Fatalf("stages %v", stages)
	}
	doc := &pipeline.Document{Text: "kato rimé"}
	r1, _ := stages[0].Process(doc)
	r2, _ := stages[1].Process(doc)
	if r1 != "" || r2 != ReasonBelowMinScore {
		t.Errorf("reasons %q %q: the first tags, the second filters at 0.99", r1, r2)
	}
	s1, ok1 := doc.Signal("classifier:first.score")
	s2, ok2 := doc.Signal("classifier:second.score")
	if !ok1 || !ok2 || s1 == s2 {
		t.Errorf("signals %v %v / %v %v", s1, ok1, s2, ok2)
	}
	if doc.Field("classifier:first.label") == nil || doc.Field("classifier:second.label") == nil {
		t.Error("label fields missing")
	}

	for _, bad := range [][]string{{"classifier:"}, {"classifier:a b"}, {"langid:x"}} {
		c := job.Defaults()
		c.Only = bad
		if _, err := c.BuildStages(); err == nil {
			t.Errorf("--only %v accepted", bad)
		}
	}
	// Skipping the kind skips its instances.
	c.Skip = []string{"classifier"}
	if stages, err := c.BuildStages(); err != nil || len(stages) != 0 {
		t.Errorf("skip classifier: %v %v", stages, err)
	}
}

func TestScoreAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped: sync.Pool drops items under the race detector")
	}
	s := newStage(t, map[string]any{"label": "c0"})
	doc := &pipeline.Document{Text: strings.Repeat("kato rimé lusa ", 100)}
	s.Process(doc)
	if n := testing.AllocsPerRun(50, func() { s.Score(doc.Text) }); n > 0 {
		t.Errorf("Score allocates %v times", n)
	}
}

// The model parameter takes storage URLs as well as paths.
func TestModelFromStorageURL(t *testing.T) {
	abs, err := filepath.Abs(tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	s := newStage(t, map[string]any{"model": "file://" + abs, "label": "c1"})
	if len(s.Model().Labels()) != 3 {
		t.Errorf("labels %v", s.Model().Labels())
	}
	spec, _ := pipeline.Lookup(Name)
	p, _ := spec.NewParams(map[string]any{"model": "file://" + abs + ".missing"})
	if _, err := spec.New(p); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing URL: %v", err)
	}
}
