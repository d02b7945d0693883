package pii

import (
	"fmt"
	"sync"

	"github.com/winnow-data/winnow/pipeline"
)

// Name is the stage's canonical name.
const Name = "pii"

// ReasonTooMuchPII is the drop reason, reported as "pii.too_much_pii".
const ReasonTooMuchPII = "too_much_pii"

// Signal names, one count per kind.
var signalNames = [numKinds]string{"pii.emails", "pii.cards", "pii.ips", "pii.phones"}

func init() {
	pipeline.Register(pipeline.Spec{
		Name:    Name,
		Summary: "redact e-mail addresses, public IPs, phone and card numbers with placeholders; count them",
		Order:   60,
		Default: true,
		Params: []pipeline.Param{
			{Name: "drop_min_count", Default: 0, Doc: "drop documents with at least this many PII matches (pii.too_much_pii); 0 never drops", Min: pipeline.Bound(0)},
			{Name: "all_ips", Default: false, Doc: "also redact private, loopback and documentation IP addresses"},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return New(Config{DropMinCount: p.Int("drop_min_count"), AllIPs: p.Bool("all_ips")})
		},
	})
}

// Config configures the stage.
type Config struct {
	DropMinCount int // 0: never drop
	AllIPs       bool
}

// Stage is the pii stage.
type Stage struct {
	drop int
	opts Options
	pool sync.Pool
}

// New returns the stage configured by c.
func New(c Config) (*Stage, error) {
	s := &Stage{drop: c.DropMinCount, opts: Options{AllIPs: c.AllIPs}}
	if c.DropMinCount < 0 {
		return nil, fmt.Errorf("stage %s: drop_min_count %d is negative", Name, c.DropMinCount)
	}
	s.pool.New = func() any { return new([]Match) }
	return s, nil
}

// Name returns "pii".
func (s *Stage) Name() string { return Name }

// Process counts the document's personal data, writes the counts as
// signals and replaces each match with its placeholder.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	buf := s.pool.Get().(*[]Match)
	defer s.pool.Put(buf)
	ms := Find((*buf)[:0], doc.Text, s.opts)
	*buf = ms
	var counts [numKinds]int
	for _, m := range ms {
		counts[m.Kind]++
	}
	for k, n := range counts {
		doc.SetSignal(signalNames[k], float64(n))
	}
	if s.drop > 0 && len(ms) >= s.drop {
		return ReasonTooMuchPII, nil
	}
	if len(ms) > 0 {
		doc.SetText(Redact(doc.Text, ms))
	}
	return "", nil
}

// Columns implements pipeline.Declarer.
func (s *Stage) Columns() []pipeline.Column { return pipeline.SignalColumns(signalNames[:]...) }
