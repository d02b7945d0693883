// Package classifier is the classifier stage: a fastText model scores
// each document, and documents whose score for a chosen label is below a
// threshold are dropped — the model-based quality filtering of Llama 3
// (section 3.1.1: a fastText classifier trained to recognise text that
// Wikipedia would reference, and classifiers for code and reasoning
// content), DCLM and FineWeb-Edu. The model is any fastText supervised
// model (.bin or .ftz), loaded and run in pure Go by filters/fasttext.
//
// One pipeline may hold several classifiers as named instances,
// "classifier:quality", "classifier:code", each with its own parameters;
// an instance's name prefixes its signals and drop reasons.
package classifier

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/winnow-data/winnow/filters/fasttext"
	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/storage"
)

// Name is the stage's canonical name; instances run as "classifier:NAME".
const Name = "classifier"

// ReasonBelowMinScore is the drop reason ("classifier.below_min_score",
// or "classifier:NAME.below_min_score" for an instance).
const ReasonBelowMinScore = "below_min_score"

func init() {
	pipeline.Register(pipeline.Spec{
		Name:      Name,
		Summary:   "score documents with a fastText classifier (Llama 3 model-based quality filtering); several as classifier:NAME",
		Order:     55,
		Instances: true,
		Params: []pipeline.Param{
			{Name: "model", Default: "", Doc: "fastText model (.bin or .ftz): a path or a storage URL (s3://, gs://, azblob://)"},
			{Name: "label", Default: "", Doc: "the label whose probability is the score, as the model names it (__label__hq) or bare (hq); empty: the top label's"},
			{Name: "min_score", Default: 0.0, Doc: "drop documents whose score is below this (<stage>.below_min_score); 0 keeps all"},
			{Name: "max_chars", Default: 0, Doc: "classify only the first max_chars characters of the text, as training pipelines truncate; 0: the whole text"},
			{Name: "mode", Default: "filter", Doc: "filter: drop documents below min_score; tag: signals only"},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return New(Config{
				Name:     p.Name(),
				Model:    p.String("model"),
				Label:    p.String("label"),
				MinScore: p.Float("min_score"),
				MaxChars: p.Int("max_chars"),
				Mode:     p.String("mode"),
			})
		},
	})
}

// Config configures the stage.
type Config struct {
	// Name is the name the stage runs under: "classifier" (default) or
	// "classifier:NAME" for one of several instances.
	Name string
	// Model is the model file: a local path or a storage URL. Ignored
	// when Classifier is set.
	Model string
	// Classifier, when set, is used instead of loading Model (programs
	// sharing one loaded model between stages).
	Classifier *fasttext.Model
	// Label is the label whose probability is the score, with or without
	// the model's "__label__" prefix; empty means the top label's.
	Label string
	// MinScore drops documents scoring below it; 0 keeps all.
	MinScore float64
	// MaxChars truncates the text classified to its first MaxChars
	// characters (code points); 0 classifies the whole text.
	MaxChars int
	// Mode is "filter" (default) or "tag" (signals only).
	Mode string
}

// Stage is the classifier stage. For each document it sets the signal
// "<name>.score" (the probability of the label, 0 when the model does not
// rank it) and the field "<name>.label" (the most probable label, without
// its "__label__" prefix), and in filter mode drops documents whose score
// is below min_score.
type Stage struct {
	name        string
	m           *fasttext.Model
	label       string // as the model names it; "" = top label
	minScore    float64
	maxChars    int
	tag         bool
	k           int
	signal      string
	field       string
	labelFields map[string]json.RawMessage // label -> its JSON string, bare

	preds sync.Pool // *[]fasttext.Prediction
}

// New loads the model and checks the label against it.
func New(c Config) (*Stage, error) {
	name := c.Name
	if name == "" {
		name = Name
	}
	s := &Stage{name: name, minScore: c.MinScore, maxChars: c.MaxChars,
		signal: name + ".score", field: name + ".label"}
	var err error
	if s.tag, err = pipeline.ParseMode(c.Mode); err != nil {
		return nil, fmt.Errorf("stage %s: %w", name, err)
	}
	if c.MinScore < 0 || c.MinScore > 1 {
		return nil, fmt.Errorf("stage %s: min_score %v is outside 0–1", name, c.MinScore)
	}
	if c.MaxChars < 0 {
		return nil, fmt.Errorf("stage %s: max_chars %d is negative", name, c.MaxChars)
	}
	s.m = c.Classifier
	if s.m == nil {
		if c.Model == "" {
			return nil, fmt.Errorf("stage %s: no model given (parameter model: a .bin or .ftz file)", name)
		}
		if s.m, err = loadModel(c.Model); err != nil {
			return nil, fmt.Errorf("stage %s: %w", name, err)
		}
	}
	labels := s.m.Labels()
	s.k = 1 // the top label is all a stage without a label needs
	if c.Label != "" {
		s.k = len(labels)
		for _, l := range labels {
			if l == c.Label || strings.TrimPrefix(l, "__label__") == c.Label {
				s.label = l
				break
			}
		}
		if s.label == "" {
			return nil, fmt.Errorf("stage %s: label %q is not one of the model's (%s)", name, c.Label, strings.Join(labels, ", "))
		}
	}
	s.labelFields = make(map[string]json.RawMessage, len(labels))
	for _, l := range labels {
		raw, _ := json.Marshal(strings.TrimPrefix(l, "__label__"))
		s.labelFields[l] = raw
	}
	s.preds.New = func() any { p := make([]fasttext.Prediction, 0, s.k); return &p }
	return s, nil
}

// loadModel reads a model from a path or a storage URL.
func loadModel(loc string) (*fasttext.Model, error) {
	if !storage.IsURL(loc) {
		return fasttext.LoadFile(loc)
	}
	i := strings.LastIndex(loc, "/")
	if i < 0 || i == len(loc)-1 || strings.HasSuffix(loc[:i], ":/") {
		return nil, fmt.Errorf("model %s: not a file's URL", loc)
	}
	ctx := context.Background()
	b, err := storage.Open(ctx, loc[:i])
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", loc, err)
	}
	defer b.Close()
	r, err := b.NewReader(ctx, path.Base(loc[i+1:]))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", loc, err)
	}
	defer r.Close()
	m, err := fasttext.Load(r)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", loc, err)
	}
	return m, nil
}

// Name returns the stage's name ("classifier" or "classifier:NAME").
func (s *Stage) Name() string { return s.name }

// Model returns the loaded model.
func (s *Stage) Model() *fasttext.Model { return s.m }

// Score returns the score and top label of text as Process computes them:
// the label's probability as the shortest decimal of the model's float32.
func (s *Stage) Score(text string) (score float64, top string) {
	pp := s.preds.Get().(*[]fasttext.Prediction)
	defer s.preds.Put(pp)
	score, top = s.score(pp, text)
	return score, top
}

func (s *Stage) score(pp *[]fasttext.Prediction, text string) (float64, string) {
	text = truncate(text, s.maxChars)
	preds := s.m.PredictAppend((*pp)[:0], text, s.k, 0)
	*pp = preds
	if len(preds) == 0 {
		return 0, ""
	}
	if s.label == "" {
		return decimal(preds[0].Prob), preds[0].Label
	}
	i := slices.IndexFunc(preds, func(p fasttext.Prediction) bool { return p.Label == s.label })
	if i < 0 {
		return 0, preds[0].Label
	}
	return decimal(preds[i].Prob), preds[0].Label
}

// truncate cuts text after n code points (n = 0: no limit).
func truncate(text string, n int) string {
	if n <= 0 || len(text) <= n {
		return text
	}
	for i := range text {
		if n == 0 {
			return text[:i]
		}
		n--
	}
	return text
}

// Process scores the document and drops it below min_score.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	score, top := s.Score(doc.Text)
	doc.SetSignal(s.signal, score)
	if top != "" {
		doc.SetRawField(s.field, slices.Clone(s.labelFields[top]))
	}
	if !s.tag && score < s.minScore {
		return ReasonBelowMinScore, nil
	}
	return "", nil
}

// decimal is the shortest decimal that reads back as p: the value
// `fasttext predict-prob` shows (to its six digits) and the one a user
// compares with min_score, rather than float32's binary tail (0.9, not
// 0.8999999761581421).
func decimal(p float32) float64 {
	var buf [32]byte
	f, _ := strconv.ParseFloat(string(strconv.AppendFloat(buf[:0], float64(p), 'g', -1, 32)), 64)
	return f
}
