// Package memio holds an in-memory Source and Sink, for running dedup
// stages through the engine in tests, benchmarks and dupstats.
package memio

import (
	"context"
	"iter"
	"sync"

	"github.com/winnow-data/winnow/pipeline"
)

// Source yields copies of Docs as the records of one file named Path.
type Source struct {
	Path string
	Docs []pipeline.Document
}

// Name implements pipeline.Source.
func (s *Source) Name() string { return s.Path }

// Size implements pipeline.Source.
func (s *Source) Size() int64 { return -1 }

// Records implements pipeline.Source.
func (s *Source) Records(ctx context.Context) iter.Seq2[pipeline.Record, error] {
	return func(yield func(pipeline.Record, error) bool) {
		for i := range s.Docs {
			if ctx.Err() != nil {
				return
			}
			d := s.Docs[i]
			d.Signals = append([]pipeline.Signal(nil), d.Signals...)
			d.Fields = nil
			if !yield(pipeline.Record{Index: int64(i), Doc: &d}, nil) {
				return
			}
		}
	}
}

// Texts returns a one-file source of documents with the given texts and
// ids "0", "1", ….
func Texts(path string, texts ...string) *Source {
	s := &Source{Path: path}
	for i, t := range texts {
		s.Docs = append(s.Docs, pipeline.Document{ID: itoa(i), Text: t})
	}
	return s
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// Kept is one document a Sink received.
type Kept struct {
	ID, Text, Reason string
	Fields           map[string]string
	Signals          map[string]float64
}

// Sink collects kept and rejected documents; Discard drops them.
type Sink struct {
	Discard  bool
	mu       sync.Mutex
	Kept     []Kept
	Rejected []Kept
}

func snap(d *pipeline.Document, reason string) Kept {
	k := Kept{ID: d.ID, Text: d.Text, Reason: reason, Fields: map[string]string{}, Signals: map[string]float64{}}
	for _, f := range d.Fields {
		k.Fields[f.Name] = string(f.Value)
	}
	for _, s := range d.Signals {
		k.Signals[s.Name] = s.Value
	}
	return k
}

// Write implements pipeline.Sink.
func (s *Sink) Write(docs []*pipeline.Document) error {
	if s.Discard {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range docs {
		s.Kept = append(s.Kept, snap(d, ""))
	}
	return nil
}

// Reject implements pipeline.Sink.
func (s *Sink) Reject(docs []*pipeline.Document, reasons []string) error {
	if s.Discard {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, d := range docs {
		s.Rejected = append(s.Rejected, snap(d, reasons[i]))
	}
	return nil
}

// Close implements pipeline.Sink.
func (s *Sink) Close() error { return nil }

// Abort implements pipeline.Sink.
func (s *Sink) Abort() error { return nil }

// IDs returns the ids of the kept documents.
func (s *Sink) IDs() []string {
	out := make([]string, len(s.Kept))
	for i, k := range s.Kept {
		out[i] = k.ID
	}
	return out
}
